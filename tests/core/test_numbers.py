"""Numbers on pages, labels and certificates: French decimal comma, no trailing zeros."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.numbers import decimal_text


@pytest.mark.parametrize("value, text", [
    (Decimal("256.0"), "256"),      # Numeric(10, 1) read back from the database
    (Decimal("256"), "256"),
    (Decimal("2.50"), "2,5"),
    (Decimal("0.5"), "0,5"),
    (Decimal("1E+3"), "1000"),      # normalize() alone would give an exponent
    (Decimal("1000.0"), "1000"),
    (8, "8"),
    (1.5, "1,5"),
])
def test_decimal_text(value, text):
    assert decimal_text(value) == text

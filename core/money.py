"""Money as users read it: ``1 234,56 €`` with non-breaking spaces, from a Decimal rounded half
up to the cent (amounts are ``Numeric(12, 2)`` and Python ``Decimal`` everywhere)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def euros_from_cents(cents: int) -> str:
    """1 234,56 € (non-breaking spaces), from a whole number of cents."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{part:02d}\u00a0€"


def euros(value: Decimal) -> str:
    """1 234,56 € (non-breaking spaces), rounded half up to the cent."""
    return euros_from_cents(int(value.quantize(CENT, ROUND_HALF_UP) * 100))

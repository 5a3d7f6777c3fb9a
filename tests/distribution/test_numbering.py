"""Invoice and credit-note numbers: the office's yearly series and a mobile unit's own series
(issue 20), printed and read back by one pure module."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distribution.numbering import DocumentNumber, document_number, parse_number


def test_the_office_and_mobile_series():
    assert document_number("F", 2026, 12) == "F-2026-00012"
    assert document_number("AV", 2026, 1) == "AV-2026-00001"
    assert document_number("F", 2026, 2, unit="M1") == "F-M1-2026-00002"
    assert parse_number("F-M12-2026-00002") == DocumentNumber("F", "M12", 2026, 2)
    assert parse_number("F-M12-2026-00002").series == "F-M12-2026"
    assert parse_number("AV-2027-00003").series == "AV-2027"


@pytest.mark.parametrize("text", ["", "F-2026-1", "F-26-00001", "X-2026-00001", "F-M0-2026-00001",
                                  "F-M1000-2026-00001", "AV-M1-2026-00001", "F-2026-00001 ", "f-2026-00001"])
def test_what_is_not_a_number(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("args", [("F", 2026, 0), ("F", 2026, 100000), ("X", 2026, 1), ("AV", 2026, 1, "M1"),
                                  ("F", 2026, 1, "M0"), ("F", 999, 1)])
def test_numbers_outside_the_series_are_refused(args):
    with pytest.raises(ValueError):
        document_number(*args)


@given(st.sampled_from(["F", "AV"]), st.integers(1000, 9999), st.integers(1, 99999),
       st.one_of(st.none(), st.integers(1, 999).map(lambda n: f"M{n}")))
def test_printing_then_reading_gives_the_parts_back(prefix, year, number, unit):
    if prefix == "AV":
        unit = None
    assert parse_number(document_number(prefix, year, number, unit)) == DocumentNumber(prefix, unit, year, number)

"""The display layer (core/display.py): every kind of value as the French text a user reads."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest
from markupsafe import Markup

from core.display import EMPTY, display, local_datetime, number, words
from core.vocabulary import Category
from inventory.lifecycle import State

NBSP = "\u00a0"


@pytest.mark.parametrize("value", [None, "", "   ", [], (), set(), {}])
def test_empty_is_a_dash(value):
    assert display(value) == EMPTY == "—"


def test_booleans():
    assert display(True) == "Oui"
    assert display(False) == "Non"


def test_an_aware_datetime_in_martinique_time():
    moment = datetime(2026, 12, 4, 0, 21, 58, 153776, tzinfo=timezone.utc)
    assert display(moment) == "03/12/2026 20:21"      # the issue's « 2026-12-04 00:21:58.153776+00:00 »
    paris = timezone(timedelta(hours=1))
    assert display(datetime(2026, 12, 4, 1, 21, tzinfo=paris)) == "03/12/2026 20:21"


def test_a_naive_datetime_is_read_as_utc():
    """The database keeps naive UTC (core.types.UTCDateTime, core.clock.to_local): a naive value
    that reaches the display layer is UTC."""
    assert display(datetime(2026, 12, 4, 0, 21)) == "03/12/2026 20:21"
    assert local_datetime(datetime(2026, 12, 4, 0, 21)) == "03/12/2026 20:21"


def test_dates_and_times():
    assert display(date(2026, 3, 2)) == "02/03/2026"
    assert display(time(8, 5, 30)) == "08:05"


@pytest.mark.parametrize("value, shown", [
    (Decimal("8.0"), "8"),
    (Decimal("1.600"), "1,6"),
    (Decimal("24.0"), "24"),
    (Decimal("1234.5"), f"1{NBSP}234,5"),
    (Decimal("1234567.891"), f"1{NBSP}234{NBSP}567,891"),
    (Decimal("0.75"), "0,75"),
    (Decimal("-12.50"), "-12,5"),
    (Decimal("1E+3"), f"1{NBSP}000"),
    (Decimal("0.000001"), "0,000001"),
    (8.0, "8"),
    (120.4, "120,4"),
    (0.1 + 0.2, "0,3"),
    (1.0 / 3, "0,333333"),
])
def test_decimal_numbers_in_french(value, shown):
    assert display(value) == shown
    assert "\u202f" not in display(value)


def test_numbers_that_are_not_finite():
    assert display(Decimal("NaN")) == EMPTY and display(float("nan")) == EMPTY
    assert display(Decimal("Infinity")) == "∞" and display(float("-inf")) == "-∞"


@pytest.mark.parametrize("value, shown", [
    (0, "0"), (7, "7"), (2026, "2026"), (9999, "9999"), (-9999, "-9999"),
    (10_000, f"10{NBSP}000"), (1_234_567, f"1{NBSP}234{NBSP}567"), (-12_345, f"-12{NBSP}345"),
])
def test_integers_grouped_from_five_digits(value, shown):
    """Years, ids and four-digit counts read as typed; big quantities are grouped."""
    assert display(value) == shown


def test_labelled_members_show_their_label():
    assert display(State.IN_STOCK) == "En stock"
    assert display(Category.LAPTOP) == "Ordinateur portable"


def test_other_enum_members_show_their_value():
    class Colour(Enum):
        RED = "rouge"
        COUNT = 12345

    assert display(Colour.RED) == "rouge"
    assert display(Colour.COUNT) == f"12{NBSP}345"


def test_lists_joined_in_words():
    assert display(["Admin"]) == "Admin"
    assert display(["A", "B"]) == "A et B"
    assert display(["A", "B", "C"]) == "A, B et C"
    assert display((True, None, Decimal("1.50"))) == "Oui, — et 1,5"
    assert display({"b", "a", "c"}) == "a, b et c"          # a set is sorted: the same text every time
    assert display([State.RECEIVED, State.IN_STOCK]) == "Réceptionné et En stock"
    assert words([]) == EMPTY


def test_nested_lists():
    """An inner list of several items is put in parentheses; of one item, it is that item."""
    assert display([[".*", ".*"]]) == "(.* et .*)"
    assert display([["A", "B"], ["C"], "D"]) == "(A et B), C et D"
    assert display([[], "A"]) == "— et A"
    assert display([[["x", "y"], "z"]]) == "((x et y) et z)"


def test_mappings():
    """Specs kept as JSON: each key and its value; ``labels`` names the keys."""
    specs = {"cpu": "Intel Core i5-8350U", "ram_gb": 8.0, "ssd": True, "ports": ["USB-C", "HDMI"]}
    assert display(specs) == f"cpu{NBSP}: Intel Core i5-8350U ; ram_gb{NBSP}: 8 ; ssd{NBSP}: Oui ; ports{NBSP}: USB-C et HDMI"
    assert display({"cpu": None, "ram_gb": Decimal("16.0")}, labels={"cpu": "Processeur", "ram_gb": "Mémoire (Go)"}) == \
        f"Processeur{NBSP}: — ; Mémoire (Go){NBSP}: 16"


def test_objects_show_their_name_and_strings_stay_as_they_are():
    class Role:
        def __repr__(self):
            return "Technicien"

    class Empty:
        def __str__(self):
            return " "

    assert display(Role()) == "Technicien"
    assert display([Role(), Role()]) == "Technicien et Technicien"
    assert display(Empty()) == EMPTY
    assert display("N° 12 [lot A]") == "N° 12 [lot A]"
    html = Markup("<a href='/x'>RK-000001</a>")
    assert display(html) is html


def test_lazy_strings_are_text_not_lists():
    from flask_babel import lazy_gettext

    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        assert display(lazy_gettext("Devices")) == "Devices"


def test_bytes_show_a_size():
    assert display(b"%PDF-1.7") == "8 octets"


def test_the_number_filter_keeps_its_contract():
    assert number(None) == ""
    assert number(Decimal("12345.678"), 1) == f"12{NBSP}345,7"

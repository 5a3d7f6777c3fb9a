"""The display layer: any value turned into the French text a user reads, the same on pages, PDFs
and exports. No Python value (``None``, ``True``, ``[…]``, an ISO timestamp, ``8.0``) reaches a
reader through it.

- empty (``None``, ``""``, blanks, an empty list or mapping) → « — »
- ``True`` / ``False`` → « Oui » / « Non »
- a datetime → Martinique time ``JJ/MM/AAAA HH:MM``. A naive datetime is read as UTC: the database
  keeps naive UTC (``core.types.UTCDateTime``) and ``core.clock.to_local`` reads it so
- a date → ``JJ/MM/AAAA``; a time → ``HH:MM``
- a Decimal → a French number with all its significant decimals and none more (``8.0`` → « 8 »,
  ``1.600`` → « 1,6 », ``1234.5`` → « 1 234,5 »); a float → the same, to 6 decimals at most
- an int → its digits, grouped by three only from five digits (« 2026 », « 12 345 »): years, ids
  and four-digit counts read as typed, as French typography does
- a ``Labelled`` member → its French label; any other Enum member → its value, displayed
- a list, tuple or set → its items displayed and joined in words (« A, B et C »); an item that is
  itself a list of several items is put in parentheses (« (A et B) et C »); a set is sorted
- a mapping → « clé : valeur » pairs joined by « ; » (``labels`` may name the keys)
- anything else (a model object) → ``str(value)``; a string is returned as it is (``Markup`` stays
  ``Markup``)

Groups of digits are separated by a non-breaking space (U+00A0), as in ``core.money``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from babel.numbers import format_decimal

from core.clock import to_local

EMPTY = "—"
YES, NO = "Oui", "Non"
FLOAT_DIGITS = 6
GROUPING_FROM = 10_000   # 5 digits and more are grouped; « 2026 » stays « 2026 »


def local_datetime(moment: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC instant (naive means UTC) in Martinique time; "" for None."""
    local = to_local(moment)
    return local.strftime(fmt) if local else ""


def local_date(moment: datetime | None) -> str:
    """The day of a UTC instant in Martinique, JJ/MM/AAAA; "" for None."""
    return local_datetime(moment, "%d/%m/%Y")


def french_date(day: date | None) -> str:
    """JJ/MM/AAAA; "" for None."""
    return day.strftime("%d/%m/%Y") if day else ""


def number(value: Decimal | float | int | None, digits: int = 2) -> str:
    """1 234,5 — French grouping and decimal comma; at most ``digits`` decimals, trailing zeros
    dropped; "" for None."""
    if value is None:
        return ""
    return format_decimal(value, format=f"#,##0.{'#' * digits}", locale="fr_FR").replace("\u202f", "\u00a0")


def _decimal(value: Decimal) -> str:
    if value.is_nan():
        return EMPTY
    if value.is_infinite():
        return "∞" if value > 0 else "-∞"
    exponent = value.normalize().as_tuple().exponent
    return number(value, max(0, -int(exponent)))


def _float(value: float) -> str:
    if math.isnan(value):
        return EMPTY
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return _decimal(Decimal(repr(round(value, FLOAT_DIGITS))))


def _integer(value: int) -> str:
    if abs(value) < GROUPING_FROM:
        return str(value)
    return number(value, 0)


def words(items: list[str]) -> str:
    """« A », « A et B », « A, B et C »; « — » for none."""
    if not items:
        return EMPTY
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " et " + items[-1]


def _item(value: Any, labels: Mapping[str, str] | None) -> str:
    text = display(value, labels)
    if isinstance(value, (list, tuple, set, frozenset)) and len(value) > 1:
        return f"({text})"
    return text


def display(value: Any, labels: Mapping[str, str] | None = None) -> str:
    """The French text a user sees for ``value`` (see the module's docstring). Never raises for a
    value of a type it does not know: it shows ``str(value)``."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        if isinstance(value, Enum):          # a Labelled member is also a str
            return _member(value)
        return value if value.strip() else EMPTY
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Enum):
        return _member(value)
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, datetime):
        return local_datetime(value)
    if isinstance(value, date):
        return french_date(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Mapping):
        pairs = [f"{(labels or {}).get(str(key), display(key))}\u00a0: {display(item, labels)}"
                 for key, item in value.items()]
        return " ; ".join(pairs) if pairs else EMPTY
    if isinstance(value, (set, frozenset)):
        return words(sorted(_item(item, labels) for item in value))
    if isinstance(value, (list, tuple)):   # a relationship's list (InstrumentedList) is a list
        return words([_item(item, labels) for item in value])
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"{_integer(len(value))} octets"
    text = str(value)
    return text if text.strip() else EMPTY


def _member(member: Enum) -> str:
    label = getattr(member, "label", None)
    return label if isinstance(label, str) else display(member.value)

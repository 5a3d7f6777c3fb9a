"""Cleaning the strings hardware tools print: placeholders firmware writers leave in
(« To Be Filled By O.E.M. », « Default string », « 0123456789 »…) count as no value at all."""
from __future__ import annotations

import re
import unicodedata

from core.errors import ValidationFailed

# Compared lower-cased, after trimming and folding inner spaces.
PLACEHOLDERS = frozenset({
    "to be filled by o.e.m.", "to be filled by oem", "to be filled by o.e.m", "fill by oem", "oem", "o.e.m.",
    "default string", "$(default_string)", "not specified", "not applicable", "not available", "not present",
    "not provided", "not set", "none", "n/a", "na", "unknown", "unspecified", "undefined", "invalid", "empty",
    "[empty]", "system serial number", "system product name", "system version", "system manufacturer",
    "system name", "chassis serial number", "chassis manufacturer", "chassis version",
    "base board serial number", "0123456789", "123456789", "1234567890", "xxxxxxxx",
    "type1productconfigid", "type1family", "type2 - board serial number", "please change product name",
    "no asset information", "no asset tag", "<bad index>", "<out of spec>", "serial", "sn", "s/n",
})
# Strings of a single repeated filler: zeros, F (erased flash), x, dots, dashes, spaces.
_FILLER = re.compile(r"^(?:0+|f+|x+|\.+|-+|\*+|_+|#+)$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def printable(value: str) -> str:
    """``value`` without control characters, NUL and lone surrogates (which no database stores),
    inner runs of white space folded to one space, trimmed."""
    kept = "".join(char for char in value
                   if char in " \t" or unicodedata.category(char) not in ("Cc", "Cs", "Cf", "Co", "Cn"))
    return _SPACES.sub(" ", kept).strip()


def is_placeholder(value: str) -> bool:
    folded = printable(value).lower()
    return not folded or folded in PLACEHOLDERS or bool(_FILLER.match(folded))


def clean(value, max_length: int | None = None) -> str | None:
    """The text of ``value``, or None when it is not a string, is empty or a placeholder.
    Longer than ``max_length``: cut there (a model name, not an identifier)."""
    if not isinstance(value, str):
        return None
    text = printable(value)
    if is_placeholder(text):
        return None
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
    return text


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})

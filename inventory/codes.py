"""Identifier checks and scan-code normalisation (pure functions)."""
from __future__ import annotations

import re

# Control characters (C0, DEL, C1) and lone surrogates, which no scanner sends and no database stores.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# AIM symbology identifier some scanners prepend: "]" + code letter + modifier, e.g. "]C0".
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


def luhn_valid(digits: str) -> bool:
    """Luhn checksum over a string of digits (IMEI, SIRET)."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def imei_problem(imei: str) -> str | None:
    """Why an IMEI is invalid, in French, or None."""
    if not re.fullmatch(r"\d{15}", imei):
        return "un IMEI compte exactement 15 chiffres."
    if not luhn_valid(imei):
        return "la clé de contrôle de cet IMEI est fausse (vérifiez la saisie)."
    return None


# La Poste's SIRET numbers (SIREN 356000000) follow another rule: the digit sum is a multiple of 5.
_LA_POSTE_SIREN = "356000000"


def siret_problem(siret: str) -> str | None:
    """Why a SIRET is invalid, in French, or None."""
    if not re.fullmatch(r"\d{14}", siret):
        return "un SIRET compte exactement 14 chiffres."
    if siret.startswith(_LA_POSTE_SIREN) and sum(int(c) for c in siret) % 5 == 0:
        return None
    if not luhn_valid(siret):
        return "la clé de contrôle de ce SIRET est fausse (vérifiez la saisie)."
    return None


def upper_same_length(text: str) -> str:
    """Upper case, except the few characters whose capital is longer (« ß » stays « ß », not
    « SS »; « ﬃ » stays): the result is never longer than ``text``, so an identifier checked
    against a column's length still fits once cleaned."""
    upper = text.upper()
    if len(upper) == len(text):            # upper-casing never shortens: nothing grew
        return upper
    return "".join(c if len(c.upper()) != 1 else c.upper() for c in text)


def clean_identifier(value: str) -> str:
    """Serial numbers and tags are compared without surrounding blanks and without case.
    Never longer than ``value``; lone surrogates (which no database stores) are dropped."""
    return upper_same_length(_SURROGATE.sub("", value).strip())


def normalise_scan(raw: str, strip_prefixes: tuple[str, ...] = (), strip_suffixes: tuple[str, ...] = ()) -> str:
    """What a scanner typed, reduced to the code itself.

    Removes control characters (STX/ETX, CR, LF, TAB sent as prefix or suffix, and C1
    controls) and lone surrogates, an AIM symbology identifier (``]C0``…), Code 39 start/stop
    asterisks, configured scanner prefixes and suffixes, surrounding whitespace; then upper-cases
    without lengthening (``upper_same_length``). The result is never longer than ``raw``.
    """
    code = _CONTROL.sub("", raw).strip()
    code = _AIM_PREFIX.sub("", code)
    for prefix in strip_prefixes:
        if prefix and code.startswith(prefix):
            code = code[len(prefix):]
    for suffix in strip_suffixes:
        if suffix and code.endswith(suffix):
            code = code[: -len(suffix)]
    code = code.strip().strip("*").strip()
    return upper_same_length(code)

"""Identity helpers, pure: Martinique phone numbers in E.164, and the normalised name used to
spot possible duplicate households."""
from __future__ import annotations

import re
import unicodedata

# National numbers of Martinique: 0596 (landlines) and 0696 / 0697 (mobiles).
MARTINIQUE_PREFIXES = ("596", "696", "697")
PHONE_EXPECTED = ("Numéro de Martinique attendu : 0596…, 0696…, 0697… (10 chiffres) "
                  "ou au format international +596…")


class InvalidPhone(ValueError):
    def __init__(self) -> None:
        super().__init__(PHONE_EXPECTED)
        self.message = PHONE_EXPECTED


def normalise_phone(text: str) -> str:
    """"0696 12 34 56", "+596 696-12.34.56", "00596696123456" → "+596696123456"."""
    digits = re.sub(r"[\s.\-/()]", "", text or "")
    if digits.startswith("+"):
        digits = "00" + digits[1:]
    if not digits.isdigit():
        raise InvalidPhone()
    if digits.startswith("00596"):
        national = digits[5:]
        national = national[1:] if national.startswith("0") else national   # +596 (0)696…
    elif digits.startswith("0") and len(digits) == 10:
        national = digits[1:]
    else:
        raise InvalidPhone()
    if len(national) != 9 or not national.startswith(MARTINIQUE_PREFIXES):
        raise InvalidPhone()
    return "+596" + national


def display_phone(e164: str | None) -> str:
    """"+596696123456" → "0696 12 34 56" (the way households write it)."""
    if not e164 or not e164.startswith("+596") or len(e164) != 13:
        return e164 or ""
    national = "0" + e164[4:]
    return " ".join([national[:4]] + [national[i:i + 2] for i in range(4, 10, 2)])


def name_key(last_name: str, first_name: str) -> str:
    """Names compared without case, accents, hyphens, apostrophes or repeated blanks:
    "JEAN-BAPTISTE  Éloïse" and "Jean Baptiste eloise" give the same key."""
    text = f"{last_name or ''} {first_name or ''}"
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())

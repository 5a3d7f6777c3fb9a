"""The numbers of invoices and credit notes, as pure functions (no database).

The office's series are ``F-AAAA-NNNNN`` (invoices) and ``AV-AAAA-NNNNN`` (credit notes), one per
year. A mobile unit that sells offline gets its own invoice series, ``F-Mn-AAAA-NNNNN`` (issue 20,
``docs/mobile-tour-design.md``): each series is chronological and continuous on its own, and its
prefix tells it apart."""
from __future__ import annotations

import re
from dataclasses import dataclass

INVOICE, CREDIT_NOTE = "F", "AV"
_INVOICE_NUMBER = re.compile(r"^F(?:-(M[1-9]\d{0,2}))?-(\d{4})-(\d{5})$")
# A credit note has no unit series: it is issued at the office, citing the invoice it corrects.
_CREDIT_NOTE_NUMBER = re.compile(r"^AV-(\d{4})-(\d{5})$")
UNIT_CODE = re.compile(r"^M[1-9]\d{0,2}$")


@dataclass(frozen=True)
class DocumentNumber:
    prefix: str             # F | AV
    unit: str | None        # M1… for a mobile unit's series, None for the office's
    year: int
    number: int

    @property
    def series(self) -> str:
        """« F-2026 », « F-M1-2026 », « AV-2026 »: the series the number belongs to."""
        return "-".join(part for part in (self.prefix, self.unit, str(self.year)) if part)

    def __str__(self) -> str:
        return f"{self.series}-{self.number:05d}"


def document_number(prefix: str, year: int, number: int, unit: str | None = None) -> str:
    """The printed number. Raises ValueError for a prefix, unit, year or number outside the forms
    above (a credit note has no unit series)."""
    if prefix not in (INVOICE, CREDIT_NOTE) or (unit is not None and (prefix != INVOICE or not UNIT_CODE.match(unit))):
        raise ValueError(f"série inconnue : {prefix} {unit or ''}".strip())
    if not 1000 <= year <= 9999 or not 1 <= number <= 99999:
        raise ValueError(f"numéro hors limites : {year} {number}")
    return str(DocumentNumber(prefix, unit, year, number))


def parse_number(text: str) -> DocumentNumber | None:
    """The parts of a printed number, or None when it is not one."""
    invoice = _INVOICE_NUMBER.match(text or "")
    if invoice is not None:
        unit, year, number = invoice.groups()
        return DocumentNumber(INVOICE, unit, int(year), int(number))
    note = _CREDIT_NOTE_NUMBER.match(text or "")
    if note is not None:
        return DocumentNumber(CREDIT_NOTE, None, int(note.group(1)), int(note.group(2)))
    return None

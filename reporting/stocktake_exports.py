"""A stocktake's result as CSV and XLSX (issue 19): one row per device or part line with its outcome
in French, then the figures per location and in total. Pure functions of a
``reporting.stocktakes.StocktakeResult``; written by ``core.spreadsheets`` like every other export
(text that a spreadsheet would run as a formula — a code scanned as ``=HYPERLINK(…)`` — is
neutralised; numbers stay numbers).

* XLSX: a sheet named by the stocktake's reference with the lines, and a sheet « Synthèse » with
  the figures per location, the total and the stocktake's facts; counts are numbers, the value at
  reference price a number with the euro format (« 1 234,56 € »), the accuracy a fraction with the
  percent format (« 85,0 % »), dates real dates (Martinique time).
* CSV: as the dashboard's tables are written (``reporting.exports``) — UTF-8 with a BOM, « ; »
  between fields, a decimal comma (``1234,56``; an accuracy of 85 % is ``85``, its heading says
  « (%) »), dates ``JJ/MM/AAAA HH:MM``; the lines, a blank row, then « Synthèse » and its table.

Every device counted is a row, those found where they were expected last in their location (the
PDF lists only the devices behind a difference). A figure a blind count still hides reads « non communiqué
(comptage à l'aveugle) »."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from core.display import local_datetime
from core.spreadsheets import Money, Percent, csv_bytes, xlsx_bytes
from inventory.stocktake.rules import CountOutcome
from reporting.exports import CSV_DECIMAL
from reporting.stocktakes import DeviceLine, Figures, StocktakeResult

NOT_TOLD = "non communiqué (comptage à l'aveugle)"
MISSING = "Manquant"
SUMMARY = "Synthèse"

COLUMNS = ["Emplacement", "Code", "Description", "Catégorie", "Note", "Résultat", "Emplacement enregistré",
           "Emplacement compté", "Attendu", "Compté", "Écart", "Valeur de référence (€)"]
SUMMARY_COLUMNS = ["Emplacement", "Nom", "Comptage", "Clos le", "Clos par", "Attendus", "Trouvés",
                   "Entrés (trouvés ici, enregistrés ailleurs)", "Sortis (trouvés dans un autre emplacement)",
                   "Inattendus", "Manquants", "Codes répétés", "Exactitude (%)"]

def part_outcome(difference: int) -> str:
    if difference > 0:
        return "Pièces en excédent"
    if difference < 0:
        return "Pièces manquantes"
    return "Pièces : quantité juste"


def _device(line: DeviceLine, place: str | None, outcome: str) -> list:
    value = Money(line.reference_value) if line.reference_value is not None else None
    return [place, line.asset_tag, line.description, line.category, line.grade, outcome, line.expected_at,
            line.counted_at, None, None, None, value]


def lines(result: StocktakeResult) -> list[list]:
    """One row per device or part line (``COLUMNS``), by location; within one: the missing, the
    moved in, those that should not be on a shelf, the unknown codes, the parts, then the devices
    found where they were expected."""
    ranked = [(0, _device(m, m.expected_at, MISSING)) for m in result.missing]
    ranked += [(1, _device(m, m.counted_at, CountOutcome.MOVED_IN.label)) for m in result.moved_in]
    ranked += [(5, _device(m, m.counted_at, CountOutcome.FOUND.label)) for m in result.found]
    ranked += [(2, _device(m, m.counted_at, f"{CountOutcome.NOT_ON_SHELF.label} ({m.state})"))
               for m in result.not_on_shelf]
    ranked += [(3, [place, code, None, None, None, CountOutcome.UNKNOWN.label, None, place, None, None, None, None])
               for place, code in result.unknown]
    ranked += [(4, [p.location, p.code, p.description, "Pièce détachée", None, part_outcome(p.difference),
                    p.location, p.location, p.expected, p.counted, p.difference, None]) for p in result.parts]
    return [row for _, row in sorted(ranked, key=lambda r: (r[1][0] or "", r[0], r[1][1]))]


def _figures(f: Figures, result: StocktakeResult) -> list:
    hidden = NOT_TOLD if result.blind else None
    accuracy = Percent(f.accuracy) if f.accuracy is not None else (hidden if f.expected is None else None)
    return [f.expected if f.expected is not None else hidden, f.found, f.moved_in, f.moved_out, f.unexpected,
            f.missing if f.missing is not None else hidden, f.repeats, accuracy]


def summary(result: StocktakeResult, when: Callable[[datetime | None], object]) -> list[list]:
    """The figures per location and the total (``SUMMARY_COLUMNS``), then the stocktake's facts
    after a blank row. ``when`` writes a date for the file at hand."""
    rows = [[f.code, f.name, f.status, when(f.closed_at), f.closed_by] + _figures(f, result)
            for f in result.locations]
    rows.append(["Total", None, result.status, None, None] + _figures(result.total, result))
    if result.total.missing is None:
        value = NOT_TOLD
    else:
        value = Money(result.missing_value) if result.missing_value is not None else None
    scope = "Tout le site" if result.whole_site else ", ".join(f.code for f in result.locations)
    facts = [
        ("Inventaire", result.reference), ("Site", result.site), ("Statut", result.status),
        ("Ouvert le", when(result.opened_at)), ("Ouvert par", result.opened_by),
        ("Terminé le", when(result.ended_at)), ("Terminé par", result.ended_by),
        ("Motif d'annulation", result.cancel_reason),
        ("Comptage à l'aveugle", "Oui" if result.blind else "Non"), ("Périmètre", scope), ("Note", result.note),
        ("Valeur de référence des appareils manquants (€)", value),
        ("Appareils manquants sans valeur de référence", result.unvalued if result.total.missing is not None
         else NOT_TOLD),
        ("Grille de prix", result.grid),
    ]
    facts += [(f"Codes comptés par {user}", n) for user, n in result.counters]
    return rows + [[]] + [[label, value] for label, value in facts]


def _text_date(moment: datetime | None) -> str | None:
    return local_datetime(moment) or None


def _sheet_date(moment: datetime | None) -> datetime | None:
    """Martinique time without its zone: a spreadsheet has no time zones (openpyxl refuses one)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def stocktake_csv(result: StocktakeResult) -> bytes:
    """The lines, a blank row, « Synthèse » and the figures, as one CSV file."""
    rows = lines(result) + [[], [SUMMARY], SUMMARY_COLUMNS] + summary(result, _text_date)
    return csv_bytes(COLUMNS, rows, decimal=CSV_DECIMAL)


def stocktake_xlsx(result: StocktakeResult) -> bytes:
    """A workbook: the lines, then the sheet « Synthèse »."""
    return xlsx_bytes([(result.reference, COLUMNS, lines(result)),
                       (SUMMARY, SUMMARY_COLUMNS, summary(result, _sheet_date))])

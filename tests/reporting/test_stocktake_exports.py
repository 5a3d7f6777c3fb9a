"""A stocktake's result as CSV and XLSX (issue 19), read back as a spreadsheet reads them, from
stocktakes built through the services: one row per device or part line with its outcome in French,
the « Synthèse » of figures per location and in total, numbers that stay numbers (euros and percent
formats in XLSX, a decimal comma in CSV), a code scanned as a formula neutralised, a blind count's
hidden figures told as such; never None, True or an ISO timestamp."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from openpyxl import load_workbook

from core.clock import to_local
from core.spreadsheets import EURO_FORMAT, PERCENT_FORMAT
from reporting.stocktake_exports import COLUMNS, NOT_TOLD, SUMMARY_COLUMNS, stocktake_csv, stocktake_xlsx
from tests.reporting.test_stocktake_pdf import HYPERLINK, T0, at, build_blind, build_stocktake

PYTHON_VALUES = re.compile(r"^(None|True|False|nan)$|\d{4}-\d\d-\d\d[T ]\d\d:\d\d|moved_in|not_on_shelf|^-?\d+\.\d+$")


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")                     # UTF-8 with a BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def by_code(rows: list[list], code_column: int = 1) -> dict:
    return {row[code_column]: row for row in rows if len(row) > code_column}


def test_the_xlsx_has_a_row_per_line_with_its_outcome_and_a_summary_sheet(app, session, users):
    built = build_stocktake(session, users)
    result = built["result"]
    workbook = load_workbook(io.BytesIO(stocktake_xlsx(result)))
    assert workbook.sheetnames == [result.reference, "Synthèse"]
    lines, summary = workbook.worksheets
    header, *rows = list(lines.iter_rows())
    assert [c.value for c in header] == COLUMNS
    cells = {row[1].value: row for row in rows}
    a, b = built["a"], built["b"]
    values = {code: [c.value for c in row] for code, row in cells.items()}

    graded = built["graded"][1].asset_tag
    assert values[graded] == [a, graded, "Dell Latitude 5490", "Ordinateur portable", "A", "Manquant", a, None,
                              None, None, None, built["value"]]
    assert cells[graded][11].number_format == EURO_FORMAT and cells[graded][11].data_type == "n"
    raw = built["raw"].asset_tag
    assert values[raw][4:6] == [None, "Manquant"] and values[raw][11] is None     # no grade: no value
    moved = built["in_b"].asset_tag
    assert values[moved][5:8] == ["Trouvé ici, enregistré ailleurs", b, a]
    gone = built["gone"].asset_tag
    assert values[gone][0] == a and values[gone][5] == "Ne devrait pas être en rayon (Recyclé)"
    part = f"SP-{built['ram'].id:06d}"
    assert values[part] == [a, part, "Barrette 8 Go DDR4", "Pièce détachée", None, "Pièces manquantes", a, a,
                            12, 10, -2, None]
    assert all(cells[part][i].data_type == "n" for i in (8, 9, 10))
    # The codes scanned as formulas are text, neutralised, never formulas.
    assert values["'=1+1"][5] == "Code inconnu" and values["'" + HYPERLINK][5] == "Code inconnu"
    assert all(c.data_type == "s" for row in rows for c in row if isinstance(c.value, str))
    # By location, then: missing, moved in, should not be on a shelf, unknown, parts, found in place.
    assert [r[5].value for r in rows] == ["Manquant"] * 3 + ["Trouvé ici, enregistré ailleurs",
                                                              "Ne devrait pas être en rayon (Recyclé)"] + [
        "Code inconnu"] * 2 + ["Pièces manquantes", "Trouvé ici"]
    found = built["graded"][0].asset_tag
    assert values[found][5:8] == ["Trouvé ici", a, a]

    head, *figures = [[c for c in row] for row in summary.iter_rows()]
    assert [c.value for c in head] == SUMMARY_COLUMNS
    by_place = {row[0].value: row for row in figures if row and row[0].value}
    closed_a = by_place[a][3]
    assert closed_a.value == to_local(at(22)).replace(tzinfo=None) and closed_a.is_date
    assert [c.value for c in by_place[a][:3]] == [a, "Bac A01", "Clos"]
    assert [c.value for c in by_place[a][4:12]] == ["technicien", 4, 1, 1, 0, 3, 3, 0]
    assert by_place[a][12].value == 0.25 and by_place[a][12].number_format == PERCENT_FORMAT
    assert [c.value for c in by_place["Total"][2:13]] == ["En cours", None, None, 5, 1, 1, 1, 3, 3, 0, 0.2]
    facts = {row[0].value: row[1] for row in figures if row and row[0].value}
    assert facts["Valeur de référence des appareils manquants (€)"].value == 2 * built["value"]
    assert facts["Valeur de référence des appareils manquants (€)"].number_format == EURO_FORMAT
    assert facts["Appareils manquants sans valeur de référence"].value == 1
    assert facts["Ouvert le"].value == to_local(T0).replace(tzinfo=None)
    assert facts["Comptage à l'aveugle"].value == "Non" and facts["Périmètre"].value == "Tout le site"
    assert facts["Codes comptés par technicien"].value == 6

    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert not isinstance(cell.value, bool), (sheet.title, cell.coordinate)
                if isinstance(cell.value, datetime):             # a real date, shown the French way
                    assert cell.number_format == "DD/MM/YYYY HH:MM", (sheet.title, cell.coordinate)
                elif isinstance(cell.value, str):
                    assert not PYTHON_VALUES.search(cell.value), (sheet.title, cell.value)


def test_the_csv_is_french_with_the_lines_then_the_summary(app, session, users):
    built = build_stocktake(session, users)
    result = built["result"]
    data = stocktake_csv(result)
    rows = read_csv(data)
    assert rows[0] == COLUMNS
    blank = rows.index([])
    lines, rest = rows[1:blank], rows[blank + 1:]
    assert len(lines) == 9                                  # every device counted is a row
    values = by_code(lines)
    a, b = built["a"], built["b"]
    graded = built["graded"][1].asset_tag
    money = f"{built['value']:.2f}".replace(".", ",")
    assert values[graded] == [a, graded, "Dell Latitude 5490", "Ordinateur portable", "A", "Manquant", a, "", "",
                              "", "", money]
    assert values[built["in_b"].asset_tag][5:8] == ["Trouvé ici, enregistré ailleurs", b, a]
    assert values[f"SP-{built['ram'].id:06d}"][8:11] == ["12", "10", "-2"]       # a number, not neutralised
    assert values["'=1+1"][5] == "Code inconnu" and values["'" + HYPERLINK][5] == "Code inconnu"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)

    assert rest[0] == ["Synthèse"] and rest[1] == SUMMARY_COLUMNS
    summary = by_code(rest[2:], 0)
    closed = to_local(at(22)).strftime("%d/%m/%Y %H:%M")
    assert summary[a] == [a, "Bac A01", "Clos", closed, "technicien", "4", "1", "1", "0", "3", "3", "0", "25"]
    assert summary["Total"] == ["Total", "", "En cours", "", "", "5", "1", "1", "1", "3", "3", "0", "20"]
    assert summary["Ouvert le"] == ["Ouvert le", to_local(T0).strftime("%d/%m/%Y %H:%M")]
    assert summary["Terminé le"] == ["Terminé le", ""]
    assert summary["Valeur de référence des appareils manquants (€)"][1] == f"{2 * built['value']:.2f}".replace(".", ",")
    for row in rows:
        for cell in row:
            assert not PYTHON_VALUES.search(cell), cell


def test_a_blind_count_not_closed_is_told_as_hidden_in_both_files(app, session, users):
    shop, result = build_blind(session, users)

    workbook = load_workbook(io.BytesIO(stocktake_xlsx(result)))
    lines = list(workbook.worksheets[0].iter_rows(values_only=True))
    a = shop["bin_a"].code
    assert [line[5:8] for line in lines[1:]] == [("Trouvé ici", a, a)]    # counted: listed, even blind
    summary = {row[0]: row for row in workbook["Synthèse"].iter_rows(values_only=True) if row and row[0]}
    a = shop["bin_a"].code
    assert summary[a][5:13] == (NOT_TOLD, 1, 0, 0, 0, NOT_TOLD, 0, NOT_TOLD)
    assert summary["Total"][5] == NOT_TOLD and summary["Total"][10] == NOT_TOLD
    assert summary["Valeur de référence des appareils manquants (€)"][1] == NOT_TOLD
    assert summary["Comptage à l'aveugle"][1] == "Oui"
    assert summary[shop["bin_b"].code][5:13] == (0, 0, 0, 0, 0, 0, 0, None)        # closed: told; nothing expected

    rows = by_code(read_csv(stocktake_csv(result)), 0)
    assert rows[a][5:13] == [NOT_TOLD, "1", "0", "0", "0", NOT_TOLD, "0", NOT_TOLD]
    assert rows["Appareils manquants sans valeur de référence"][1] == NOT_TOLD

"""Property tests of the batch eligibility file reader (issue 15): whatever the bytes, a CSV or
an XLSX is read into rows or refused with a French ``ValidationFailed`` (``file``), and every row
read is then decided or given a French error — never another exception. XLSX files are real
archives whose cells are drawn at random (types, styles, references, values), built by
tests/xlsx_files.py. The database property runs on SQLite, and on PostgreSQL when
``TEST_DATABASE_URL`` is set."""
from __future__ import annotations

import csv
import io
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.actor import Actor
from core.errors import ValidationFailed
from eligibility.services.batch import COLUMNS, check_table, read_table
from tests.xlsx_files import HEADER, inline_row, workbook

PURE = settings(max_examples=150, deadline=None)
WITH_DB = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])
ADMIN = Actor(None, "Admin", frozenset({"Admin"}))
BASE = ["Louis", "Marc", "15/09/1950", "0596 11 22 33", "", "", "97206", "76", "950", "ASPA", "senior", "tablet"]

any_text = st.text(st.characters(exclude_categories=()), max_size=30)
values = st.one_of(any_text, st.sampled_from([
    "97213", "972", "46;45;9", "1e400", "nan", "inf", "-1", "1800,00", "9" * 40, "RSA", "senior;xx", "laptop",
    "0696 12 34 56", "02/04/1980", "31/02/1980", "2020-13-01", "", ";;", "1,2,3", "١٢", "½", "46 ; 45",
    "1e5;1e5", "00000000000000000000001", "=HYPERLINK(\"x\")", "  ", "\t"]))


def csv_file(rows: list[list[str]], separator: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def mutated_rows(changes: list[dict[int, str]]) -> list[list[str]]:
    rows = []
    for change in changes:
        row = list(BASE)
        for index, value in change.items():
            row[index] = value
        rows.append(row)
    return rows


csv_files = st.builds(csv_file, st.lists(st.dictionaries(st.integers(0, 11), values, max_size=4), min_size=1,
                                         max_size=4).map(mutated_rows), st.sampled_from([";", ","]))


@PURE
@given(st.one_of(st.binary(max_size=300), csv_files), st.sampled_from(["foyers.csv", "foyers.xlsx", "foyers"]))
@example(b"nom;prenom\x00", "foyers.csv")
@example(b"PK\x03\x04", "foyers.xlsx")
def test_any_file_is_read_or_refused_in_french(content, name):
    try:
        frame = read_table(content, name)
    except ValidationFailed as exc:
        assert exc.errors["file"]
        return
    assert set(COLUMNS) <= set(frame.columns)
    assert len(frame) >= 1


def xlsx_cell(kind: str | None, style: str | None, ref: str | None, value: str) -> bytes:
    attributes = "".join(f" {name}={quoteattr(v)}" for name, v in (("t", kind), ("s", style), ("r", ref)) if v is not None)
    if kind == "inlineStr":
        return f"<c{attributes}><is><t>{escape(value)}</t></is></c>".encode("utf-8", "surrogatepass")
    return f"<c{attributes}><v>{escape(value)}</v></c>".encode("utf-8", "surrogatepass")


cells = st.builds(xlsx_cell, st.sampled_from([None, "s", "n", "b", "e", "str", "inlineStr", "d", "zz"]),
                  st.sampled_from([None, "0", "1", "2", "-1", "99", "x"]),
                  st.sampled_from([None, "A1", "L2", "XFD3", "ZZZZ9", "1A", "", "A0"]), values)
STYLES = ('<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
          '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs>')


@PURE
@given(st.lists(st.lists(cells, max_size=13), max_size=4), st.booleans())
@example([[xlsx_cell("s", None, None, "5")]], True)
@example([[xlsx_cell(None, "1", None, "1e308")]], False)
def test_any_workbook_is_read_or_refused_in_french(rows, date1904):
    content = workbook(iter([inline_row(HEADER)] + [b"<row>" + b"".join(row) + b"</row>" for row in rows]),
                       shared=["partagé"], styles=STYLES, date1904=date1904)
    try:
        frame = read_table(content, "foyers.xlsx")
    except ValidationFailed as exc:
        assert exc.errors["file"]
        return
    assert set(COLUMNS) <= set(frame.columns)


@WITH_DB
@given(csv_files)
@example(csv_file([["Louis", "Marc", "15/09/1950", "0596 11 22 33", "", "", "97206", "1e400", "nan", "", "", ""]], ";"))
def test_every_row_read_is_decided_or_given_a_french_error(session, content):
    try:
        frame = read_table(content, "foyers.csv")
    except ValidationFailed:
        return
    result = check_table(session, ADMIN, frame)
    assert len(result.frame) == len(frame)
    for eligible, error in zip(result.frame["eligible"], result.frame["erreur"]):
        assert (eligible in ("oui", "non")) != bool(error)


def test_an_excel_workbook_with_real_dates_is_checked_like_the_csv(session):
    """Excel turns « 15/09/1950 » typed in a cell into a date: its birth dates are read as dates
    (they were « 1950-09-15 00:00:00 » text before, refused)."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    from datetime import datetime

    sheet.append(["Louis", "Marc", datetime(1950, 9, 15), "0596 11 22 33", None, None, 97206, 76, 950, "ASPA",
                  "senior", "tablet"])
    out = io.BytesIO()
    book.save(out)
    frame = read_table(out.getvalue(), "foyers.xlsx")
    assert frame.loc[0, "date_naissance"] == "1950-09-15" and frame.loc[0, "commune_insee"] == "97206"
    result = check_table(session, ADMIN, frame)
    assert (result.frame.loc[0, "eligible"], result.frame.loc[0, "erreur"]) == ("oui", "")


HUGE = ["1e30", "1E+30", "99999999999999999999", "10000000000", "9999999999,995", "-1e30", "-99999999999999999999"]


def single_path_message(amount) -> str:
    """What the API and the forms answer for ``amount`` (CheckIn, as the eligibility check does)."""
    from core.schemas import load
    from eligibility.schemas import CheckIn

    try:
        load(CheckIn(), {"commune_insee": "97213", "members": [{"age": 40}], "monthly_resources": amount})
    except ValidationFailed as exc:
        return exc.errors["monthly_resources"][0]
    raise AssertionError(f"{amount} accepted")


def huge_rows(amounts) -> list[list]:
    return [BASE[:8] + [amount] + [""] + BASE[10:] for amount in amounts]


def test_a_huge_amount_is_a_row_error_naming_the_column_in_csv_and_xlsx(app, session):
    """1e30 or twenty digits in ressources_mensuelles read as « négatives » (int64 overflow) and
    10 000 000 000 € was decided (then could not be stored): each is now that row's error, with
    the message the forms and the API give, naming the file's column; the rows beside it are
    decided and imported."""
    from eligibility.services.batch import import_table
    from tests.helpers import actor

    message = single_path_message(1e30)
    assert message == "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."
    assert single_path_message("99999999999999999999") == message
    expected = [f"ressources_mensuelles : {message}"] * len(HUGE) + ["", ""]
    amounts = HUGE + ["9999999999,99", "950"]
    numbers = [float(a.replace(",", ".")) for a in HUGE]         # as Excel stores numbers typed in cells
    for name, content in (
            ("foyers.csv", csv_file(huge_rows(amounts), ";")),
            ("foyers.xlsx", workbook(iter([inline_row(HEADER)] + [inline_row(r) for r in huge_rows(amounts)]))),
            ("foyers.xlsx", workbook(iter([inline_row(HEADER)]
                                          + [inline_row(r) for r in huge_rows(numbers + [9999999999.99, 950])])))):
        frame = read_table(content, name)
        result = check_table(session, ADMIN, frame)
        assert list(result.frame["erreur"]) == expected, name
        assert list(result.frame["eligible"]) == [""] * len(HUGE) + ["non", "oui"], name
    references, skipped, _warnings = import_table(session, actor(app, "admin"), frame)
    assert (len(references), skipped) == (2, len(HUGE))

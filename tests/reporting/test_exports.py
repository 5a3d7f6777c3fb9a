"""The dashboard's exports read back as a spreadsheet reads them (issue 16, defects 3 and 8):
French labels and never an indicator's key; in XLSX every amount of money a number with the euro
format, every rate a number with a percent format, no figure written as text, sheet names that
fit Excel's 31 characters without a word cut; in CSV « ; » and a decimal comma."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.clock import local_today
from core.spreadsheets import EURO_FORMAT, PERCENT_FORMAT, XLSX_MAX_SHEET_TITLE, cut_at_word
from reporting.dashboard import dashboard
from reporting.donor import donor_tables
from reporting.exports import to_csv, to_xlsx
from reporting.filters import Filters
from reporting.vocabulary import INDICATOR, INDICATORS, Kind
from tests.reporting.scenario import build_scenario

START, END = date(2020, 1, 1), local_today() + timedelta(days=1)
# Text that a reader would take for a figure: a number, an amount, a rate, a weight.
LOOKS_LIKE_A_FIGURE = re.compile(r"-?[\d\u00a0\u202f ]+([.,]\d+)?\s*(€|%|kg|jours?)?")


@pytest.fixture
def tables(app, session):
    scenario = build_scenario(app, session)
    every = Filters(START, END)
    _figures, sections = dashboard(session, every)
    tables = [t for _title, group in sections for t in group]
    donor = donor_tables(session, Filters(START, END, donor_id=scenario["shop"]["donor"].id))
    return tables + donor


def test_every_sheet_name_fits_whole_words(tables):
    workbook = load_workbook(io.BytesIO(to_xlsx(tables)))
    assert workbook.sheetnames == [t.sheet_name for t in tables]
    for table in tables:
        assert len(table.sheet_name) <= XLSX_MAX_SHEET_TITLE, table.sheet_name
        assert cut_at_word(table.sheet_name, XLSX_MAX_SHEET_TITLE) == table.sheet_name
    assert "Devenir de vos appareils" in workbook.sheetnames         # was « Ce que sont devenus vos apparei »
    assert "Certificats d'effacement" in workbook.sheetnames


def test_no_figure_is_text_money_is_euros_and_rates_are_percents(tables):
    workbook = load_workbook(io.BytesIO(to_xlsx(tables)))
    money = rates = 0
    for sheet in workbook.worksheets:
        header, *rows = list(sheet.iter_rows())
        for row in rows:
            label = str(row[0].value)
            for column, cell in zip(header, row):
                if cell.data_type == "s" and column.value != "Code INSEE":     # a code is text
                    assert not LOOKS_LIKE_A_FIGURE.fullmatch(cell.value.strip()), (sheet.title, cell.value)
                    assert not re.search(r"\d\.\d", cell.value), (sheet.title, cell.value)
                money_cell = column.value == "Montant" or (column.value == "Valeur" and label.endswith("(€)"))
                if money_cell and cell.value is not None:
                    assert (cell.data_type, cell.number_format) == ("n", EURO_FORMAT), (sheet.title, label)
                    money += 1
                if cell.column == 2 and label.endswith("(%)") and cell.value is not None:
                    assert (cell.data_type, cell.number_format) == ("n", PERCENT_FORMAT), (sheet.title, label)
                    assert 0 <= cell.value <= 1
                    rates += 1
    # Three amounts in the indicators and three in « Valeur et aide solidaire »; the two rates
    # of the indicators and the workshops' and internet's rates.
    assert money == 6 and rates == 4
    indicators = {row[0].value: row[1] for row in workbook["Indicateurs de la période"].iter_rows(min_row=2)}
    assert set(indicators) == {indicator.heading for indicator in INDICATORS}
    aide = indicators["Aide solidaire totale (€)"]
    assert (aide.value, aide.number_format) == (460, EURO_FORMAT)


def test_the_csv_is_french_and_names_no_key(tables):
    by_key = {t.key: t for t in tables}
    text = to_csv(by_key["indicators"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Indicateur", "Valeur"]
    values = dict(rows[1:])
    assert set(values) == {indicator.heading for indicator in INDICATORS}
    assert not any(key in text for key in INDICATOR)
    assert values["Aide solidaire totale (€)"] == "460,00"
    assert values["Taux de présence aux ateliers (%)"] == "50"
    assert values["Poids recyclé (kg)"] == "3,0"
    assert values["Délai médian de la réception à la remise (jours)"] == "15,0"
    assert not any(re.fullmatch(r"-?\d+\.\d+", v) for v in values.values())     # no English decimal
    ageing = list(csv.reader(io.StringIO(to_csv(by_key["stock_ageing"]).decode("utf-8-sig")), delimiter=";"))
    assert all("." not in cell for row in ageing[1:] for cell in row[2:])


def test_every_indicator_of_the_api_has_a_label_and_a_kind(app, session):
    from reporting.indicators import indicators

    figures = indicators(session, Filters(START, END))
    scalars = {key for key, value in figures.items() if not isinstance(value, dict)}
    assert scalars == set(INDICATOR)
    money = {key for key, value in figures.items() if isinstance(value, str)}
    assert money == {i.key for i in INDICATORS if i.kind is Kind.MONEY}
    assert all(Decimal(figures[key]) == 0 for key in money)

"""reporting.vocabulary: each indicator's French label and kind, written for pages (French text)
and for spreadsheets (typed cells). Pure: no database."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.spreadsheets import Money, Percent
from reporting.vocabulary import INDICATOR, INDICATORS, Figure, Kind, cell_text, export_cell, figure_text

NBSP = "\u00a0"


@pytest.mark.parametrize("value, kind, text", [
    (1234, Kind.COUNT, f"1{NBSP}234"),
    (0, Kind.COUNT, "0"),
    ("890.00", Kind.MONEY, f"890,00{NBSP}€"),
    ("1234.56", Kind.MONEY, f"1{NBSP}234,56{NBSP}€"),
    (0.75, Kind.RATE, f"75{NBSP}%"),
    (0.6667, Kind.RATE, f"66,7{NBSP}%"),
    (1, Kind.RATE, f"100{NBSP}%"),
    (120.4, Kind.KG, f"120,4{NBSP}kg"),
    (3.0, Kind.KG, f"3{NBSP}kg"),
    (15.0, Kind.DAYS, f"15{NBSP}jours"),
    (1.5, Kind.DAYS, f"1,5{NBSP}jour"),
    (4.0, Kind.SCORE, "4,00"),
    (4.25, Kind.SCORE, "4,25"),
    (None, Kind.RATE, "—"),
    (None, Kind.MONEY, "—"),
    (float("nan"), Kind.KG, "—"),
])
def test_figure_text(value, kind, text):
    assert figure_text(value, kind) == text
    assert str(Figure(value, kind)) == text


def test_labels_are_french_and_headings_name_the_unit():
    assert len(INDICATORS) == len(INDICATOR)
    for indicator in INDICATORS:
        assert "_" not in indicator.label and indicator.label[0].isupper()
        assert str(indicator) == indicator.label
    assert INDICATOR["weight_reused_kg"].heading == "Poids réemployé (kg)"
    assert INDICATOR["aide_solidaire_total"].heading == "Aide solidaire totale (€)"
    assert INDICATOR["workshop_attendance_rate"].heading == "Taux de présence aux ateliers (%)"
    assert INDICATOR["devices_collected"].heading == "Appareils collectés"


def test_export_cells_are_typed():
    assert export_cell(Figure("890.00", Kind.MONEY)) == Money(Decimal("890.00"))
    assert export_cell(Figure(0.75, Kind.RATE)) == Percent(Decimal("0.75"))
    assert export_cell(Figure(12, Kind.COUNT)) == 12
    assert export_cell(Figure(120.4, Kind.KG)) == 120.4
    assert export_cell(Figure(None, Kind.RATE)) is None
    assert export_cell(INDICATOR["paid_total"]) == "Total payé par les foyers (€)"
    assert export_cell("Atelier Test") == "Atelier Test" and export_cell(3) == 3


@pytest.mark.parametrize("value, text", [
    (None, "—"), (True, "Oui"), (12.34, "12,3"), (12.0, "12"), (12345, f"12{NBSP}345"), ("Palier 1", "Palier 1"),
    (INDICATOR["paid_total"], "Total payé par les foyers"), (Figure(0.5, Kind.RATE), f"50{NBSP}%"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text

"""The dashboard's tables against the scripted scenario: they agree with the indicators and with
what the scenario did."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from core.clock import local_today
from reporting.dashboard import dashboard
from reporting.filters import Filters
from tests.reporting.scenario import build_scenario


@pytest.fixture
def tables(app, session):
    build_scenario(app, session)
    figures, sections = dashboard(session, Filters(date(2020, 1, 1), local_today() + timedelta(days=1)))
    return figures, {t.key: t for _title, group in sections for t in group}


def test_stock_tables(tables):
    figures, by_key = tables
    rows = {r[0]: r for r in by_key["stock_state_category"].rows}
    assert by_key["stock_state_category"].columns == ["État", "Ordinateur portable", "Total"]
    assert rows["En stock"][-1] == 1 and rows["Remis au foyer"][-1] == 2 and rows["Recyclé"][-1] == 1
    assert dict(by_key["stock_grade"].rows) == {"A — très bon état": 0, "B — bon état": 1, "C — état correct": 0}
    assert by_key["stock_site"].rows == [["Atelier Test", 1]]
    assert [r[:2] for r in by_key["stock_ageing"].rows] == [["En stock", 1]]
    assert [r[1] for r in by_key["stock_oldest"].rows] == ["En stock"]


def test_flow_tables_add_up_to_the_indicators(tables):
    figures, by_key = tables
    monthly = by_key["flow_monthly"].rows
    assert all(re.fullmatch(r"\d{2}/\d{4}", row[0]) for row in monthly)       # « 07/2026 », not « 2026-07 »
    totals = [sum(row[i] for row in monthly) for i in range(1, 6)]
    assert totals == [figures["devices_collected"], figures["devices_sanitised"], figures["devices_graded"],
                      figures["devices_distributed"], figures["devices_recycled"]]
    stages = {r[0]: r for r in by_key["flow_stage_times"].rows}
    assert stages["Réceptionné"][1] == 4 and stages["Effacement"][1] == 4
    assert stages["De la réception à la remise"][1:] == [2, 15.0, 20.0]


def test_household_tables(tables):
    figures, by_key = tables
    assert dict(by_key["households_requests"].rows)["Équipé"] == 2
    assert dict(by_key["households_requests"].rows)["Validée"] == 1
    assert by_key["households_epci"].rows == [["CACEM", 2, 2], ["CAP Nord", 0, 0], ["Espace Sud", 1, 0]]
    communes = {r[2]: r[3:] for r in by_key["households_commune"].rows}
    assert len(communes) == 34 and communes["97213"] == [1, 1] and communes["97209"] == [1, 1]
    assert communes["97217"] == [1, 0]
    assert by_key["households_tier"].rows == [["Palier 1", 3]]
    assert by_key["households_wait"].rows[0][0] == 2


def test_workshop_internet_environment_and_money_tables(tables):
    """The page's rows (``Table.display_rows``): French labels, values written by their kind."""
    figures, by_key = tables
    assert dict(by_key["workshops"].display_rows()) == {
        "Ateliers tenus": "1", "Places réservées": "2", "Taux de présence aux ateliers": "50\u00a0%",
        "Satisfaction moyenne (sur 5)": "4,00"}
    internet = dict(by_key["internet"].display_rows())
    assert (internet["Données mobiles uniquement"], internet["Aucun accès à internet"]) == ("1", "1")
    assert internet["Foyers équipés ayant accès à internet"] == "50\u00a0%"
    assert dict(by_key["environment"].display_rows())["Poids recyclé"] == "3\u00a0kg"
    assert dict(by_key["money"].display_rows())["Aide solidaire totale"] == "460,00\u00a0€"
    indicator_rows = {r[0].key: r[1].value for r in by_key["indicators"].rows}
    assert indicator_rows["devices_distributed"] == figures["devices_distributed"] == 2
    shown = dict(by_key["indicators"].display_rows())
    assert shown["Appareils remis aux foyers"] == "2" and shown["Aide solidaire totale"] == "460,00\u00a0€"
    assert by_key["indicators"].columns == ["Indicateur", "Valeur"]


def test_cli_writes_the_impact_report(app, session, tmp_path):
    from reporting.impact import current_half

    build_scenario(app, session)
    period = current_half(local_today())
    path = tmp_path / "rapport.pdf"
    result = app.test_cli_runner().invoke(args=["reporting", "impact", "--period", period, "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Rapport d'impact {period} écrit dans {path}" in result.output
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(str(path)).pages)
    assert "Rapport d'impact" in text and "Appareils collectés" in text
    bad = app.test_cli_runner().invoke(args=["reporting", "impact", "--period", "2026-S9"])
    assert bad.exit_code == 1 and "AAAA-S1 ou AAAA-S2" in bad.output

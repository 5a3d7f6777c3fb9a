"""The mobile workshop's indicators (docs/mobile-tour-design.md § 5) against yesterday's tour of
``tests.reporting.scenario.build_tours``, played through the services beside the office's
handovers and workshop of ``build_scenario``: each key of ``GET /api/v1/indicators`` exactly,
under each filter, the same from the summaries and from the records; cancelled sessions and
office handovers left out; the dashboard's two tables, their exports and the impact report, in
French. Both engines."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.clock import local_today
from core.territory import Epci
from distribution.models import Invoice
from distribution.services.invoicing import issue_credit_note
from distribution.services.workshops import restore_session
from reporting.dashboard import dashboard
from reporting.filters import Filters
from reporting.impact import impact_data
from reporting.impact_pdf import render_impact_report
from reporting.indicators import indicators
from reporting.records import MOBILE_KEYS, indicators_from_records
from tests.helpers import actor, bearer, login
from tests.reporting.scenario import build_scenario, build_tours

NBSP = "\u00a0"
START = date(2020, 1, 1)


@pytest.fixture
def tours(app, session):
    data = build_scenario(app, session)
    data.update(build_tours(app, session, data["shop"]))
    data["epci"] = dict(session.execute(select(Epci.short_name, Epci.id)).all())
    return data


def whole(**changes) -> Filters:
    return Filters(START, local_today() + timedelta(days=1), **changes)


def mobile(session, f: Filters) -> dict:
    """The five mobile keys, the same read from the summaries and from the records."""
    figures = indicators(session, f)
    assert figures == indicators_from_records(session, f), f
    return {key: figures[key] for key in MOBILE_KEYS}


def figures(sessions, rate, walk_ins, on_tour, reached) -> dict:
    return dict(zip(MOBILE_KEYS, (sessions, rate, walk_ins, on_tour, reached)))


def tables_of(session, f: Filters) -> dict:
    _figures, sections = dashboard(session, f)
    return {t.key: t for _title, group in sections for t in group}


def test_each_key_exactly_under_each_filter(session, tours):
    epci = tours["epci"]
    # Macouba and Sainte-Anne held (Le Marin cancelled, next week's stop not yet): 4 present of
    # 5 marked (C never marked, walk-ins not booked); A, D, E, F, H and 3 walk-ins reached.
    assert mobile(session, whole()) == figures(2, 0.8, 3, 2, 8)
    # The sessions by the stop's EPCI; households by where they live (D, at Macouba, in CACEM).
    assert mobile(session, whole(epci_id=epci["CAP Nord"])) == figures(1, 0.75, 2, 2, 5)
    assert mobile(session, whole(epci_id=epci["Espace Sud"])) == figures(1, 1.0, 1, 0, 2)
    assert mobile(session, whole(epci_id=epci["CACEM"])) == figures(0, None, 0, 0, 1)
    # A category is the workshop's topic and the device's category.
    assert mobile(session, whole(category="laptop")) == figures(1, 0.75, 2, 2, 6)
    assert mobile(session, whole(category="smartphone")) == figures(1, 1.0, 1, 0, 2)
    assert mobile(session, whole(category="tablet")) == figures(0, None, 0, 0, 0)
    assert mobile(session, whole(epci_id=epci["CACEM"], category="smartphone")) == figures(0, None, 0, 0, 0)
    # A donor's figures: their devices handed over on tour; a workshop is nobody's donation.
    assert mobile(session, whole(donor_id=tours["shop"]["donor"].id)) == figures(None, None, None, 2, None)


def test_the_period_is_the_day_of_the_tour(session, tours):
    day = tours["day"]
    assert mobile(session, Filters(day, day)) == figures(2, 0.8, 3, 2, 8)
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        assert mobile(session, Filters(other, other)) == figures(0, None, 0, 0, 0), other


def test_a_cancelled_session_is_not_counted_until_it_is_restored(app, session, tours):
    """Le Marin (Espace Sud, tablet) had J present and a walk-in from Le Marin before it was
    cancelled: restored, it counts."""
    tablet = whole(category="tablet")
    assert mobile(session, tablet) == figures(0, None, 0, 0, 0)
    restore_session(session, actor(app, "admin"), tours["stops"]["Le Marin"].id)
    assert mobile(session, tablet) == figures(1, 1.0, 1, 0, 2)
    assert mobile(session, whole()) == figures(3, round(5 / 6, 4), 4, 2, 10)


def test_office_handovers_are_not_on_tour_and_a_credit_note_counts_as_for_every_handover(app, session, tours):
    both = indicators(session, whole())
    # build_scenario's two office handovers are handovers, not on tour.
    assert (both["devices_distributed"], both["handovers_on_tour"]) == (4, 2)
    numbers = session.execute(select(Invoice.number).where(Invoice.tour_id.is_not(None))
                              .order_by(Invoice.number)).scalars().all()
    year = tours["day"].year
    assert numbers == [f"F-M1-{year}-00001", f"F-M1-{year}-00002"]
    # A handover is its invoice (as devices_distributed counts it): a credit note changes neither.
    issue_credit_note(session, actor(app, "technicien"), numbers[0], reason="Appareil rendu")
    after = mobile(session, whole())
    assert indicators(session, whole())["devices_distributed"] == 4 and after["handovers_on_tour"] == 2


def test_the_dashboard_tables(session, tours):
    year = str(tours["day"].year)
    tables = tables_of(session, whole())
    by_year, reached = tables["mobile_by_year"], tables["tour_households_commune"]
    assert by_year.title == "Ateliers mobiles par année"
    assert by_year.columns == ["Année", "Ateliers", "Places réservées", "Présents", "Absents", "Taux de présence",
                               "Participants sans inscription"]
    assert by_year.display_rows() == [[year, "2", "6", "4", "1", f"80{NBSP}%", "3"]]
    assert reached.title == "Foyers touchés en tournée par commune"
    assert reached.columns == ["Commune", "EPCI", "Par un atelier", "Par une remise", "Participants sans inscription",
                               "Total"]
    # E, present at Macouba and handed a laptop there, counts once in Macouba's total.
    assert reached.rows == [["Fort-de-France", "CACEM", 1, 0, 0, 1], ["Grand'Rivière", "CAP Nord", 0, 0, 1, 1],
                            ["Le Marin", "Espace Sud", 0, 0, 1, 1], ["Macouba", "CAP Nord", 2, 2, 1, 4],
                            ["Sainte-Anne", "Espace Sud", 1, 0, 0, 1]]
    assert sum(row[-1] for row in reached.rows) == indicators(session, whole())["households_reached_on_tour"]
    south = tables_of(session, whole(epci_id=tours["epci"]["Espace Sud"]))
    assert south["mobile_by_year"].display_rows() == [[year, "1", "1", "1", "0", f"100{NBSP}%", "1"]]
    assert [row[0] for row in south["tour_households_commune"].rows] == ["Le Marin", "Sainte-Anne"]
    # Not a donor's: neither table under a donor filter.
    assert not {"mobile_by_year", "tour_households_commune"} & set(
        tables_of(session, whole(donor_id=tours["shop"]["donor"].id)))
    # A period without a mobile workshop: the tables are there, empty.
    empty = tables_of(session, Filters(tours["day"] + timedelta(days=1), tours["day"] + timedelta(days=1)))
    assert empty["mobile_by_year"].rows == [] and empty["tour_households_commune"].rows == []


def test_the_indicators_table_names_the_five_in_french(session, tours):
    shown = dict(tables_of(session, whole())["indicators"].display_rows())
    assert {label: shown[label] for label in (
        "Ateliers mobiles tenus", "Taux de présence aux ateliers mobiles",
        "Participants sans inscription aux ateliers mobiles", "Appareils remis en tournée",
        "Foyers touchés en tournée")} == {
        "Ateliers mobiles tenus": "2", "Taux de présence aux ateliers mobiles": f"80{NBSP}%",
        "Participants sans inscription aux ateliers mobiles": "3", "Appareils remis en tournée": "2",
        "Foyers touchés en tournée": "8"}


PERIOD = f"from={START.isoformat()}&to={(local_today() + timedelta(days=1)).isoformat()}"


def test_the_dashboard_page_shows_both_tables_in_french_and_exports_them(client, tours):
    login(client, "admin")
    html = client.get(f"/dashboard/?{PERIOD}").get_data(as_text=True)
    for title in ("Ateliers mobiles par année", "Foyers touchés en tournée par commune"):
        assert f">{title}</h3>" in html, title
    section = html[html.index("Ateliers mobiles par année</h3>"):html.index("Accès à internet des foyers équipés")]
    headers = re.findall(r'<th scope="col">(.*?)</th>', section)
    assert headers == ["Année", "Ateliers", "Places réservées", "Présents", "Absents", "Taux de présence",
                       "Participants sans inscription", "Commune", "EPCI", "Par un atelier", "Par une remise",
                       "Participants sans inscription", "Total"]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", section, re.S)]
    assert cells[:7] == [str(tours["day"].year), "2", "6", "4", "1", f"80{NBSP}%", "3"]
    assert cells[7:13] == ["Fort-de-France", "CACEM", "1", "0", "0", "1"]
    assert "Grand&#39;Rivière" in section and "Sainte-Anne" in section
    for cell in cells:
        assert not re.fullmatch(r"-?\d+\.\d+", cell) and cell not in ("None", "True", "False", ""), cell
    for key in MOBILE_KEYS:
        assert key not in html, key
    # The exports: French headings, numbers as numbers; the XLSX sheets by their short names.
    csv = pd.read_csv(io.BytesIO(client.get(f"/dashboard/export/tour_households_commune.csv?{PERIOD}").data),
                      sep=";")
    assert list(csv.columns) == ["Commune", "EPCI", "Par un atelier", "Par une remise",
                                 "Participants sans inscription", "Total"]
    assert csv["Total"].sum() == 8 and csv.iloc[3].tolist() == ["Macouba", "CAP Nord", 2, 2, 1, 4]
    workbook = pd.read_excel(io.BytesIO(client.get(f"/dashboard/export/all.xlsx?{PERIOD}").data), sheet_name=None)
    years = workbook["Ateliers mobiles par année"]
    assert years.iloc[0].tolist()[1:] == [2, 6, 4, 1, 0.8, 3]
    assert workbook["Foyers touchés en tournée"]["Total"].sum() == 8
    api = client.get(f"/api/v1/indicators?{PERIOD}", headers=bearer(client, "admin")).json
    assert {key: api[key] for key in MOBILE_KEYS} == figures(2, 0.8, 3, 2, 8)


def test_an_agent_sees_the_households_of_their_epci(client, tours):
    login(client, "agent.cacem")
    csv = pd.read_csv(io.BytesIO(client.get(f"/dashboard/export/tour_households_commune.csv?{PERIOD}").data),
                      sep=";")
    assert csv.to_dict("records") == [{"Commune": "Fort-de-France", "EPCI": "CACEM", "Par un atelier": 1,
                                       "Par une remise": 0, "Participants sans inscription": 0, "Total": 1}]


def test_the_impact_report_shows_the_five_with_their_change(session, tours):
    day = tours["day"]
    period = f"{day.year}-S{1 if day.month <= 6 else 2}"
    data = impact_data(session, period, whole(), programme_name="Rekonekt", scope="Tout le programme")
    group = next(g for g in data["groups"] if g["title"] == "Ateliers mobiles et tournées")
    assert [(r["label"], r["current"], r["previous"], r["change"]) for r in group["rows"]] == [
        ("Ateliers mobiles tenus", "2", "0", "nouveau"),
        ("Taux de présence aux ateliers mobiles", f"80{NBSP}%", "—", "—"),
        ("Participants sans inscription aux ateliers mobiles", "3", "0", "nouveau"),
        ("Appareils remis en tournée", "2", "0", "nouveau"),
        ("Foyers touchés en tournée", "8", "0", "nouveau"),
    ]
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(
        render_impact_report(data))).pages)).replace(NBSP, " ")
    for fragment in ("Ateliers mobiles et tournées", "Ateliers mobiles tenus", "Foyers touchés en tournée",
                     "Appareils remis en tournée", "80 %", "nouveau"):
        assert fragment in text, fragment

"""Every dashboard table under each filter and each role's scope.

The oracle is a partition: split the programme by EPCI, by donor, by category or by period, and
the figures of the parts add up to the whole, table by table, cell by cell. A filter dropped from
one query makes each part show the whole (the sum then counts it several times); a filter applied
twice or to the wrong column loses figures. The scenario (``build_spread``) puts figures on both
sides of every split, and the test checks that it does, so that the check can fail.

Then each role's scope is the matching filter: an Agent EPCI's exports are the Admin's exports
for that EPCI, a Partenaire's are the Admin's for their organisation, and asking for more is 403.
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from app.extensions import db
from core.clock import local_today
from core.territory import Epci
from reporting.dashboard import dashboard
from reporting.filters import Filters
from reporting.vocabulary import Figure, Indicator
from tests.helpers import bearer, login
from tests.reporting.scenario import build_spread, build_tours

START = date(2020, 1, 1)
END = local_today() + timedelta(days=1)
PERIOD = f"from={START.isoformat()}&to={END.isoformat()}"
# Categories with a workshop topic each (laptop → computer, smartphone, tablet): sessions then
# split by category as devices do.
CATEGORIES = ("laptop", "smartphone", "tablet")

# Table → (how many leading columns label a row, the additive columns (None: all the others),
# the additive rows (None: all), whether its figures belong to the period (False: today's state)).
ADDITIVE = {
    "indicators": (1, ["Valeur"], ["devices_collected", "devices_sanitised", "devices_graded", "devices_distributed",
                                   "devices_recycled", "households_validated", "households_equipped",
                                   "workshop_sessions", "internet_offer_referrals", "weight_reused_kg",
                                   "weight_recycled_kg", "reference_value_total", "paid_total",
                                   "aide_solidaire_total", "mobile_sessions", "mobile_walk_ins",
                                   "handovers_on_tour", "households_reached_on_tour"], True),
    "stock_state_category": (1, None, None, False),
    "stock_grade": (1, None, None, False),
    "stock_site": (1, None, None, False),
    "stock_ageing": (1, ["Appareils"], None, False),
    "flow_monthly": (1, None, None, True),
    "flow_stage_times": (1, ["Passages"], None, True),
    "households_requests": (1, None, None, False),
    "households_epci": (1, None, None, True),
    "households_commune": (3, None, None, True),
    "households_tier": (1, None, None, True),
    "households_wait": (0, ["Remises"], None, True),
    "workshops": (1, None, ["workshop_sessions", "Places réservées"], True),
    # The mobile workshops by year (not the rate) and the households reached on tour by commune.
    "mobile_by_year": (1, ["Ateliers", "Places réservées", "Présents", "Absents", "Participants sans inscription"],
                       None, True),
    "tour_households_commune": (2, None, None, True),
    "internet": (1, None, ["Données mobiles uniquement", "Aucun accès à internet", "Box internet à domicile",
                           "Non renseigné", "internet_offer_referrals"], True),
    "environment": (1, None, None, True),
    "money": (1, None, None, True),
}
# Tables that are not figures to add up (a top ten of devices).
NOT_ADDITIVE = {"stock_oldest"}


def number(value):
    """The number of a cell: a figure's value (money comes as the API's text, ``"890.00"``)."""
    if isinstance(value, Figure):
        value = Decimal(value.value) if isinstance(value.value, str) else value.value
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return value


def row_key(value) -> str:
    """A row's label: an indicator by its key, anything else as text."""
    return value.key if isinstance(value, Indicator) else str(value)


def by_label(table) -> dict:
    """{French label: value} of a two-column table."""
    return {str(label): value for label, value in table.rows}


def cells(table) -> dict:
    """{(row label, column): number} of the table's additive cells."""
    labels, columns, rows, _period = ADDITIVE[table.key]
    found = {}
    for row in table.rows:
        label = tuple(row[:labels])
        if rows is not None and row_key(row[0]) not in rows:
            continue
        for index, column in enumerate(table.columns[labels:], start=labels):
            if columns is not None and column not in columns:
                continue
            if row[index] is None or (isinstance(row[index], Figure) and row[index].value is None):
                found[(label, column)] = None      # not attributable under this filter
            elif (value := number(row[index])) is not None:
                found[(label, column)] = value
    return found


def tables_of(session, f: Filters) -> dict:
    _figures, sections = dashboard(session, f)
    return {t.key: t for _title, group in sections for t in group}


def assert_adds_up(whole: dict, parts: list[dict], what: str, *, period_split: bool = False) -> int:
    """Each table's cells in ``parts`` add up to ``whole``; returns how many tables were compared."""
    compared = 0
    for key, table in whole.items():
        if key in NOT_ADDITIVE:
            continue
        assert key in ADDITIVE, f"table {key} : dites dans ADDITIVE comment ses chiffres s'additionnent"
        present = [p[key] for p in parts if key in p]
        if len(present) != len(parts):
            assert not present, f"{what} : la table {key} n'existe que pour une partie"
            continue
        total, mine = cells(table), [cells(p) for p in present]
        for cell in set(total) | {c for m in mine for c in m}:
            values = [m.get(cell, 0) for m in mine]
            if all(v is None for v in values):
                continue      # a figure the filter cannot attribute (households under a donor)
            if period_split and not ADDITIVE[key][3]:
                # Today's state does not depend on the period: each part shows the whole.
                assert all(v == total.get(cell, 0) for v in values), (what, key, cell, values, total.get(cell))
                continue
            expected = total.get(cell, 0)
            got = sum(values)
            if isinstance(expected, float) or any(isinstance(v, float) for v in values):
                assert abs(got - expected) < 1e-6, (what, key, cell, values, expected)
            else:
                assert got == expected, (what, key, cell, values, expected)
        compared += 1
    return compared


def spread_over_parts(parts: list[dict], key: str) -> int:
    """How many parts have a non-zero additive figure in table ``key``."""
    return sum(1 for p in parts if key in p and any(cells(p[key]).values()))


@pytest.fixture
def spread(app, session):
    data = build_spread(app, session)
    data["tours"] = build_tours(app, session, data["shops"]["A"])     # yesterday's mobile workshops
    data["epci_ids"] = {e.short_name: e.id for e in session.query(Epci)}
    return data


def test_the_tables_add_up_over_the_three_epci(session, spread):
    whole = tables_of(session, Filters(START, END))
    parts = [tables_of(session, Filters(START, END, epci_id=i)) for i in spread["epci_ids"].values()]
    assert assert_adds_up(whole, parts, "EPCI") == len(ADDITIVE)
    for key in ADDITIVE:
        if key != "stock_site":       # one workshop per EPCI with devices in it: two EPCI of three
            assert spread_over_parts(parts, key) >= 2, f"le scénario ne répartit pas {key} entre EPCI"


def test_the_tables_add_up_over_the_donors(session, spread):
    whole = tables_of(session, Filters(START, END))
    parts = [tables_of(session, Filters(START, END, donor_id=d.id)) for d in spread["donors"].values()]
    # Households, requests and workshops are not a donor's: their tables are not shown per donor.
    for part in parts:
        assert not {"households_requests", "households_epci", "households_commune", "households_tier",
                    "households_wait", "workshops", "mobile_by_year", "tour_households_commune"} & set(part)
    device_tables = {k: t for k, t in whole.items() if k in parts[0]}
    assert assert_adds_up(device_tables, parts, "donateur") >= 10
    for key in ("stock_state_category", "stock_grade", "stock_site", "flow_monthly", "internet", "environment", "money"):
        assert spread_over_parts(parts, key) == 2, key


def test_the_tables_add_up_over_the_categories(session, spread):
    whole = tables_of(session, Filters(START, END))
    parts = [tables_of(session, Filters(START, END, category=c)) for c in CATEGORIES]
    assert assert_adds_up(whole, parts, "catégorie") == len(ADDITIVE)
    for key in ("stock_state_category", "flow_monthly", "households_requests", "households_tier", "workshops",
                "internet", "money", "mobile_by_year", "tour_households_commune"):
        assert spread_over_parts(parts, key) >= 2, key


def test_the_tables_add_up_over_two_periods(session, spread):
    today = local_today()
    whole = tables_of(session, Filters(START, END))
    parts = [tables_of(session, Filters(START, today - timedelta(days=1))), tables_of(session, Filters(today, END))]
    assert assert_adds_up(whole, parts, "période", period_split=True) == len(ADDITIVE)


def test_the_scenario_gives_the_expected_figures_under_each_filter(session, spread):
    """A few figures written out by hand, so that the partition cannot hold on wrong figures."""
    epci = spread["epci_ids"]
    donor_a, donor_b = spread["donors"]["A"].id, spread["donors"]["B"].id

    def table(f, key):
        return tables_of(session, f)[key]

    every = Filters(START, END)
    # Tour households E and F (Macouba, CAP Nord, tier 1) validated and equipped on tour.
    assert table(every, "households_tier").rows == [["Palier 1", 5], ["Palier 2", 1], ["Palier 3", 1]]
    assert table(Filters(START, END, epci_id=epci["CACEM"]), "households_tier").rows == [["Palier 1", 2]]
    assert table(Filters(START, END, epci_id=epci["CAP Nord"]), "households_tier").rows == [["Palier 1", 2],
                                                                                           ["Palier 2", 1]]
    assert table(Filters(START, END, epci_id=epci["Espace Sud"]), "households_tier").rows == [["Palier 1", 1],
                                                                                             ["Palier 3", 1]]
    assert table(Filters(START, END, category="smartphone"), "households_tier").rows == [["Palier 1", 1]]
    assert dict(table(Filters(START, END, donor_id=donor_a), "stock_site").rows) == {"Atelier Test": 2}
    assert dict(table(Filters(START, END, donor_id=donor_b), "stock_site").rows) == {"Atelier Sud": 2}
    assert dict(table(Filters(START, END, epci_id=epci["CAP Nord"]), "stock_site").rows) == {}
    assert table(every, "households_epci").rows == [["CACEM", 2, 2], ["CAP Nord", 3, 3], ["Espace Sud", 2, 1]]
    assert table(Filters(START, END, epci_id=epci["Espace Sud"]), "households_epci").rows == [["Espace Sud", 2, 1]]
    assert dict(table(Filters(START, END, category="tablet"), "households_requests").rows)["Refusée"] == 1
    assert dict(table(every, "households_requests").rows) == {
        "Déposée": 1, "Pièces demandées": 0, "Validée": 1, "Refusée": 1, "Équipé": 6}
    workshops = by_label(table(Filters(START, END, epci_id=epci["CACEM"]), "workshops"))
    assert (workshops["Ateliers tenus"], workshops["Places réservées"]) == (1, 2)
    # The Espace Sud session and the tour's smartphone stop at Sainte-Anne.
    assert by_label(table(Filters(START, END, category="smartphone"), "workshops"))["Ateliers tenus"] == 2
    # The mobile workshops by the stop's EPCI (Macouba, Sainte-Anne; Le Marin cancelled), the
    # households reached by where they live (D, at Macouba, lives in Fort-de-France).
    year = str(spread["tours"]["day"].year)
    assert table(every, "mobile_by_year").rows[0][:5] + table(every, "mobile_by_year").rows[0][6:] == [
        year, 2, 6, 4, 1, 3]
    assert table(Filters(START, END, epci_id=epci["CAP Nord"]), "mobile_by_year").rows[0][:5] == [year, 1, 5, 3, 1]
    assert table(Filters(START, END, epci_id=epci["CACEM"]), "mobile_by_year").rows == []
    assert table(Filters(START, END, epci_id=epci["CACEM"]), "tour_households_commune").rows == [
        ["Fort-de-France", "CACEM", 1, 0, 0, 1]]
    assert [r[0] for r in table(Filters(START, END, category="smartphone"), "tour_households_commune").rows] == [
        "Le Marin", "Sainte-Anne"]
    money = by_label(table(Filters(START, END, donor_id=donor_b), "money"))
    assert money["Total payé par les foyers"] != by_label(table(every, "money"))["Total payé par les foyers"]


def read_csv(answer) -> pd.DataFrame:
    assert answer.status_code == 200, answer.status_code
    return pd.read_csv(io.BytesIO(answer.data), sep=";", keep_default_na=False)


def workbook(client, query: str) -> dict[str, pd.DataFrame]:
    answer = client.get(f"/dashboard/export/all.xlsx?{PERIOD}{query}")
    assert answer.status_code == 200, answer.status_code
    return pd.read_excel(io.BytesIO(answer.data), sheet_name=None)


def same_workbooks(mine: dict, theirs: dict) -> None:
    assert list(mine) == list(theirs)
    for name in mine:
        pd.testing.assert_frame_equal(mine[name], theirs[name], obj=name)


@pytest.fixture
def bound_partner(app, spread):
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = spread["donors"]["A"].id
    db.session.commit()
    yield spread["donors"]["A"].id
    partner.organisation_id = None
    db.session.commit()


@pytest.mark.parametrize("username,epci", [("agent.cacem", "CACEM"), ("agent.espacesud", "Espace Sud")])
def test_an_agent_exports_exactly_the_admins_figures_for_their_epci(app, spread, username, epci):
    admin, agent = app.test_client(), app.test_client()
    login(admin, "admin")
    login(agent, username)
    theirs = workbook(admin, f"&epci={epci}")
    same_workbooks(workbook(agent, ""), theirs)
    same_workbooks(workbook(agent, f"&epci={epci}"), theirs)
    everything = workbook(admin, "")
    assert any(not theirs[n].equals(everything[n]) for n in theirs)      # the scope does narrow
    for key in ("households_tier", "households_epci", "stock_site", "flow_monthly", "internet", "money"):
        mine = read_csv(agent.get(f"/dashboard/export/{key}.csv?{PERIOD}"))
        pd.testing.assert_frame_equal(mine, read_csv(admin.get(f"/dashboard/export/{key}.csv?{PERIOD}&epci={epci}")))
    other = next(e for e in ("CACEM", "CAP Nord", "Espace Sud") if e != epci)
    for path in ("/dashboard/", "/dashboard/export/all.xlsx", "/dashboard/export/households_tier.csv",
                 "/dashboard/impact.pdf"):
        assert agent.get(f"{path}?{PERIOD}&epci={other}").status_code == 403, path
    assert agent.get(f"/api/v1/indicators?{PERIOD}&epci={other}",
                     headers=bearer(agent, username)).status_code == 403


def test_a_partner_exports_exactly_the_admins_figures_for_their_organisation(app, spread, bound_partner):
    admin, partner = app.test_client(), app.test_client()
    login(admin, "admin")
    login(partner, "partenaire")
    mine = workbook(partner, "")
    theirs = workbook(admin, f"&donor={bound_partner}")
    # The partner sees their own tables, the indicators and the flows; the admin sees more of
    # the same donor, but every sheet the partner has is the admin's, figure for figure.
    assert set(mine) < set(theirs)
    for name in mine:
        pd.testing.assert_frame_equal(mine[name], theirs[name], obj=name)
    assert {"Devenir de vos appareils", "Indicateurs de la période", "Flux mensuels d'appareils"} <= set(mine)
    other = spread["donors"]["B"].id
    assert partner.get(f"/dashboard/export/all.xlsx?{PERIOD}&donor={other}").status_code == 403
    assert partner.get(f"/dashboard/?{PERIOD}&epci=CACEM").status_code == 200   # an EPCI narrows their own donations
    assert partner.get(f"/api/v1/indicators?{PERIOD}&donor={other}",
                       headers=bearer(partner, "partenaire")).status_code == 403


@pytest.mark.parametrize("username", ["technicien", "prescripteur", "animateur"])
def test_other_roles_export_nothing(app, spread, username):
    client = app.test_client()
    login(client, username)
    for path in ("/dashboard/export/all.xlsx", "/dashboard/export/households_tier.csv", "/dashboard/impact.pdf"):
        assert client.get(f"{path}?{PERIOD}").status_code == 403, path

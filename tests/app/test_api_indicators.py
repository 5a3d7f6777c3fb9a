"""GET /api/v1/indicators for every role: Admin everything, Agent EPCI their EPCI only,
Partenaire their own organisation's donations only, others refused."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from core.clock import local_today
from inventory.services.reference import create_organisation
from tests.helpers import bearer
from tests.reporting.scenario import build_scenario

PERIOD = f"from=2020-01-01&to={(local_today() + timedelta(days=1)).isoformat()}"


@pytest.fixture
def scenario(app, session):
    data = build_scenario(app, session)
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = data["shop"]["donor"].id
    db.session.commit()
    yield data
    partner.organisation_id = None
    db.session.commit()


def get(client, username, query=""):
    return client.get(f"/api/v1/indicators?{PERIOD}{query}", headers=bearer(client, username))


def test_admin_sees_everything_and_filters(client, scenario):
    everything = get(client, "admin")
    assert everything.status_code == 200, everything.json
    assert (everything.json["devices_distributed"], everything.json["households_validated"]) == (2, 3)
    south = get(client, "admin", "&epci=Espace Sud")
    assert (south.json["households_validated"], south.json["devices_distributed"]) == (1, 0)
    assert get(client, "admin", "&epci=Atlantide").status_code == 422
    bad = client.get("/api/v1/indicators?from=2026-13-01", headers=bearer(client, "admin"))
    assert bad.status_code == 422 and bad.json["errors"] == {"from": ["Date attendue au format AAAA-MM-JJ."]}


def test_an_agent_sees_their_epci_only(client, scenario):
    mine = get(client, "agent.cacem")
    assert mine.status_code == 200
    assert (mine.json["households_validated"], mine.json["equipped_by_epci"]) == (
        2, {"CACEM": 2, "CAP Nord": 0, "Espace Sud": 0})
    assert get(client, "agent.espacesud").json["households_validated"] == 1
    other = get(client, "agent.cacem", "&epci=Espace Sud")
    assert other.status_code == 403 and "votre EPCI" in other.json["message"]


def test_a_partner_sees_their_donations_only(client, scenario):
    mine = get(client, "partenaire")
    assert mine.status_code == 200
    assert (mine.json["devices_collected"], mine.json["devices_distributed"], mine.json["households_validated"]) == (
        4, 2, None)
    other = create_organisation(db.session, kind="donor", name="Autre donateur", siret=None, commune_insee="97209")
    assert get(client, "partenaire", f"&donor={other.id}").status_code == 403


@pytest.mark.parametrize("username", ["technicien", "prescripteur", "animateur"])
def test_other_roles_are_refused(client, scenario, username):
    answer = get(client, username)
    assert answer.status_code == 403 and answer.is_json


def test_a_partner_without_an_organisation_is_refused(client, session):
    answer = get(client, "partenaire")
    assert answer.status_code == 403 and "indicateurs" in answer.json["message"]

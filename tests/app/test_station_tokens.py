"""Station tokens (issue 17): Admin creates, names and revokes long-lived tokens that may only post
wiping reports (and snapshots); on every other route they are refused 401, in French."""
from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.station_tokens import (
    RESERVED, UNKNOWN, StationToken, allow_station_token, authenticate, create_token, revoke_token,
)
from core.errors import Conflict, ValidationFailed
from inventory.models import ErasureImport, ErasureRecord
from inventory.services.transitions import transition
from tests.helpers import bearer, login, make_device, make_workshop

NAME = "Poste de réception Lamentin"
SERIAL = "ST-SSD-0001"
REPORT = (b'{"drives": [{"serial_number": "ST-SSD-0001", "level": "clear", "technique": "overwrite",'
          b' "result": "pass", "verified": true}]}')


def admin_id(app) -> int:
    return app.appbuilder.sm.find_user("admin").id


@pytest.fixture
def station(app, session):
    """A fresh active token: (its row, its secret)."""
    created = create_token(session, NAME, created_by_id=admin_id(app))
    return created.token, created.secret


def station_headers(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def upload(client, headers, content: bytes = REPORT, name: str = "rapport.json"):
    return client.post("/api/v1/erasures/import", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name)})


# --- the service ---------------------------------------------------------------------------

def test_creation_stores_only_the_hash_of_a_recognisable_secret(app, session, station):
    token, secret = station
    assert re.fullmatch(r"rkst_[A-Za-z0-9_-]{43}", secret)
    row = session.execute(select(StationToken).where(StationToken.id == token.id)).scalar_one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret[5:] not in (row.token_hash + row.prefix + row.name)       # the secret itself is nowhere
    assert row.prefix == secret[:11] and row.revoked_at is None and row.created_by_id == admin_id(app)
    assert authenticate(session, secret).name == NAME
    assert authenticate(session, secret + "x") is None and authenticate(session, "eyJhbGciOi") is None


def test_last_use_is_written_at_most_once_a_minute(session, station):
    from datetime import datetime, timedelta, timezone

    token, secret = station
    t0 = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)

    def last_used():
        session.expire_all()
        return session.get(StationToken, token.id).last_used_at

    authenticate(session, secret, now=t0)
    assert last_used() == t0
    authenticate(session, secret, now=t0 + timedelta(seconds=30))
    assert last_used() == t0
    authenticate(session, secret, now=t0 + timedelta(minutes=2))
    assert last_used() == t0 + timedelta(minutes=2)


def test_the_station_actor_has_no_right():
    from app.station_tokens import StationActor

    actor = StationActor(1, NAME).actor
    assert actor.roles == frozenset() and actor.id is None and not (actor.is_admin or actor.is_agent)


def test_names_are_required_and_unique(session, station):
    with pytest.raises(ValidationFailed):
        create_token(session, "   ", created_by_id=None)
    with pytest.raises(ValidationFailed) as refused:
        create_token(session, f"  {NAME} ", created_by_id=None)
    assert refused.value.errors["name"] == ["Un jeton de poste porte déjà ce nom : choisissez-en un autre."]


def test_revocation_ends_the_token_once(session, station):
    token, secret = station
    revoke_token(session, token.id)
    assert authenticate(session, secret) is None
    with pytest.raises(Conflict):
        revoke_token(session, token.id)


# --- over HTTP -----------------------------------------------------------------------------

def test_a_station_imports_a_wiping_report_recorded_under_its_name(client, session, station):
    token, secret = station
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": SERIAL}])
    transition(session, device.asset_tag, "wiping")
    answer = upload(client, station_headers(secret))
    assert answer.status_code == 201, answer.json
    assert (answer.json["result"]["matched"], answer.json["result"]["drives"][0]["asset_tag"]) == (1, device.asset_tag)
    session.expire_all()
    report = session.execute(select(ErasureImport)).scalar_one()
    record = session.execute(select(ErasureRecord)).scalar_one()
    assert report.imported_by_id is None and record.recorded_by_id is None     # no person claimed
    assert (record.sanitised_by, record.sanitised_by_role) == (NAME, "Jeton de poste")
    assert session.get(StationToken, token.id).last_used_at is not None
    # The same report again: the endpoint's answer for a duplicate.
    assert upload(client, station_headers(secret)).status_code == 200


@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_token_between_quotes_as_workbench_script_sends_it_is_read(client, session, station, quote):
    """workbench-script's settings.ini example reads « token = '1234' »; configparser keeps the quotes."""
    token, secret = station
    answer = upload(client, {"Authorization": f"Bearer {quote}{secret}{quote}"})
    assert answer.status_code == 201, answer.json       # received (queued: no such medium here)
    session.expire_all()
    assert session.get(StationToken, token.id).last_used_at is not None


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/devices/RK-000001"), ("GET", "/api/v1/households"), ("GET", "/api/v1/erasures/queue"),
    ("POST", "/api/v1/devices"), ("POST", "/api/v1/erasures/queue/1/dismiss"), ("GET", "/api/v1/sites"),
    ("GET", "/devices/list/"), ("POST", "/api/v1/security/refresh"),
])
def test_a_station_token_reads_nothing(client, station, method, path):
    answer = client.open(path, method=method, headers=station_headers(station[1]), json={})
    assert answer.status_code == 401
    assert answer.json == {"message": RESERVED}


def test_revoked_and_unknown_station_tokens_are_refused(client, session, station):
    token, secret = station
    revoke_token(session, token.id)
    for headers in (station_headers(secret), station_headers("rkst_" + "A" * 43)):
        answer = upload(client, headers)
        assert answer.status_code == 401 and answer.json == {"message": UNKNOWN}
    assert session.execute(select(ErasureImport)).first() is None


def test_user_tokens_work_as_before(client, session, station):
    tech = bearer(client, "technicien")
    assert upload(client, tech).status_code == 201
    assert client.get("/api/v1/erasures/queue", headers=tech).status_code == 200
    report = session.execute(select(ErasureImport)).scalar_one()
    assert report.imported_by_id == client.application.appbuilder.sm.find_user("technicien").id
    # A role without the right is still refused (403), and no token at all is 401.
    assert upload(client, bearer(client, "partenaire")).status_code == 403
    assert upload(client, {}).status_code == 401


def test_the_decorator_marks_the_endpoint():
    def endpoint(self):
        return "ok"
    endpoint._permission_name = "write"
    wrapped = allow_station_token(endpoint)
    assert getattr(wrapped, "_station_token_allowed") is True and wrapped._permission_name == "write"


# --- the admin page ------------------------------------------------------------------------

def test_admin_creates_sees_the_secret_once_and_revokes(app, client, session):
    token = login(client, "admin")
    page = client.post("/station-tokens/", data={"csrf_token": token, "name": NAME})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = re.search(r'value="(rkst_[^"]+)"', html).group(1)
    assert "ne sera plus affiché" in html
    row = session.execute(select(StationToken)).scalar_one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    listing = client.get("/station-tokens/").get_data(as_text=True)
    assert secret not in listing and row.prefix in listing and "Actif" in listing and "Admin Test" in listing
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", listing)
    assert "None" not in listing and "True" not in listing
    # Refused without the confirmation box; done with it.
    client.post(f"/station-tokens/{row.id}/revoke", data={"csrf_token": token})
    session.expire_all()
    assert session.get(StationToken, row.id).revoked_at is None
    done = client.post(f"/station-tokens/{row.id}/revoke", data={"csrf_token": token, "confirm": "1"},
                       follow_redirects=True)
    assert "révoqué" in done.get_data(as_text=True) and "Révoqué le" in done.get_data(as_text=True)
    session.expire_all()
    assert session.get(StationToken, row.id).revoked_at is not None
    assert upload(app.test_client(), station_headers(secret)).status_code == 401
    # A second token with the same name is refused, in French, with the form back.
    again = client.post("/station-tokens/", data={"csrf_token": token, "name": NAME})
    assert again.status_code == 422 and "porte déjà ce nom" in again.get_data(as_text=True)


def test_revoking_needs_the_csrf_token(client, session, station):
    login(client, "admin")
    client.post(f"/station-tokens/{station[0].id}/revoke", data={"confirm": "1"})
    session.expire_all()
    assert session.get(StationToken, station[0].id).revoked_at is None


@pytest.mark.parametrize("username", ["technicien", "agent.cacem", "partenaire", "prescripteur", "animateur"])
def test_only_admin_opens_the_page(app, username):
    client = app.test_client()
    token = login(client, username)
    assert client.get("/station-tokens/").status_code == 403
    assert client.post("/station-tokens/", data={"csrf_token": token, "name": "X"}).status_code == 403

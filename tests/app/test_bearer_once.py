"""An API request's access token is decoded once (``app/bearer.py``, issue 18), and every token
it does not accept is still refused as before, with the same French answer."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token, create_refresh_token
from jwt.api_jws import PyJWS

from tests.helpers import bearer, login, make_device, make_workshop, token

INVALID = {"message": "Jeton d'authentification invalide."}
REVOKED = {"message": "Jeton d'authentification révoqué."}
EXPIRED = {"message": "Jeton d'authentification expiré : reconnectez-vous."}


@pytest.fixture
def decodes(monkeypatch):
    """How many times a JWT is parsed (PyJWT's one reading of a token's three parts, which every
    decode, verified or not, and every header read goes through)."""
    count = [0]
    real = PyJWS._load

    def counted(self, jwt):
        count[0] += 1
        return real(self, jwt)

    monkeypatch.setattr(PyJWS, "_load", counted)
    return count


def test_a_scan_decodes_its_token_once(client, session, decodes):
    shop = make_workshop(session)
    tag = make_device(session, shop["collection"].id).asset_tag
    headers = bearer(client, "technicien")             # signing in is not counted
    decodes[0] = 0
    answer = client.post("/api/v1/scan", json={"code": tag}, headers=headers)
    assert answer.status_code == 200 and answer.json["device"]["asset_tag"] == tag
    assert decodes[0] == 1                             # flask-jwt-extended alone: 4


def test_a_read_decodes_its_token_once(client, session, decodes):
    shop = make_workshop(session)
    tag = make_device(session, shop["collection"].id).asset_tag
    headers = bearer(client, "agent.cacem")
    decodes[0] = 0
    answer = client.get(f"/api/v1/devices/{tag}", headers=headers)
    assert answer.status_code in (200, 403, 404)
    assert decodes[0] == 1


def test_the_role_is_still_checked(client, session):
    """Authenticated by the token, refused by the role, as before."""
    answer = client.post("/api/v1/scan", json={"code": "RK-000001"}, headers=bearer(client, "prescripteur"))
    assert answer.status_code == 403


def _post(client, authorization: str):
    return client.post("/api/v1/scan", json={"code": "X"}, headers={"Authorization": authorization})


def test_refused_tokens_are_answered_as_before(app, client, session):
    sm = app.appbuilder.sm
    tech = sm.find_user("technicien")
    with app.app_context():
        claims = {"tv": tech.token_version}
        expired = create_access_token(identity=str(tech.id), expires_delta=timedelta(seconds=-1),
                                      additional_claims=claims)
        refresh = create_refresh_token(identity=str(tech.id), additional_claims=claims)
        without_version = create_access_token(identity=str(tech.id), additional_claims={"tv": None})
        unknown = create_access_token(identity="987654", additional_claims={"tv": 0})
    good = token(client, "technicien")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for authorization, status, body in [
        (f"Bearer {expired}", 401, EXPIRED),
        (f"Bearer {refresh}", 401, INVALID),            # a refresh token is not an access token
        (f"Bearer {forged}", 401, INVALID),
        ("Bearer garbage", 401, INVALID),
        (f"Bearer {without_version}", 401, REVOKED),
        (f"Bearer {unknown}", 401, REVOKED),
        (f"Bearer {good} extra", 401, INVALID),        # headers of other shapes: flask-jwt-extended's rules
        (f"bearer {good}", 401, None),
    ]:
        answer = _post(client, authorization)
        assert answer.status_code == status, authorization[:20]
        if body is not None:
            assert answer.json == body, authorization[:20]
    assert _post(client, f"Bearer {good}, Basic abc").status_code == 404   # accepted, as before: the code is unknown
    # A disabled account's token: tests/app/test_token_revocation.py (through an API too).


def test_a_token_opens_no_page(client, session):
    """Pages take the browser session only: a bearer token on a page is no sign-in."""
    answer = client.get("/scan/", headers=bearer(client, "technicien"))
    assert answer.status_code == 302 and "/login/" in answer.headers["Location"]


def test_a_session_with_a_token_acts_as_before(client, session):
    """With a browser session and a valid token, the token's account acts, as before this change
    (the CSRF check verifies the token, which then names the user): the prescripteur's session
    alone is refused, with a technician's token the scan runs (the code is unknown: 404)."""
    technician = bearer(client, "technicien")
    csrf = login(client, "prescripteur")
    alone = client.post("/api/v1/scan", json={"code": "RK-000001"}, headers={"X-CSRFToken": csrf})
    assert alone.status_code == 403
    both = client.post("/api/v1/scan", json={"code": "RK-000001"}, headers={**technician, "X-CSRFToken": csrf})
    assert both.status_code == 404

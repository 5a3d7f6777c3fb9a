"""An API request's access token is decoded once, then kept verified (``app/bearer.py``, issue
18), and every token it does not accept is still refused as before, with the same French answer."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import jwt
import pytest
from flask import Flask
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from jwt import api_jwt
from jwt.api_jws import PyJWS

from app import bearer as bearer_module

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


def fresh_token(app, username: str, **options) -> str:
    """A token this app has never seen (each carries its own jti)."""
    user = app.appbuilder.sm.find_user(username)
    with app.app_context():
        return create_access_token(identity=str(user.id), additional_claims={"tv": user.token_version}, **options)


def test_a_token_is_decoded_once_then_not_again(app, client, session, decodes):
    shop = make_workshop(session)
    tag = make_device(session, shop["collection"].id).asset_tag
    headers = {"Authorization": f"Bearer {fresh_token(app, 'technicien')}"}
    answer = client.post("/api/v1/scan", json={"code": tag}, headers=headers)
    assert answer.status_code == 200 and answer.json["device"]["asset_tag"] == tag
    assert decodes[0] == 1                             # flask-jwt-extended alone: 4
    again = client.post("/api/v1/scan", json={"code": tag}, headers=headers)
    assert again.status_code == 200 and decodes[0] == 1
    reading = client.get(f"/api/v1/devices/{tag}", headers=headers)
    assert reading.status_code == 200 and decodes[0] == 1


def test_a_read_decodes_its_token_once(app, client, session, decodes):
    answer = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {fresh_token(app, 'agent.cacem')}"})
    assert answer.status_code == 200 and decodes[0] == 1


class Later:
    """A clock ``seconds`` ahead, for PyJWT (``datetime.now``) and ``app.bearer`` (``time.time``)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds

    def now(self, tz=None):
        return datetime.now(tz) + timedelta(seconds=self.seconds)


def test_a_token_kept_verified_still_expires(app, client, session, monkeypatch):
    headers = {"Authorization": f"Bearer {fresh_token(app, 'technicien', expires_delta=timedelta(minutes=15))}"}
    assert client.get("/api/v1/sites", headers=headers).status_code == 200     # verified, kept
    later = Later(15 * 60 + 1)
    monkeypatch.setattr(bearer_module, "time", later)
    monkeypatch.setattr(api_jwt, "datetime", later)
    answer = client.get("/api/v1/sites", headers=headers)
    assert answer.status_code == 401 and answer.json == EXPIRED


def test_a_token_kept_verified_by_one_app_is_not_trusted_by_another(app, client, session):
    token_ = fresh_token(app, "technicien")
    assert client.get("/api/v1/sites", headers={"Authorization": f"Bearer {token_}"}).status_code == 200
    other = Flask("other")
    other.config["JWT_SECRET_KEY"] = "another key, of another app, of 32 bytes or more"
    JWTManager(other)
    with other.app_context(), pytest.raises(jwt.InvalidSignatureError):
        bearer_module._decode(token_)


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

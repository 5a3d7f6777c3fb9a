"""CSRF on the API: a request that rides on the browser session needs the CSRF token; only a
valid access token stands in for it. Any ``Authorization: Bearer`` header
used to be enough (issue 15, defect 9)."""
from __future__ import annotations

import pytest

from tests.helpers import bearer, login

CSRF_REFUSED = "Jeton CSRF manquant ou invalide : rechargez la page (ou utilisez un jeton d'API)."
# A write the technicien may do, refused by validation whenever it gets that far (nothing changes).
URL, BODY = "/api/v1/scan", {"code": ""}


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer ", "Bearer a.b.c", "Basic dGVjaG5pY2llbg=="])
def test_a_session_with_an_invalid_bearer_needs_the_csrf_token(client, session, header):
    login(client, "technicien")
    answer = client.post(URL, json=BODY, headers={"Authorization": header})
    assert answer.status_code == 400 and answer.json == {"message": CSRF_REFUSED}


def test_a_session_with_a_valid_token_needs_no_csrf_token(client, session):
    """A page cannot make a browser send an Authorization header cross-site: a valid token is
    the request's own authority."""
    other = bearer(client, "admin")
    login(client, "technicien")
    answer = client.post(URL, json=BODY, headers=other)
    assert answer.status_code == 422 and "code" in answer.json["errors"]


def test_a_session_with_its_own_valid_token_needs_no_csrf_token(client, session):
    own = bearer(client, "technicien")
    login(client, "technicien")
    answer = client.post(URL, json=BODY, headers=own)
    assert answer.status_code == 422 and "code" in answer.json["errors"]


def test_a_session_with_the_csrf_token_passes(client, session):
    token = login(client, "technicien")
    answer = client.post(URL, json=BODY, headers={"Authorization": "Bearer garbage", "X-CSRFToken": token})
    assert answer.status_code == 422 and "code" in answer.json["errors"]


def test_without_a_session_an_invalid_bearer_is_unauthenticated(client, session):
    answer = client.post(URL, json=BODY, headers={"Authorization": "Bearer garbage"})
    assert answer.status_code == 401 and answer.json == {"message": "Jeton d'authentification invalide."}


def test_a_valid_token_alone_needs_no_csrf_token(client, session):
    answer = client.post(URL, json=BODY, headers=bearer(client, "technicien"))
    assert answer.status_code == 422 and "code" in answer.json["errors"]

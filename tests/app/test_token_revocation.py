"""Tokens and browser sessions end with the password, the account and the sign-out (the token
version, app/security.py); access tokens last 15 minutes and are renewed with the refresh token."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token, decode_token

from config import Config
from tests.app.accounts import throwaway_account
from tests.helpers import PASSWORD, csrf_token, login

USERNAME = "jetable"
NEW_PASSWORD = "un matin calme au Prêcheur"


@pytest.fixture
def account(app, session):
    """A technician's account of this test only (the shared accounts keep their tokens)."""
    with throwaway_account(app, session, USERNAME) as user:
        yield user


def tokens(client, username: str = USERNAME, password: str = PASSWORD) -> dict:
    answer = client.post("/api/v1/security/login",
                         json={"username": username, "password": password, "provider": "db", "refresh": True})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def reads(client, access: str):
    return client.get("/api/v1/sites", headers={"Authorization": f"Bearer {access}"})


def refresh(client, refresh_token: str):
    return client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh_token}"})


def signed_in(client) -> bool:
    """Whether the browser session still signs its user in (a page of the workshop opens)."""
    return client.get("/scan/").status_code == 200


def sign_out(client) -> None:
    """The menu's sign-out: a POST with the page's CSRF token."""
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout/", data={"csrf_token": token}).status_code == 302


def test_a_password_change_ends_tokens_and_other_sessions(app, client, account):
    issued = tokens(client)
    browser = app.test_client()
    login(browser, USERNAME)
    assert reads(client, issued["access_token"]).status_code == 200 and signed_in(browser)

    app.appbuilder.sm.reset_password(account.id, NEW_PASSWORD)

    refused = reads(client, issued["access_token"])
    assert refused.status_code == 401 and refused.json == {"message": "Jeton d'authentification révoqué."}
    assert refresh(client, issued["refresh_token"]).status_code == 401
    assert not signed_in(browser)
    # The new password gives tokens that work.
    assert reads(client, tokens(client, password=NEW_PASSWORD)["access_token"]).status_code == 200


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, client, account):
    issued = tokens(app.test_client())
    other_browser = app.test_client()
    login(other_browser, USERNAME)
    token = login(client, USERNAME)
    answer = client.post("/resetmypassword/form", data={"csrf_token": token, "password": NEW_PASSWORD,
                                                         "conf_password": NEW_PASSWORD})
    assert answer.status_code == 302
    assert signed_in(client)
    assert not signed_in(other_browser)
    assert reads(app.test_client(), issued["access_token"]).status_code == 401


def test_an_administrator_resetting_the_password_ends_the_accounts_sessions(app, client, account):
    browser = app.test_client()
    login(browser, USERNAME)
    issued = tokens(client)
    token = login(client, "admin")
    answer = client.post(f"/resetpassword/form?pk={account.id}",
                         data={"csrf_token": token, "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert answer.status_code == 302
    assert not signed_in(browser)
    assert reads(app.test_client(), issued["access_token"]).status_code == 401
    assert signed_in(client)                                  # the administrator's own session goes on


def test_disabling_the_account_in_the_admin_page_ends_tokens_and_sessions(app, client, session, account):
    issued = tokens(client)
    browser = app.test_client()
    login(browser, USERNAME)
    token = login(client, "admin")
    role = app.appbuilder.sm.find_role("Technicien")
    answer = client.post(f"/users/edit/{account.id}", data={
        "csrf_token": token, "first_name": "Jean", "last_name": "Table", "username": USERNAME,
        "email": "jetable@example.invalid", "roles": str(role.id)})          # "active" unchecked
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    assert reads(app.test_client(), issued["access_token"]).status_code == 401
    assert refresh(app.test_client(), issued["refresh_token"]).status_code == 401
    assert not signed_in(browser)

    # Enabled again, the account signs in afresh; the old tokens stay dead.
    user = app.appbuilder.sm.find_user(USERNAME)
    user.active = True
    session.commit()
    assert reads(app.test_client(), issued["access_token"]).status_code == 401
    assert reads(app.test_client(), tokens(app.test_client())["access_token"]).status_code == 200


def test_editing_an_account_without_disabling_it_keeps_its_tokens(app, client, account):
    issued = tokens(client)
    user = app.appbuilder.sm.find_user(USERNAME)
    user.first_name = "Jeanne"
    app.appbuilder.sm.update_user(user)
    assert reads(app.test_client(), issued["access_token"]).status_code == 200


def test_signing_out_in_the_browser_ends_the_accounts_tokens(app, client, account):
    issued = tokens(app.test_client())
    other_browser = app.test_client()
    login(other_browser, USERNAME)
    login(client, USERNAME)
    sign_out(client)
    assert not signed_in(client)
    assert not signed_in(other_browser)
    assert reads(app.test_client(), issued["access_token"]).status_code == 401
    assert refresh(app.test_client(), issued["refresh_token"]).status_code == 401


def test_signing_out_through_the_api(app, client, account):
    issued = tokens(client)
    browser = app.test_client()
    login(browser, USERNAME)
    answer = client.post("/api/v1/security/logout", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert answer.status_code == 200 and answer.json["message"].startswith("Déconnexion faite")
    assert reads(client, issued["access_token"]).status_code == 401
    assert refresh(client, issued["refresh_token"]).status_code == 401
    assert not signed_in(browser)
    again = client.post("/api/v1/security/logout", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert again.status_code == 401 and again.is_json
    assert client.post("/api/v1/security/logout").status_code == 401


def test_revocation_is_immediate_in_this_process_despite_the_principal_cache(app, client, account, monkeypatch):
    monkeypatch.setitem(app.config, "PRINCIPAL_CACHE_SECONDS", 60)
    issued = tokens(client)
    browser = app.test_client()
    login(browser, USERNAME)
    assert reads(client, issued["access_token"]).status_code == 200 and signed_in(browser)   # now cached
    token = login(client, "admin")
    role = app.appbuilder.sm.find_role("Technicien")
    client.post(f"/users/edit/{account.id}", data={
        "csrf_token": token, "first_name": "Jean", "last_name": "Table", "username": USERNAME,
        "email": "jetable@example.invalid", "roles": str(role.id)})          # disabled
    assert reads(app.test_client(), issued["access_token"]).status_code == 401
    assert not signed_in(browser)


# --- lifetimes and refresh -----------------------------------------------------------------

def test_production_lifetimes():
    assert Config.JWT_ACCESS_TOKEN_EXPIRES == 15 * 60
    assert Config.JWT_REFRESH_TOKEN_EXPIRES == 8 * 3600
    assert Config.PERMANENT_SESSION_LIFETIME == 12 * 3600


def test_the_access_token_carries_the_token_version_and_expires(app, client, account):
    issued = tokens(client)
    with app.app_context():
        claims = decode_token(issued["access_token"])
        assert claims["tv"] == app.appbuilder.sm.find_user(USERNAME).token_version
        expired = create_access_token(identity=str(account.id), expires_delta=timedelta(seconds=-1))
    answer = reads(client, expired)
    assert answer.status_code == 401 and answer.json == {"message": "Jeton d'authentification expiré : reconnectez-vous."}


def test_the_refresh_token_gives_a_new_access_token(app, client, account):
    issued = tokens(client)
    renewed = refresh(client, issued["refresh_token"])
    assert renewed.status_code == 200
    assert reads(client, renewed.json["access_token"]).status_code == 200
    # An access token is not a refresh token.
    assert refresh(client, issued["access_token"]).status_code == 401


def test_a_token_without_the_token_version_is_refused(app, client, account):
    with app.app_context():
        old_style = create_access_token(identity=str(account.id), additional_claims={"tv": None})
    assert reads(client, old_style).status_code == 401


def test_a_session_signed_before_the_token_version_is_refused(app, account):
    browser = app.test_client()
    login(browser, USERNAME)
    with browser.session_transaction() as stored:
        stored.pop("_tv")
    assert not signed_in(browser)
    page = browser.get("/login/").get_data(as_text=True)
    assert csrf_token(page)                                   # the sign-in form is offered again

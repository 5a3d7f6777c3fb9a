"""The login guard (app/login_guard.py): failed sign-ins counted per account and per address, a
temporary lockout on the login form and on the API, with either storage.

Its tables are security tables (``ab_``), which tests/conftest.py keeps between tests like the
accounts: the tests here empty them before and after each test."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from flask import Flask, request
from sqlalchemy import delete, func, select, text

from app import _behind_proxies
from app.login_guard import LoginFailure, LoginGuard, LoginLockout, MemoryStore
from config import _login_guard_storage
from tests.helpers import PASSWORD, csrf_token

START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
LOCKED = "Trop de tentatives de connexion échouées pour cet identifiant ou depuis cette adresse"


@pytest.fixture(autouse=True)
def no_counts(app, session):
    def empty() -> None:
        session.rollback()
        session.execute(delete(LoginFailure))
        session.execute(delete(LoginLockout))
        session.commit()

    empty()
    yield
    empty()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["database", "memory"])
def clock(request, app, session, monkeypatch):
    """A controlled clock for the guard, with the production limits (5 per account, 20 per
    address, 15 minutes); the counts in the database (emptied after each test) or in memory."""
    guard = app.appbuilder.sm.login_guard
    if request.param == "memory":
        monkeypatch.setattr(guard, "store", MemoryStore())
    controlled = Clock()
    monkeypatch.setattr(guard, "clock", controlled)
    return controlled


def api_login(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"},
                       environ_base={"REMOTE_ADDR": address})


def form_login(client, username: str, password: str):
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    return client.post("/login/", data={"username": username, "password": password, "csrf_token": token})


def test_five_failures_lock_the_account_on_the_api_even_for_the_right_password(app, client, clock):
    for _ in range(5):
        assert api_login(client, "technicien", "mauvais-mot-de-passe").status_code == 401
    refused = api_login(client, "technicien", PASSWORD)
    assert refused.status_code == 429 and refused.is_json
    assert refused.json["message"].startswith(LOCKED) and "Réessayez dans 15 minutes." in refused.json["message"]
    assert refused.headers["Retry-After"] == "900"

    clock.advance(14 * 60)
    again = api_login(client, "technicien", PASSWORD)
    assert again.status_code == 429 and again.headers["Retry-After"] == "60"
    assert "Réessayez dans 1 minute." in again.json["message"]
    # Another account from the same address is not concerned.
    assert api_login(client, "animateur", PASSWORD).status_code == 200

    clock.advance(60)
    assert api_login(client, "technicien", PASSWORD).status_code == 200


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(app, client, clock):
    for _ in range(4):
        assert api_login(client, "technicien", "mauvais").status_code == 401
    assert api_login(client, "technicien", PASSWORD).status_code == 200
    for _ in range(4):
        assert api_login(client, "technicien", "mauvais").status_code == 401
    assert api_login(client, "technicien", PASSWORD).status_code == 200


def test_failures_older_than_the_window_are_forgotten(app, client, clock):
    for _ in range(4):
        api_login(client, "technicien", "mauvais")
    clock.advance(15 * 60 + 1)
    assert api_login(client, "technicien", "mauvais").status_code == 401
    assert api_login(client, "technicien", PASSWORD).status_code == 200


def test_after_the_lockout_the_count_starts_from_zero(app, client, clock):
    for _ in range(5):
        api_login(client, "technicien", "mauvais")
    clock.advance(15 * 60)
    assert api_login(client, "technicien", "mauvais").status_code == 401      # not locked again at once
    assert api_login(client, "technicien", PASSWORD).status_code == 200


def test_the_login_form_flashes_the_lockout_in_french_and_signs_nobody_in(app, client, clock):
    for _ in range(5):
        answer = form_login(client, "technicien", "mauvais")
        assert answer.status_code == 302
    refused = form_login(client, "technicien", PASSWORD)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login/")
    page = unescape(client.get(refused.headers["Location"]).get_data(as_text=True))
    assert LOCKED in page and "Réessayez dans 15 minutes." in page
    home = client.get("/").get_data(as_text=True)
    assert "Poste de scan" not in home                      # still anonymous
    # The form and the API count together: the API is locked too.
    assert api_login(client, "technicien", PASSWORD).status_code == 429

    clock.advance(15 * 60)
    assert form_login(client, "technicien", PASSWORD).status_code == 302
    assert "Poste de scan" in client.get("/").get_data(as_text=True)


def test_an_account_is_counted_under_its_email_and_its_user_name_alike(app, client, clock):
    for name in ("technicien", "technicien@example.invalid", "TECHNICIEN", "technicien@example.invalid", "technicien"):
        assert api_login(client, name, "mauvais").status_code == 401
    assert api_login(client, "technicien", PASSWORD).status_code == 429


def test_unknown_accounts_are_locked_like_real_ones(app, client, clock):
    for _ in range(5):
        assert api_login(client, "personne", "mauvais").status_code == 401
    refused = api_login(client, "personne", "mauvais")
    assert refused.status_code == 429 and refused.json["message"].startswith(LOCKED)


def test_twenty_failures_from_one_address_lock_that_address_only(app, client, clock):
    for n in range(20):
        assert api_login(client, f"inconnu{n}", "mauvais", address="10.9.8.7").status_code == 401
    refused = api_login(client, "technicien", PASSWORD, address="10.9.8.7")
    assert refused.status_code == 429 and refused.json["message"].startswith(LOCKED)
    assert api_login(client, "technicien", PASSWORD, address="10.9.8.8").status_code == 200
    clock.advance(15 * 60)
    assert api_login(client, "technicien", PASSWORD, address="10.9.8.7").status_code == 200


def test_a_success_does_not_clear_the_address_count(app, client, clock):
    """A good account must not whitewash guesses at other accounts from the same address."""
    for n in range(19):
        api_login(client, f"inconnu{n}", "mauvais", address="10.9.8.7")
    assert api_login(client, "technicien", PASSWORD, address="10.9.8.7").status_code == 200
    assert api_login(client, "inconnu-bis", "mauvais", address="10.9.8.7").status_code == 401
    assert api_login(client, "animateur", PASSWORD, address="10.9.8.7").status_code == 429


def test_a_malformed_body_from_a_locked_address_is_refused_with_429(app, client, clock):
    for n in range(20):
        api_login(client, f"inconnu{n}", "mauvais", address="10.9.8.7")
    refused = client.post("/api/v1/security/login", data="pas du json", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert refused.status_code == 429 and refused.is_json


def test_neither_the_database_nor_the_log_keeps_names_or_addresses(app, client, session, caplog):
    caplog.set_level("INFO", logger="app")
    for _ in range(5):
        api_login(client, "technicien", "mauvais", address="10.1.2.3")
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("app")]
    assert ours == ["Sign-ins locked for 900 s: too many failures for an account"]
    stored = session.execute(text("SELECT key FROM ab_login_failure UNION ALL SELECT key FROM ab_login_lockout")).scalars().all()
    assert stored and all(len(key) == 64 for key in stored)
    dump = " ".join(stored)
    assert "technicien" not in dump and "10.1.2.3" not in dump
    assert session.execute(select(func.count()).select_from(LoginLockout)).scalar_one() == 1


def test_the_database_store_forgets_stale_failures(app, client, session, clock):
    for n in range(3):
        api_login(client, f"inconnu{n}", "mauvais")
    clock.advance(16 * 60)
    api_login(client, "inconnu-bis", "mauvais")
    if isinstance(app.appbuilder.sm.login_guard.store, MemoryStore):
        return
    # Only the last failure (per account and per address) is left.
    assert session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 2


# --- settings ------------------------------------------------------------------------------

def test_storage_defaults_to_memory_on_sqlite_and_database_otherwise(monkeypatch):
    monkeypatch.delenv("LOGIN_GUARD_STORAGE", raising=False)
    assert _login_guard_storage("sqlite:///instance/rekonekt.db") == "memory"
    assert _login_guard_storage("postgresql+psycopg://rk@db/rekonekt") == "database"
    monkeypatch.setenv("LOGIN_GUARD_STORAGE", "database")
    assert _login_guard_storage("sqlite:///x.db") == "database"
    monkeypatch.setenv("LOGIN_GUARD_STORAGE", "redis")
    with pytest.raises(RuntimeError, match="LOGIN_GUARD_STORAGE doit valoir memory ou database"):
        _login_guard_storage("sqlite:///x.db")


def test_behind_a_trusted_proxy_the_address_counted_is_the_clients():
    def seen(proxies: int) -> str:
        application = Flask("proxied")
        application.config["TRUSTED_PROXIES"] = proxies
        _behind_proxies(application)
        application.add_url_rule("/", "where", lambda: request.remote_addr or "")
        return application.test_client().get(
            "/", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        ).get_data(as_text=True)

    assert seen(1) == "203.0.113.9"
    assert seen(0) == "10.0.0.1"                # a forged header is ignored without a proxy


def test_the_guard_is_built_from_the_settings():
    config = {"SECRET_KEY": "k", "LOGIN_GUARD_STORAGE": "memory", "LOGIN_MAX_FAILURES_PER_ACCOUNT": 2,
              "LOGIN_MAX_FAILURES_PER_ADDRESS": 3, "LOGIN_FAILURE_WINDOW_SECONDS": 60, "LOGIN_LOCKOUT_SECONDS": 30}
    guard = LoginGuard.from_config(config, engine=lambda: None)
    guard.clock = lambda: START
    guard.failed("user:1", None)
    assert guard.refusal("user:1", None) is None
    guard.failed("user:1", None)
    refusal = guard.refusal("user:1", "10.0.0.1")
    assert refusal is not None and refusal.retry_after == 30
    with pytest.raises(RuntimeError, match="LOGIN_GUARD_STORAGE"):
        LoginGuard.from_config({**config, "LOGIN_GUARD_STORAGE": "fichier"}, engine=lambda: None)

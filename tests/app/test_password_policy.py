"""The password policy (app/passwords.py): 12 characters at least, not the user name, not a common
password, on every path where a person chooses a password (FAB's forms and commands)."""
from __future__ import annotations

from html import unescape

import pytest
from flask_appbuilder.cli import create_admin, create_user, reset_password
from sqlalchemy import delete, select

from app.passwords import HOLDS_USERNAME, TOO_COMMON, common_passwords, password_problems
from app.security import RekonektUser
from tests.helpers import login

STRONG = "lagon bleu sous les pitons"


def page_of(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def forget_new_accounts(app, session):
    """Accounts created by the test are deleted afterwards (accounts outlive tests)."""
    before = set(session.execute(select(RekonektUser.id)).scalars())
    yield
    session.rollback()
    for user in session.execute(select(RekonektUser).where(RekonektUser.id.not_in(before))).scalars():
        user.roles = []
        session.flush()
        session.execute(delete(RekonektUser).where(RekonektUser.id == user.id))
    session.commit()


# --- the rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("password, username, expected", [
    ("a", "bob", ["Mot de passe trop court : 12 caractères au moins sont attendus (1 saisis)."]),
    ("k7#Vq2!mZp9", "bob", ["Mot de passe trop court : 12 caractères au moins sont attendus (11 saisis)."]),
    ("technicien-du-lundi", "technicien", [HOLDS_USERNAME]),
    ("Technicien", "technicien", ["Mot de passe trop court : 12 caractères au moins sont attendus (10 saisis).",
                                  HOLDS_USERNAME, TOO_COMMON]),
    ("azertyuiop123", "bob", [TOO_COMMON]),
    ("motdepasse123", "bob", [TOO_COMMON]),
    ("Martinique972!", "bob", [TOO_COMMON]),           # « martinique » once digits and symbols are off
    ("2026!!Madinina..", "bob", [TOO_COMMON]),
    ("P@ssw0rd123456", "bob", [TOO_COMMON]),
    ("123456789012", "bob", [TOO_COMMON]),
    ("aaaaaaaaaaaaaa", "bob", [TOO_COMMON]),
])
def test_weak_passwords_are_refused_saying_why(password, username, expected):
    assert password_problems(password, username) == expected


@pytest.mark.parametrize("password", [STRONG, "k7#Vq2!mZp9w", "Le manguier de Ducos 1987"])
def test_strong_passwords_pass(password):
    assert password_problems(password, "technicien") == []


def test_the_list_is_our_own_file_with_thousands_of_entries():
    known = common_passwords()
    assert len(known) > 3000
    assert {"123456", "azerty", "motdepasse", "madinina", "rekonekt"} <= known
    assert all(entry == entry.lower() and not entry.startswith("#") for entry in known)


# --- FAB's forms --------------------------------------------------------------------------

def _new_user_form(token: str, username: str, password: str, app) -> dict:
    role = app.appbuilder.sm.find_role("Technicien")
    return {"csrf_token": token, "first_name": "Nouvelle", "last_name": "Recrue", "username": username,
            "active": "y", "email": f"{username}@example.invalid", "roles": str(role.id),
            "password": password, "conf_password": password}


def test_the_new_user_form_refuses_a_weak_password_and_creates_nobody(app, client, session, forget_new_accounts):
    token = login(client, "admin")
    answer = client.post("/users/add", data=_new_user_form(token, "recrue", "a", app))
    assert answer.status_code == 200
    assert "Mot de passe trop court : 12 caractères au moins sont attendus (1 saisis)." in page_of(answer)
    answer = client.post("/users/add", data=_new_user_form(token, "recrue", "recrue-atelier-2026", app))
    assert HOLDS_USERNAME in page_of(answer)
    assert app.appbuilder.sm.find_user("recrue") is None

    answer = client.post("/users/add", data=_new_user_form(token, "recrue", STRONG, app))
    assert answer.status_code == 302
    assert app.appbuilder.sm.find_user("recrue") is not None


def test_changing_ones_own_password_follows_the_policy(app, client, session):
    token = login(client, "technicien")
    page = page_of(client.get("/resetmypassword/form"))
    assert "12 caractères au moins" in page
    answer = client.post("/resetmypassword/form", data={"csrf_token": token, "password": "motdepasse2026!",
                                                         "conf_password": "motdepasse2026!"})
    assert answer.status_code == 200 and TOO_COMMON in page_of(answer)
    answer = client.post("/resetmypassword/form", data={"csrf_token": token, "password": "technicien-2026",
                                                         "conf_password": "technicien-2026"})
    assert answer.status_code == 200 and HOLDS_USERNAME in page_of(answer)
    # Nothing changed: the old password still signs in.
    assert client.post("/api/v1/security/login", json={"username": "technicien", "password": "secret-pass",
                                                       "provider": "db"}).status_code == 200


def test_an_administrator_resetting_a_password_follows_the_policy(app, client, session):
    target = app.appbuilder.sm.find_user("partenaire")
    token = login(client, "admin")
    answer = client.post(f"/resetpassword/form?pk={target.id}",
                         data={"csrf_token": token, "password": "partenaire-du-sud", "conf_password": "partenaire-du-sud"})
    assert answer.status_code == 200 and HOLDS_USERNAME in page_of(answer)
    answer = client.post("/resetpassword/form?pk=999999",
                         data={"csrf_token": token, "password": STRONG, "conf_password": STRONG})
    assert answer.status_code == 404


# --- FAB's commands -------------------------------------------------------------------------

def test_create_admin_on_the_command_line_refuses_a_weak_password(app, session, forget_new_accounts):
    runner = app.test_cli_runner()
    common = ["--username", "chef", "--firstname", "Chef", "--lastname", "Atelier", "--email", "chef@example.invalid"]
    refused = runner.invoke(create_admin, common + ["--password", "a"])
    assert refused.exit_code == 1
    assert "Mot de passe trop court : 12 caractères au moins sont attendus (1 saisis)." in refused.output
    assert app.appbuilder.sm.find_user("chef") is None

    refused = runner.invoke(create_user, ["--role", "Technicien", "--username", "chef", "--firstname", "C",
                                          "--lastname", "A", "--email", "c@example.invalid", "--password", "azerty123456"])
    assert refused.exit_code == 1 and TOO_COMMON in refused.output

    accepted = runner.invoke(create_admin, common + ["--password", STRONG])
    assert accepted.exit_code == 0, accepted.output
    assert app.appbuilder.sm.find_user("chef") is not None


def test_reset_password_on_the_command_line_refuses_a_weak_password(app, client, session):
    runner = app.test_cli_runner()
    refused = runner.invoke(reset_password, ["--username", "animateur", "--password", "animateur123"])
    assert refused.exit_code == 1 and HOLDS_USERNAME in refused.output and TOO_COMMON in refused.output
    # Unchanged: the old password still signs in.
    assert client.post("/api/v1/security/login", json={"username": "animateur", "password": "secret-pass",
                                                       "provider": "db"}).status_code == 200

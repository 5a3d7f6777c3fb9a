"""Signing out is a POST with the CSRF token, from a form in the account menu: a GET (a link, an
image, a prefetch, a forged page) signs nobody out."""
from __future__ import annotations

from html import unescape

import pytest

from tests.app.accounts import throwaway_account
from tests.helpers import bearer, csrf_token, login


@pytest.fixture
def account(app, session):
    """Signing out ends the account's tokens: an account of this test only."""
    with throwaway_account(app, session, "sortant") as user:
        yield user


def signed_in(client) -> bool:
    return client.get("/scan/").status_code == 200


def test_get_logout_signs_nobody_out(client, session):
    login(client, "technicien")
    answer = client.get("/logout/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    page = unescape(client.get("/").get_data(as_text=True))
    assert "Pour vous déconnecter, utilisez « Se déconnecter » dans le menu de votre compte." in page
    assert signed_in(client)


def test_post_logout_without_the_csrf_token_is_refused(client, session):
    login(client, "technicien")
    answer = client.post("/logout/")
    assert answer.status_code == 400
    assert signed_in(client)


def test_post_logout_with_the_csrf_token_signs_out(client, account):
    token = login(client, "sortant")
    answer = client.post("/logout/", data={"csrf_token": token})
    assert answer.status_code == 302
    assert not signed_in(client)
    assert client.get("/logout/").status_code == 302        # harmless once signed out


def test_the_menu_signs_out_with_a_form_not_a_link(client, session):
    login(client, "technicien")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/logout/"' not in page
    form = page[page.index('<form class="rk-logout-form"'):]
    form = form[:form.index("</form>")]
    assert 'method="post"' in form and 'action="/logout/"' in form
    assert f'name="csrf_token" value="{csrf_token(page)}"' in form
    assert "Se déconnecter" in form


def test_signing_out_leaves_other_accounts_alone(app, client, account):
    other = app.test_client()
    login(other, "animateur")
    token = login(client, "sortant")
    client.post("/logout/", data={"csrf_token": token})
    assert other.get("/users/userinfo/").status_code == 200
    # The shared test tokens of other accounts still work.
    assert client.get("/api/v1/sites", headers=bearer(client, "agent.cacem")).status_code == 200

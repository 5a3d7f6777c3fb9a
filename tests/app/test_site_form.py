"""The site form (FAB's own add page) checks the code through the service that creates sites:
the same rule, the same French message, the same stored form of the code. (A code already taken
is refused by FAB's own check of unique columns, before the service's.)"""
from __future__ import annotations

from html import unescape

from sqlalchemy import select

from inventory.models import Site
from tests.helpers import login


def add_site(client, token, code: str):
    return client.post("/sites/add", data={"csrf_token": token, "code": code, "name": f"Atelier {code}",
                                           "kind": "workshop", "address": ""}, follow_redirects=True)


def test_the_site_form_applies_the_services_code_rule(client, session):
    token = login(client, "admin")
    page = unescape(add_site(client, token, "É1").get_data(as_text=True))
    assert "Code court de 2 à 10 lettres ou chiffres attendu (par exemple LAM)." in page
    assert "code : Code court" not in page                   # the field's key is never shown
    assert session.execute(select(Site)).first() is None

    add_site(client, token, " rs a ")
    assert [s.code for s in session.execute(select(Site)).scalars()] == ["RSA"]

"""The suggestion endpoints (``/<list>/autocomplete/<relation>``, ``/snapshots/queue/collections``)
answer JSON whatever they answer (issue 18 review): a text longer than any name is refused at
once, in French, before any query; a field without suggestions is a JSON 404 in French (it was the
HTML error page); ``%`` and ``_`` are letters, not wildcards; ten suggestions at most."""
from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import event

from app.extensions import db
from app.views.listing import TYPED_MAX
from inventory.services.collections import create_collection
from tests.helpers import login, make_workshop

ENDPOINTS = ["/devices/autocomplete/collection", "/snapshots/queue/collections"]


@pytest.fixture
def shop(app, client, session):
    shop = make_workshop(session)
    login(client, "technicien")
    return shop


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_huge_text_is_refused_at_once_in_french(client, shop, url):
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    started = time.monotonic()
    try:
        answer = client.get(url, query_string={"q": "%_" * 50_000})          # 100 kB
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert time.monotonic() - started < 2
    assert answer.status_code == 400 and answer.is_json
    assert answer.json == {"message": f"Texte cherché : {TYPED_MAX} caractères au plus."}
    assert not any("collection" in s.lower() for s in statements)         # no search ran
    # The longest name a field compares is still searched.
    longest = client.get(url, query_string={"q": "x" * TYPED_MAX})
    assert longest.status_code == 200 and longest.json == []


@pytest.mark.parametrize("url", ENDPOINTS)
def test_wildcards_are_letters(client, shop, url):
    assert client.get(url, query_string={"q": "COL"}).json != []
    for wildcard in ("%", "_", "C_L", "COL%"):
        assert client.get(url, query_string={"q": wildcard}).json == [], wildcard


def test_a_field_without_suggestions_is_a_json_404_in_french(client, shop):
    answer = client.get("/devices/autocomplete/household", query_string={"q": "x"})
    assert answer.status_code == 404 and answer.is_json
    assert answer.json == {"message": "Ce champ de recherche ne propose pas de suggestions."}


def test_at_most_ten_suggestions(client, shop, session):
    for day in range(1, 13):
        create_collection(session, donor=shop["donor"].id, collected_on=date(2026, 4, day), site=shop["site"].id)
    answer = client.get("/devices/autocomplete/collection", query_string={"q": "Donateur"})
    assert answer.status_code == 200 and len(answer.json) == 10


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_nul_character_is_refused_before_any_search(client, shop, url):
    """PostgreSQL refuses text holding NUL: the app's input guard answers first, in French."""
    answer = client.get(url + "?q=COL%00")
    assert answer.status_code == 400
    assert "caractère" in answer.get_data(as_text=True).lower()

"""Who lists which workshop sessions through ``GET /api/v1/workshops`` (issue 15, defect 11): an
Animateur their own sessions only, as on the pages; those who book households, all."""
from __future__ import annotations

import pytest

from tests.helpers import bearer, make_session


@pytest.fixture
def sessions(app, session):
    mine = make_session(app, session, facilitator="animateur", venue_name="Médiathèque du Robert")
    other = make_session(app, session, facilitator="technicien", venue_name="Point numérique du Lamentin")
    nobody = make_session(app, session, facilitator=None, venue_name="Atelier mobile")
    return {"mine": mine.id, "others": {other.id, nobody.id}}


def listed(client, username: str) -> set[int]:
    answer = client.get("/api/v1/workshops", headers=bearer(client, username))
    assert answer.status_code == 200, answer.json
    return {row["id"] for row in answer.json["result"]}


def test_an_animateur_lists_only_their_own_sessions(client, sessions):
    assert listed(client, "animateur") == {sessions["mine"]}


@pytest.mark.parametrize("username", ["admin", "technicien", "agent.cacem", "prescripteur"])
def test_those_who_book_households_list_every_session(client, sessions, username):
    assert listed(client, username) == {sessions["mine"]} | sessions["others"]


def test_an_animateur_reaches_no_other_session_by_id(client, sessions):
    other = next(iter(sessions["others"]))
    answer = client.get(f"/api/v1/workshops/{other}/attendance-sheet.pdf", headers=bearer(client, "animateur"))
    assert answer.status_code == 404 and answer.json == {"message": "Atelier introuvable."}

"""Eligibility under concurrency: household numbers, one open request per category, one
decision per request (tests/concurrency.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from core.clock import to_local
from core.counters import Counter
from core.errors import Conflict, TransitionRefused
from eligibility.models import Decision, Household, Request
from core.schemas import load
from eligibility.schemas import HouseholdIn
from eligibility.services.households import create_household
from eligibility.services.requests import create_request, decide_request
from eligibility.vocabulary import RequestStatus
from tests.concurrency import one_winner, values
from tests.helpers import actor, household_body, make_household

pytestmark = pytest.mark.concurrency


def test_concurrent_entries_get_distinct_gapless_references(app, session, race):
    contest = race(5)

    def enter(index: int) -> str:
        data = load(HouseholdIn(), household_body(last_name=f"Foyer{index}", phone=f"069600010{index}"))
        contest.meet()
        household, _ = create_household(db.session, actor(app, "prescripteur"), data)
        return household.reference

    references = values(contest.run(enter))
    year = references[0].split("-")[1]
    assert sorted(references) == [f"FOY-{year}-{n:05d}" for n in range(1, 6)]
    session.expire_all()
    assert session.get(Counter, f"household:{year}").value == 5


def test_two_simultaneous_requests_of_a_category_only_one_is_created(app, session, race):
    household_id = make_household(app, session).id
    session.commit()
    contest = race(2)

    def submit(index: int) -> int:
        household = db.session.get(Household, household_id)
        assert household.requests == []          # both have read "no request yet"
        contest.meet()
        return create_request(db.session, actor(app, "prescripteur"), household, "laptop").id

    outcomes = contest.run(submit)
    session.expire_all()
    created = session.execute(select(Request).where(Request.household_id == household_id)).scalars().all()
    assert len(created) == 1
    one_winner(outcomes, Conflict, "Une demande « Ordinateur portable » est déjà en cours pour ce foyer "
               f"(déposée, déposée le {to_local(created[0].created_at):%d/%m/%Y}).")


def test_two_agents_deciding_at_once_only_one_decision_stands(app, session, race):
    household = make_household(app, session)
    item_id = create_request(session, actor(app, "prescripteur"), household, "laptop").id
    session.commit()
    contest = race(2)
    plans = [("agent.cacem", "validate", None), ("admin", "refuse", "Dossier incomplet.")]

    def decide(index: int) -> str:
        username, action, note = plans[index]
        item = db.session.get(Request, item_id)
        assert item.status == "submitted"        # both have read the request as still open
        contest.meet()
        return decide_request(db.session, actor(app, username), item, action, justification=note).status

    outcomes = contest.run(decide)
    session.expire_all()
    stored = session.get(Request, item_id)
    winner = one_winner(outcomes, TransitionRefused, f"Cette demande est déjà « {RequestStatus.label_of(stored.status)} » : "
                        "elle ne peut plus être modifiée.")
    assert stored.status == winner and winner in ("validated", "refused")
    # The preview at submission and the winner's decision; the loser's was rolled back.
    decisions = session.execute(select(Decision.id).where(Decision.household_id == household.id)).scalars().all()
    assert sorted(decisions) == sorted([stored.preview_id, stored.decision_id])

"""Eligibility under concurrency, on PostgreSQL: household numbers, one open request per
category, one decision per request."""
from __future__ import annotations

import threading

from sqlalchemy import select

from app.extensions import db
from core.errors import Conflict, TransitionRefused
from eligibility.models import Household, Request
from eligibility.schemas import HouseholdIn, load
from eligibility.services.households import create_household
from eligibility.services.requests import create_request, decide_request
from tests.helpers import actor, household_body, make_household
from tests.inventory.test_concurrency import pg_only, run_in_threads  # noqa: F401  (fixture)


def test_concurrent_entries_get_distinct_gapless_references(app, session, pg_only):
    barrier = threading.Barrier(5, timeout=10)

    def enter(index: int) -> str:
        data = load(HouseholdIn(), household_body(last_name=f"Foyer{index}", phone=f"069600010{index}"))
        barrier.wait()
        household, _ = create_household(db.session, actor(app, "prescripteur"), data)
        return household.reference

    results = run_in_threads(app, 5, enter)
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for _, reference in results)
    assert numbers == list(range(numbers[0], numbers[0] + 5))


def test_two_simultaneous_requests_of_a_category_only_one_is_created(app, session, pg_only):
    household_id = make_household(app, session).id
    session.commit()
    barrier = threading.Barrier(2, timeout=10)

    def submit(index: int) -> int:
        household = db.session.get(Household, household_id)
        assert household.requests == []          # both have read "no request yet"
        barrier.wait()
        return create_request(db.session, actor(app, "prescripteur"), household, "laptop").id

    results = run_in_threads(app, 2, submit)
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, Conflict) and "déjà en cours" in error.message
    session.expire_all()
    assert len(session.execute(select(Request).where(Request.household_id == household_id)).scalars().all()) == 1


def test_two_agents_deciding_at_once_only_one_decision_stands(app, session, pg_only):
    household = make_household(app, session)
    item_id = create_request(session, actor(app, "prescripteur"), household, "laptop").id
    session.commit()
    barrier = threading.Barrier(2, timeout=10)
    plans = [("agent.cacem", "validate", None), ("admin", "refuse", "Dossier incomplet.")]

    def decide(index: int) -> str:
        username, action, note = plans[index]
        item = db.session.get(Request, item_id)
        assert item.status == "submitted"        # both have read the request as still open
        barrier.wait()
        return decide_request(db.session, actor(app, username), item, action, justification=note).status

    results = run_in_threads(app, 2, decide)
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, TransitionRefused)
    session.expire_all()
    stored = session.get(Request, item_id)
    winner = next(value for kind, value in results if kind == "ok")
    assert stored.status == winner

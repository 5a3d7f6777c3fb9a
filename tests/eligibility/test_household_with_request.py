"""A new household and its first request are entered in one transaction
(``create_household_with_request``): when the request is refused, no household is left behind."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import ValidationFailed
from core.schemas import load
from eligibility.models import AuditEntry, Household, Request
from eligibility.schemas import HouseholdIn
from eligibility.services.requests import create_household_with_request
from tests.helpers import actor, household_body


def count(session, model) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_refused_request_leaves_no_household(app, session):
    with pytest.raises(ValidationFailed) as refused:
        create_household_with_request(session, actor(app, "prescripteur"), load(HouseholdIn(), household_body()),
                                      "spaceship")
    assert list(refused.value.errors) == ["category"]
    assert "Catégorie inconnue" in refused.value.errors["category"][0]
    assert (count(session, Household), count(session, Request), count(session, AuditEntry)) == (0, 0, 0)


def test_the_household_and_its_request_are_both_written(app, session):
    household, warnings, item = create_household_with_request(
        session, actor(app, "prescripteur"), load(HouseholdIn(), household_body()), "laptop")
    assert warnings == [] and item.household_id == household.id
    assert (item.category, item.status, item.preview.tier) == ("laptop", "submitted", 1)
    assert (count(session, Household), count(session, Request)) == (1, 1)


def test_without_a_category_only_the_household_is_written(app, session):
    household, _warnings, item = create_household_with_request(
        session, actor(app, "prescripteur"), load(HouseholdIn(), household_body()), None)
    assert item is None and household.reference.startswith("FOY-")
    assert (count(session, Household), count(session, Request)) == (1, 0)

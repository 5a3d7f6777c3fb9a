"""The households page's search takes « % » and « _ » as the letters a person typed."""
from __future__ import annotations

from eligibility.queries import household_page
from tests.helpers import actor, make_household


def test_wildcards_typed_in_the_search_are_letters(app, session):
    first = make_household(app, session, last_name="Dupont", phone="0696 10 00 01")
    make_household(app, session, last_name="Durand", phone="0696 10 00 02")
    admin = actor(app, "admin")
    assert [h.id for h in household_page(session, admin, search="%").rows] == []
    assert [h.id for h in household_page(session, admin, search="_").rows] == []
    assert [h.id for h in household_page(session, admin, search="dupo").rows] == [first.id]

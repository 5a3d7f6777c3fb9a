"""The Agent EPCI's journey in Chromium (issue 16): the request queue opened from the menu, a
request the prescripteur entered (four eyes: never one's own) opened and validated from the
keyboard, then seen validated and off the queue.

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey  # noqa: F401  (fixture)
from tests.helpers import actor, make_household

pytestmark = NEEDS_CHROMIUM


def test_agent_validates_from_the_queue(app, journey, session):
    from eligibility.models import Request
    from eligibility.services.requests import create_request

    household = make_household(app, session, "prescripteur", last_name="Louis-Joseph", first_name="Maëlys",
                               commune_insee="97213")
    item = create_request(session, actor(app, "prescripteur"), household, "laptop")
    walk = journey("agent.cacem")
    page = walk.page

    walk.menu("Foyers", "File des demandes", "file des demandes")
    assert household.reference in page.inner_text("table")
    with walk.navigation("demande"):
        page.locator("table a", has_text=household.reference).click()
    assert "Louis-Joseph" in page.inner_text("body")
    # The suggested decision (validate) has the focus: Enter records it.
    assert page.evaluate("document.activeElement.value") == "validate", "la décision proposée n'a pas le focus"
    with walk.navigation("demande validée"):
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/requests/{item.id}")
    assert "Validée" in page.inner_text("dl")
    session.expire_all()
    stored = session.get(Request, item.id)
    assert (stored.status, stored.decided_by_id) == ("validated", app.appbuilder.sm.find_user("agent.cacem").id)
    # Off the queue of requests to decide.
    walk.menu("Foyers", "File des demandes", "file des demandes après la décision")
    assert household.reference not in page.inner_text("table")
    walk.finish()

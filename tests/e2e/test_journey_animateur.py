"""The Animateur's journey in Chromium (issue 16): their workshops, the one held this morning,
the participant's attendance and satisfaction recorded and shown; the attendance sheet (PDF).

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

from datetime import timedelta

from core.clock import clock_set_to, utcnow
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, pdf_text, python_values  # noqa: F401  (fixture)
from tests.e2e.scan_keys import focused
from tests.helpers import actor, make_household, make_session

pytestmark = NEEDS_CHROMIUM


def test_animateur_records_attendance(app, journey, session):
    from distribution.models import Booking
    from distribution.services.workshops import book

    # Two days ago, the workshop was scheduled for this morning and the household booked on it.
    with clock_set_to(utcnow() - timedelta(days=2)):
        household = make_household(app, session, "prescripteur", last_name="Rosette", first_name="Joséphine")
        workshop = make_session(app, session, commune="97213", venue_kind="digital_point",
                                venue_name="Médiathèque du Lamentin", days=2 - 3 / 24)
        booking = book(session, actor(app, "prescripteur"), workshop.id, household.id)
        session.commit()
    walk = journey("animateur")
    page = walk.page

    walk.menu("Ateliers", "Séances d'atelier", "mes ateliers")
    assert "Médiathèque du Lamentin" in page.inner_text("body")
    with walk.navigation("atelier passé"):
        page.click(f"a[href$='/distribution/workshops/{workshop.id}']")
    assert "Rosette" in page.inner_text("body")
    assert focused(page) == "attended"
    page.select_option(f"#satisfaction-{booking.id}", "4")
    with walk.navigation("présence enregistrée"):
        page.click("form.form-inline button[type=submit]")
    session.expire_all()
    stored = session.get(Booking, booking.id)
    assert (stored.status, stored.satisfaction) == ("attended", 4)
    row = page.inner_text("table.rk-table tbody tr")
    assert "Présent" in row and "4 / 5" in row, row
    sheet = pdf_text(walk.fetch(f"/api/v1/workshops/{workshop.id}/attendance-sheet.pdf", "application/pdf"))
    assert "Rosette" in sheet and "Médiathèque du Lamentin" in sheet, sheet
    assert python_values(sheet) == [], python_values(sheet)
    walk.finish()

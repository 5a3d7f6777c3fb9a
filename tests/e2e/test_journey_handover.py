"""The Technicien's handover journey in Chromium (issue 16): the waiting list, a matching device
reserved, handed over with a booking on the nearest workshop; the invoice, the handover sheet
and the booking's calendar file downloaded, the PDFs read (the household's name, the amount in
French format, the workshop's date).

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

from sqlalchemy import select

from core.clock import to_local
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, pdf_text, plain, python_values  # noqa: F401  (fixture)
from tests.helpers import make_session, make_workshop, stock_device, validated_request

pytestmark = NEEDS_CHROMIUM


def test_technicien_hands_over_with_a_workshop(app, journey, session):
    from distribution.models import Booking, Invoice

    shop = make_workshop(session)
    item = validated_request(app, session, last_name="Sainte-Rose", first_name="Lucien", commune_insee="97213")
    household = item.household
    laptop = stock_device(session, shop, "laptop", "A")
    point = make_session(app, session, commune="97213", venue_kind="digital_point",
                         venue_name="Médiathèque du Lamentin", days=6)
    walk = journey("technicien")
    page = walk.page

    walk.menu("Remise", "Liste d'attente", "liste d'attente")
    assert household.reference in page.inner_text("body")
    with walk.navigation("demande en attente"):
        page.click(f"a[href$='/distribution/waiting-list/{item.id}']")
    assert laptop.asset_tag in page.inner_text("body")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Réserver {laptop.asset_tag}"
    with walk.navigation("réservation"):
        page.keyboard.press("Enter")
    assert "Médiathèque du Lamentin" in page.inner_text("body")
    assert page.is_checked(f"input[name='workshop_session_id'][value='{point.id}']")
    page.select_option("#payment_method", "cash")
    page.check("input[name='accessories'][value='charger']")
    page.select_option("#internet_access", "none")
    with walk.navigation("facture"):
        page.click("button:has-text('Remettre')")
    invoice = session.execute(select(Invoice)).scalar_one()
    assert page.url.endswith(f"/distribution/invoices/{invoice.number}")
    booking = session.execute(select(Booking)).scalar_one()
    assert booking.session_id == point.id
    shown = page.inner_text("body")
    assert invoice.number in shown and "Médiathèque du Lamentin" in shown and "70,00 €" in plain(shown)

    # The invoice: the household and the amount; the handover sheet (no amount on it: it tells the
    # household their device, accessories, workshop and warranty): the household and the workshop.
    workshop_day = to_local(point.starts_at).strftime("%d/%m/%Y")
    expected = {f"/api/v1/invoices/{invoice.number}.pdf": ["Sainte-Rose", "Lucien", "70,00 €"],
                f"/api/v1/invoices/{invoice.number}/handover-sheet.pdf": [
                    "Lucien Sainte-Rose", invoice.number, laptop.asset_tag, workshop_day, "Médiathèque du Lamentin"]}
    for href, wanted in expected.items():
        assert page.locator(f"a[href='{href}']").count() == 1, (href, "lien absent de la page")
        text = pdf_text(walk.fetch(href, "application/pdf"))
        assert [w for w in wanted if w not in text] == [], (href, text)
        assert python_values(text) == [], (href, python_values(text))
    calendar = walk.fetch(f"/api/v1/bookings/{booking.id}.ics", "text/calendar").decode()
    assert "BEGIN:VEVENT" in calendar and "Médiathèque du Lamentin" in calendar.replace("\r\n ", "")
    walk.finish()

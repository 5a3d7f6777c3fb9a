"""The mobile workshop offline, in Chromium (issue 20, « Done when »).

A technician downloads the day's tour (unit M1, a stop at Macouba with five households booked, two
devices of Macouba households to hand over), the network is cut with the browser's offline mode
(which reaches the service worker), the page is reloaded from the worker's cache, and the whole stop
is run: five attendances with their satisfaction, a walk-in participant, two handovers whose
invoices F-M1-AAAA-00001 and -00002 are printed at once. Nothing reaches the server meanwhile (a
recorder wraps the app) and the database is unchanged. Back online, the page sends everything and
the server holds exactly those records; the same batch sent again changes nothing.

A second test releases a reserved device on the server while the van is offline: the page shows
the conflict and what to do, keeps the record across a reload until the office applies the
handover, then shows it settled.

Every step is checked by ``tests/e2e/harness.py``; skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from core.clock import MARTINIQUE, to_local, utcnow
from core.money import euros
from distribution.models import Booking, Invoice, Reservation
from distribution.services.invoicing import verify_chain
from distribution.services.reservations import release, reserve
from distribution.services.tour_sync import apply_batch, resolve
from distribution.services.workshops import book
from distribution.tour.models import MobileTour, MobileUnit, TourAction, WorkshopWalkIn
from eligibility.models import Request
from eligibility.services.requests import create_request, decide_request
from inventory.models import Device
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, pdf_text, plain  # noqa: F401  (fixture)
from tests.helpers import actor, make_household, make_session, make_workshop, stock_device

pytestmark = NEEDS_CHROMIUM
MACOUBA = "97215"


@pytest.fixture
def recorder(app, monkeypatch):
    """Every path the server answers, in order (the app wrapped before the browser starts)."""
    seen: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        seen.append(environ.get("PATH_INFO", ""))
        return inner(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", recording)
    return seen


def household(app, session, last_name: str, phone: str):
    return make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name=last_name, first_name="Rose",
                          phone=phone)


def reserved(app, session, shop, last_name: str, phone: str) -> Reservation:
    item = create_request(session, actor(app, "prescripteur"), household(app, session, last_name, phone), "laptop")
    decide_request(session, actor(app, "admin"), item, "validate")
    return reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)


def a_stop_today(app, session, bookings: int):
    """A mobile workshop at Macouba that started within the hour (never before today's midnight in
    Martinique: the tour is today's), with households booked beforehand."""
    midnight = datetime.combine(to_local(utcnow()).date(), datetime.min.time(), tzinfo=MARTINIQUE)
    start = max(utcnow() - timedelta(hours=1), midnight + timedelta(minutes=1))
    workshop = make_session(app, session, commune=MACOUBA, days=(start - utcnow()).total_seconds() / 86400,
                            venue_kind="mobile_stop", venue_name="Bourg de Macouba")
    people = [household(app, session, f"Participant{i}", f"0696 30 30 3{i}") for i in range(bookings)]
    for person in people:
        book(session, actor(app, "technicien"), workshop.id, person.id, now=workshop.starts_at - timedelta(hours=2))
    return workshop


def download(walk, expected_devices: int | None = None):
    """Download today's tour; with ``expected_devices`` (a stock manager's tour), that many devices
    were preselected."""
    page = walk.page
    walk.goto("/tour/", "tournée à préparer")
    if expected_devices is not None:
        page.wait_for_selector("#tour-unit")
        assert page.locator("input[name=tour-reservation]:checked").count() == expected_devices
    page.get_by_role("button", name="Télécharger la tournée").click()
    page.wait_for_selector("#tour-banner:not(:empty)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    walk.check("tournée téléchargée")


def mark_present(page, count: int) -> None:
    for i in range(count):
        page.get_by_role("button", name=f"Présent — Rose Participant{i}").click()
        page.wait_for_selector(f"text=Enregistré pour Rose Participant{i}.")


def go_offline(walk):
    walk.context.set_offline(True)
    walk.page.reload()
    walk.page.wait_for_selector("#tour-banner:not(:empty)")
    assert plain(walk.page.inner_text("#tour-network")) == "Hors ligne"
    walk.check("hors ligne, page servie par le service worker")


def hand_over(walk, reservation: Reservation) -> str:
    page = walk.page
    page.get_by_role("button", name=f"Remettre — {reservation.device.asset_tag}").click()
    page.wait_for_selector("#tour-pay")
    page.get_by_role("button", name="Valider la remise").click()
    done = page.locator("#tour-loads .row-actions", has_text=reservation.device.asset_tag).locator("strong")
    done.wait_for()
    return re.search(r"F-M1-\d{4}-\d{5}", done.inner_text()).group(0)


def printed(walk) -> str:
    walk.page.emulate_media(media="print")
    text = pdf_text(walk.page.pdf(format="A4"))
    walk.page.emulate_media(media="screen")
    return text


def state_of_the_database(session) -> tuple:
    return (session.execute(select(func.count(), func.max(Invoice.id))).one(),
            session.execute(select(func.count(), func.max(Booking.id))).one(),
            session.execute(select(func.count(), func.max(TourAction.id))).one(),
            session.execute(select(func.count(), func.max(WorkshopWalkIn.id))).one(),
            session.execute(select(Booking.id, Booking.status, Booking.satisfaction).order_by(Booking.id)).all(),
            session.execute(select(Device.id, Device.state, Device.version).order_by(Device.id)).all())


def outbox(page) -> list[dict]:
    return page.evaluate("RkTour.store.all('outbox')")


def test_a_whole_stop_offline_then_synced_twice(journey, session, app, recorder):
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    workshop = a_stop_today(app, session, 5)
    first, second = (reserved(app, session, shop, "Remise-Un", "0696 40 40 41"),
                     reserved(app, session, shop, "Remise-Deux", "0696 40 40 42"))
    walk = journey("technicien")
    page = walk.page
    download(walk, expected_devices=2)
    tour = session.execute(select(MobileTour)).scalar_one()
    year = to_local(utcnow()).year

    go_offline(walk)
    before = state_of_the_database(session)
    served = len(recorder)
    for i in range(5):
        page.get_by_label(f"Satisfaction (1 à 5) — Rose Participant{i}").select_option(str(1 + i))
        page.get_by_role("button", name=f"Présent — Rose Participant{i}").click()
        page.wait_for_selector(f"text=Enregistré pour Rose Participant{i}.")
    prefix = f"#tour-walk-{workshop.id}-"
    page.fill(prefix + "last", "Sans-Inscription")
    page.fill(prefix + "first", "Léa")
    page.select_option(prefix + "commune", "97211")
    page.fill(prefix + "phone", "0696 99 88 77")
    page.select_option(prefix + "score", "4")
    page.locator(prefix + "last").press("Enter")
    page.wait_for_selector("text=Enregistré pour Léa Sans-Inscription.")
    walk.check("présences et participant sans inscription notés hors ligne")

    numbers, texts = [], []
    for reservation in (first, second):
        numbers.append(hand_over(walk, reservation))
        texts.append(printed(walk))
    walk.check("deux remises faites hors ligne")
    assert numbers == [f"F-M1-{year}-00001", f"F-M1-{year}-00002"]
    records = outbox(page)
    assert [r["kind"] for r in records] == ["attendance"] * 5 + ["walk_in", "handover", "handover"]
    assert [r["state"] for r in records] == ["pending"] * 8
    hashes = [r["data"]["invoice"]["unit_hash"] for r in records[6:]]
    for number, text, digest, reservation in zip(numbers, texts, hashes, (first, second)):
        # The fingerprint is printed without ligatures (a « ff » would read as one glyph, U+FB00).
        assert f"Facture n° {number}" in text and digest in re.sub(r"\s", "", text)
        assert "Fiche de remise pour Rose Remise-" in text and reservation.device.asset_tag in text
    assert recorder[served:] == [], "a request reached the server while offline"
    assert state_of_the_database(session) == before

    walk.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('tour-progress-text').textContent.includes('8 / 8')",
                           timeout=20000)
    page.wait_for_selector("text=Tout a été envoyé et enregistré.")
    walk.check("tournée envoyée")
    session.expire_all()
    marks = session.execute(select(Booking.status, Booking.satisfaction).where(Booking.session_id == workshop.id)
                            .where(Booking.reservation_id.is_(None)).order_by(Booking.id)).all()
    assert marks == [("attended", n) for n in range(1, 6)]
    walk_in = session.execute(select(WorkshopWalkIn)).scalar_one()
    assert (walk_in.last_name, walk_in.first_name, walk_in.phone, walk_in.satisfaction) == (
        "Sans-Inscription", "Léa", "+596696998877", 4)
    invoices = session.execute(select(Invoice).order_by(Invoice.unit_position)).scalars().all()
    assert [(i.number, i.tour_id, i.unit_hash) for i in invoices] == list(zip(numbers, [tour.id] * 2, hashes))
    for reservation in (first, second):
        assert session.get(Reservation, reservation.id).status == "handed_over"
        assert session.get(Device, reservation.device_id).state == "distributed"
        assert session.get(Request, reservation.request_id).status == "equipped"
    assert session.execute(select(TourAction.outcome)).scalars().all() == ["applied"] * 8
    assert verify_chain(session) == []
    for invoice, digest in zip(invoices, hashes):
        server = pdf_text(walk.fetch(f"/api/v1/invoices/{invoice.number}.pdf", "application/pdf"))
        assert invoice.number in server and euros(invoice.total_ttc).replace("\u00a0", " ") in server.replace("\u00a0", " ")
        assert digest in re.sub(r"\s", "", server)

    # The same batch sent again changes nothing.
    after = state_of_the_database(session)
    key = page.evaluate("RkTour.store.get('meta', 'device_key')")
    again = apply_batch(session, actor(app, "technicien"), tour.id, {"device_key": key, "format": 1, "actions": [
        {k: r[k] for k in ("key", "seq", "kind", "recorded_at", "data")} for r in records]})
    assert [(r["outcome"], r["repeat"]) for r in again["results"]] == [("applied", True)] * 8
    assert state_of_the_database(session) == after
    walk.finish()


def test_a_device_released_while_offline_shows_the_conflict_and_keeps_the_record(journey, session, app):
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    a_stop_today(app, session, 0)
    reservation = reserved(app, session, shop, "Remise-Un", "0696 40 40 41")
    walk = journey("technicien")
    page = walk.page
    download(walk, expected_devices=1)
    tour = session.execute(select(MobileTour)).scalar_one()
    go_offline(walk)
    number = hand_over(walk, reservation)
    release(session, actor(app, "admin"), reservation.id, reason="Foyer injoignable")

    walk.context.set_offline(False)
    page.wait_for_selector("text=À régulariser")
    walk.check("conflit affiché")
    row = plain(page.inner_text("#tour-records"))
    assert f"La réservation de {reservation.device.asset_tag} a été libérée le" in row
    assert f"La facture {number} est enregistrée" in row
    assert "Que faire : Si le foyer a bien l'appareil : Appliquer la remise." in row
    page.reload()
    page.wait_for_selector("text=À régulariser")
    walk.check("le conflit reste après un rechargement")
    session.expire_all()
    assert session.execute(select(Invoice.number)).scalars().all() == [number]
    assert session.get(Device, reservation.device_id).state == "in_stock"
    [action] = session.execute(select(TourAction)).scalars().all()
    assert action.outcome == "conflict"

    resolve(session, actor(app, "technicien"), tour.id, action.client_key, {"decision": "apply"})
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.wait_for_selector("#tour-records >> text=Régularisé")
    walk.check("régularisé par le bureau")
    # Settled: the conflict's message and what to do no longer hold, and are no longer shown.
    row = plain(page.inner_text("#tour-records"))
    assert "Que faire" not in row and "n'est pas encore" not in row
    session.expire_all()
    assert session.get(Device, reservation.device_id).state == "distributed"
    walk.finish()


def config_text(page, key: str) -> str:
    """A message of the page as its template gives it (French once the catalog has it)."""
    return page.evaluate(f"JSON.parse(document.getElementById('tour-config').textContent).text.{key}")


def test_a_second_tab_never_replaces_the_tour_kept_on_the_device(journey, session, app):
    """Two tabs on /tour/: one downloads the tour and records; the other, still showing the form,
    downloads too. Its download would have wiped the first tour's records not yet sent: it is
    refused before reaching the server, and the kept tour is shown."""
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    a_stop_today(app, session, 1)
    reserved(app, session, shop, "Remise-Un", "0696 40 40 41")
    walk = journey("technicien")
    other = walk.context.new_page()
    other.goto(walk.url("/tour/"))
    other.wait_for_selector("#tour-unit")
    # The worker the second tab installed controls it before the first tab loads the page.
    other.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    download(walk, expected_devices=1)
    page = walk.page
    page.get_by_role("button", name="Présent — Rose Participant0").click()
    page.wait_for_selector("text=Enregistré pour Rose Participant0.")
    tour = session.execute(select(MobileTour)).scalar_one()

    other.select_option("#tour-unit", "")          # no unit: the server would take a second tour out
    other.get_by_role("button", name="Télécharger la tournée").click()
    other.wait_for_selector("#tour-banner:not(:empty)")
    assert other.inner_text("#tour-message") == config_text(other, "already_kept")
    session.expire_all()
    assert session.execute(select(func.count()).select_from(MobileTour)).scalar_one() == 1
    saved = page.evaluate("RkTour.store.get('meta', 'tour')")
    assert saved["tour"]["id"] == tour.id and saved["user_id"] == page.evaluate(
        "JSON.parse(document.getElementById('tour-config').textContent).user_id")
    assert [(r["kind"], r["state"]) for r in outbox(page)] == [("attendance", "pending")]
    walk.check("un second onglet ne remplace pas la tournée gardée")
    other.close()
    walk.finish()


def test_a_reservation_is_invoiced_once_whatever_the_clicks_and_tabs(journey, session, app):
    """« Valider la remise » clicked twice, then the same device handed over from a second tab that
    still shows it to hand over: one invoice, one record. A second one would be a second invoice
    for one device, to cancel with a credit note."""
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    a_stop_today(app, session, 0)
    reservation = reserved(app, session, shop, "Remise-Un", "0696 40 40 41")
    walk = journey("technicien")
    page = walk.page
    download(walk, expected_devices=1)
    other = walk.context.new_page()
    other.goto(walk.url("/tour/"))
    go_offline(walk)
    name = f"Remettre — {reservation.device.asset_tag}"
    other.get_by_role("button", name=name).click()      # the second tab's form, open before the handover

    page.get_by_role("button", name=name).click()
    page.wait_for_selector("#tour-pay")
    page.evaluate("""() => { const b = [...document.querySelectorAll('#tour-handover button')]
                               .find(x => x.textContent === 'Valider la remise'); b.click(); b.click(); }""")
    page.locator("#tour-loads strong").wait_for()
    other.get_by_role("button", name="Valider la remise").click()
    other.locator("#tour-loads strong").wait_for()
    year = to_local(utcnow()).year
    assert plain(other.inner_text("#tour-message")) == f"Remis — facture F-M1-{year}-00001"
    records = outbox(page)
    assert [(r["kind"], r["data"]["invoice"]["number"]) for r in records] == [("handover", f"F-M1-{year}-00001")]
    assert page.evaluate("RkTour.store.get('meta', 'series')")["position"] == 2
    walk.check("une seule facture pour un appareil")
    other.close()
    walk.finish()


def test_a_sync_cut_off_keeps_the_records_and_says_so_in_french(journey, session, app):
    """The network drops while a batch is sent, then a proxy answers 502 with its own page: the
    records stay « À envoyer » and the page says, in French, that they are kept; the next sending
    records them. (« Failed to fetch », the browser's English, reached the page.)"""
    make_workshop(session)
    workshop = a_stop_today(app, session, 2)
    walk = journey("animateur")
    page = walk.page
    download(walk)
    go_offline(walk)
    mark_present(page, 2)
    failed = config_text(page, "failed")

    page.route("**/api/v1/tours/*/sync", lambda route: route.abort("internetdisconnected"))
    walk.context.set_offline(False)
    page.wait_for_function("(text) => document.getElementById('tour-message').textContent === text", arg=failed)
    assert [r["state"] for r in outbox(page)] == ["pending", "pending"]
    page.unroute("**/api/v1/tours/*/sync")
    page.route("**/api/v1/tours/*/sync", lambda route: route.fulfill(
        status=502, content_type="text/html", body="<html><body>Bad Gateway</body></html>"))
    page.evaluate("document.getElementById('tour-message').textContent = ''")
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.wait_for_function("(text) => document.getElementById('tour-message').textContent === text", arg=failed)
    assert [r["state"] for r in outbox(page)] == ["pending", "pending"]
    assert session.execute(select(func.count()).select_from(TourAction)).scalar_one() == 0
    # What the browser reported of the cut-off requests is expected here.
    walk._pending[:] = [p for p in walk._pending if "/sync" not in p]
    walk.check("envoi interrompu, enregistrements gardés")

    page.unroute("**/api/v1/tours/*/sync")
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.wait_for_selector("text=Tout a été envoyé et enregistré.")
    session.expire_all()
    assert session.execute(select(Booking.status).where(Booking.session_id == workshop.id)).scalars().all() == [
        "attended", "attended"]
    walk.check("envoyé ensuite")
    walk.finish()


def test_a_tour_whose_data_are_too_old_can_still_be_ended_then_erased(journey, session, app):
    """Past the data's 24 hours nothing more is recorded, but the tour can be ended, sent and
    erased, then the next one downloaded. « Terminer la tournée » was disabled: the unit stayed out
    and the page had no way to a new download."""
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    a_stop_today(app, session, 1)
    reserved(app, session, shop, "Remise-Un", "0696 40 40 41")
    walk = journey("technicien")
    page = walk.page
    download(walk, expected_devices=1)
    page.evaluate("""() => RkTour.store.get('meta', 'tour').then(saved => {
        saved.tour.valid_until = new Date(Date.now() - 60000).toISOString();
        return RkTour.store.put('meta', saved, 'tour'); })""")
    page.reload()
    page.wait_for_selector("#tour-stale:not([hidden])")
    assert page.inner_text("#tour-stale") == config_text(page, "too_old")
    assert page.get_by_role("button", name="Présent — Rose Participant0").is_disabled()
    walk.check("données trop anciennes")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Terminer la tournée").click()
    page.wait_for_selector("#tour-forget:not([hidden])")
    session.expire_all()
    assert session.execute(select(MobileTour.status)).scalar_one() == "closed"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Effacer les données de la tournée de cet appareil").click()
    page.wait_for_selector("#tour-unit")
    walk.check("tournée terminée et effacée, la suivante peut se télécharger")
    walk.finish()


AMOUNT = re.compile(r"(?<![\d,])\d{1,3}(?: \d{3})*,\d\d €")


def test_an_invoice_printed_offline_under_the_standard_vat_regime_says_what_the_server_s_pdf_says(
        journey, session, app, monkeypatch):
    """Under VAT_REGIME=standard the invoice shows the unit price excluding VAT (a mention the law
    asks of an invoice), as the server's PDF does: the same columns and the same amounts, for a
    device and three mice (4,61 € each: 13,82 € HT over 3, rounded half up)."""
    monkeypatch.setitem(app.config, "VAT_REGIME", "standard")
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    a_stop_today(app, session, 0)
    reservation = reserved(app, session, shop, "Remise-Un", "0696 40 40 41")
    walk = journey("technicien")
    page = walk.page
    download(walk, expected_devices=1)
    go_offline(walk)
    page.get_by_role("button", name=f"Remettre — {reservation.device.asset_tag}").click()
    page.select_option("#tour-acc-mouse", "3")
    page.get_by_role("button", name="Valider la remise").click()
    page.locator("#tour-loads strong").wait_for()
    client = printed(walk)
    walk.check("remise imprimée hors ligne, TVA au taux normal")
    walk.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('tour-progress-text').textContent.includes('1 / 1')",
                           timeout=20000)
    number = session.execute(select(Invoice.number)).scalar_one()
    server = pdf_text(walk.fetch(f"/api/v1/invoices/{number}.pdf", "application/pdf"))
    invoice = client[:client.index("Fiche de remise pour")]
    assert "Désignation Qté Prix unitaire HT Total HT TVA Total TTC" in server and "TVA (8,5 %)" in server
    assert "Désignation Qté Prix unitaire HT Total HT TVA Total TTC" in invoice and "TVA (8,5 %)" in invoice
    assert "Souris 3 4,61 € 13,82 € 1,18 € 15,00 €" in invoice
    assert sorted(AMOUNT.findall(invoice)) == sorted(AMOUNT.findall(server)) and len(AMOUNT.findall(server)) == 15
    walk.finish()


def focused(page, expression: str = "document.activeElement.getAttribute('aria-label') || document.activeElement.id"):
    return page.evaluate(f"() => {expression}")


def test_the_keyboard_stays_where_it_was_after_each_record(journey, session, app):
    """A person at a keyboard (a barcode scanner is one) marks attendance, adds walk-ins and hands
    over without the mouse: after each record the focus stays on the control it was on (the lists
    are redrawn), not sent back to the top of the page, and after a handover it is on « Imprimer »."""
    shop = make_workshop(session)
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    workshop = a_stop_today(app, session, 2)
    reservation = reserved(app, session, shop, "Remise-Un", "0696 40 40 41")
    walk = journey("technicien")
    page = walk.page
    download(walk, expected_devices=1)
    go_offline(walk)
    keys = walk.keys

    page.get_by_role("button", name="Présent — Rose Participant0").focus()
    keys.press("Enter")
    page.wait_for_function("() => document.getElementById('tour-records').children.length === 1")
    assert focused(page) == "Présent — Rose Participant0"
    keys.press("Tab")
    assert focused(page) == "Absent — Rose Participant0"

    last = f"tour-walk-{workshop.id}-last"
    page.focus("#" + last)
    keys.type("Sans-Inscription")
    keys.press("Enter")
    page.wait_for_function("() => document.getElementById('tour-records').children.length === 2")
    assert focused(page, "document.activeElement.id + '=' + document.activeElement.value") == last + "="

    page.get_by_role("button", name=f"Remettre — {reservation.device.asset_tag}").focus()
    keys.press("Enter")
    page.wait_for_selector("#tour-pay")
    assert focused(page) == "tour-pay"
    page.get_by_role("button", name="Valider la remise").focus()
    keys.press("Enter")
    page.wait_for_function("() => document.getElementById('tour-records').children.length === 3")
    page.wait_for_function(f"() => document.activeElement.id === 'tour-print-{reservation.id}'", timeout=5000)
    # Each print button names its invoice (a screen reader lists them by name).
    number = f"F-M1-{to_local(utcnow()).year}-00001"
    assert focused(page) == f"Imprimer — {number}"
    assert page.get_by_role("button", name=f"Réimprimer — {number}").count() == 1
    walk.check("au clavier, le focus reste en place")
    walk.finish()


def test_a_walk_in_submitted_twice_at_once_is_recorded_once(journey, session, app):
    """Enter pressed twice on a walk-in (or a scanner's line ending doubled) before the first is
    recorded: one participant, not two."""
    make_workshop(session)
    workshop = a_stop_today(app, session, 0)
    walk = journey("animateur")
    page = walk.page
    walk.goto("/tour/", "tournée à préparer")
    page.get_by_role("button", name="Télécharger la tournée").click()
    page.wait_for_selector("#tour-banner:not(:empty)")
    prefix = f"#tour-walk-{workshop.id}-"
    page.fill(prefix + "last", "Sans-Inscription")
    page.evaluate(f"() => {{ const form = document.querySelector('{prefix}last').form; "
                  "form.requestSubmit(); form.requestSubmit(); }")
    page.wait_for_selector("text=Enregistré pour Sans-Inscription.")
    page.wait_for_timeout(300)
    assert [r["kind"] for r in outbox(page)] == ["walk_in"]
    walk.check("un participant sans inscription, une fois")
    walk.finish()


def test_no_empty_warning_box_when_the_browser_keeps_the_storage(journey, session, app):
    """The storage warning is a box of its own: empty (the browser granted persistent storage, as
    for an installed page) it is not shown, where a blank framed box stood above the page."""
    walk = journey("animateur")
    page = walk.page
    page.add_init_script("navigator.storage.persist = () => Promise.resolve(true);")
    walk.goto("/tour/", "tournée à préparer, stockage garanti")
    page.wait_for_function("() => document.getElementById('tour-options').textContent !== ''")
    page.wait_for_timeout(200)
    assert not page.locator("#tour-storage").is_visible()
    walk.finish()


def test_a_record_the_device_can_no_longer_send_stops_the_sending_instead_of_looping(journey, session, app):
    """The server waits for record n° 1, which the device holds as « Refusé » (a refusal the server
    answered without storing it): sending record n° 2 again and again would go round in circles.
    The page stops, says so in French, and keeps both records; a session that expired offers the
    way back to the sign-in page and this one."""
    make_workshop(session)
    a_stop_today(app, session, 2)
    walk = journey("animateur")
    page = walk.page
    download(walk)
    go_offline(walk)
    mark_present(page, 2)
    page.evaluate("RkTour.store.update(1, {state: 'refused', message: 'Clé déjà utilisée.'})")
    page.reload()                                     # offline: the page comes from the worker's cache
    page.wait_for_selector("#tour-banner:not(:empty)")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/sync") else None)

    walk.context.set_offline(False)
    stuck = config_text(page, "stuck").replace("{seq}", "1")
    page.wait_for_function("(text) => document.getElementById('tour-message').textContent === text", arg=stuck)
    page.wait_for_timeout(500)
    assert len(sent) == 1, sent                       # one batch, no loop
    assert [r["state"] for r in outbox(page)] == ["refused", "pending"]
    assert session.execute(select(func.count()).select_from(TourAction)).scalar_one() == 0
    walk.check("envoi arrêté, enregistrements gardés")

    page.route("**/api/v1/tours/*", lambda route: route.fulfill(status=401, content_type="application/json",
                                                                body='{"message": "Non authentifié."}'))
    page.get_by_role("button", name="Envoyer maintenant").click()
    link = page.locator("#tour-message a", has_text="Se reconnecter")
    link.wait_for()
    assert unquote(link.get_attribute("href")) == "/login/?next=/tour/"
    walk._pending[:] = [p for p in walk._pending if "/api/v1/tours/" not in p]
    walk.check("session expirée")
    walk.finish()

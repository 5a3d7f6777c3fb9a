"""The handover pages end to end: a validated household of Le Lamentin waits on the list, the
technicien reserves a graded laptop, hands it over with a point numérique workshop and lands on the
invoice; the facilitator then marks the participant present. Roles and row scoping of the pages."""
from __future__ import annotations

import html
import io
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select, update

from core.clock import local_today, to_local, utcnow
from distribution.models import Booking, Reservation, WorkshopSession
from tests.helpers import logout, login, make_session, make_workshop, stock_device, validated_request


def page(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_done_when_waiting_list_reservation_handover_invoice_and_attendance(app, client, session, shop):
    item = validated_request(app, session, commune_insee="97213")
    household = item.household
    laptop = stock_device(session, shop, "laptop", "A")
    point = make_session(app, session, commune="97213", venue_kind="digital_point",
                         venue_name="Médiathèque du Lamentin", days=6)
    make_session(app, session, commune="97209", venue_kind="site", venue_name="Atelier de Fort-de-France", days=2,
                 facilitator=None)

    token = login(client, "technicien")
    waiting = page(client.get("/distribution/waiting-list/"))
    assert household.reference in waiting and "Le Lamentin" in waiting and "CACEM" in waiting
    assert f"/distribution/waiting-list/{item.id}" in waiting

    shown = page(client.get(f"/distribution/waiting-list/{item.id}"))
    assert laptop.asset_tag in shown and "Même commune" in shown and "Réserver" in shown
    answer = client.post(f"/distribution/waiting-list/{item.id}/reserve",
                         data={"asset_tag": laptop.asset_tag, "csrf_token": token})
    assert answer.status_code == 302, page(answer)[:2000]
    reservation = session.execute(select(Reservation)).scalar_one()
    assert answer.headers["Location"].endswith(f"/distribution/reservations/{reservation.id}")
    assert reservation.status == "active"
    # Reserved: off the waiting list, on the reservations list.
    assert household.reference not in page(client.get("/distribution/waiting-list/"))
    assert laptop.asset_tag in page(client.get("/distribution/reservations/"))

    form = page(client.get(f"/distribution/reservations/{reservation.id}"))
    assert "Médiathèque du Lamentin" in form and "Dans votre commune" in form and "Chargeur" in form
    assert f'value="{point.id}" checked' in form          # nearest session with a free seat pre-selected
    assert 'name="payment_method"' in form and 'name="internet_access"' in form

    # Internet access is required: the form comes back with the error, nothing is written.
    answer = client.post(f"/distribution/reservations/{reservation.id}/handover",
                         data={"payment_method": "cash", "workshop_session_id": str(point.id), "csrf_token": token})
    assert answer.status_code == 422
    assert "Indiquez l'accès à internet du foyer." in page(answer)
    session.expire_all()
    assert session.get(Reservation, reservation.id).status == "active"

    answer = client.post(f"/distribution/reservations/{reservation.id}/handover", data={
        "payment_method": "cash", "accessories": ["charger"], "workshop_session_id": str(point.id),
        "internet_access": "none", "internet_offer_referred": "1", "csrf_token": token})
    assert answer.status_code == 302, page(answer)[:3000]
    location = answer.headers["Location"]
    number = location.rsplit("/", 1)[1]
    assert number == f"F-{to_local(utcnow()).year}-00001"
    invoice_page = page(client.get(location))
    assert number in invoice_page and "Médiathèque du Lamentin" in invoice_page
    assert "70,00\u00a0€" in invoice_page and "TVA non applicable, art. 293 B du CGI" in invoice_page
    assert f"/api/v1/invoices/{number}.pdf" in invoice_page and "Fiche de remise (gros caractères)" in invoice_page
    booking = session.execute(select(Booking)).scalar_one()
    assert f"/api/v1/bookings/{booking.id}.ics" in invoice_page
    assert number in page(client.get("/distribution/invoices/"))
    assert client.get(f"/api/v1/invoices/{number}.pdf").mimetype == "application/pdf"
    logout(client)

    # The session has started: the facilitator marks the participant present, satisfied.
    start = utcnow() - timedelta(hours=1)
    session.execute(update(WorkshopSession).where(WorkshopSession.id == point.id)
                    .values(starts_at=start, ends_at=start + timedelta(hours=2)))
    session.commit()
    token = login(client, "animateur")
    workshops = page(client.get("/distribution/workshops/"))
    assert "Médiathèque du Lamentin" in workshops and "Atelier de Fort-de-France" not in workshops
    shown = page(client.get(f"/distribution/workshops/{point.id}"))
    assert household.last_name in shown and household.first_name in shown
    assert household.reference not in shown and household.phone not in shown   # names only
    assert f"/api/v1/workshops/{point.id}/attendance-sheet.pdf" in shown
    answer = client.post(f"/distribution/workshops/{point.id}/attendance/{booking.id}",
                         data={"attended": "1", "satisfaction": "5", "csrf_token": token})
    assert answer.status_code == 302
    session.expire_all()
    booking = session.get(Booking, booking.id)
    assert (booking.status, booking.satisfaction) == ("attended", 5)
    assert "Présent" in page(client.get(f"/distribution/workshops/{point.id}"))


def test_release_puts_the_request_back_on_the_waiting_list(app, client, session, shop):
    item = validated_request(app, session)
    laptop = stock_device(session, shop)
    token = login(client, "technicien")
    client.post(f"/distribution/waiting-list/{item.id}/reserve", data={"asset_tag": laptop.asset_tag, "csrf_token": token})
    reservation = session.execute(select(Reservation)).scalar_one()
    answer = client.post(f"/distribution/reservations/{reservation.id}/release", data={"csrf_token": token})
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(Reservation, reservation.id).status == "released"
    assert item.household.reference in page(client.get("/distribution/waiting-list/"))


def test_credit_note_reason_is_required_then_issued(app, client, session, shop):
    item = validated_request(app, session)
    laptop = stock_device(session, shop)
    make_session(app, session)
    token = login(client, "technicien")
    client.post(f"/distribution/waiting-list/{item.id}/reserve", data={"asset_tag": laptop.asset_tag, "csrf_token": token})
    reservation = session.execute(select(Reservation)).scalar_one()
    answer = client.post(f"/distribution/reservations/{reservation.id}/handover", data={
        "payment_method": "card", "internet_access": "broadband", "csrf_token": token})
    assert answer.status_code == 302, page(answer)[:3000]
    number = answer.headers["Location"].rsplit("/", 1)[1]
    answer = client.post(f"/distribution/invoices/{number}/credit-note", data={"reason": " ", "csrf_token": token})
    assert answer.status_code == 422 and "Motif de l'avoir attendu" in page(answer)
    answer = client.post(f"/distribution/invoices/{number}/credit-note",
                         data={"reason": "Écran défectueux", "return_device": "1", "csrf_token": token})
    assert answer.status_code == 302
    shown = page(client.get(f"/distribution/invoices/{number}"))
    assert "AV-" in shown and "Écran défectueux" in shown and "(appareil repris)" in shown


def test_roles_and_scoping(app, client, session, shop):
    validated_request(app, session)
    mine = make_session(app, session)
    nobody = make_session(app, session, facilitator=None, venue_name="Salle sans animateur")

    login(client, "prescripteur")
    for url in ("/distribution/waiting-list/", "/distribution/reservations/", "/distribution/invoices/"):
        answer = client.get(url)
        assert answer.status_code == 403 and "Accès refusé" in answer.get_data(as_text=True), url
    # Books households: lists the upcoming sessions (issue 16), not the one without a facilitator's past.
    listed = page(client.get("/distribution/workshops/"))
    assert "Salle sans animateur" in listed and "Inscrire un foyer" in listed
    logout(client)

    login(client, "animateur")
    home = page(client.get("/"))
    assert "Ateliers" in home and "Liste d'attente" not in home
    assert client.get("/distribution/waiting-list/").status_code == 403
    assert client.get(f"/distribution/workshops/{mine.id}").status_code == 200
    assert client.get(f"/distribution/workshops/{nobody.id}").status_code == 404
    assert "Salle sans animateur" not in page(client.get("/distribution/workshops/"))
    # Not started yet: no attendance form.
    assert "La présence se note une fois l'atelier commencé." in page(client.get(f"/distribution/workshops/{mine.id}"))
    logout(client)

    login(client, "technicien")
    home = page(client.get("/"))
    for label in ("Remise", "Liste d'attente", "Réservations", "Factures", "Ateliers"):
        assert label in home, label
    assert "Salle sans animateur" in page(client.get("/distribution/workshops/"))
    assert client.get(f"/distribution/workshops/{nobody.id}").status_code == 200
    assert client.get("/distribution/waiting-list/999999").status_code == 404
    assert client.get("/distribution/invoices/F-2000-99999").status_code == 404


def workshop_form(token: str, **changes) -> dict:
    """The session form as a browser sends it: a smartphone workshop at the point numérique of
    Le Robert, ten days from now, 09:00 to 11:00 Martinique time, facilitated by the animateur."""
    form = {"topic": "smartphone", "date": (local_today() + timedelta(days=10)).isoformat(),
            "start_time": "09:00", "end_time": "11:00", "commune_insee": "97222", "venue_kind": "digital_point",
            "venue_name": "Point numérique du Robert", "address": "Rue de la Mairie", "capacity": "10",
            "facilitator": "animateur", "notes": "Apporter son téléphone chargé.", "csrf_token": token}
    form.update(changes)
    return form


def test_technicien_schedules_a_workshop_from_the_form(app, client, session):
    token = login(client, "technicien")
    listing = page(client.get("/distribution/workshops/"))
    assert "Programmer un atelier" in listing and 'href="/distribution/workshops/new"' in listing

    form = page(client.get("/distribution/workshops/new"))
    assert "<h1>Programmer un atelier</h1>" in form
    assert 'name="csrf_token"' in form
    assert '<select class="form-control" id="topic" name="topic" required aria-required="true"\n          autofocus' in form
    for label in ("Thème", "Date", "Heure de début", "Heure de fin", "Commune", "Type de lieu", "Nom du lieu",
                  "Adresse", "Capacité (places)", "Animateur", "Notes"):
        assert f">{label}" in form, label
    assert 'type="date" id="date"' in form and 'type="time" id="start_time"' in form and 'type="time" id="end_time"' in form
    assert '<option value="97222" >Le Robert (97222)</option>' in form
    assert form.count('<option value="97') == 34
    assert '<option value="digital_point" >Point numérique</option>' in form
    assert '<option value="smartphone" >Smartphone</option>' in form
    assert '<option value="online_services" >Démarches en ligne</option>' in form
    assert '<option value="animateur" >' in form and '<option value="technicien"' not in form
    assert 'id="capacity" name="capacity"\n         value="8"' in form

    answer = client.post("/distribution/workshops/new", data=workshop_form(token))
    assert answer.status_code == 302, page(answer)[:3000]
    workshop = session.execute(select(WorkshopSession)).scalar_one()
    assert answer.headers["Location"].endswith(f"/distribution/workshops/{workshop.id}")
    day = local_today() + timedelta(days=10)
    # 09:00 in Martinique (UTC−4, no daylight saving) is 13:00 UTC.
    assert workshop.starts_at == datetime.combine(day, time(9, 0), tzinfo=timezone.utc) + timedelta(hours=4)
    assert workshop.ends_at == datetime.combine(day, time(11, 0), tzinfo=timezone.utc) + timedelta(hours=4)
    assert (workshop.topic, workshop.commune_insee, workshop.venue_kind) == ("smartphone", "97222", "digital_point")
    assert (workshop.venue_name, workshop.address, workshop.capacity) == ("Point numérique du Robert",
                                                                         "Rue de la Mairie", 10)
    assert workshop.facilitator.username == "animateur" and workshop.notes == "Apporter son téléphone chargé."
    assert workshop.created_by_id == app.appbuilder.sm.find_user("technicien").id

    shown = page(client.get(answer.headers["Location"]))
    assert f"Atelier programmé : smartphone le {day:%d/%m/%Y} de 09:00 à 11:00, Le Robert." in shown
    assert f"Atelier smartphone du {day:%d/%m/%Y}" in shown
    assert "09:00 à 11:00 (heure de Martinique)" in shown
    # The name says its kind already: not « … du Robert (point numérique) » (issue 16, defect 8).
    assert "Point numérique du Robert, Rue de la Mairie, Le Robert" in shown
    assert "0 / 10" in shown
    assert "Point numérique du Robert" in page(client.get("/distribution/workshops/"))

    # English is available; French stays the default.
    client.get("/lang/en")
    english = page(client.get("/distribution/workshops/new"))
    assert "<h1>Schedule a workshop</h1>" in english and "Start time" in english


def test_workshop_form_keeps_the_input_and_says_what_is_wrong(app, client, session):
    token = login(client, "technicien")
    answer = client.post("/distribution/workshops/new",
                         data=workshop_form(token, start_time="11:00", end_time="09:00"))
    assert answer.status_code == 422
    shown = page(answer)
    assert ('<div class="rk-field-error" id="end_time-error">L\'heure de fin doit suivre l\'heure de début.</div>'
            in shown)
    assert 'aria-describedby="end_time-error"' in shown
    assert "L'atelier n'a pas été programmé : corrigez les champs signalés." in shown
    assert 'value="Point numérique du Robert"' in shown and 'value="11:00"' in shown
    assert '<option value="97222" selected>Le Robert (97222)</option>' in shown
    assert session.execute(select(WorkshopSession)).first() is None

    # Missing fields are named beside each; a missing date is said once, on the date.
    answer = client.post("/distribution/workshops/new",
                         data=workshop_form(token, date="", topic="", venue_name=" ", capacity="0"))
    assert answer.status_code == 422
    shown = page(answer)
    assert '<div class="rk-field-error" id="date-error">Indiquez la date de l\'atelier.</div>' in shown
    assert 'id="start_time-error"' not in shown and 'id="end_time-error"' not in shown
    assert 'id="topic-error">Champ obligatoire.' in shown and 'id="venue_name-error">Champ obligatoire.' in shown
    assert 'id="capacity-error">Capacité de 1 à 200 places attendue.' in shown

    # Only an active Animateur may facilitate.
    answer = client.post("/distribution/workshops/new", data=workshop_form(token, facilitator="technicien"))
    assert answer.status_code == 422
    assert 'id="facilitator-error">« technicien » n\'est pas un compte Animateur actif.' in page(answer)
    assert session.execute(select(WorkshopSession)).first() is None


@pytest.mark.parametrize("username", ["animateur", "prescripteur", "agent.cacem", "partenaire"])
def test_only_admin_and_technicien_schedule_workshops(app, client, session, username):
    token = login(client, username)
    assert client.get("/distribution/workshops/new").status_code == 403
    assert client.post("/distribution/workshops/new", data=workshop_form(token)).status_code == 403
    assert session.execute(select(WorkshopSession)).first() is None
    if username == "animateur":
        assert "Programmer un atelier" not in page(client.get("/distribution/workshops/"))


def test_admin_schedules_workshops_too(app, client, session):
    token = login(client, "admin")
    assert "Programmer un atelier" in page(client.get("/distribution/workshops/"))
    assert client.get("/distribution/workshops/new").status_code == 200
    answer = client.post("/distribution/workshops/new", data=workshop_form(token, facilitator=""))
    assert answer.status_code == 302, page(answer)[:3000]
    workshop = session.execute(select(WorkshopSession)).scalar_one()
    assert workshop.facilitator_id is None and workshop.capacity == 10
    assert "non désigné" in page(client.get(answer.headers["Location"]))


def test_admin_sees_the_price_grids_and_an_invalid_upload_is_refused_in_french(client, session):
    token = login(client, "admin")
    page = client.get("/distribution/price-grids/").get_data(as_text=True)
    assert "PG-2026.1" in page and "Grilles de prix solidaires" in page
    assert "350,00\u00a0€" in page and "Chargeur" in page
    answer = client.post("/distribution/price-grids/", data={"csrf_token": token, "file": (io.BytesIO(b"{"), "grid.json")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "Fichier JSON illisible" in answer.get_data(as_text=True)

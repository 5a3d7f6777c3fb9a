"""Cancelling and restoring a workshop session over HTTP (issue 20, step 3): the API
(``POST /api/v1/workshops/<id>/cancel`` {reason}, ``…/restore``) with its statuses, and the
session's page: the cancellation shown (Martinique time, by whom, why), the « Annuler l'atelier »
form for stock managers, « Rétablir l'atelier » for Admin, « Annulé » in the lists."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from core.clock import to_local
from distribution.models import Booking, WorkshopSession
from distribution.services.workshops import book, cancel_session
from tests.helpers import actor, bearer, login, make_household, make_session

REASON = "Salle des fêtes indisponible (travaux)."
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def call(client, method, username, url, body=None):
    return client.open(url, method=method, json=body, headers=bearer(client, username))


def page(answer) -> str:
    return unescape(answer.get_data(as_text=True))


@pytest.fixture
def booked(app, session):
    """An upcoming session of capacity 1 in Le Lamentin: a household of the prescripteur booked, a
    household of agent.cacem waiting."""
    workshop = make_session(app, session, capacity=1, venue_name="Médiathèque du Lamentin")
    first = make_household(app, session, "prescripteur", last_name="Rosine", first_name="Léa")
    second = make_household(app, session, "agent.cacem", last_name="Bellay", first_name="Marc",
                            phone="0696 22 33 44", email="marc@example.org")
    manager = actor(app, "technicien")
    bookings = [book(session, manager, workshop.id, h.id) for h in (first, second)]
    assert [b.status for b in bookings] == ["booked", "waitlisted"]
    return {"workshop": workshop, "households": (first, second), "bookings": [b.id for b in bookings]}


def stored(session, workshop_id: int) -> WorkshopSession:
    session.expire_all()
    return session.get(WorkshopSession, workshop_id)


def booking_statuses(session, workshop_id: int) -> list[str]:
    session.expire_all()
    return list(session.execute(select(Booking.status).where(Booking.session_id == workshop_id)
                                .order_by(Booking.id)).scalars())


def test_the_api_cancels_and_restores_with_the_right_statuses(app, client, session, booked):
    workshop_id = booked["workshop"].id
    url = f"/api/v1/workshops/{workshop_id}/cancel"
    for username in ("agent.cacem", "prescripteur", "animateur"):
        refused = call(client, "POST", username, url, {"reason": REASON})
        assert refused.status_code == 403, username
    assert call(client, "POST", "partenaire", url, {"reason": REASON}).status_code == 403
    no_body = client.post(url, data="motif", headers=bearer(client, "technicien"))
    assert no_body.status_code == 400 and "Corps JSON attendu" in no_body.json["message"]
    missing = call(client, "POST", "technicien", url, {})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    blank = call(client, "POST", "technicien", url, {"reason": "   "})
    assert blank.status_code == 422
    assert blank.json["errors"] == {"reason": ["Motif de l'annulation attendu : dites pourquoi l'atelier n'a pas lieu."]}
    unknown_field = call(client, "POST", "technicien", url, {"reason": REASON, "notify": True})
    assert unknown_field.status_code == 422 and "notify" in unknown_field.json["errors"]
    assert call(client, "POST", "technicien", "/api/v1/workshops/999999/cancel", {"reason": REASON}).status_code == 404
    assert stored(session, workshop_id).cancelled_at is None

    done = call(client, "POST", "technicien", url, {"reason": REASON})
    assert done.status_code == 200, done.json
    body = done.json
    assert (body["id"], body["cancelled"], body["cancelled_by"], body["cancel_reason"]) == (
        workshop_id, True, "Technicien Test", REASON)
    assert body["bookings"] == {"cancelled": 2} and "free_seats" not in body
    when = stored(session, workshop_id).cancelled_at
    assert body["cancelled_at"] == when.isoformat()
    assert body["cancelled_at_local"] == to_local(when).isoformat() and body["cancelled_at_local"].endswith("-04:00")
    assert booking_statuses(session, workshop_id) == ["cancelled", "cancelled"]

    again = call(client, "POST", "admin", url, {"reason": "Doublon"})
    assert again.status_code == 409 and again.json["message"].startswith("Cet atelier est déjà annulé, depuis le ")
    # No longer listed, nor bookable.
    listed = call(client, "GET", "agent.cacem", "/api/v1/workshops?commune=97213")
    assert workshop_id not in [w["id"] for w in listed.json["result"]]
    refused = call(client, "POST", "prescripteur", f"/api/v1/workshops/{workshop_id}/bookings",
                   {"household_id": booked["households"][0].id})
    assert refused.status_code == 409 and refused.json["message"].startswith("Cet atelier a été annulé : la séance du ")
    # The household's calendar file says the session is cancelled, with no reminder.
    ics = call(client, "GET", "prescripteur", f"/api/v1/bookings/{booked['bookings'][0]}.ics")
    text = ics.get_data(as_text=True)
    assert ics.status_code == 200 and "STATUS:CANCELLED" in text and "SUMMARY:Annulé — Atelier" in text
    assert "BEGIN:VALARM" not in text

    restore = f"/api/v1/workshops/{workshop_id}/restore"
    for username in ("technicien", "agent.cacem", "animateur"):
        assert call(client, "POST", username, restore).status_code == 403, username
    assert call(client, "POST", "admin", "/api/v1/workshops/999999/restore").status_code == 404
    restored = call(client, "POST", "admin", restore)
    assert restored.status_code == 200, restored.json
    assert (restored.json["cancelled"], restored.json["cancelled_at"], restored.json["cancelled_by"],
            restored.json["cancel_reason"]) == (False, None, None, None)
    assert restored.json["bookings"] == {"booked": 1, "waitlisted": 1} and restored.json["free_seats"] == 0
    assert booking_statuses(session, workshop_id) == ["booked", "waitlisted"]
    second = call(client, "POST", "admin", restore)
    assert second.status_code == 409 and second.json["message"] == "Cet atelier n'est pas annulé : il n'y a rien à rétablir."


def test_the_api_needs_the_csrf_token_in_a_browser_session(app, client, session, booked):
    workshop_id = booked["workshop"].id
    csrf = login(client, "technicien")
    url = f"/api/v1/workshops/{workshop_id}/cancel"
    assert client.post(url, json={"reason": REASON}).status_code == 400
    assert stored(session, workshop_id).cancelled_at is None
    answer = client.post(url, json={"reason": REASON}, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200 and answer.json["cancelled"] is True


def test_a_stock_manager_cancels_from_the_page_and_admin_restores(app, client, session, booked):
    workshop = booked["workshop"]
    show = f"/distribution/workshops/{workshop.id}"
    csrf = login(client, "technicien")
    form = page(client.get(show))
    assert "Annuler l'atelier" in form and "Rétablir l'atelier" not in form
    section = form[form.index('id="cancel-workshop"'):]
    assert f'action="/distribution/workshops/{workshop.id}/cancel"' in section
    assert 'name="csrf_token"' in section.split("</form>")[0]
    assert '<label for="reason">Motif d\'annulation' in section and 'name="confirm"' in section
    assert "Je confirme" in section and "l'annulation de cet atelier" in section

    # Not confirmed, or no reason: the page again (422), the reason kept, nothing cancelled.
    unconfirmed = client.post(f"{show}/cancel", data={"csrf_token": csrf, "reason": REASON})
    assert unconfirmed.status_code == 422
    shown = page(unconfirmed)
    assert "Cochez la case pour confirmer l'annulation." in shown and f'value="{REASON}"' in shown
    no_reason = client.post(f"{show}/cancel", data={"csrf_token": csrf, "reason": " ", "confirm": "1"})
    assert no_reason.status_code == 422
    assert "Motif de l'annulation attendu : dites pourquoi l'atelier n'a pas lieu." in page(no_reason)
    assert 'aria-invalid="true" aria-describedby="reason-error"' in page(no_reason)
    assert stored(session, workshop.id).cancelled_at is None

    done = client.post(f"{show}/cancel", data={"csrf_token": csrf, "reason": REASON, "confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(show)
    when = to_local(stored(session, workshop.id).cancelled_at)
    shown = page(client.get(show))
    assert f"Atelier du {to_local(workshop.starts_at):%d/%m/%Y} annulé" in shown
    assert "Annulé" in shown
    assert (f"Cet atelier a été annulé le {when:%d/%m/%Y} à {when:%H:%M} (heure de Martinique) "
            "par Technicien Test.") in shown
    assert f"Motif : {REASON}" in shown
    assert 'id="cancel-workshop"' not in shown and "Rétablir l'atelier" not in shown
    assert "Feuille d'émargement" not in shown
    # The households cancelled with it stay listed, to be told.
    assert "Rosine" in shown and "Bellay" in shown
    assert not ISO.search(shown) and "None" not in shown
    assert booking_statuses(session, workshop.id) == ["cancelled", "cancelled"]

    listed = page(client.get("/distribution/workshops/"))
    row = listed[listed.index("Médiathèque du Lamentin"):].split("</tr>")[0]
    assert "Annulé" in row

    # Twice: the conflict is told on the page.
    again = client.post(f"{show}/cancel", data={"csrf_token": csrf, "reason": REASON, "confirm": "1"})
    assert again.status_code == 302
    assert "Cet atelier est déjà annulé, depuis le" in page(client.get(show))

    # Technicien may not restore; Admin may, once confirmed.
    assert client.post(f"{show}/restore", data={"csrf_token": csrf, "confirm": "1"}).status_code == 403
    client = app.test_client()
    csrf = login(client, "admin")
    shown = page(client.get(show))
    restore_form = shown[shown.index('id="restore-workshop"'):].split("</form>")[0]
    assert "Rétablir l'atelier" in restore_form and 'name="csrf_token"' in restore_form
    assert f'action="/distribution/workshops/{workshop.id}/restore"' in restore_form
    unconfirmed = client.post(f"{show}/restore", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 302
    assert "Cochez la case pour confirmer le rétablissement de l'atelier." in page(client.get(show))
    assert stored(session, workshop.id).cancelled_at is not None
    restored = client.post(f"{show}/restore", data={"csrf_token": csrf, "confirm": "1"})
    assert restored.status_code == 302
    shown = page(client.get(show))
    assert (f"Atelier du {to_local(workshop.starts_at):%d/%m/%Y} rétabli : 1 inscrit(s), "
            "1 en liste d'attente.") in shown
    assert 'id="cancellation"' not in shown and 'id="cancel-workshop"' in shown
    assert booking_statuses(session, workshop.id) == ["booked", "waitlisted"]


@pytest.mark.parametrize("username", ["agent.cacem", "prescripteur", "animateur"])
def test_other_roles_may_not_cancel_nor_restore_and_see_no_form(app, client, session, booked, username):
    workshop = booked["workshop"]
    show = f"/distribution/workshops/{workshop.id}"
    csrf = login(client, username)
    shown = page(client.get(show))
    assert "Annuler l'atelier" not in shown and "Rétablir l'atelier" not in shown
    assert client.post(f"{show}/cancel", data={"csrf_token": csrf, "reason": REASON, "confirm": "1"}).status_code == 403
    assert client.post(f"{show}/restore", data={"csrf_token": csrf, "confirm": "1"}).status_code == 403
    assert stored(session, workshop.id).cancelled_at is None


def test_those_who_book_see_the_cancellation_and_cannot_book(app, client, session, booked):
    workshop = booked["workshop"]
    other = make_household(app, session, "agent.cacem", last_name="Nouvel", first_name="Ana",
                           phone="0696 77 88 99", email="ana@example.org")
    cancel_session(session, actor(app, "technicien"), workshop.id, reason=REASON)
    csrf = login(client, "agent.cacem")
    shown = page(client.get(f"/distribution/workshops/{workshop.id}"))
    assert "Cet atelier a été annulé : il ne prend plus d'inscription." in shown
    assert 'id="household_id"' not in shown and f"Motif : {REASON}" in shown
    # Their household cancelled with the session is shown as such.
    mine = shown[shown.index("Vos foyers inscrits à cet atelier"):]
    assert "Bellay" in mine and "Annulé" in mine
    listed = page(client.get("/distribution/workshops/"))
    row = listed[listed.index("Médiathèque du Lamentin"):].split("</tr>")[0]
    assert "Annulé" in row and "#book" not in row
    assert "Atelier annulé" in listed
    refused = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                          data={"csrf_token": csrf, "household_id": str(other.id)})
    assert refused.status_code == 302
    assert "Cet atelier a été annulé : la séance du" in page(client.get(refused.headers["Location"]))
    session.expire_all()
    assert session.execute(select(Booking).where(Booking.household_id == other.id)).first() is None


def test_the_handover_form_no_longer_proposes_a_cancelled_session(app, client, session, booked):
    from tests.helpers import make_workshop, stock_device, validated_request
    from distribution.services.reservations import reserve

    shop = make_workshop(session)
    item = validated_request(app, session, phone="0696 31 31 31", last_name="Remise")
    reservation = reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)
    kept = make_session(app, session, days=12, venue_name="Maison des associations")
    login(client, "technicien")
    before = page(client.get(f"/distribution/reservations/{reservation.id}"))
    assert "Médiathèque du Lamentin" in before and "Maison des associations" in before
    cancel_session(session, actor(app, "technicien"), booked["workshop"].id, reason=REASON)
    after = page(client.get(f"/distribution/reservations/{reservation.id}"))
    assert "Médiathèque du Lamentin" not in after and "Maison des associations" in after
    assert kept.id

"""Booking households on workshops from the pages (issue 16, defect 5): the EPCI agents and the
prescripteur open « Ateliers » (it answered 403), see the upcoming sessions with their free seats,
book one of THEIR households on a session (a seat, or the waiting list with its position), see
their households' bookings and cancel them. A household they may not see is not found (404)."""
from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from distribution.models import Booking
from tests.helpers import login, logout, make_household, make_session


def page(answer) -> str:
    return unescape(answer.get_data(as_text=True))


@pytest.fixture
def homes(app, session):
    """Households of three scopes: referred by the prescripteur in Le Lamentin (CACEM), entered by
    agent.cacem in Le Lamentin, entered by agent.espacesud in Le Marin (Espace Sud)."""
    return {
        "referred": make_household(app, session, "prescripteur", last_name="Rosine", first_name="Léa"),
        "cacem": make_household(app, session, "agent.cacem", last_name="Bellay", first_name="Marc",
                                phone="0696 22 33 44", email="marc@example.org"),
        "sud": make_household(app, session, "agent.espacesud", last_name="Nirelep", first_name="Inès",
                              commune_insee="97217", phone="0696 55 66 77", email="ines@example.org"),
    }


def booking_of(session, household_id: int, workshop_id: int) -> Booking | None:
    session.expire_all()
    return session.execute(select(Booking).where(Booking.household_id == household_id,
                                                 Booking.session_id == workshop_id)).scalar_one_or_none()


@pytest.mark.parametrize("username", ["agent.cacem", "agent.espacesud", "prescripteur"])
def test_the_workshops_page_answers_those_who_book(app, client, session, username):
    upcoming = make_session(app, session, venue_name="Médiathèque du Lamentin", capacity=6)
    past = make_session(app, session, days=-3, venue_name="Salle du passé")
    login(client, username)
    listed = client.get("/distribution/workshops/")
    assert listed.status_code == 200
    html = page(listed)
    assert "Médiathèque du Lamentin" in html and "Salle du passé" not in html   # upcoming ones, to book on
    assert "Places libres" in html and "Inscrire un foyer" in html and "Programmer un atelier" not in html
    assert client.get(f"/distribution/workshops/{upcoming.id}").status_code == 200
    shown = page(client.get(f"/distribution/workshops/{past.id}"))
    assert "Cet atelier a commencé : il ne prend plus d'inscription." in shown


def test_an_agent_books_only_the_households_of_their_epci(app, client, session, homes):
    workshop = make_session(app, session, capacity=4)
    csrf = login(client, "agent.cacem")
    form = page(client.get(f"/distribution/workshops/{workshop.id}"))
    # The form offers the households living in CACEM (whoever entered them), no other.
    assert "ROSINE" in form.upper() and "BELLAY" in form.upper() and "NIRELEP" not in form.upper()
    assert "Émargement" not in form and "attendance-sheet" not in form    # no participants' list

    answer = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                         data={"csrf_token": csrf, "household_id": str(homes["cacem"].id)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/distribution/workshops/{workshop.id}")
    assert booking_of(session, homes["cacem"].id, workshop.id).status == "booked"
    shown = page(client.get(answer.headers["Location"]))
    assert "Marc Bellay : inscription à l'atelier enregistrée." in shown
    assert "Vos foyers inscrits à cet atelier" in shown and "Inscrit" in shown
    # Once booked, the household is no longer offered.
    offered = shown[shown.index('id="household_id"'):shown.index("</select>")]
    assert "Bellay" not in offered and "Rosine" in offered

    # Another EPCI's household: not found, and nothing booked.
    refused = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                          data={"csrf_token": csrf, "household_id": str(homes["sud"].id)})
    assert refused.status_code == 404
    assert booking_of(session, homes["sud"].id, workshop.id) is None
    # An unknown session: not found either.
    assert client.post("/distribution/workshops/999999/bookings",
                       data={"csrf_token": csrf, "household_id": str(homes["cacem"].id)}).status_code == 404


def test_a_prescripteur_books_only_the_households_they_referred(app, client, session, homes):
    workshop = make_session(app, session)
    csrf = login(client, "prescripteur")
    form = page(client.get(f"/distribution/workshops/{workshop.id}"))
    assert "Rosine" in form and "Bellay" not in form and "Nirelep" not in form
    for other in ("cacem", "sud"):
        answer = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                             data={"csrf_token": csrf, "household_id": str(homes[other].id)})
        assert answer.status_code == 404, other
        assert booking_of(session, homes[other].id, workshop.id) is None
    answer = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                         data={"csrf_token": csrf, "household_id": str(homes["referred"].id)})
    assert answer.status_code == 302
    assert booking_of(session, homes["referred"].id, workshop.id).status == "booked"
    # The same household again: refused in French, not booked twice.
    again = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                        data={"csrf_token": csrf, "household_id": str(homes["referred"].id)}, follow_redirects=True)
    assert "Ce foyer est déjà inscrit à cet atelier" in page(again)
    listed = page(client.get("/distribution/workshops/"))
    assert "Les inscriptions de vos foyers" in listed and "Rosine" in listed


def test_capacity_and_waiting_list_then_cancelling_promotes(app, client, session, homes):
    workshop = make_session(app, session, capacity=1)
    csrf = login(client, "agent.cacem")
    first = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                        data={"csrf_token": csrf, "household_id": str(homes["cacem"].id)})
    assert first.status_code == 302
    full = page(client.get(f"/distribution/workshops/{workshop.id}"))
    assert "Mettre en liste d'attente" in full and "L'atelier est complet : le foyer ira sur la liste d'attente." in full
    assert "Complet : liste d'attente" in page(client.get("/distribution/workshops/"))

    second = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                         data={"csrf_token": csrf, "household_id": str(homes["referred"].id)}, follow_redirects=True)
    assert "L'atelier est complet : Léa Rosine est sur la liste d'attente (position 1)." in page(second)
    waiting = booking_of(session, homes["referred"].id, workshop.id)
    seated = booking_of(session, homes["cacem"].id, workshop.id)
    assert (seated.status, waiting.status) == ("booked", "waitlisted")
    assert "(position 1)" in page(client.get(f"/distribution/workshops/{workshop.id}"))

    cancelled = client.post(f"/distribution/workshops/{workshop.id}/bookings/{seated.id}/cancel",
                            data={"csrf_token": csrf}, follow_redirects=True)
    assert "Inscription de Marc Bellay annulée." in page(cancelled)
    assert booking_of(session, homes["cacem"].id, workshop.id).status == "cancelled"
    assert booking_of(session, homes["referred"].id, workshop.id).status == "booked"   # took the seat


def test_cancelling_another_scope_s_booking_is_not_found(app, client, session, homes):
    from distribution.services.workshops import book
    from tests.helpers import actor

    workshop = make_session(app, session)
    other = make_session(app, session, days=9)
    theirs = book(session, actor(app, "agent.espacesud"), workshop.id, homes["sud"].id)
    mine = book(session, actor(app, "agent.cacem"), workshop.id, homes["cacem"].id)
    csrf = login(client, "agent.cacem")
    shown = page(client.get(f"/distribution/workshops/{workshop.id}"))
    assert "Bellay" in shown and "Nirelep" not in shown          # only their households' bookings
    assert client.post(f"/distribution/workshops/{workshop.id}/bookings/{theirs.id}/cancel",
                       data={"csrf_token": csrf}).status_code == 404
    # Their own booking named under another session: not found either.
    assert client.post(f"/distribution/workshops/{other.id}/bookings/{mine.id}/cancel",
                       data={"csrf_token": csrf}).status_code == 404
    assert booking_of(session, homes["sud"].id, workshop.id).status == "booked"
    assert booking_of(session, homes["cacem"].id, workshop.id).status == "booked"


def test_a_started_session_takes_no_booking(app, client, session, homes):
    started = make_session(app, session, days=-0.01)
    csrf = login(client, "agent.cacem")
    answer = client.post(f"/distribution/workshops/{started.id}/bookings",
                         data={"csrf_token": csrf, "household_id": str(homes["cacem"].id)}, follow_redirects=True)
    assert "Cet atelier a déjà commencé" in page(answer)
    assert booking_of(session, homes["cacem"].id, started.id) is None


@pytest.mark.parametrize("username", ["animateur", "partenaire"])
def test_those_who_book_nobody_are_refused(app, client, session, homes, username):
    workshop = make_session(app, session)
    csrf = login(client, username)
    answer = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                         data={"csrf_token": csrf, "household_id": str(homes["referred"].id)})
    assert answer.status_code == 403
    assert booking_of(session, homes["referred"].id, workshop.id) is None


def test_the_workshop_keeps_its_participants_page_and_admin_books_too(app, client, session, homes):
    from distribution.services.workshops import book
    from tests.helpers import actor

    workshop = make_session(app, session)
    book(session, actor(app, "agent.espacesud"), workshop.id, homes["sud"].id)
    login(client, "technicien")
    shown = page(client.get(f"/distribution/workshops/{workshop.id}"))
    assert "Participants" in shown and "Nirelep" in shown and 'id="household_id"' not in shown  # sees no household
    logout(client)
    csrf = login(client, "admin")
    shown = page(client.get(f"/distribution/workshops/{workshop.id}"))
    assert "Participants" in shown and 'id="household_id"' in shown
    answer = client.post(f"/distribution/workshops/{workshop.id}/bookings",
                         data={"csrf_token": csrf, "household_id": str(homes["cacem"].id)})
    assert answer.status_code == 302
    assert booking_of(session, homes["cacem"].id, workshop.id).status == "booked"

"""Handovers made offline on tour, synced (docs/mobile-tour-design.md §§ 3.3–3.4): the invoices
numbered on the device in the unit's series are registered as printed and anchored in the main
chain; the device is handed over, the request equipped, the workshop booked; the same batch again
changes nothing; a reservation released meanwhile keeps the invoice and holds the effects until
« Appliquer la remise »; a tampered invoice is refused with nothing written. Both engines."""
from __future__ import annotations

import copy
import hashlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.clock import to_local, utcnow
from core.money import euros
from core.errors import Conflict
from distribution.models import Booking, Invoice, Reservation
from distribution.services.invoicing import issue_credit_note, verify_chain
from distribution.services.reservations import release, reserve
from distribution.services.tour_sync import apply_batch, resolve
from distribution.services.tours import Programme, download_tour
from distribution.tour.models import MobileUnit, TourAction
from eligibility.models import Request
from eligibility.services.requests import create_request, decide_request
from inventory.models import Device
from distribution.tour.offline import OfflineDevice as Van
from tests.distribution.tours import MACOUBA, reserved_in_macouba, take_out
from tests.helpers import actor, make_household, make_session, settings_for

KEY = str(uuid.uuid4())


@pytest.fixture
def out(app, session, shop):
    """Unit M1 out on tour at a Macouba stop that started an hour ago, two devices loaded."""
    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    first = reserved_in_macouba(app, session, shop, "Premier", "0696 20 20 21")
    second = reserved_in_macouba(app, session, shop, "Second", "0696 20 20 22")
    return take_out(app, session, workshop, key=KEY), workshop, first, second


def send(app, session, tour, actions):
    return apply_batch(session, actor(app, "technicien"), tour.id,
                       {"device_key": KEY, "format": 1, "actions": actions})["results"]


def test_two_handovers_offline_are_registered_as_printed_and_sending_again_changes_nothing(app, session, out):
    tour, workshop, first, second = out
    van = Van(tour.snapshot)
    now = utcnow()
    charger = tour.snapshot["accessories"][0]["code"]
    batch = [van.handover(first.id, now - timedelta(minutes=20), session_id=workshop.id, accessories=[(charger, 2)]),
             van.handover(second.id, now - timedelta(minutes=10), method="card")]
    year = to_local(now).year
    assert [a["data"]["invoice"]["number"] for a in batch] == [f"F-M1-{year}-00001", f"F-M1-{year}-00002"]

    results = send(app, session, tour, batch)

    assert [r["outcome"] for r in results] == ["applied", "applied"], results
    invoices = session.execute(select(Invoice).order_by(Invoice.unit_position)).scalars().all()
    assert [(i.number, i.tour_id, i.unit_position, i.unit_hash) for i in invoices] == [
        (a["data"]["invoice"]["number"], tour.id, n, a["data"]["invoice"]["unit_hash"])
        for n, a in enumerate(batch, start=1)]
    assert invoices[0].lines[1].quantity == 2 and invoices[1].payments[0]["method"] == "card"
    assert verify_chain(session) == []
    for reservation in (first, second):
        session.refresh(reservation)
        assert reservation.status == "handed_over"
        assert session.get(Device, reservation.device_id).state == "distributed"
        assert session.get(Request, reservation.request_id).status == "equipped"
    booking = session.execute(select(Booking).where(Booking.reservation_id == first.id)).scalar_one()
    assert (booking.session_id, booking.status, booking.tour_id) == (workshop.id, "booked", tour.id)

    counts = (session.execute(select(func.count(), func.max(Invoice.id))).one(),
              session.execute(select(func.count(), func.max(Booking.id))).one(),
              session.execute(select(func.count(), func.max(TourAction.id))).one())
    again = send(app, session, tour, batch)
    assert [(r["outcome"], r["repeat"]) for r in again] == [("applied", True)] * 2
    assert (session.execute(select(func.count(), func.max(Invoice.id))).one(),
            session.execute(select(func.count(), func.max(Booking.id))).one(),
            session.execute(select(func.count(), func.max(TourAction.id))).one()) == counts


def test_a_reservation_released_while_offline_keeps_the_invoice_and_holds_the_handover(app, session, out):
    tour, _, first, _ = out
    van = Van(tour.snapshot)
    action = van.handover(first.id, utcnow() - timedelta(minutes=5))
    release(session, actor(app, "admin"), first.id, reason="Foyer injoignable")

    [result] = send(app, session, tour, [action])

    number = action["data"]["invoice"]["number"]
    assert result["outcome"] == "conflict"
    assert result["message"].startswith(f"La réservation de {first.device.asset_tag} a été libérée le ")
    assert "(motif : Foyer injoignable)" in result["message"]
    assert f"La facture {number} est enregistrée ; l'appareil n'est pas encore « Remis au foyer »." in result["message"]
    assert result["what_to_do"].startswith("Si le foyer a bien l'appareil : Appliquer la remise.")
    invoice = session.execute(select(Invoice)).scalar_one()
    assert (invoice.number, invoice.booking_id) == (number, None) and verify_chain(session) == []
    assert session.get(Device, first.device_id).state == "in_stock"
    with pytest.raises(Conflict, match="Émettez d'abord un avoir"):
        resolve(session, actor(app, "technicien"), tour.id, action["key"], {"decision": "dismiss"})

    settled = resolve(session, actor(app, "technicien"), tour.id, action["key"], {"decision": "apply"})

    assert settled.outcome == "resolved"
    assert session.get(Device, first.device_id).state == "distributed"
    assert session.get(Reservation, first.id).status == "handed_over"
    assert session.get(Request, first.request_id).status == "equipped"


def test_a_held_handover_is_dismissed_once_a_credit_note_cancels_its_invoice(app, session, out):
    tour, _, first, _ = out
    action = Van(tour.snapshot).handover(first.id, utcnow() - timedelta(minutes=5))
    release(session, actor(app, "admin"), first.id)
    send(app, session, tour, [action])
    issue_credit_note(session, actor(app, "technicien"), action["data"]["invoice"]["number"],
                      reason="Appareil non remis")
    assert resolve(session, actor(app, "technicien"), tour.id, action["key"],
                   {"decision": "dismiss"}).outcome == "dismissed"
    assert verify_chain(session) == []


def test_a_tampered_invoice_or_a_gap_is_refused_and_nothing_is_written(app, session, out):
    tour, _, first, second = out
    van = Van(tour.snapshot)
    skipped = van.handover(first.id, utcnow() - timedelta(minutes=9))     # never sent: 00001 missing
    gap = van.handover(second.id, utcnow() - timedelta(minutes=8))
    gap["seq"] = 1
    [result] = send(app, session, tour, [gap])
    assert result["outcome"] == "refused" and skipped["seq"] == 1
    assert "00001" in result["message"], result["message"]
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 0
    assert session.get(Device, second.device_id).state == "reserved"

    # A device whose download was altered: a 1,00 € price, consistent on the device (payment, total,
    # hash), but not what the server priced.
    altered = copy.deepcopy(tour.snapshot)
    line = next(r for r in altered["reservations"] if r["id"] == first.id)["device_line"]
    line.update(unit_price_ttc="1.00", total_ttc="1.00", total_ht="1.00", vat="0.00")
    forged = Van(altered).handover(first.id, utcnow() - timedelta(minutes=7))
    forged["seq"] = 2
    [refused] = send(app, session, tour, [forged])
    assert refused["outcome"] == "refused"
    price = next(r for r in tour.snapshot["reservations"] if r["id"] == first.id)["device_line"]["total_ttc"]
    assert refused["message"] == f"Les paiements (1,00\u00a0€) doivent égaler le total ({euros(Decimal(price))}).", \
        refused["message"]
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 0


def test_closing_the_tour_frees_the_unit_and_chains_a_closing_ticket(app, session, out):
    tour, workshop, first, second = out
    van = Van(tour.snapshot)
    now = utcnow()
    batch = [van.handover(first.id, now - timedelta(minutes=20)),
             van.handover(second.id, now - timedelta(minutes=10), method="card"),
             van.action("close", {"note": "Retour au dépôt"}, now - timedelta(minutes=5))]
    assert [r["outcome"] for r in send(app, session, tour, batch)] == ["applied"] * 3
    session.expire_all()
    closed = session.get(type(tour), tour.id)
    ticket = dict(closed.closure)
    invoices = [a["data"]["invoice"] for a in batch[:2]]
    price = [a["data"]["invoice"]["content"]["total_ttc"] for a in batch[:2]]
    assert closed.status == "closed"
    assert {k: ticket[k] for k in ("tour", "unit", "actions", "invoices", "first_number", "last_number",
                                   "by_payment_method", "last_unit_hash", "note")} == {
        "tour": tour.reference, "unit": "M1", "actions": 3, "invoices": 2, "first_number": invoices[0]["number"],
        "last_number": invoices[1]["number"], "by_payment_method": {"card": price[1], "cash": price[0]},
        "last_unit_hash": invoices[1]["unit_hash"], "note": "Retour au dépôt"}
    assert ticket["total_ttc"] == f"{Decimal(price[0]) + Decimal(price[1]):.2f}"
    body = {k: v for k, v in ticket.items() if k not in ("sha256", "note")}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert ticket["sha256"] == hashlib.sha256((text + invoices[1]["unit_hash"]).encode()).hexdigest()
    # The unit is free again: the next tour of M1 can leave.
    again = download_tour(session, actor(app, "technicien"), tour_date=to_local(workshop.starts_at).date(),
                          session_ids=[workshop.id], device_key=KEY, settings=settings_for(app),
                          programme=Programme("Rekonekt", None), unit="M1", reservation_ids=[],
                          now=workshop.starts_at - timedelta(hours=2))
    assert again.snapshot["series"]["next_position"] == 3
    assert again.snapshot["series"]["previous_hash"] == invoices[1]["unit_hash"]
    # Nothing more is taken on a closed tour.
    late = van.action("attendance", {"booking_id": 1, "attended": True}, now)
    [refused] = send(app, session, tour, [late])
    assert refused["outcome"] == "refused" and "terminée" in refused["message"]


def test_applying_a_held_handover_is_refused_while_another_reservation_holds_the_device(app, session, out):
    tour, _, first, _ = out
    action = Van(tour.snapshot).handover(first.id, utcnow() - timedelta(minutes=5))
    release(session, actor(app, "admin"), first.id, reason="Foyer injoignable")
    elsewhere = make_household(app, session, "prescripteur", commune_insee="97213", last_name="Ailleurs",
                               first_name="Rose", phone="0696 20 20 23")
    item = decide_request(session, actor(app, "admin"), create_request(session, actor(app, "prescripteur"),
                                                                       elsewhere, "laptop"), "validate")
    other = reserve(session, actor(app, "technicien"), item.id, first.device.asset_tag)
    [result] = send(app, session, tour, [action])
    assert result["outcome"] == "conflict"

    number = action["data"]["invoice"]["number"]
    with pytest.raises(Conflict) as refused:
        resolve(session, actor(app, "technicien"), tour.id, action["key"], {"decision": "apply"})
    assert refused.value.message == (
        f"L'appareil {first.device.asset_tag} est réservé pour un autre foyer (réservation n° {other.id}) : libérez "
        f"cette réservation, puis Appliquer la remise ; sinon émettez un avoir sur la facture {number}.")
    session.expire_all()
    assert session.get(Device, first.device_id).state == "reserved"
    assert (session.get(Reservation, other.id).status, session.get(Reservation, first.id).status) == (
        "active", "released")
    assert session.get(TourAction, session.execute(select(TourAction.id)).scalar_one()).outcome == "conflict"

    release(session, actor(app, "admin"), other.id, reason="Appareil remis en tournée")
    assert resolve(session, actor(app, "technicien"), tour.id, action["key"], {"decision": "apply"}).outcome == "resolved"
    assert session.get(Device, first.device_id).state == "distributed"


def test_a_handover_whose_printed_workshop_is_not_the_one_booked_is_refused(app, session, out):
    tour, workshop, first, second = out
    van = Van(tour.snapshot)
    unprinted = van.handover(first.id, utcnow() - timedelta(minutes=5))          # the invoice prints no workshop
    unprinted["data"]["session_id"] = workshop.id                                 # yet asks to book the stop
    [result] = send(app, session, tour, [unprinted])
    number = unprinted["data"]["invoice"]["number"]
    assert (result["outcome"], result["message"]) == (
        "refused", f"Facture {number} : l'atelier imprimé (aucun) n'est pas celui de l'inscription demandée "
                   f"(n° {workshop.id}).")
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 0
    assert session.execute(select(func.count()).select_from(Booking)).scalar() == 0
    assert session.get(Device, first.device_id).state == "reserved"


@pytest.mark.parametrize("issued_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_a_forged_content_with_a_date_out_of_range_is_refused_in_french(app, session, out, issued_at):
    tour, _, first, _ = out
    action = Van(tour.snapshot).handover(first.id, utcnow() - timedelta(minutes=5))
    action["data"]["invoice"]["content"]["issued_at"] = issued_at         # what the device says it hashed…
    action["data"]["invoice"]["unit_hash"] = "0" * 63 + "1"                  # …to a hash the server's does not give
    [result] = send(app, session, tour, [action])
    assert result["outcome"] == "refused"
    assert f"Date d'émission : appareil « {issued_at} », serveur " in result["message"], result["message"]
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 0


def test_a_device_handed_over_elsewhere_meanwhile_asks_for_a_credit_note(app, session, out):
    from distribution.services.handover import handover

    tour, _, first, _ = out
    action = Van(tour.snapshot).handover(first.id, utcnow() - timedelta(minutes=5))
    release(session, actor(app, "admin"), first.id, reason="Foyer injoignable")
    elsewhere = make_household(app, session, "prescripteur", commune_insee="97213", last_name="Ailleurs",
                               first_name="Rose", phone="0696 20 20 24")
    item = decide_request(session, actor(app, "admin"), create_request(session, actor(app, "prescripteur"),
                                                                       elsewhere, "laptop"), "validate")
    other = reserve(session, actor(app, "technicien"), item.id, first.device.asset_tag)
    office = make_session(app, session, commune="97213", days=3)
    office_invoice = handover(session, actor(app, "technicien"), other.id, settings_for(app), payment_method="cash",
                              workshop_session_id=office.id).invoice.number

    [result] = send(app, session, tour, [action])

    number = action["data"]["invoice"]["number"]
    tag = first.device.asset_tag
    assert (result["outcome"], result["message"], result["what_to_do"]) == (
        "conflict", f"L'appareil {tag} a déjà été remis à un autre foyer (facture {office_invoice}). La facture "
                    f"{number} est enregistrée.",
        f"Vérifiez le numéro d'inventaire de l'appareil remis, puis émettez un avoir sur {number}.")
    with pytest.raises(Conflict) as refused:
        resolve(session, actor(app, "technicien"), tour.id, action["key"], {"decision": "apply"})
    assert refused.value.message == result["message"]
    issue_credit_note(session, actor(app, "technicien"), number, reason="Appareil remis à un autre foyer")
    assert resolve(session, actor(app, "technicien"), tour.id, action["key"],
                   {"decision": "dismiss"}).outcome == "dismissed"
    assert verify_chain(session) == []


def test_a_printed_workshop_with_a_huge_text_is_refused_even_when_its_hash_holds(app, session, out):
    tour, workshop, first, _ = out
    altered = copy.deepcopy(tour.snapshot)
    proposal = next(p for r in altered["reservations"] if r["id"] == first.id for p in r["proposals"]
                    if p["session_id"] == workshop.id)
    proposal["place"] = "x" * 5000                  # the device prints and hashes it: the hash holds
    action = Van(altered).handover(first.id, utcnow() - timedelta(minutes=5), session_id=workshop.id)
    [result] = send(app, session, tour, [action])
    assert result["outcome"] == "refused"
    assert result["message"].startswith("Atelier de la facture mal formé : seules les clés address, commune, date, ")
    assert "texte de 400 caractères au plus" in result["message"]
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 0


@pytest.mark.parametrize("marked", [True, False])
def test_a_participant_of_the_stop_handed_a_device_there_keeps_their_one_booking(app, session, shop, marked):
    from distribution.services.workshops import book

    session.add(MobileUnit(code="M1", name="Camion Nord", active=True))
    session.commit()
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    first = reserved_in_macouba(app, session, shop, "Participante", "0696 20 20 25")
    booked = book(session, actor(app, "admin"), workshop.id, first.request.household_id,
                  now=workshop.starts_at - timedelta(hours=5))
    tour = download_tour(session, actor(app, "technicien"), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=KEY, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), unit="M1", now=workshop.starts_at - timedelta(hours=3))
    van, now = Van(tour.snapshot), utcnow()
    batch = [van.action("attendance", {"booking_id": booked.id, "attended": True, "satisfaction": 5},
                        now - timedelta(minutes=30))] if marked else []
    batch.append(van.handover(first.id, now - timedelta(minutes=5), session_id=workshop.id))

    results = send(app, session, tour, batch)

    assert [r["outcome"] for r in results] == ["applied"] * len(batch), results
    assert results[-1]["result"]["booking_id"] == booked.id
    bookings = session.execute(select(Booking).where(Booking.household_id == first.request.household_id)).scalars().all()
    assert [(b.id, b.status, b.reservation_id) for b in bookings] == [
        (booked.id, "attended" if marked else "booked", first.id)]
    assert session.get(Device, first.device_id).state == "distributed"


def test_a_reservation_expired_while_offline_is_told_in_plain_french(app, session, out):
    from distribution.services.reservations import release_expired

    tour, _, first, _ = out
    action = Van(tour.snapshot).handover(first.id, utcnow() - timedelta(minutes=5))
    session.refresh(first)
    later = first.expires_at + timedelta(hours=1)          # the 14-day hold is over
    assert first.id in [r.id for r in release_expired(session, now=later)]

    [result] = send(app, session, tour, [action])

    assert (result["outcome"], result["message"]) == (
        "conflict", f"La réservation de {first.device.asset_tag} a expiré le {to_local(later):%d/%m/%Y}. La facture "
                    f"{action['data']['invoice']['number']} est enregistrée ; l'appareil n'est pas encore « Remis au "
                    "foyer ».")

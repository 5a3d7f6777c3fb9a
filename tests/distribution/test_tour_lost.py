"""A tour's device lost or reset (issue 20, docs/mobile-tour-design.md § 1.5): Admin declares it with
a reason, for a tour still out; the tour becomes « lost », its unit is retired with the last number
registered in each year, and a new unit with the same name and the next code carries the van on at
once, with a new series. The lost device may still sync later: its invoices continue the retired
unit's chain, verify_chain stays clean and verify-invoices says which were synced late. Both
engines."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import to_local, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from distribution.models import Invoice, Reservation
from distribution.services.invoicing import GENESIS, verify_chain
from distribution.services.mobile_invoicing import series_notes
from distribution.services.mobile_units import create_unit
from distribution.services.tour_lost import declare_lost
from distribution.services.tour_sync import apply_batch
from distribution.services.tours import Programme, download_tour
from distribution.tour.models import MobileTour, MobileUnit
from tests.distribution.test_handover import cli
from tests.distribution.tours import MACOUBA, reserved_in_macouba, take_out
from distribution.tour.offline import OfflineDevice as Van
from tests.helpers import actor, make_session, settings_for

KEY = str(uuid.uuid4())


@pytest.fixture
def out(app, session, shop):
    """Unit M1 « Camion Nord » out on tour at a Macouba stop that started an hour ago, two devices
    loaded; unit M2 « Portable Sud » beside it, so that the van's next unit is M3."""
    admin = actor(app, "admin")
    create_unit(session, admin, name="Camion Nord")
    create_unit(session, admin, name="Portable Sud")
    workshop = make_session(app, session, commune=MACOUBA, days=-1 / 24, venue_kind="mobile_stop")
    first = reserved_in_macouba(app, session, shop, "Premier", "0696 20 20 21")
    second = reserved_in_macouba(app, session, shop, "Second", "0696 20 20 22")
    return take_out(app, session, workshop, key=KEY), workshop, first, second


def send(app, session, tour, actions):
    return apply_batch(session, actor(app, "technicien"), tour.id,
                       {"device_key": KEY, "format": 1, "actions": actions})["results"]


def units(session) -> list[tuple]:
    session.expire_all()
    return [tuple(r) for r in session.execute(select(MobileUnit.code, MobileUnit.name, MobileUnit.active)
                                              .order_by(MobileUnit.id))]


def tour_state(session, tour_id: int) -> tuple:
    session.expire_all()
    tour = session.get(MobileTour, tour_id)
    return tour.status, tour.lost_reason


@pytest.mark.parametrize("username", ["technicien", "animateur", "agent.cacem"])
def test_only_admin_declares_a_device_lost(app, session, out, username):
    tour = out[0]
    with pytest.raises(Forbidden, match="Seul l'administrateur déclare l'appareil d'une tournée perdu"):
        declare_lost(session, actor(app, username), tour.id, reason="Tablette volée")
    assert tour_state(session, tour.id) == ("out", None)
    assert units(session) == [("M1", "Camion Nord", True), ("M2", "Portable Sud", True)]


@pytest.mark.parametrize("reason, message", [
    (None, "Motif : obligatoire, dites ce qui est arrivé à l'appareil (par exemple « tablette volée »)."),
    ("   ", "Motif : obligatoire, dites ce qui est arrivé à l'appareil (par exemple « tablette volée »)."),
    (12, "Motif : texte attendu."),
    ("x" * 2001, "Motif : 2000 caractères au plus (2001 saisis)."),
])
def test_a_reason_is_required_and_nothing_is_written_without_one(app, session, out, reason, message):
    tour = out[0]
    with pytest.raises(ValidationFailed) as refused:
        declare_lost(session, actor(app, "admin"), tour.id, reason=reason)
    assert refused.value.errors == {"reason": [message]}
    assert tour_state(session, tour.id) == ("out", None)
    assert units(session) == [("M1", "Camion Nord", True), ("M2", "Portable Sud", True)]


def test_only_a_tour_still_out_is_declared_lost(app, session, out):
    tour = out[0]
    admin = actor(app, "admin")
    declare_lost(session, admin, tour.id, reason="Tablette volée")
    with pytest.raises(Conflict, match=f"L'appareil de la tournée {tour.reference} est déjà déclaré perdu"):
        declare_lost(session, admin, tour.id, reason="Encore")
    assert units(session) == [("M1", "Camion Nord", False), ("M2", "Portable Sud", True),
                              ("M3", "Camion Nord", True)]

    # A tour sent back and closed is no longer out.
    second = download_tour(session, actor(app, "technicien"), tour_date=tour.tour_date, session_ids=[],
                           device_key=KEY, settings=settings_for(app), programme=Programme("Rekonekt", None),
                           unit="M3", reservation_ids=[out[2].id], now=utcnow() - timedelta(minutes=30))
    van = Van(second.snapshot)
    assert [r["outcome"] for r in send(app, session, second, [van.action("close", {"note": None}, utcnow())])] \
        == ["applied"]
    with pytest.raises(Conflict, match=f"La tournée {second.reference} est « Terminée » : seul l'appareil d'une "
                                       "tournée encore en cours se déclare perdu ou réinitialisé."):
        declare_lost(session, admin, second.id, reason="Tablette volée")
    assert units(session)[-1] == ("M3", "Camion Nord", True)


def test_an_unknown_tour_is_not_found(app, session, out):
    from core.errors import NotFound

    with pytest.raises(NotFound, match="Tournée introuvable."):
        declare_lost(session, actor(app, "admin"), 999999, reason="Tablette volée")


def test_the_unit_is_retired_with_its_closed_series_and_a_new_unit_carries_the_van_on(app, session, out):
    tour, workshop, first, second = out
    van = Van(tour.snapshot)
    now = utcnow()
    results = send(app, session, tour, [van.handover(first.id, now - timedelta(minutes=20))])
    assert [r["outcome"] for r in results] == ["applied"]
    year = to_local(now).year
    admin = actor(app, "admin")
    declared_at = now.replace(microsecond=0)

    lost = declare_lost(session, admin, tour.id, reason="  Tablette volée dans le camion ", now=declared_at)

    assert (lost.tour.id, lost.retired.code, lost.unit.code) == (tour.id, "M1", "M3")
    assert tour_state(session, tour.id) == ("lost", "Tablette volée dans le camion")
    assert session.get(MobileTour, tour.id).status_label == "Appareil perdu ou réinitialisé"
    retired = session.execute(select(MobileUnit).where(MobileUnit.code == "M1")).scalar_one()
    assert (retired.active, retired.retired_at, retired.retired_by_id, retired.closed_series) == (
        False, declared_at, admin.id, {str(year): 1})
    assert retired.retired_reason == (f"appareil perdu ou réinitialisé, tournée {tour.reference} : "
                                      "Tablette volée dans le camion")
    new = session.execute(select(MobileUnit).where(MobileUnit.code == "M3")).scalar_one()
    assert (new.name, new.active, new.created_by_id, new.closed_series) == ("Camion Nord", True, admin.id, None)
    assert units(session) == [("M1", "Camion Nord", False), ("M2", "Portable Sud", True),
                              ("M3", "Camion Nord", True)]
    # The reservation loaded and not handed over stays active: the office decides.
    assert session.get(Reservation, second.id).status == "active"

    # The van takes a new tour at once on its new unit, with a new series; the retired unit is refused.
    technicien = actor(app, "technicien")
    with pytest.raises(Conflict, match="L'unité M1 est retirée depuis le"):
        download_tour(session, technicien, tour_date=tour.tour_date, session_ids=[workshop.id],
                      device_key=str(uuid.uuid4()), settings=settings_for(app),
                      programme=Programme("Rekonekt", None), unit="M1", now=now)
    again = download_tour(session, technicien, tour_date=tour.tour_date, session_ids=[workshop.id],
                          device_key=str(uuid.uuid4()), settings=settings_for(app),
                          programme=Programme("Rekonekt", None), unit="M3", reservation_ids=[second.id], now=now)
    assert again.status == "out" and again.unit.code == "M3"
    series = again.snapshot["series"]
    assert (series["prefix"], series["next_position"], series["previous_hash"]) == ("F-M3", 1, GENESIS)
    assert set(series["next_numbers"].values()) == {1}
    assert [r["id"] for r in again.snapshot["reservations"]] == [second.id]


def test_the_lost_device_may_still_sync_later_and_its_invoices_continue_the_chain(app, session, out):
    tour, _, first, second = out
    van = Van(tour.snapshot)
    now = utcnow()
    sold_first = van.handover(first.id, now - timedelta(minutes=30))
    assert [r["outcome"] for r in send(app, session, tour, [sold_first])] == ["applied"]
    sold_second = van.handover(second.id, now - timedelta(minutes=20))    # printed, then the device was lost
    year = to_local(now).year
    declare_lost(session, actor(app, "admin"), tour.id, reason="Tablette égarée")
    note = (f"Série F-M1-{year} close le {to_local(utcnow()):%d/%m/%Y} après la facture 00001 (appareil perdu ou "
            f"réinitialisé, tournée {tour.reference} : Tablette égarée)")
    assert series_notes(session) == [f"{note} : les factures émises ensuite sur l'appareil n'ont pas été remontées."]

    # The device turns up and sends what it still holds, with the same device key.
    results = send(app, session, tour, [sold_first, sold_second])

    assert [(r["outcome"], r["repeat"]) for r in results] == [("applied", True), ("applied", False)], results
    invoices = session.execute(select(Invoice).order_by(Invoice.unit_position)).scalars().all()
    assert [(i.number, i.tour_id, i.unit_position) for i in invoices] == [
        (f"F-M1-{year}-00001", tour.id, 1), (f"F-M1-{year}-00002", tour.id, 2)]
    assert invoices[1].unit_previous_hash == invoices[0].unit_hash
    assert session.get(Reservation, second.id).status == "handed_over"
    assert verify_chain(session) == []
    assert tour_state(session, tour.id)[0] == "lost"
    assert session.execute(select(func.count()).select_from(MobileUnit)).scalar_one() == 3
    assert series_notes(session) == [f"{note} : l'appareil a remonté ensuite la facture 00002."]

    result = cli(app, "verify-invoices")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{note} : l'appareil a remonté ensuite la facture 00002.",
        "Chaîne des factures et avoirs intacte : numérotation continue, empreintes conformes."]


def test_a_tour_without_a_unit_is_declared_lost_with_no_series_to_close(app, session, out):
    _, workshop, _, _ = out
    tour = download_tour(session, actor(app, "animateur"), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=str(uuid.uuid4()), settings=settings_for(app),
                         programme=Programme("Rekonekt", None), now=workshop.starts_at - timedelta(hours=2))
    lost = declare_lost(session, actor(app, "admin"), tour.id, reason="Téléphone réinitialisé")
    assert (lost.retired, lost.unit) == (None, None)
    assert tour_state(session, tour.id) == ("lost", "Téléphone réinitialisé")
    assert units(session) == [("M1", "Camion Nord", True), ("M2", "Portable Sud", True)]

"""Downloading a tour (issue 20, docs/mobile-tour-design.md § 2): what the snapshot holds for a
stock manager with a mobile unit and for an Animateur, what it never holds (income and the
rest of the eligibility file), the hold raised on the devices loaded, one tour out per unit,
and every refusal writing nothing."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.clock import to_local, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from distribution.amounts import line_amounts
from distribution.models import Reservation
from distribution.services.invoicing import GENESIS
from distribution.services.reservations import reserve
from distribution.services.tours import Programme, download_tour
from distribution.services.workshops import book
from distribution.tour.models import MobileTour, MobileTourReservation, MobileUnit
from distribution.tour.snapshot import snapshot_sha256
from eligibility.services.requests import create_request, decide_request
from tests.helpers import actor, make_household, make_session, settings_for, stock_device

MACOUBA, LAMENTIN = "97215", "97213"
PROGRAMME = Programme("Rekonekt Martinique", "0596 00 00 00")


def key() -> str:
    return str(uuid.uuid4())


def request_in(app, session, commune: str, *, last_name: str, phone: str, category: str = "laptop", **household):
    household = make_household(app, session, "prescripteur", commune_insee=commune, last_name=last_name,
                               first_name="Rose", phone=phone, **household)
    item = create_request(session, actor(app, "prescripteur"), household, category)
    return decide_request(session, actor(app, "admin"), item, "validate")


@pytest.fixture
def unit(session):
    row = MobileUnit(code="M1", name="Camion Nord", active=True)
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def stop(app, session):
    """A mobile workshop at Macouba in two days, with one household of Macouba booked."""
    workshop = make_session(app, session, commune=MACOUBA, days=2, venue_kind="mobile_stop",
                            venue_name="Bourg de Macouba")
    return workshop


def download(app, session, username="technicien", *, workshop, now=None, **kw):
    now = now or (workshop.starts_at - timedelta(hours=3))
    return download_tour(session, actor(app, username), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=key(), settings=settings_for(app),
                         programme=PROGRAMME, now=now, **kw)


def walk(value, path=""):
    """Every (path, key or scalar value) of a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}.{i}")
    else:
        yield path, value


FORBIDDEN_KEYS = {"monthly_resources", "resources", "resources_proof", "benefits", "situations", "members",
                  "birth_date", "consumption_units", "income", "decision", "decisions", "email", "name_key"}


def test_a_stock_manager_downloads_the_stops_and_the_devices_of_their_communes(app, session, shop, unit, stop):
    booked = request_in(app, session, MACOUBA, last_name="Macouba-Un", phone="0696 11 11 11")
    book(session, actor(app, "technicien"), stop.id, booked.household_id)
    here = request_in(app, session, MACOUBA, last_name="Macouba-Deux", phone="0696 22 22 22")
    elsewhere = request_in(app, session, LAMENTIN, last_name="Lamentin", phone="0696 33 33 33")
    device_here, device_elsewhere = stock_device(session, shop), stock_device(session, shop)
    r_here = reserve(session, actor(app, "technicien"), here.id, device_here.asset_tag)
    r_elsewhere = reserve(session, actor(app, "technicien"), elsewhere.id, device_elsewhere.asset_tag)

    tour = download(app, session, workshop=stop, unit="M1")

    snap = tour.snapshot
    assert tour.reference == f"TRN-{to_local(stop.starts_at).year}-0001" and tour.status == "out"
    assert tour.valid_until == tour.downloaded_at + timedelta(hours=24)
    assert snap["tour"]["unit"] == {"code": "M1", "name": "Camion Nord"}
    [s] = snap["sessions"]
    assert s["id"] == stop.id and s["commune"] == "Macouba" and s["free_seats"] == stop.capacity - 1
    assert s["date"] == f"{to_local(stop.starts_at):%d/%m/%Y}"
    assert [(b["last_name"], b["first_name"], b["phone"], b["status_label"]) for b in s["bookings"]] == [
        ("Macouba-Un", "Rose", "0696 11 11 11", "Inscrit")]
    # Preselected: the reservations of households living in a stop's commune.
    assert [r["id"] for r in snap["reservations"]] == [r_here.id]
    [load] = snap["reservations"]
    price = Decimal(load["device_line"]["total_ttc"])
    assert load["device"]["asset_tag"] == device_here.asset_tag
    assert load["household"]["reference"] == here.household.reference
    assert load["household"]["buyer_name"] == "Rose Macouba-Deux"
    assert Decimal(load["aide_solidaire"]) == Decimal(load["reference_value"]) - price
    assert load["proposals"][0]["session_id"] == stop.id        # the tour's own stop first
    year = to_local(tour.downloaded_at).year
    assert snap["series"] == {"unit": "M1", "prefix": "F-M1", "next_numbers": {str(year): 1}, "next_position": 1,
                              "previous_hash": GENESIS}
    charger = next(a for a in snap["accessories"] if a["lines"])
    three = line_amounts(Decimal(charger["price"]), 3, settings_for(app).vat_regime)
    assert charger["lines"]["3"]["total_ttc"] == f"{three.total_ttc:.2f}" and len(charger["lines"]) == 10
    assert tour.snapshot_sha256 == snapshot_sha256(snap)
    # The hold of the device loaded now lasts at least as long as the tour's data; the other's is unchanged.
    session.refresh(r_here), session.refresh(r_elsewhere)
    assert r_here.expires_at >= tour.valid_until
    assert r_elsewhere.expires_at < tour.valid_until or r_elsewhere.expires_at == r_elsewhere.reserved_at + timedelta(days=14)
    loaded = session.execute(select(MobileTourReservation.reservation_id)
                             .where(MobileTourReservation.tour_id == tour.id)).scalars().all()
    assert loaded == [r_here.id]


def test_the_snapshot_never_holds_income_nor_the_eligibility_file(app, session, shop, unit, stop):
    item = request_in(app, session, MACOUBA, last_name="Secret", phone="0696 44 44 44",
                      monthly_resources="1234.56", situations=["senior"], benefits=["AAH"])
    book(session, actor(app, "technicien"), stop.id, item.household_id)
    reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)

    snap = download(app, session, workshop=stop, unit="M1").snapshot

    assert not FORBIDDEN_KEYS & {k for _, k in walk(snap) if isinstance(k, str)}
    text = json.dumps(snap, ensure_ascii=False)
    for secret in ("1234.56", "1234,56", "1980-04-02", "02/04/1980", "AAH", "senior", "eloise@example.org"):
        assert secret not in text, secret
    assert "Secret" in text and "0696 44 44 44" in text


def test_an_animateur_downloads_their_own_sessions_with_names_and_phones_and_no_device(app, session, shop, unit,
                                                                                           stop):
    item = request_in(app, session, MACOUBA, last_name="Participant", phone="0696 55 55 55")
    book(session, actor(app, "technicien"), stop.id, item.household_id)
    reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)

    snap = download(app, session, "animateur", workshop=stop).snapshot

    assert [b["phone"] for b in snap["sessions"][0]["bookings"]] == ["0696 55 55 55"]
    assert snap["tour"]["unit"] is None
    for absent in ("reservations", "series", "price_grid", "accessories", "seller"):
        assert absent not in snap
    with pytest.raises(Forbidden):
        download(app, session, "animateur", workshop=stop, unit="M1")
    other = make_session(app, session, commune=MACOUBA, days=2, facilitator=None)
    with pytest.raises(ValidationFailed) as refused:
        download(app, session, "animateur", workshop=other)
    assert refused.value.errors == {"session_ids": [f"Atelier n° {other.id} introuvable."]}
    with pytest.raises(Forbidden):
        download(app, session, "partenaire", workshop=stop)


def tours_and_counter(session):
    return session.execute(select(func.count()).select_from(MobileTour)).scalar_one()


def test_one_tour_out_per_unit_and_refusals_write_nothing(app, session, shop, unit, stop):
    first = download(app, session, workshop=stop, unit="M1")
    with pytest.raises(Conflict) as taken:
        download(app, session, workshop=stop, unit="M1")
    assert str(taken.value) == (f"La série F-M1 est déjà sortie avec la tournée {first.reference} du "
                                f"{first.tour_date:%d/%m/%Y} : envoyez ses enregistrements ou déclarez "
                                "l'appareil perdu.")
    with pytest.raises(ValidationFailed) as unknown:
        download(app, session, workshop=stop, unit="M7")
    assert unknown.value.errors == {"unit": ["Unité mobile « M7 » inconnue."]}
    retired = MobileUnit(code="M2", name="Ancien", active=False, retired_at=utcnow())
    session.add(retired)
    session.commit()
    with pytest.raises(Conflict, match="L'unité M2 est retirée depuis le"):
        download(app, session, workshop=stop, unit="M2")
    with pytest.raises(ValidationFailed) as too_early:
        download(app, session, workshop=stop, now=stop.starts_at - timedelta(days=3))
    assert too_early.value.errors == {"date": ["Une tournée se télécharge le jour même ou la veille."]}
    with pytest.raises(ValidationFailed, match="unit"):
        download_tour(session, actor(app, "technicien"), tour_date=to_local(stop.starts_at).date(),
                      session_ids=[stop.id], reservation_ids=[1], device_key=key(), settings=settings_for(app),
                      programme=PROGRAMME, now=stop.starts_at - timedelta(hours=3))
    assert tours_and_counter(session) == 1
    # A plain tour (no unit) is not limited: the next reference follows, nothing was consumed.
    assert download(app, session, workshop=stop).reference == first.reference[:-4] + "0002"


def test_a_session_of_another_day_or_cancelled_and_a_device_already_loaded_are_refused(app, session, shop, unit,
                                                                                       stop):
    later = make_session(app, session, commune=MACOUBA, days=5)
    with pytest.raises(ValidationFailed) as other_day:
        download_tour(session, actor(app, "technicien"), tour_date=to_local(stop.starts_at).date(),
                      session_ids=[stop.id, later.id], device_key=key(), settings=settings_for(app),
                      programme=PROGRAMME, now=stop.starts_at - timedelta(hours=3))
    assert other_day.value.errors == {"session_ids": [
        f"L'atelier n° {later.id} a lieu le {to_local(later.starts_at):%d/%m/%Y}, "
        f"pas le {to_local(stop.starts_at):%d/%m/%Y}."]}
    item = request_in(app, session, LAMENTIN, last_name="Chargé", phone="0696 66 66 66")
    reservation = reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop).asset_tag)
    session.add(MobileUnit(code="M2", name="Camion Sud", active=True))
    session.commit()
    first = download(app, session, workshop=stop, unit="M1", reservation_ids=[reservation.id])
    assert [r["id"] for r in first.snapshot["reservations"]] == [reservation.id]
    with pytest.raises(Conflict) as loaded:
        download(app, session, workshop=stop, unit="M2", reservation_ids=[reservation.id])
    assert str(loaded.value) == (f"L'appareil {reservation.device.asset_tag} est déjà chargé dans la tournée "
                                 f"{first.reference}.")
    stop.cancelled_at = utcnow()
    session.commit()
    with pytest.raises(Conflict, match="a été annulé"):
        download(app, session, workshop=stop)
    assert session.get(Reservation, reservation.id).status == "active"

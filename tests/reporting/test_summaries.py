"""The summaries of reporting.summaries stay equal to their recomputation from the records after
every kind of write (services, the scan's Core statements, corrections made in SQL, backdated
records), on both engines; ``verify`` names a difference and ``rebuild`` mends it; the commands."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from app.extensions import db
from core.territory import Epci
from core.clock import clock_set_to, local_today, utcnow
from distribution.services.handover import handover
from distribution.services.invoicing import issue_credit_note
from distribution.services.reservations import release, release_expired, reserve
from eligibility.models import Household
from eligibility.services.requests import create_request, decide_request
from eligibility.services.retention import anonymise
from inventory.models import Collection, Device, DeviceEvent
from inventory.services.devices import update_device
from inventory.services.reference import create_organisation, create_site
from inventory.services.scan import scan
from inventory.services.transitions import transition
from reporting.filters import Filters
from reporting.indicators import indicators
from reporting.records import indicators_from_records
from reporting.upkeep import rebuild, verify
from tests.helpers import (
    actor,
    advance,
    collection_rows_sql,
    make_device,
    make_household,
    make_session,
    make_workshop,
    settings_for,
    stock_device,
    validated_request,
)


def same_as_records(session) -> None:
    """Every summary equals its recomputation, and the indicators read from them equal the
    indicators computed from the records, for the whole history and for the last 40 days."""
    problems, _ = verify(session)
    assert problems == []
    now = utcnow()
    for f in (Filters(date(2020, 1, 1), local_today() + timedelta(days=1)),
              Filters(local_today() - timedelta(days=40), local_today())):
        assert indicators(session, f, now=now) == indicators_from_records(session, f, now=now)


@pytest.fixture
def shop(app, session):
    return make_workshop(session)


def test_every_write_path_keeps_the_summaries_equal_to_their_recomputation(app, session, shop, users):
    tech = actor(app, "technicien")
    # Registration, the scan station (Core statements), transitions and grading through the services.
    scanned = make_device(session, shop["collection"].id)
    scan(session, scanned.asset_tag, user_id=users["technicien"], station="wiping")
    devices = [stock_device(session, shop, "laptop", "B") for _ in range(3)]
    scrap = advance(session, make_device(session, shop["collection"].id, category="smartphone"), "recycled")
    session.execute(update(Device).where(Device.id == scrap.id).values(weight_kg=Decimal("0.25")))
    session.commit()
    same_as_records(session)

    # Handovers (invoice, reservation handed over, request equipped, internet access), a credit
    # note taking the device back, a reservation released and one expired.
    results = []
    for device, access in zip(devices[:2], ("mobile", "none")):
        item = validated_request(app, session, phone=f"0696 00 00 0{len(results)}", last_name=f"Foyer{len(results)}")
        reservation = reserve(session, tech, item.id, device.asset_tag)
        workshop = make_session(app, session)
        results.append(handover(session, tech, reservation.id, settings_for(app), payment_method="cash",
                                workshop_session_id=workshop.id, internet_access=access,
                                internet_offer_referred=access == "none"))
    same_as_records(session)
    issue_credit_note(session, tech, results[1].invoice.number, reason="Retour", return_device=True)
    same_as_records(session)
    waiting = validated_request(app, session, phone="0696 00 00 09", last_name="Attente")
    held = reserve(session, tech, waiting.id, devices[2].asset_tag)
    release(session, tech, held.id, reason="Le foyer ne vient pas.")
    reserve(session, tech, waiting.id, devices[2].asset_tag, hold_days=1)
    release_expired(session, now=utcnow() + timedelta(days=3))
    same_as_records(session)

    # Requests decided, refused; a household anonymised.
    refused = create_request(session, actor(app, "prescripteur"),
                             make_household(app, session, phone="0696 00 00 08", last_name="Refus"), "tablet")
    decide_request(session, actor(app, "agent.cacem"), refused, "refuse", justification="Ressources trop élevées.")
    anonymise(session, results[0].invoice.household)
    session.commit()
    same_as_records(session)

    # Backdated records: a device received 45 days ago and taken to wiping 44 days ago.
    with clock_set_to(utcnow() - timedelta(days=45)):
        old = make_device(session, shop["collection"].id, category="tablet", storage=None)
    transition(session, old.asset_tag, "wiping", now=utcnow() - timedelta(days=44))
    # A correction through the service: the weight of a handed-over device.
    update_device(session, devices[0].id, {"weight_kg": Decimal("2.3")})
    same_as_records(session)


def test_a_tour_synced_keeps_the_summaries_and_both_computations_equal(app, session, shop):
    """Handovers on tour write their invoices through the sync (the summaries follow them), and
    the mobile figures, read from the records, are the same in both computations, filtered too."""
    from tests.reporting.scenario import build_tours

    tours = build_tours(app, session, shop)
    same_as_records(session)
    epcis = session.execute(select(Epci.id)).scalars().all()
    day = tours["day"]
    for f in (*(Filters(day, day, epci_id=e) for e in epcis), Filters(day, day, category="smartphone"),
              Filters(day, day, donor_id=shop["donor"].id)):
        figures = indicators(session, f)
        assert figures == indicators_from_records(session, f), f
    assert indicators(session, Filters(day, day))["households_reached_on_tour"] == 8


def test_corrections_made_in_sql_are_followed(app, session, shop):
    """What no service does, but a person with the database could: events moved in time or
    deleted, a device's category or reception date changed, a collection given to another donor
    and site, a household moved to another EPCI, a request's status set back."""
    tech = actor(app, "technicien")
    device = stock_device(session, shop, "laptop", "B")
    item = validated_request(app, session)
    reservation = reserve(session, tech, item.id, device.asset_tag)
    handover(session, tech, reservation.id, settings_for(app), payment_method="cash",
             workshop_session_id=make_session(app, session).id, internet_access="broadband")
    other = make_device(session, shop["collection"].id, category="smartphone")
    advance(session, other, "recycled")
    donor = create_organisation(session, kind="donor", name="Autre donateur", commune_insee="97217")
    site = create_site(session, code="MAR", name="Atelier Sud", kind="workshop", commune_insee="97217")

    for statement in (
        update(DeviceEvent).where(DeviceEvent.device_id == device.id).values(at=utcnow() - timedelta(days=40)),
        update(Device).where(Device.id == other.id).values(category="tablet", weight_kg=Decimal("0.6")),
        update(Device).where(Device.id == device.id).values(created_at=utcnow() - timedelta(days=70)),
        update(Collection).where(Collection.id == shop["collection"].id).values(donor_id=donor.id, site_id=site.id),
        update(Household).where(Household.id == item.household_id).values(commune_insee="97217"),
    ):
        session.execute(statement)
        session.commit()
        same_as_records(session)

    # Records taken away or set back: the summaries follow (the indicators, which rely on the
    # history being whole, are not compared here).
    for statement in (
        text("DELETE FROM device_event WHERE id = (SELECT max(id) FROM device_event WHERE kind = 'graded')"),
        text("DELETE FROM device_event WHERE id = (SELECT max(id) FROM device_event)"),
        text("UPDATE eligibility_request SET status = 'refused'"),
        text("UPDATE reservation SET status = 'released'"),
    ):
        session.execute(statement)
        session.commit()
        assert verify(session)[0] == []


def test_verify_names_each_difference_and_rebuild_mends_them(app, session, shop):
    tech = actor(app, "technicien")
    device = stock_device(session, shop, "laptop", "B")
    item = validated_request(app, session)
    reservation = reserve(session, tech, item.id, device.asset_tag)
    invoice = handover(session, tech, reservation.id, settings_for(app), payment_method="cash",
                       workshop_session_id=make_session(app, session).id).invoice
    session.execute(text("UPDATE reporting_device_day SET received = received + 1 WHERE span = 'month'"))
    session.execute(text("DELETE FROM reporting_handover"))
    session.execute(text("UPDATE reporting_equipment SET internet_access = 'mobile'"))
    session.execute(text("INSERT INTO reporting_validated_request (request_id, household_id, epci_id, category, "
                         "decided_at) VALUES (99999, 1, 1, 'laptop', '2026-01-01 12:00:00')"))
    session.commit()
    problems, _ = verify(session)
    month = to_month(session, device)
    assert problems == [
        f"Comptes d'appareils par jour et par mois (reporting_device_day), span = month, day = {month}, "
        f"donor_id = {shop['donor'].id}, site_id = {shop['site'].id}, category = laptop : "
        "received vaut 2 dans le résumé, 1 recalculé.",
        f"Remises (une ligne par facture) (reporting_handover), invoice_id = {invoice.id} : ligne absente du résumé.",
        f"Réservations remises (une ligne par réservation) (reporting_equipment), reservation_id = {reservation.id} : "
        "internet_access vaut mobile dans le résumé, vide recalculé.",
        "Demandes validées (une ligne par demande) (reporting_validated_request), request_id = 99999 : "
        "ligne en trop dans le résumé.",
    ]
    counts = rebuild(session)
    assert counts["reporting_handover"] == 1 and counts["reporting_equipment"] == 1
    same_as_records(session)


def to_month(session, device) -> str:
    at = session.execute(select(DeviceEvent.at).where(DeviceEvent.device_id == device.id,
                                                      DeviceEvent.kind == "received")).scalar_one()
    first = (at - timedelta(hours=4)).date().replace(day=1)
    return first.isoformat() if session.get_bind().dialect.name == "sqlite" else str(first)


def test_the_commands_rebuild_and_verify(app, session, shop):
    stock_device(session, shop, "laptop", "B")
    runner = app.test_cli_runner()
    answer = runner.invoke(args=["reporting", "verify"])
    assert answer.exit_code == 0, answer.output
    assert "Résumés des indicateurs conformes aux enregistrements" in answer.output
    session.execute(text("UPDATE reporting_device_day SET graded = 5"))
    session.commit()
    answer = runner.invoke(args=["reporting", "verify"])
    assert answer.exit_code == 1
    assert "graded vaut 5 dans le résumé, 1 recalculé" in answer.output
    assert "écart(s) entre les résumés des indicateurs et les enregistrements" in answer.output
    answer = runner.invoke(args=["reporting", "rebuild"])
    assert answer.exit_code == 0 and "Résumés reconstruits" in answer.output, answer.output
    assert runner.invoke(args=["reporting", "verify"]).exit_code == 0


def test_a_period_cut_at_another_offset_is_computed_from_the_records(app, session, shop):
    """Martinique kept summer time in 1980: such a period's midnights are not the summaries'
    (UTC−4), so its figures come from the records, exactly."""
    from reporting.indicators import from_summaries

    f = Filters(date(1980, 6, 1), date(1980, 6, 30))
    assert not from_summaries(f) and from_summaries(Filters(date(2026, 6, 1), date(2026, 6, 30)))
    with clock_set_to(f.start_utc + timedelta(minutes=30)):
        make_device(session, shop["collection"].id)
    now = utcnow()
    assert indicators(session, f, now=now)["devices_collected"] == 1
    assert indicators(session, f, now=now) == indicators_from_records(session, f, now=now)


def test_the_migration_fills_the_summaries_from_the_records_already_there(empty_database):
    """A database upgraded with its history in it gets summaries equal to their recomputation
    (and the triggers: a reception after the upgrade is counted)."""
    from flask_migrate import upgrade

    from app import create_app
    from config import TestConfig

    application = create_app(TestConfig(empty_database))
    with application.app_context():
        upgrade(revision="0016_list_indexes")
        statements = [
            *collection_rows_sql(declared_count=2),
            *(f"INSERT INTO device (id, asset_tag, category, brand, model, collection_id, state, weight_kg, created_at, "
              f"updated_at, version) VALUES ({n}, 'RK-00000{n}', 'laptop', 'Dell', 'E5490', 1, 'recycled', 1.5, "
              "'2026-01-02 12:00:00', '2026-01-02 12:00:00', 3)" for n in (1, 2)),
            *(f"INSERT INTO device_event (device_id, kind, from_state, to_state, at) VALUES ({n}, {row})"
              for n in (1, 2) for row in ("'received', NULL, 'received', '2026-01-02 12:00:00'",
                                          "'transition', 'received', 'wiping', '2026-02-01 02:00:00'",
                                          "'move', 'wiping', 'wiping', '2026-02-01 01:00:00'",
                                          "'transition', 'wiping', 'recycled', '2026-02-03 10:00:00'")),
        ]
        with db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        upgrade()
        assert verify(db.session)[0] == []
        figures = indicators(db.session, Filters(date(2026, 1, 1), date(2026, 1, 31)))
        # 02:00 UTC on 1 February is still 31 January in Martinique.
        assert (figures["devices_collected"], figures["stock_by_state"]["wiping"]) == (2, 2)
        figures = indicators(db.session, Filters(date(2026, 2, 1), date(2026, 2, 28)))
        assert (figures["devices_sanitised"], figures["devices_recycled"], figures["weight_recycled_kg"]) == (2, 2, 3.0)
        assert figures["stock_by_state"]["recycled"] == 2
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO device_event (device_id, kind, from_state, to_state, at) "
                                 "VALUES (1, 'graded', 'recycled', 'recycled', '2026-02-10 12:00:00')")
        assert indicators(db.session, Filters(date(2026, 2, 1), date(2026, 2, 28)))["devices_graded"] == 1
        assert verify(db.session)[0] == []
        if db.engine.dialect.name == "postgresql":   # the period indexes carry what the indicators read
            definitions = db.session.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname IN "
                                                  "('ix_reporting_handover_issued_at', 'ix_reporting_equipment_ended_at', "
                                                  "'ix_reporting_equipment_equipped_at', "
                                                  "'ix_reporting_validated_request_decided_at')")).scalars().all()
            assert len(definitions) == 4 and all(" INCLUDE (" in d for d in definitions), definitions
        db.session.remove()
        db.engine.dispose()

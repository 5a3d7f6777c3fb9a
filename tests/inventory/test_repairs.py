"""Repairs with spare parts; the stock never goes below zero."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from core.errors import Conflict, TransitionRefused, ValidationFailed
from inventory.models import PartUsage, SparePart, StorageMedium
from inventory.services.erasures import record_erasure
from inventory.services.repairs import (
    add_stock,
    close_ticket,
    current_ticket,
    harvest_parts,
    open_ticket,
    stock_for,
    update_ticket,
    use_part,
)
from inventory.services.transitions import transition
from tests.concurrency import one_winner
from tests.helpers import advance, make_device, make_workshop


@pytest.fixture
def shop(session):
    return make_workshop(session)


def in_repair(session, shop, **extra):
    device = make_device(session, shop["collection"].id, **extra)
    advance(session, device, "repair")
    return device


def test_a_repair_visit_with_a_battery(session, shop, users):
    device = in_repair(session, shop)
    battery = add_stock(session, part_type="battery", description="Batterie Dell 68 Wh", location=shop["bin_a"].code,
                        quantity=2, compatible_models="Latitude 5490, Latitude 5480")
    ticket = open_ticket(session, device.asset_tag, symptoms="Ne tient pas la charge", user_id=users["technicien"],
                         technician="Théo")
    with pytest.raises(Conflict):
        open_ticket(session, device.asset_tag, symptoms="again")
    update_ticket(session, ticket.id, diagnosis="Batterie à 41 %", actions="Batterie remplacée", labour_minutes=25)
    usage = use_part(session, ticket.id, battery.id, user_id=users["technicien"])
    assert usage.quantity == 1 and battery.quantity == 1
    close_ticket(session, ticket.id, outcome="repaired")
    assert device.state == "grading" and ticket.outcome == "repaired" and not ticket.is_open
    assert current_ticket(session, device.id) is None
    assert [u.spare_part.description for u in ticket.usages] == ["Batterie Dell 68 Wh"]


def test_stock_cannot_go_negative(session, shop):
    device = in_repair(session, shop)
    screen = add_stock(session, part_type="screen", description="Dalle 14 pouces FHD", location=shop["bin_a"].code, quantity=1)
    ticket = open_ticket(session, device.asset_tag, symptoms="Écran fêlé")
    with pytest.raises(Conflict) as short:
        use_part(session, ticket.id, screen.id, quantity=2)
    assert short.value.message == "Stock insuffisant : 1 « Dalle 14 pouces FHD » à LOC-LAM-A01, 2 demandé(s)."
    use_part(session, ticket.id, screen.id)
    with pytest.raises(Conflict):
        use_part(session, ticket.id, screen.id)
    session.expire_all()
    assert session.get(SparePart, screen.id).quantity == 0
    assert len(session.execute(select(PartUsage)).scalars().all()) == 1


def test_a_new_ssd_becomes_a_fitted_medium_after_the_old_disk_is_destroyed(session, shop):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "hdd", "serial_number": "OLD-HDD"}])
    transition(session, device.asset_tag, "wiping")
    record_erasure(session, device.asset_tag, {"medium_serial": "OLD-HDD", "level": "clear", "technique": "overwrite",
                                               "result": "fail", "verified": False})
    with pytest.raises(TransitionRefused):
        transition(session, device.asset_tag, "repair")
    record_erasure(session, device.asset_tag, {"medium_serial": "OLD-HDD", "level": "destroy", "technique": "shred",
                                               "result": "pass", "verified": False})
    transition(session, device.asset_tag, "repair")
    ssd = add_stock(session, part_type="ssd", description="SSD 240 Go SATA", location=shop["bin_b"].code, quantity=3)
    ticket = open_ticket(session, device.asset_tag, symptoms="Disque détruit : pas de stockage")
    with pytest.raises(ValidationFailed):
        use_part(session, ticket.id, ssd.id, quantity=2, fitted_serial="X")
    usage = use_part(session, ticket.id, ssd.id, fitted_serial="new-ssd-1", capacity_gb=240)
    assert (usage.fitted_medium.kind, usage.fitted_medium.origin, usage.fitted_medium.serial_number) == ("ssd", "fitted", "NEW-SSD-1")
    close_ticket(session, ticket.id, outcome="repaired")
    assert device.state == "grading"
    media = session.execute(select(StorageMedium).where(StorageMedium.device_id == device.id)).scalars().all()
    assert sorted(m.origin for m in media) == ["donated", "fitted"]


def test_not_repairable_goes_to_parts_and_parts_are_harvested(session, shop):
    device = in_repair(session, shop)
    ticket = open_ticket(session, device.asset_tag, symptoms="Ne s'allume pas")
    with pytest.raises(ValidationFailed) as where:
        close_ticket(session, ticket.id, outcome="not_repairable")
    assert "pièces détachées" in where.value.errors["next_state"][0]
    close_ticket(session, ticket.id, outcome="not_repairable", next_state="parts", note="Carte mère HS")
    assert device.state == "parts"
    lines = harvest_parts(session, device.asset_tag, [
        {"part_type": "ram", "description": "Barrette 8 Go DDR4 SO-DIMM", "location": shop["bin_b"].code, "quantity": 2},
        {"part_type": "keyboard", "description": "Clavier AZERTY Latitude 5490", "location": shop["bin_b"].code}])
    assert [(l.part_type, l.quantity, l.harvested_from_id, l.compatible_models) for l in lines] == [
        ("ram", 2, device.id, "Dell Latitude 5490"), ("keyboard", 1, device.id, "Dell Latitude 5490")]
    with pytest.raises(ValidationFailed) as bad:
        harvest_parts(session, device.asset_tag, [{"part_type": "toaster", "description": "", "location": "LOC-NOPE"}])
    assert set(bad.value.errors) == {"part_type", "description", "location"}


def test_tickets_only_for_devices_in_repair(session, shop):
    device = make_device(session, shop["collection"].id)
    with pytest.raises(Conflict) as refused:
        open_ticket(session, device.asset_tag, symptoms="x")
    assert "« Réparation »" in refused.value.message


def test_compatible_parts_come_first(session, shop):
    device = in_repair(session, shop)
    add_stock(session, part_type="battery", description="Batterie HP", location=shop["bin_a"].code, quantity=1,
              compatible_models="EliteBook 840")
    add_stock(session, part_type="battery", description="Batterie Dell", location=shop["bin_a"].code, quantity=1,
              compatible_models="Latitude 5490")
    assert [line.description for line in stock_for(session, device)][0] == "Batterie Dell"


@pytest.mark.concurrency
def test_two_technicians_take_the_last_part_at_once(app, session, shop, race):
    devices = [in_repair(session, shop) for _ in range(4)]
    part = add_stock(session, part_type="charger", description="Chargeur 65 W USB-C", location=shop["bin_a"].code, quantity=1)
    tickets = [open_ticket(session, d.asset_tag, symptoms="Pas de chargeur").id for d in devices]
    part_id, where = part.id, shop["bin_a"].code
    session.commit()
    contest = race(len(tickets))

    def take(index: int) -> int:
        assert db.session.get(SparePart, part_id).quantity == 1   # each has read "one left"
        contest.meet()
        return use_part(db.session, tickets[index], part_id).id

    outcomes = contest.run(take)
    one_winner(outcomes, Conflict, f"Stock insuffisant : 0 « Chargeur 65 W USB-C » à {where}, 1 demandé(s).")
    session.expire_all()
    assert session.get(SparePart, part_id).quantity == 0
    assert len(session.execute(select(PartUsage)).scalars().all()) == 1

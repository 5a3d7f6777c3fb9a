"""A device a stocktake found missing (issue 19) is out of matching and reservation until it is
found again; a reserved one keeps its reservation but cannot be handed over; a scan finds it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Conflict
from distribution.models import Reservation
from distribution.services.handover import handover
from distribution.services.reservations import matching_devices, reserve
from inventory.services.scan import scan
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktakes import close_location, open_stocktake
from inventory.stocktake.models import MissingDevice
from tests.helpers import actor, make_session, settings_for, stock_device, validated_request


def lose(session, shop, *devices):
    """A stocktake of the bin the devices are in, counted empty and applied: they are missing."""
    code = shop["bin_a"].code
    stocktake = open_stocktake(session, site="LAM", locations=[code])
    close_location(session, stocktake.id, code)
    assert apply_stocktake(session, stocktake.id).missing == len(devices)


def test_a_missing_device_is_not_proposed_nor_reserved_until_a_scan_finds_it(app, session, shop, users):
    item = validated_request(app, session)
    device = stock_device(session, shop)
    lose(session, shop, device)
    assert matching_devices(session, item) == []
    with pytest.raises(Conflict, match=f"{device.asset_tag} est marqué manquant"):
        reserve(session, actor(app, "technicien"), item.id, device.asset_tag)

    found = scan(session, device.asset_tag, user_id=users["technicien"], station="stock")
    assert found.found_again and "Retrouvé" in found.message
    record = session.execute(select(MissingDevice)).scalar_one()
    assert record.found_by_id == users["technicien"] and record.found_how == "scanné au poste « Stock »"
    session.expire_all()
    assert [m.device.asset_tag for m in matching_devices(session, item)] == [device.asset_tag]
    assert reserve(session, actor(app, "technicien"), item.id, device.asset_tag).status == "active"


def test_a_reserved_device_found_missing_keeps_its_reservation_and_is_not_handed_over(app, session, shop, users):
    item = validated_request(app, session)
    device = stock_device(session, shop)
    reservation = reserve(session, actor(app, "technicien"), item.id, device.asset_tag)
    make_session(app, session)
    lose(session, shop, device)
    with pytest.raises(Conflict, match="libérez la réservation pour en réserver un autre"):
        handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="card")
    session.expire_all()
    assert session.get(Reservation, reservation.id).status == "active"
    scan(session, device.asset_tag, user_id=users["technicien"])                # found: it is in hand
    result = handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="card")
    assert result.invoice.number

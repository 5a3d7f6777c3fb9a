"""A stocktake's result as the page, the API and the documents read it (issue 19): figures per
location and overall, the devices behind them, the value of what is missing at reference price,
who counted, what applying did; a blind count hides what was expected until it is closed; the
dashboard's last stocktake per site with its accuracy."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from distribution.services.grids import grid_in_effect
from core.clock import local_today
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import close_location, open_stocktake
from inventory.services.transitions import move
from reporting.stocktakes import last_stocktakes, stocktake_result
from tests.helpers import make_device, make_workshop, stock_device

T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_result_per_location_and_overall_with_the_missing_value(app, session, users):
    shop = make_workshop(session)
    a, b = shop["bin_a"].code, shop["bin_b"].code
    graded = [stock_device(session, shop, grade="A") for _ in range(3)]       # in stock, in A
    raw = make_device(session, shop["collection"].id)                          # no grade: no value
    move(session, raw.asset_tag, a)
    in_b = make_device(session, shop["collection"].id)
    move(session, in_b.asset_tag, b)
    stocktake = open_stocktake(session, site="LAM", now=T0)
    tech = users["technicien"]
    count(session, a, user_id=tech, now=at(1))
    count(session, graded[0].asset_tag, user_id=tech, now=at(4))
    count(session, in_b.asset_tag, user_id=tech, now=at(7))                    # B's device, found in A
    count(session, "RK-424242", user_id=tech, now=at(10))
    count(session, b, user_id=tech, now=at(13))
    count(session, b, user_id=tech, now=at(16))

    result = stocktake_result(session, stocktake.id)
    figures = {f.code: (f.expected, f.found, f.moved_in, f.moved_out, f.unexpected, f.missing) for f in result.locations}
    assert figures == {a: (4, 1, 1, 0, 1, 3), b: (1, 0, 0, 1, 0, 0)}
    assert (result.total.expected, result.total.found, result.total.missing, result.total.accuracy) == (
        5, 1, 3, Decimal("0.2000"))
    assert [m.asset_tag for m in result.missing] == sorted([graded[1].asset_tag, graded[2].asset_tag, raw.asset_tag])
    value = grid_in_effect(session, local_today()).devices[("laptop", "A")].reference_value
    assert result.missing_value == 2 * value and result.unvalued == 1
    assert [(m.asset_tag, m.expected_at, m.counted_at) for m in result.moved_in] == [(in_b.asset_tag, b, a)]
    assert result.unknown == [(a, "RK-424242")] and result.counters == [("technicien", 3)]      # the codes counted; locations are not
    assert result.status == "En cours" and result.adjustments == []

    apply_stocktake(session, stocktake.id, user_id=tech, now=at(60))
    result = stocktake_result(session, stocktake.id)
    assert result.status == "Appliqué" and result.ended_by == "technicien"
    assert sorted(a_["label"] for a_ in result.adjustments) == ["Déplacé à l'emplacement compté"] + ["Marqué manquant"] * 3
    sites = last_stocktakes(session)
    assert [(s.site, s.reference, s.expected, s.found, s.accuracy) for s in sites] == [
        ("Atelier Test", stocktake.reference, 5, 1, Decimal("0.2000"))]


def test_a_blind_count_hides_what_was_expected_until_the_location_is_closed(app, session, users):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    move(session, device.asset_tag, shop["bin_a"].code)
    stocktake = open_stocktake(session, site="LAM", blind=True, now=T0)
    count(session, shop["bin_a"].code, user_id=users["technicien"], now=at(1))
    hidden = stocktake_result(session, stocktake.id)
    assert [(f.code, f.expected, f.missing) for f in hidden.locations] == [
        (shop["bin_a"].code, None, None), (shop["bin_b"].code, None, None)]
    assert hidden.total.expected is None and hidden.missing == [] and hidden.missing_value is None
    close_location(session, stocktake.id, shop["bin_a"].code, now=at(5))
    shown = stocktake_result(session, stocktake.id)
    assert [(f.code, f.expected, f.missing) for f in shown.locations] == [
        (shop["bin_a"].code, 1, 1), (shop["bin_b"].code, None, None)]

"""What the stocktake pages read (inventory/stocktake/queries.py): the confirmation step says
exactly what applying then writes (moves, missing, part corrections, found again, conflicts, in
the same words), the list's accuracy equals the result's, and the sites one can count."""
from __future__ import annotations

from datetime import timedelta

from inventory.services.reference import create_location, create_site
from inventory.services.repairs import add_stock
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import cancel_stocktake, close_location, open_stocktake
from inventory.services.transitions import move
from inventory.stocktake.queries import accuracies, apply_preview, site_choices
from reporting.stocktakes import stocktake_result
from tests.helpers import advance, make_device
from tests.inventory.test_stocktake import T0, Clock, at, site, stock  # noqa: F401  (site: the fixture)


def same_as_applied(session, stocktake_id, **apply_kwargs):
    """The preview, then the real apply: every figure and every conflict text the same."""
    preview = apply_preview(session, stocktake_id)
    assert preview.can_apply and preview.open_locations == []
    report = apply_stocktake(session, stocktake_id, **apply_kwargs)
    assert (len(preview.moves), len(preview.missing), len(preview.parts), len(preview.found_again),
            preview.conflicts) == (report.moves, report.missing, report.parts, report.found_again, report.conflicts)
    return preview


def test_the_issue_case_previewed_then_applied(session, site, users):
    tech = users["technicien"]
    tags = stock(session, site)
    a, b, c, d = (site[k].code for k in ("bin_a", "bin_b", "bin_c", "bin_d"))
    stocktake = open_stocktake(session, site="LAM", user_id=tech, now=T0)
    clock = Clock()
    for code in [a, *tags[a][:7], b, *tags[b], *tags[a][7:], b, c, *tags[c][:7], c, d, *tags[d], "RK-999999", d]:
        count(session, code, user_id=tech, now=clock())
    preview = same_as_applied(session, stocktake.id, user_id=tech, now=at(900))
    assert sorted((m.asset_tag, m.from_code, m.to_code) for m in preview.moves) == sorted(
        (t, a, b) for t in tags[a][7:])
    assert sorted(preview.missing) == sorted(tags[c][7:]) and preview.conflicts == []
    # Applied: nothing more to apply, and the list's accuracy is the result's.
    after = apply_preview(session, stocktake.id)
    assert not after.can_apply and (after.moves, after.missing, after.status_label) == ([], [], "Appliqué")
    rate = accuracies(session, [stocktake.id])[stocktake.id]
    assert (rate.expected, rate.found) == (40, 34)
    assert rate.rate == stocktake_result(session, stocktake.id).total.accuracy


def test_conflicts_are_foreseen_in_the_words_applying_writes(session, site, users):
    tech, admin = users["technicien"], users["admin"]
    device, lost = (make_device(session, site["collection"].id) for _ in range(2))
    for one in (device, lost):
        move(session, one.asset_tag, site["bin_a"].code, now=T0 - timedelta(minutes=30))
    stocktake = open_stocktake(session, site="LAM", locations=[site["bin_b"].code, site["bin_a"].code], now=T0)
    for n, code in enumerate([site["bin_b"].code, device.asset_tag, site["bin_a"].code, site["bin_a"].code]):
        count(session, code, user_id=tech, now=at(1 + 3 * n))
    elsewhere = create_location(session, site_id=site["site"].id, label="E05")
    move(session, device.asset_tag, elsewhere.code, now=at(21), user_id=admin)
    move(session, lost.asset_tag, elsewhere.code, now=at(22), user_id=admin)
    preview = same_as_applied(session, stocktake.id, user_id=tech, now=at(60))
    assert len(preview.conflicts) == 2 and (preview.moves, preview.missing) == ([], [])


def test_parts_and_a_device_found_again(session, site, users):
    tech = users["technicien"]
    ram = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=site["bin_a"].code, quantity=12)
    battery = add_stock(session, part_type="battery", description="Batterie Dell 68 Wh",
                        location=site["bin_b"].code, quantity=2)
    device = make_device(session, site["collection"].id)
    move(session, device.asset_tag, site["bin_c"].code, now=T0 - timedelta(minutes=30))
    first = open_stocktake(session, site="LAM", locations=[site["bin_c"].code], now=T0)
    close_location(session, first.id, site["bin_c"].code, now=at(1))
    assert len(same_as_applied(session, first.id, now=at(2)).missing) == 1

    stocktake = open_stocktake(session, site="LAM", locations=[site["bin_a"].code, site["bin_b"].code], now=at(10))
    count(session, site["bin_a"].code, user_id=tech, now=at(11))
    count(session, f"SP-{ram.id:06d}", user_id=tech, quantity=9, now=at(12))
    count(session, f"SP-{battery.id:06d}", user_id=tech, now=at(15))
    count(session, device.asset_tag, user_id=tech, now=at(18))
    preview = apply_preview(session, stocktake.id)
    assert preview.open_locations == [site["bin_a"].code, site["bin_b"].code] and not preview.can_apply
    count(session, site["bin_b"].code, user_id=tech, now=at(21))               # closes A
    count(session, site["bin_b"].code, user_id=tech, now=at(24))               # closes B
    preview = same_as_applied(session, stocktake.id, user_id=tech, now=at(30))
    assert preview.found_again == [device.asset_tag]
    assert [(p.code, p.location, p.before, p.after, p.added, p.recorded_at) for p in preview.parts] == [
        (f"SP-{ram.id:06d}", site["bin_a"].code, 12, 9, None, None),                # own lines first
        (f"SP-{battery.id:06d}", site["bin_b"].code, 2, 0, None, None),
        (f"SP-{battery.id:06d}", site["bin_a"].code, None, None, 1, site["bin_b"].code),
    ]


def test_a_part_line_changed_since_the_opening_and_parts_taken_from_outside(session, site, users):
    from inventory.services.repairs import open_ticket, use_part

    tech = users["technicien"]
    ram = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=site["bin_a"].code, quantity=5)
    ssd = add_stock(session, part_type="ssd", description="SSD 240 Go", location=site["bin_c"].code, quantity=6)
    stocktake = open_stocktake(session, site="LAM", locations=[site["bin_a"].code, site["bin_b"].code], now=T0)
    device = make_device(session, site["collection"].id)
    advance(session, device, "repair")
    use_part(session, open_ticket(session, device.asset_tag, symptoms="Mémoire").id, ram.id, quantity=1)   # 5 → 4
    for n, (code, quantity) in enumerate([(site["bin_a"].code, None), (f"SP-{ram.id:06d}", 3),
                                          (site["bin_b"].code, None), (f"SP-{ssd.id:06d}", 2),
                                          (site["bin_b"].code, None)]):
        count(session, code, user_id=tech, quantity=quantity, now=at(1 + 3 * n))
    preview = same_as_applied(session, stocktake.id, user_id=tech, now=at(20))
    assert preview.conflicts == ["Barrette 8 Go DDR4 : quantité modifiée depuis l'ouverture (5 → 4), 3 comptée(s) : "
                                 "laissée telle quelle, recomptez-la."]
    assert [(p.code, p.location, p.before, p.after, p.added, p.recorded_at) for p in preview.parts] == [
        (f"SP-{ssd.id:06d}", site["bin_b"].code, None, None, 2, site["bin_c"].code),
        (f"SP-{ssd.id:06d}", site["bin_c"].code, 6, 4, None, None),
    ]


def test_a_cancelled_stocktake_cannot_be_applied_and_the_sites_one_can_count(session, site, users):
    create_site(session, code="VID", name="Entrepôt vide", kind="warehouse", commune_insee="97213")
    assert site_choices(session) == [("LAM", "Atelier Test (LAM)")]     # no active location: not offered
    stocktake = open_stocktake(session, site="LAM", now=T0)
    cancel_stocktake(session, stocktake.id, reason="Erreur", now=at(1))
    preview = apply_preview(session, stocktake.id)
    assert (preview.can_apply, preview.status_label) == (False, "Annulé")
    assert accuracies(session, []) == {}
    nothing = accuracies(session, [stocktake.id])[stocktake.id]
    assert (nothing.expected, nothing.found, nothing.rate) == (0, 0, None)      # nothing expected: no rate

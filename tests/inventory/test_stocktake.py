"""A stocktake from opening to applying (issue 19): the counts the issue asks for, exactly, and
what applying writes (and does not write twice)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.clock import to_local
from core.errors import Conflict, NotFound, ValidationFailed
from inventory.models import Device, DeviceEvent, SparePart
from inventory.services.reference import create_location
from inventory.services.repairs import add_stock
from inventory.services.stocktake_apply import apply_stocktake, read_tally
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import cancel_stocktake, close_location, open_stocktake, reopen_location
from inventory.services.transitions import move
from inventory.stocktake.models import MissingDevice, StocktakeAdjustment, StocktakeCount
from inventory.stocktake.rules import overall
from tests.helpers import advance, make_device, make_workshop

# After the devices' registration (stamped with the real clock): what happened before the
# stocktake opened is history, not a change since.
T0 = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
INV = f"INV-{T0.year}"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def site(session):
    shop = make_workshop(session)
    shop["bin_c"] = create_location(session, site_id=shop["site"].id, label="C03", name="Bac C03")
    shop["bin_d"] = create_location(session, site_id=shop["site"].id, label="D04", name="Bac D04")
    return shop


def stock(session, site, per_bin: int = 10) -> dict[str, list[str]]:
    """``per_bin`` devices registered and put away in each of the four bins: code → asset tags."""
    tags = {}
    for key in ("bin_a", "bin_b", "bin_c", "bin_d"):
        code = site[key].code
        tags[code] = []
        for _ in range(per_bin):
            device = make_device(session, site["collection"].id)
            move(session, device.asset_tag, code, now=T0 - timedelta(minutes=30))
            tags[code].append(device.asset_tag)
    return tags


class Clock:
    """Scans three seconds apart (beyond the scanner's double-fire window)."""

    def __init__(self):
        self.seconds = 0

    def __call__(self):
        self.seconds += 3
        return at(self.seconds)


def events(session, kind=None) -> int:
    stmt = select(func.count()).select_from(DeviceEvent)
    if kind:
        stmt = stmt.where(DeviceEvent.kind == kind)
    return session.execute(stmt).scalar_one()


def test_the_issue_case_40_devices_37_counted_3_elsewhere_2_unknown_1_repeat(session, site, users):
    tech, other = users["technicien"], users["admin"]
    tags = stock(session, site)
    a, b, c, d = (site[k].code for k in ("bin_a", "bin_b", "bin_c", "bin_d"))
    stocktake = open_stocktake(session, site="LAM", user_id=tech, now=T0)
    assert stocktake.reference == f"{INV}-0001" and stocktake.whole_site
    clock = Clock()

    answers = [count(session, a, user_id=tech, now=clock())]
    answers += [count(session, t, user_id=tech, now=clock()) for t in tags[a][:7]]
    answers.append(count(session, b, user_id=tech, now=clock()))               # closes A, opens B
    answers += [count(session, t, user_id=tech, now=clock()) for t in tags[b] + tags[a][7:]]
    repeat = count(session, tags[a][0], user_id=tech, now=clock())             # counted in A already
    count(session, b, user_id=tech, now=clock())                               # B scanned again: closed
    # A colleague counts D then C at the same time, with two unknown labels in D; C stays open.
    count(session, d, user_id=other, now=at(1))
    for n, t in enumerate(tags[d] + ["RK-999999", "XX-PAS-UN-CODE"]):
        count(session, t, user_id=other, now=at(4 + 3 * n))
    count(session, c, user_id=other, now=at(60))                                # closes D
    for n, t in enumerate(tags[c][:7]):
        count(session, t, user_id=other, now=at(63 + 3 * n))

    assert [x.outcome for x in answers[1:8]] == ["found"] * 7
    assert answers[8].closed.location.code == a and answers[8].outcome == "location"
    assert [x.outcome for x in answers[9:19]] == ["found"] * 10
    assert [x.outcome for x in answers[19:22]] == ["moved_in"] * 3
    assert f"enregistré dans {a}" in answers[19].message and answers[19].level == "warning"
    first_count = to_local(at(6)).strftime("%H:%M")            # tags[a][0], the second scan of the day
    assert (repeat.outcome, repeat.message) == (
        "repeat", f"{tags[a][0]} déjà compté dans {a} par technicien à {first_count} : "
                  "il n'est pas compté une seconde fois.")
    assert answers[-1].counted_here == 13 and answers[-1].expected_here == 10

    places = read_tally(session, stocktake.id)
    whole = overall(places)
    assert (len(whole.expected), len(whole.found), len(whole.moved_in), whole.unexpected, len(whole.missing),
            whole.repeats) == (40, 34, 3, 2, 3, 1)
    by_code = {site[k].id: site[k].code for k in ("bin_a", "bin_b", "bin_c", "bin_d")}
    summary = {by_code[i]: (len(p.expected), len(p.found), len(p.moved_in), p.unexpected, len(p.missing))
               for i, p in places.items()}
    assert summary == {a: (10, 7, 0, 0, 0), b: (10, 10, 3, 0, 0), c: (10, 7, 0, 0, 3), d: (10, 10, 0, 2, 0)}

    with pytest.raises(Conflict, match=c):                                     # C is still being counted
        apply_stocktake(session, stocktake.id, user_id=tech, now=at(200))
    close_location(session, stocktake.id, c, user_id=other, now=at(201))
    before = events(session)
    report = apply_stocktake(session, stocktake.id, user_id=tech, now=at(300))
    assert (report.moves, report.missing, report.conflicts, report.already_applied) == (3, 3, [], False)
    assert events(session) == before + 3
    moves = session.execute(select(DeviceEvent).where(DeviceEvent.kind == "move", DeviceEvent.at == at(300))
                            .order_by(DeviceEvent.id)).scalars().all()
    assert sorted(e.device.asset_tag for e in moves) == sorted(tags[a][7:])
    assert {(e.location.code, e.note, e.user_id) for e in moves} == {(b, f"Inventaire {INV}-0001", tech)}
    missing = session.execute(select(Device).where(Device.missing_since.is_not(None))).scalars().all()
    assert sorted(m.asset_tag for m in missing) == sorted(tags[c][7:])
    assert {m.location.code for m in missing} == {c}                            # the record keeps where it was

    again = apply_stocktake(session, stocktake.id, user_id=tech, now=at(400))
    assert again.already_applied and (again.moves, again.missing) == (0, 0)
    assert events(session) == before + 3
    assert session.execute(select(func.count()).select_from(MissingDevice)).scalar_one() == 3
    assert session.execute(select(func.count()).select_from(StocktakeAdjustment)).scalar_one() == 6
    # Who counted what and when is kept: every scan but the location codes, repeats included.
    rows = session.execute(select(StocktakeCount.counted_by_id, func.count()).group_by(StocktakeCount.counted_by_id)).all()
    assert dict(rows) == {tech: 7 + 13 + 1, other: 7 + 12}


def test_a_device_changed_after_it_was_counted_is_a_conflict_not_overwritten(session, site, users):
    tech = users["technicien"]
    device = make_device(session, site["collection"].id)
    lost = make_device(session, site["collection"].id)
    for d in (device, lost):
        move(session, d.asset_tag, site["bin_a"].code, now=T0 - timedelta(minutes=30))
    stocktake = open_stocktake(session, site="LAM", locations=[site["bin_b"].code, site["bin_a"].code], now=T0)
    assert not stocktake.whole_site
    count(session, site["bin_b"].code, user_id=tech, now=at(1))
    assert count(session, device.asset_tag, user_id=tech, now=at(4)).outcome == "moved_in"
    count(session, site["bin_a"].code, user_id=tech, now=at(7))
    count(session, site["bin_a"].code, user_id=tech, now=at(10))
    # Meanwhile someone puts both away elsewhere.
    move(session, device.asset_tag, site["bin_a"].code, now=at(20), user_id=users["admin"])  # already there: no event
    other_bin = create_location(session, site_id=site["site"].id, label="E05")
    move(session, device.asset_tag, other_bin.code, now=at(21), user_id=users["admin"])
    move(session, lost.asset_tag, other_bin.code, now=at(22), user_id=users["admin"])
    report = apply_stocktake(session, stocktake.id, user_id=tech, now=at(60))
    assert (report.moves, report.missing) == (0, 0)
    assert len(report.conflicts) == 2
    assert report.conflicts == [
        f"{device.asset_tag} : changé depuis son comptage dans {site['bin_b'].code} "
        f"(admin, Réceptionné ({other_bin.code})) : laissé tel quel.",
        f"{lost.asset_tag} : pas compté, mais vu depuis l'ouverture de l'inventaire "
        f"(admin, Réceptionné ({other_bin.code})) : il n'est pas marqué manquant."]
    session.expire_all()
    assert session.get(Device, device.id).location_id == other_bin.id                         # not overwritten
    assert session.get(Device, lost.id).missing_since is None


def test_a_location_is_in_one_open_stocktake_at_a_time_and_freed_when_it_ends(session, site, users):
    first = open_stocktake(session, site="LAM", locations=[site["bin_a"].code], now=T0)
    with pytest.raises(Conflict, match=f"{site['bin_a'].code} \\(inventaire {first.reference}\\)"):
        open_stocktake(session, site="LAM", now=T0)
    second = open_stocktake(session, site=site["site"].id, locations=[site["bin_b"].code], now=T0)
    assert second.reference == f"{INV}-0002"
    with pytest.raises(ValidationFailed, match="motif|Motif"):
        cancel_stocktake(session, first.id, reason=" ")
    cancel_stocktake(session, first.id, reason="Erreur de périmètre", user_id=users["admin"], now=at(5))
    with pytest.raises(NotFound, match="aucun inventaire en cours"):
        count(session, site["bin_a"].code, user_id=users["technicien"], now=at(6))
    assert open_stocktake(session, site="LAM", locations=[site["bin_a"].code], now=at(7)).reference == f"{INV}-0003"
    with pytest.raises(Conflict, match="annulé"):
        apply_stocktake(session, first.id)


@pytest.mark.parametrize("kwargs,field", [
    ({"site": None}, "site"), ({"site": "ZZZ"}, "site"), ({"site": "LAM", "locations": ["LOC-NOPE"]}, "locations"),
    ({"site": "LAM", "locations": "LOC-LAM-A01"}, "locations"), ({"site": "LAM", "blind": "oui"}, "blind"),
])
def test_bad_opening_input_is_refused_naming_the_field(session, site, kwargs, field):
    with pytest.raises(ValidationFailed) as refused:
        open_stocktake(session, **kwargs)
    assert list(refused.value.errors) == [field]


def test_scans_the_counter_must_do_first_and_the_double_fire(session, site, users):
    tech = users["technicien"]
    device = make_device(session, site["collection"].id)
    move(session, device.asset_tag, site["bin_a"].code, now=T0 - timedelta(minutes=30))
    stocktake = open_stocktake(session, site="LAM", now=T0)
    with pytest.raises(ValidationFailed, match="Scannez d'abord l'emplacement"):
        count(session, device.asset_tag, user_id=tech, now=at(1))
    with pytest.raises(ValidationFailed, match="Code vide"):
        count(session, " \r\n", user_id=tech, now=at(2))
    count(session, site["bin_a"].code, user_id=tech, now=at(3))
    assert count(session, device.asset_tag, user_id=tech, now=at(6)).outcome == "found"
    double = count(session, device.asset_tag, user_id=tech, now=at(6.5))
    assert double.outcome == "double" and "Lecture en double ignorée" in double.message
    assert session.execute(select(func.count()).select_from(StocktakeCount)).scalar_one() == 1
    close_location(session, stocktake.id, site["bin_a"].code, user_id=users["admin"], now=at(10))
    with pytest.raises(ValidationFailed, match="a été clos par admin"):
        count(session, "RK-000999", user_id=tech, now=at(12))
    closed = count(session, site["bin_a"].code, user_id=tech, now=at(15))
    assert closed.level == "error" and "déjà clos" in closed.message
    reopen_location(session, stocktake.id, site["bin_a"].code)
    assert count(session, site["bin_a"].code, user_id=tech, now=at(18)).level == "ok"


def test_a_blind_count_does_not_tell_what_was_expected_until_the_location_is_closed(session, site, users):
    tech = users["technicien"]
    here, elsewhere = (make_device(session, site["collection"].id) for _ in range(2))
    move(session, here.asset_tag, site["bin_a"].code, now=T0 - timedelta(minutes=30))
    move(session, elsewhere.asset_tag, site["bin_b"].code, now=T0 - timedelta(minutes=30))
    open_stocktake(session, site="LAM", blind=True, now=T0)
    opened = count(session, site["bin_a"].code, user_id=tech, now=at(1))
    assert opened.expected_here is None
    answers = [count(session, t, user_id=tech, now=at(4 + 3 * n)) for n, t in enumerate((here.asset_tag, elsewhere.asset_tag))]
    assert [a.outcome for a in answers] == ["found", "moved_in"]               # recorded as they are
    assert [a.level for a in answers] == ["ok", "ok"] and all(a.message.endswith("compté.") for a in answers)
    assert all(a.expected_here is None for a in answers)
    closing = count(session, site["bin_a"].code, user_id=tech, now=at(20))
    assert closing.closed is not None and (closing.counted_here, closing.expected_here) == (2, 1)


def test_devices_that_should_not_be_on_a_shelf_are_flagged(session, site, users):
    tech = users["technicien"]
    gone = make_device(session, site["collection"].id)
    advance(session, gone, "recycled")
    open_stocktake(session, site="LAM", now=T0)
    count(session, site["bin_a"].code, user_id=tech, now=at(1))
    answer = count(session, gone.asset_tag, user_id=tech, now=at(4))
    assert answer.outcome == "not_on_shelf" and answer.level == "error" and "« Recyclé »" in answer.message


def test_spare_parts_are_counted_by_unit_or_by_quantity_and_corrected_on_apply(session, site, users):
    tech = users["technicien"]
    ram = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=site["bin_a"].code, quantity=12)
    battery = add_stock(session, part_type="battery", description="Batterie Dell 68 Wh",
                        location=site["bin_b"].code, quantity=2)
    stocktake = open_stocktake(session, site="LAM", now=T0)
    count(session, site["bin_a"].code, user_id=tech, now=at(1))
    code = f"SP-{ram.id:06d}"
    tail = " Tapez une quantité pour la corriger, ou scannez l'unité suivante."
    unit = count(session, code, user_id=tech, now=at(4))
    assert (unit.outcome, unit.level, unit.part_quantity) == ("part", "ok", 1)
    assert unit.message == "Barrette 8 Go DDR4 : 1 compté ici (+1)." + tail
    assert unit.details == {"spare_part": code, "description": "Barrette 8 Go DDR4"}
    typed = count(session, code, user_id=tech, quantity=9, now=at(5))                    # typed: replaces
    assert (typed.part_quantity, typed.message) == (9, "Barrette 8 Go DDR4 : 9 comptés ici (saisie)." + tail)
    assert count(session, code, user_id=tech, now=at(8)).part_quantity == 10              # one more unit
    found_elsewhere = count(session, f"SP-{battery.id:06d}", user_id=tech, now=at(11))
    assert found_elsewhere.part_quantity == 1
    assert found_elsewhere.message == (f"Batterie Dell 68 Wh (enregistrée dans {site['bin_b'].code}) : 1 compté ici "
                                       "(+1)." + tail)
    for n, unknown in enumerate(("SP-999999", "SP-0000000001", "SP-X1")):
        answer = count(session, unknown, user_id=tech, now=at(20 + 3 * n))
        assert (answer.outcome, answer.level, answer.part_quantity) == ("unknown", "error", None)
        assert answer.message == (f"Pièce « {unknown} » inconnue : notée comme inattendue dans "
                                  f"{site['bin_a'].code}.")
    with pytest.raises(ValidationFailed) as refused:
        count(session, code, user_id=tech, quantity=-1, now=at(34))
    assert list(refused.value.errors) == ["quantity"]
    for loc in ("bin_a", "bin_b", "bin_c", "bin_d"):
        close_location(session, stocktake.id, site[loc].code, now=at(20))
    report = apply_stocktake(session, stocktake.id, user_id=tech, now=at(30))
    assert report.parts == 3
    session.expire_all()
    assert session.get(SparePart, ram.id).quantity == 10
    assert session.get(SparePart, battery.id).quantity == 0                    # not counted in B
    moved = session.execute(select(SparePart).where(SparePart.location_id == site["bin_a"].id,
                                                    SparePart.part_type == "battery")).scalar_one()
    assert moved.quantity == 1


def test_a_missing_device_is_found_again_by_a_later_stocktake(session, site, users):
    tech = users["technicien"]
    device = make_device(session, site["collection"].id)
    move(session, device.asset_tag, site["bin_a"].code, now=T0 - timedelta(minutes=30))
    first = open_stocktake(session, site="LAM", locations=[site["bin_a"].code], now=T0)
    close_location(session, first.id, site["bin_a"].code, now=at(1))
    assert apply_stocktake(session, first.id, now=at(2)).missing == 1
    second = open_stocktake(session, site="LAM", locations=[site["bin_b"].code], now=at(10))
    count(session, site["bin_b"].code, user_id=tech, now=at(11))
    answer = count(session, device.asset_tag, user_id=tech, now=at(14))
    assert answer.outcome == "moved_in" and "Retrouvé" in answer.message
    count(session, site["bin_b"].code, user_id=tech, now=at(17))
    report = apply_stocktake(session, second.id, user_id=tech, now=at(20))
    assert (report.moves, report.found_again) == (1, 1)
    session.expire_all()
    assert session.get(Device, device.id).missing_since is None
    record = session.execute(select(MissingDevice)).scalar_one()
    assert record.found_at == at(20) and record.found_how == f"compté dans {site['bin_b'].code} lors de l'inventaire {INV}-0002"
    assert record.found_by_id == tech and record.stocktake_id == first.id


def test_a_part_line_changed_since_the_opening_is_a_conflict_and_parts_from_outside_are_taken(session, site, users):
    from inventory.services.repairs import open_ticket, use_part

    tech = users["technicien"]
    ram = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=site["bin_a"].code, quantity=5)
    ssd = add_stock(session, part_type="ssd", description="SSD 240 Go", location=site["bin_c"].code, quantity=6)
    stocktake = open_stocktake(session, site="LAM", locations=[site["bin_a"].code, site["bin_b"].code], now=T0)
    device = make_device(session, site["collection"].id)
    advance(session, device, "repair")
    ticket = open_ticket(session, device.asset_tag, symptoms="Mémoire défaillante")
    use_part(session, ticket.id, ram.id, quantity=1)                            # 5 → 4 after the opening
    count(session, site["bin_a"].code, user_id=tech, now=at(1))
    count(session, f"SP-{ram.id:06d}", user_id=tech, quantity=3, now=at(4))
    count(session, site["bin_b"].code, user_id=tech, now=at(7))                 # closes A
    count(session, f"SP-{ssd.id:06d}", user_id=tech, quantity=2, now=at(10))    # C is not in the stocktake
    count(session, site["bin_b"].code, user_id=tech, now=at(13))
    report = apply_stocktake(session, stocktake.id, user_id=tech, now=at(20))
    assert report.conflicts == ["Barrette 8 Go DDR4 : quantité modifiée depuis l'ouverture (5 → 4), 3 comptée(s) : "
                                "laissée telle quelle, recomptez-la."]
    session.expire_all()
    assert session.get(SparePart, ram.id).quantity == 4                       # not overwritten
    assert session.get(SparePart, ssd.id).quantity == 4                       # 2 of 6 were in B
    in_b = session.execute(select(SparePart).where(SparePart.location_id == site["bin_b"].id)).scalar_one()
    assert (in_b.description, in_b.quantity) == ("SSD 240 Go", 2)


def test_accuracy_is_one_rule_everywhere():
    from decimal import Decimal

    from inventory.stocktake.rules import accuracy_rate

    assert accuracy_rate(34, 40) == Decimal("0.8500") and accuracy_rate(1, 3) == Decimal("0.3333")
    assert accuracy_rate(0, 0) is None and accuracy_rate(0, 5) == Decimal("0.0000")


def test_parts_counted_elsewhere_join_the_same_part_line_there(session, site, users):
    """Units of A's RAM line counted in B join B's line of the same part (same type, description
    and origin), not another part's nor a harvested line's; A is not in the stocktake, so they are
    taken from A's line."""
    tech = users["technicien"]
    a, b = site["bin_a"].code, site["bin_b"].code
    ram_a = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=a, quantity=10)
    ram_b = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=b, quantity=3)
    other = add_stock(session, part_type="ram", description="Barrette 4 Go DDR3", location=b, quantity=1)
    donor = make_device(session, site["collection"].id)
    advance(session, donor, "parts")
    harvested = add_stock(session, part_type="ram", description="Barrette 8 Go DDR4", location=b, quantity=1,
                          harvested_from=donor)
    stocktake = open_stocktake(session, site="LAM", locations=[b], now=T0)
    count(session, b, user_id=tech, now=at(1))
    for n, (line, quantity) in enumerate([(ram_b, 3), (other, 1), (harvested, 1), (ram_a, 2)]):
        count(session, f"SP-{line.id:06d}", user_id=tech, quantity=quantity, now=at(4 + 3 * n))
    count(session, b, user_id=tech, now=at(30))
    lines_before = session.execute(select(func.count()).select_from(SparePart)).scalar_one()
    report = apply_stocktake(session, stocktake.id, user_id=tech, now=at(40))
    assert (report.parts, report.conflicts) == (2, [])
    session.expire_all()
    assert [session.get(SparePart, p.id).quantity for p in (ram_a, ram_b, other, harvested)] == [8, 5, 1, 1]
    assert session.execute(select(func.count()).select_from(SparePart)).scalar_one() == lines_before

"""The indicators against a scripted scenario, exactly; then the same scenario under each filter."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import local_today
from core.territory import Epci
from reporting.filters import Filters
from reporting.indicators import indicators
from tests.reporting.scenario import build_scenario


def whole(**changes) -> Filters:
    return Filters(date(2020, 1, 1), local_today() + timedelta(days=1), **changes)


@pytest.fixture
def scenario(app, session):
    return build_scenario(app, session)


def test_indicators_match_the_scripted_scenario_exactly(app, session, scenario):
    figures = indicators(session, whole())
    figures.pop("period")
    assert figures == {
        "devices_collected": 4,
        "devices_sanitised": 4,          # every device left "wiping" once
        "devices_graded": 3,
        "devices_distributed": 2,
        "devices_recycled": 1,
        "stock_by_state": {"received": 0, "wiping": 0, "repair": 0, "grading": 0, "in_stock": 1, "reserved": 0,
                           "distributed": 2, "parts": 0, "recycled": 1},
        "households_validated": 3,
        "households_equipped": 2,
        "equipped_by_epci": {"CACEM": 2, "CAP Nord": 0, "Espace Sud": 0},
        "workshop_sessions": 1,
        "workshop_attendance_rate": 0.5,
        "satisfaction_avg": 4.0,
        "internet_access_rate": 0.5,
        "internet_offer_referrals": 1,
        "weight_reused_kg": 4.0,
        "weight_recycled_kg": 3.0,
        "reference_value_total": "560.00",   # laptop B: 280 € each
        "paid_total": "110.00",              # 50 € + 50 € + a 10 € charger
        "aide_solidaire_total": "460.00",
        "median_days_reception_to_handover": 15.0,
        # No mobile workshop nor tour in this scenario (tests/reporting/test_mobile_indicators.py has them).
        "mobile_sessions": 0,
        "mobile_attendance_rate": None,
        "mobile_walk_ins": 0,
        "handovers_on_tour": 0,
        "households_reached_on_tour": 0,
    }


def test_filters_narrow_the_scenario(app, session, scenario):
    epcis = dict(session.execute(select(Epci.short_name, Epci.id)).all())
    south = indicators(session, whole(epci_id=epcis["Espace Sud"]))
    assert (south["devices_collected"], south["devices_distributed"], south["households_validated"],
            south["workshop_sessions"], south["paid_total"]) == (0, 0, 1, 0, "0.00")
    cacem = indicators(session, whole(epci_id=epcis["CACEM"]))
    assert (cacem["devices_collected"], cacem["households_validated"], cacem["households_equipped"]) == (4, 2, 2)
    donor = indicators(session, whole(donor_id=scenario["shop"]["donor"].id))
    assert (donor["devices_collected"], donor["devices_distributed"], donor["households_validated"],
            donor["workshop_sessions"], donor["satisfaction_avg"]) == (4, 2, None, None, None)
    tablets = indicators(session, whole(category="tablet"))
    assert (tablets["devices_collected"], tablets["devices_distributed"], tablets["workshop_sessions"]) == (0, 0, 0)
    last_year = local_today().year - 1
    before = indicators(session, Filters(date(last_year, 1, 1), date(last_year, 12, 31)))
    assert before["devices_collected"] == 0 and sum(before["stock_by_state"].values()) == 0
    assert before["median_days_reception_to_handover"] is None and before["internet_access_rate"] is None


DEVICE_FIGURES = ("devices_collected", "devices_sanitised", "devices_graded", "devices_recycled", "weight_recycled_kg",
                  "devices_distributed", "weight_reused_kg", "paid_total", "stock_by_state", "equipped_by_epci",
                  "internet_access_rate", "median_days_reception_to_handover")


def test_a_filter_that_keeps_everything_changes_nothing(app, session, scenario):
    """Under a filter the device figures come from other statements (the events meet the filtered
    devices in one join): a filter every scenario device passes gives the unfiltered figures."""
    epcis = dict(session.execute(select(Epci.short_name, Epci.id)).all())
    expected = {key: indicators(session, whole())[key] for key in DEVICE_FIGURES}
    for f in (whole(donor_id=scenario["shop"]["donor"].id), whole(category="laptop"),
              whole(epci_id=epcis["CACEM"]), whole(epci_id=epcis["CACEM"], category="laptop")):
        got = indicators(session, f)
        assert {key: got[key] for key in DEVICE_FIGURES} == expected, f


def test_the_counted_events_are_read_over_their_partial_indexes(app, session, scenario):
    """The counts by period use the partial indexes of inventory.models.COUNTED_EVENTS: their
    predicates, written into the SQL, match the indexes' on both databases."""
    from sqlalchemy import event

    from inventory.models import COUNTED_EVENTS, DeviceEvent
    from reporting.indicators import counted_event

    f = whole()
    dialect = session.get_bind().dialect.name
    for name in COUNTED_EVENTS:
        stmt = select(DeviceEvent.device_id).where(counted_event(name), DeviceEvent.at >= f.start_utc,
                                                   DeviceEvent.at < f.end_utc)
        sent = []   # the SQL and parameters as the driver receives them (as the API sends them)
        engine = session.get_bind()
        capture = lambda conn, cursor, sql, params, context, many: sent.append((sql, params))  # noqa: E731
        event.listen(engine, "before_cursor_execute", capture)
        try:
            session.execute(stmt).all()
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        sql, params = sent[-1]
        connection = session.connection()
        if dialect == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")   # a tiny table would be scanned
            # Planned as a prepared statement is once psycopg prepares it (from its 5th run): one
            # generic plan for any parameters, where a bound kind would match no partial index.
            connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
            positional = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", sql)
            types = ", ".join("timestamp" if isinstance(params[n], datetime) else "text" for n in names)
            connection.exec_driver_sql(f"PREPARE counted_{name} ({types}) AS {positional}")
            arguments = ", ".join("'" + (params[n].isoformat(sep=" ") if isinstance(params[n], datetime)
                                         else str(params[n])).replace("'", "''") + "'" for n in names)
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(
                f"EXPLAIN EXECUTE counted_{name}({arguments})"))
        else:
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
        session.rollback()
        assert f"ix_device_event_{name}_at" in plan, (name, plan)


def replayed_stock(session, end_utc) -> dict[str, int]:
    """The oracle: each device's last state change before ``end_utc`` (the whole history)."""
    from sqlalchemy import text

    rows = session.execute(text(
        "SELECT to_state, count(*) FROM (SELECT to_state, row_number() OVER (PARTITION BY device_id "
        "ORDER BY at DESC, id DESC) AS rn FROM device_event WHERE kind IN ('received', 'transition') "
        "AND at < :end) last WHERE rn = 1 GROUP BY to_state"), {"end": end_utc.replace(tzinfo=None)}).all()
    return dict(rows)


def test_stock_at_the_end_of_a_period_equals_the_replayed_history(app, session, scenario):
    from sqlalchemy import text

    from reporting.indicators import stock_by_state

    # Spread each device's history over time, keeping its order: an event moves back 7 days for
    # each later event of the same device (the last one stays today).
    later = "(SELECT count(*) FROM device_event e2 WHERE e2.device_id = device_event.device_id AND e2.id > device_event.id)"
    shifted = (f"at - interval '7 days' * {later}" if session.get_bind().dialect.name == "postgresql"
               else f"strftime('%Y-%m-%d %H:%M:%f', at, '-' || (7 * {later}) || ' days')")
    session.execute(text(f"UPDATE device_event SET at = {shifted}"))
    session.commit()
    for days_ago in (50, 36, 30, 22, 15, 8, 1, 0):
        end = local_today() - timedelta(days=days_ago)
        f = Filters(date(2020, 1, 1), end)
        expected = {state: n for state, n in replayed_stock(session, f.end_utc).items()}
        got = {state: n for state, n in stock_by_state(session, f).items() if n}
        assert got == expected, (days_ago, got, expected)
        # The same under a filter every device passes (the changes since the end meet the devices).
        filtered = stock_by_state(session, replace(f, donor_id=scenario["shop"]["donor"].id))
        assert {state: n for state, n in filtered.items() if n} == expected, (days_ago, filtered)
    assert stock_by_state(session, whole())["distributed"] == 2

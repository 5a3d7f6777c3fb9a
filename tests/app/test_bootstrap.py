"""run.py's preparation: migrations, reference data, roles, and the demo data set."""
from __future__ import annotations

from sqlalchemy import func, select

from app import create_app
from app.bootstrap import prepare
from app.demo import DEMO_ACCOUNTS
from app.extensions import db
from config import TestConfig
from core.settings import get_setting
from core.territory import Commune, Epci
from inventory.lifecycle import State
from core.organisations import Organisation
from inventory.models import Collection, Device, DeviceEvent, Location, Site


def count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_demo_data_on_an_empty_database(empty_database):
    app = create_app(TestConfig(empty_database))
    outcome = prepare(app, demo=True, demo_password="pw-demo")
    assert outcome["demo_loaded"] is True and outcome["demo_present"] is True
    with app.app_context():
        assert count(Epci) == 3 and count(Commune) == 34
        assert count(Site) == 2 and count(Collection) == 3
        assert count(Location) >= 4
        assert db.session.execute(select(func.count()).where(Organisation.kind == "donor")).scalar_one() == 4
        devices = db.session.execute(select(Device)).scalars().all()
        assert 140 <= len(devices) <= 160
        assert {d.state for d in devices} == set(State.values())
        last = dict(db.session.execute(
            select(DeviceEvent.device_id, DeviceEvent.to_state)
            .where(DeviceEvent.id.in_(select(func.max(DeviceEvent.id)).group_by(DeviceEvent.device_id)))
        ).all())
        assert all(last[d.id] == d.state for d in devices)
        assert count(DeviceEvent) > 3 * len(devices)
        assert get_setting(db.session, "demo_data_loaded") == "1"
        from eligibility.models import Household, Request

        assert count(Household) == 33
        statuses = sorted(r.status for r in db.session.execute(select(Request)).scalars())
        # Nine households equipped (six in the last weeks at the office, one on the mobile
        # workshop's tour at Macouba, two today), eight validated (seven on the waiting list, one
        # with a device reserved today), four requests in each EPCI agent's queue, one waiting for
        # documents in each EPCI, one refused.
        assert statuses == sorted(["equipped"] * 9 + ["validated"] * 8 + ["submitted"] * 12
                                  + ["pending_documents"] * 3 + ["refused"])
        from distribution.models import Invoice, Reservation, WorkshopSession
        from distribution.services.invoicing import verify_chain

        numbers = [i.number for i in db.session.execute(select(Invoice)).scalars()]
        assert sorted(n[-5:] for n in numbers if not n.startswith("F-M1-")) == [f"{n:05d}" for n in range(1, 9)]
        assert [n[-5:] for n in numbers if n.startswith("F-M1-")] == ["00001"]      # the tour's, offline
        assert sorted(r.status for r in db.session.execute(select(Reservation)).scalars()) == (
            ["active"] + ["handed_over"] * 9)
        # Every device handed over has its invoice, and every reserved one its reservation.
        assert count(Device, Device.state == "distributed") == 9 and count(Device, Device.state == "reserved") == 1
        sessions = db.session.execute(select(WorkshopSession)).scalars().all()
        assert {w.commune.epci.short_name for w in sessions} == {"CACEM", "CAP Nord", "Espace Sud"}
        assert {w.venue_kind for w in sessions} == {"site", "digital_point", "mobile_stop"}
        assert verify_chain(db.session) == []
        sm = app.appbuilder.sm
        for username, role, bound in DEMO_ACCOUNTS:
            user = sm.find_user(username)
            assert [r.name for r in user.roles] == [role]
            if role == "Agent EPCI":
                assert user.epci.short_name == bound
            elif bound:
                assert user.organisation.name == bound
        db.session.remove()
    client = app.test_client()
    answer = client.post("/api/v1/security/login", json={"username": "technicien", "password": "pw-demo", "provider": "db"})
    assert answer.status_code == 200
    # A second start changes nothing.
    again = prepare(app, demo=True, demo_password="pw-demo")
    assert again["demo_loaded"] is False
    with app.app_context():
        assert count(Device) == len(devices)
        db.session.remove()
        db.engine.dispose()


def test_no_demo_leaves_an_empty_database(empty_database):
    app = create_app(TestConfig(empty_database))
    outcome = prepare(app, demo=False, demo_password="x")
    assert outcome == {"territory": {"epci": 3, "communes": 34}, "rule_sets": [("MQ-2026.1", "added")],
                       "price_grids": [("PG-2026.1", "added")],
                       "demo_loaded": False, "empty": True, "demo_present": False}
    with app.app_context():
        assert count(Device) == 0
        assert {r.name for r in app.appbuilder.sm.get_all_roles()} >= {"Admin", "Technicien", "Agent EPCI"}
        db.session.remove()
        db.engine.dispose()

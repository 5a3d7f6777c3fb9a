"""The demo data lets a newcomer try every role (issue 16, defect 10): the demo is loaded into a
brand-new database as ``make run`` does, then each demo account signs in and finds work waiting —
requests in each EPCI agent's queue (theirs only, each one theirs to decide), households on the
Technicien's waiting list with devices to match, a past workshop whose attendance the Animateur
can note, indicators with attendance — and the story's dates hold together."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.bootstrap import prepare
from app.demo import DEMO_ACCOUNTS
from app.extensions import db
from config import TestConfig
from core.clock import local_today, utcnow
from tests.conftest import postgres_url
from tests.helpers import PASSWORD, bearer, login

AGENTS = {"agent.cacem": "CACEM", "agent.capnord": "CAP Nord", "agent.espacesud": "Espace Sud"}
PERIOD = f"from={(local_today() - timedelta(days=60)).isoformat()}&to={local_today().isoformat()}"


@pytest.fixture(scope="module")
def demo(database, tmp_path_factory):
    """An app on a new database holding the demo, loaded as ``make run`` loads it (the accounts'
    password is the tests' own)."""
    if database == "sqlite":
        url, admin = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}", None
    else:
        base = make_url(postgres_url())
        name = f"{base.database}_demo"     # beside the tests' own database, never shared with it
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = base.set(database=name).render_as_string(hide_password=False)
    application = create_app(TestConfig(url))
    assert prepare(application, demo=True, demo_password=PASSWORD)["demo_loaded"] is True
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def query(app, stmt):
    with app.app_context():
        return db.session.execute(stmt).all()


def user_id(app, username: str) -> int:
    with app.app_context():
        return app.appbuilder.sm.find_user(username).id


@pytest.mark.parametrize("username", [name for name, _, _ in DEMO_ACCOUNTS])
def test_every_demo_account_signs_in_and_opens_its_home_page(demo, username):
    client = demo.test_client()
    login(client, username)
    home = client.get("/")
    assert home.status_code == 200 and "démonstration" in home.get_data(as_text=True)   # the demo banner


# --- Agents EPCI ------------------------------------------------------------------------------

def test_every_submitted_request_of_the_demo_is_in_one_agent_queue(demo):
    from core.territory import Commune, Epci
    from eligibility.models import Household, Request

    rows = query(demo, select(Epci.short_name, func.count()).select_from(Request).join(Request.household)
                 .join(Commune, Commune.insee_code == Household.commune_insee).join(Epci, Epci.id == Commune.epci_id)
                 .where(Request.status == "submitted").group_by(Epci.short_name))
    assert {epci for epci, count in rows if count >= 3} == set(AGENTS.values())


@pytest.mark.parametrize("agent", AGENTS)
def test_each_agent_finds_their_own_epci_requests_waiting_and_may_decide_each(demo, agent):
    from core.territory import Commune, Epci
    from eligibility.models import Household, Request

    client = demo.test_client()
    answer = client.get("/api/v1/requests?status=submitted", headers=bearer(client, agent))
    assert answer.status_code == 200
    queue = answer.json["result"]
    assert len(queue) >= 3
    assert {r["preview"]["epci"] for r in queue} == {AGENTS[agent]}
    # Every household of the EPCI with a submitted request is there, and none other.
    expected = {ref for ref, in query(demo, select(Household.reference).join(Request.household)
                                      .join(Commune, Commune.insee_code == Household.commune_insee)
                                      .join(Epci, Epci.id == Commune.epci_id)
                                      .where(Request.status == "submitted", Epci.short_name == AGENTS[agent]))}
    assert expected == {r["household"] for r in queue}
    # Varied: eligible at different tiers, and not eligible; some with a proof of income, one without.
    previews = [r["preview"] for r in queue]
    assert any(p["eligible"] for p in previews)
    assert len({(p["eligible"], p["tier"]) for p in previews}) >= 2
    with demo.app_context():
        households = {h.reference: (h.resources_proof, h.commune_insee, len(h.members), h.income_entered_by_id)
                      for h in db.session.execute(select(Household).where(
                          Household.reference.in_([r["household"] for r in queue]))).scalars()}
    assert any(proof is None for proof, *_ in households.values())
    assert len({commune for _, commune, *_ in households.values()}) >= 2
    assert len({size for _, _, size, _ in households.values()}) >= 2
    # The four-eyes rule lets this agent decide every request of the queue.
    me = user_id(demo, agent)
    assert all(entered_by != me for *_, entered_by in households.values())
    # One request per EPCI waits for documents.
    pending = client.get("/api/v1/requests?status=pending_documents", headers=bearer(client, agent)).json["result"]
    assert len(pending) == 1 and pending[0]["justification"]
    # The queue page, signed in through the form, lists them too.
    login(client, agent)
    page = client.get("/requests/").get_data(as_text=True)
    assert all(reference in page for reference in households)
    others = [ref for ref, in query(demo, select(Household.reference)) if ref not in households]
    assert not [ref for ref in others if ref in page]
    # The agent validates the first eligible one: the demo's queue is work that can be done.
    first = next(r for r in queue if r["preview"]["eligible"])
    decided = client.post(f"/api/v1/requests/{first['id']}/decision", json={"action": "validate"},
                          headers=bearer(client, agent))
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "validated"


# --- Technicien -------------------------------------------------------------------------------

def test_the_technicien_finds_households_waiting_with_devices_to_match(demo):
    from distribution.services.reservations import matching_devices, waiting_list

    with demo.app_context():
        waiting = waiting_list(db.session, demo.config["PRIORITY_WEIGHTS"])
        matched = {w.request.id: matching_devices(db.session, w.request, limit=1) for w in waiting}
        assert len(waiting) >= 5
        assert all(matched.values()), "every household waiting has a device of its category in stock"
        assert all(m[0].device.category == w.request.category for w in waiting for m in [matched[w.request.id]])
        assert len({w.priority for w in waiting}) >= 3 and len({w.situations for w in waiting}) >= 3
        assert len({w.request.category for w in waiting}) >= 3
        assert len({w.request.household.commune.epci_id for w in waiting}) == 3
        first, tag = waiting[0].request.id, matched[waiting[0].request.id][0].device.asset_tag
        db.session.remove()
    client = demo.test_client()
    login(client, "technicien")
    page = client.get("/distribution/waiting-list/")
    assert page.status_code == 200 and page.get_data(as_text=True).count("/distribution/waiting-list/") > len(waiting)
    detail = client.get(f"/distribution/waiting-list/{first}").get_data(as_text=True)
    assert tag in detail
    # One reservation in progress, to hand over.
    reservations = client.get("/distribution/reservations/").get_data(as_text=True)
    assert re.search(r"RK-\d{6}", reservations)


# --- Animateur --------------------------------------------------------------------------------

def test_the_animateur_notes_attendance_on_yesterdays_workshop(demo):
    from distribution.models import Booking, WorkshopSession

    animateur = user_id(demo, "animateur")
    now = utcnow()
    sessions = [w for w, in query(demo, select(WorkshopSession).where(WorkshopSession.facilitator_id == animateur))]
    past = [w.id for w in sessions if w.starts_at <= now]
    assert len(past) >= 3 and len(sessions) - len(past) >= 5
    open_bookings = query(demo, select(Booking.id, Booking.session_id).join(Booking.session)
                          .where(WorkshopSession.facilitator_id == animateur, WorkshopSession.starts_at <= now,
                                 Booking.status == "booked").order_by(Booking.id))
    assert len(open_bookings) >= 3
    workshop = open_bookings[0][1]
    client = demo.test_client()
    login(client, "animateur")
    listing = client.get("/distribution/workshops/").get_data(as_text=True)
    assert f"/distribution/workshops/{workshop}" in listing
    sheet = client.get(f"/distribution/workshops/{workshop}").get_data(as_text=True)
    assert f"/attendance/{open_bookings[0][0]}" in sheet
    for (booking, _), (attended, score) in zip(open_bookings, [(True, 5), (False, None), (True, 4)]):
        body = {"attended": attended, **({"satisfaction": score} if score else {})}
        answer = client.post(f"/api/v1/bookings/{booking}/attendance", json=body, headers=bearer(client, "animateur"))
        assert answer.status_code == 200, answer.json
        assert answer.json["status"] == ("attended" if attended else "no_show")


def test_upcoming_workshops_have_free_seats_in_several_communes_and_kinds_of_venue(demo):
    client = demo.test_client()
    upcoming = client.get("/api/v1/workshops", headers=bearer(client, "agent.capnord")).json["result"]
    assert all(w["free_seats"] > 0 for w in upcoming)
    assert len({w["commune_insee"] for w in upcoming}) >= 5
    assert {w["epci"] for w in upcoming} == set(AGENTS.values())
    assert {"mobile_stop", "digital_point", "site"} <= {w["venue_kind"] for w in upcoming}
    # A venue's name does not repeat its kind (the pages show the kind beside it).
    assert not [w for w in upcoming if "point numérique" in w["venue_name"].lower()]


# --- Dashboard --------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["admin", *AGENTS])
def test_the_dashboard_shows_workshops_held_and_their_attendance(demo, username):
    client = demo.test_client()
    figures = client.get(f"/api/v1/indicators?{PERIOD}", headers=bearer(client, username)).json
    assert figures["workshop_sessions"] >= 1
    assert 0 < figures["workshop_attendance_rate"] < 1       # some came, some did not
    assert figures["satisfaction_avg"] >= 3
    assert figures["households_validated"] >= 3 and figures["households_equipped"] >= 2
    assert figures["devices_distributed"] >= 2
    login(client, username)
    page = re.sub(r"<[^>]+>", " ", client.get(f"/dashboard/?{PERIOD}").get_data(as_text=True))
    assert re.search(r"Taux de présence aux ateliers\s+[1-9]\d*", re.sub(r"\s+", " ", page))


# --- the story holds together -----------------------------------------------------------------

def test_the_story_is_in_the_past_and_in_order(demo):
    from distribution.models import Booking, Invoice, Reservation, WorkshopSession
    from eligibility.models import AuditEntry, Household, Request
    from distribution.numbering import parse_number
    from distribution.services.invoicing import verify_chain

    now = utcnow()
    stamps = [at for at, in query(demo, select(Household.created_at))]
    stamps += [at for at, in query(demo, select(Request.created_at))]
    stamps += [at for at, in query(demo, select(Request.decided_at).where(Request.decided_at.is_not(None)))]
    stamps += [at for at, in query(demo, select(Booking.booked_at))]
    stamps += [at for at, in query(demo, select(Invoice.issued_at))]
    stamps += [at for at, in query(demo, select(AuditEntry.at))]
    assert max(stamps) <= now
    # Households were entered over the last weeks, not all today.
    created = [at for at, in query(demo, select(Household.created_at))]
    assert min(created) < now - timedelta(days=28) and len({at.date() for at in created}) >= 15
    for entered, decided, equipped in query(demo, select(Household.created_at, Request.decided_at, Request.equipped_at)
                                            .join(Request.household)):
        assert decided is None or entered < decided
        assert equipped is None or decided < equipped
    for reserved, handed, issued in query(demo, select(Reservation.reserved_at, Reservation.ended_at, Invoice.issued_at)
                                          .join(Invoice, Invoice.reservation_id == Reservation.id)):
        assert reserved <= handed == issued
    for booked, starts, noted in query(demo, select(Booking.booked_at, WorkshopSession.starts_at, Booking.attendance_at)
                                       .join(Booking.session)):
        assert booked < starts and (noted is None or noted >= starts)
    numbers = [n for n, in query(demo, select(Invoice.number).order_by(Invoice.issued_at, Invoice.id))]
    by_series: dict[str, list[str]] = {}
    for number in numbers:
        by_series.setdefault(parse_number(number).series, []).append(number)
    assert all(issued == sorted(issued) for issued in by_series.values())   # each series in issue order
    assert [s for s in by_series if s.startswith("F-M1-")], "the demo tour's invoice, in unit M1's series"
    with demo.app_context():
        assert verify_chain(db.session) == []
        db.session.remove()


def test_the_indicators_summaries_equal_the_demo_records(demo):
    """What CI checks after loading the demo: ``flask reporting verify`` finds every summary of
    reporting.summaries equal to its recomputation from the records the demo wrote, and the
    indicators read from them equal those computed from the records."""
    from reporting.filters import Filters
    from reporting.indicators import indicators
    from reporting.records import indicators_from_records

    answer = demo.test_cli_runner().invoke(args=["reporting", "verify"])
    assert answer.exit_code == 0, answer.output
    assert "Résumés des indicateurs conformes aux enregistrements" in answer.output
    now = utcnow()
    with demo.app_context():
        for f in (Filters(local_today() - timedelta(days=60), local_today()), Filters(local_today(), local_today())):
            assert indicators(db.session, f, now=now) == indicators_from_records(db.session, f, now=now)
        db.session.remove()


def test_the_demo_has_two_past_tours_of_the_mobile_workshop_synced_and_closed(demo):
    """Grand'Rivière (the Animateur: attendance and walk-ins) and Macouba (the Technicien with M1:
    a walk-in and a handover invoiced offline), each closed with its ticket (app/demo_tours.py)."""
    from distribution.models import Booking, Invoice, WorkshopSession
    from distribution.tour.models import MobileTour, TourAction, WorkshopWalkIn

    tours = query(demo, select(MobileTour.reference, MobileTour.status, MobileTour.closure).order_by(MobileTour.id))
    assert [status for _, status, _ in tours] == ["closed", "closed"]
    assert [closure["invoices"] for _, _, closure in tours] == [0, 1]
    assert {o for o, in query(demo, select(TourAction.outcome))} == {"applied"}
    assert len(query(demo, select(WorkshopWalkIn.id))) == 3
    [(number, tour_id)] = query(demo, select(Invoice.number, Invoice.tour_id).where(Invoice.tour_id.is_not(None)))
    assert number.startswith("F-M1-") and number.endswith("-00001")
    marks = query(demo, select(Booking.status, Booking.satisfaction).join(Booking.session)
                  .where(WorkshopSession.commune_insee.in_(["97211", "97215"])))
    assert sorted(marks, key=str) == sorted([("attended", 5), ("no_show", None), ("attended", 4), ("attended", 3)],
                                            key=str)

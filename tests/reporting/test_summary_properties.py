"""Random histories (Hypothesis): devices received, scanned, sanitised, graded, recycled, handed
over, taken back by a credit note, reservations released, requests refused, records backdated
(each step written at a random moment up to a year back, out of order) and corrected in SQL
(events moved in time, a device's weight, category or reception date, a collection's donor and
site, a household's commune). After each history, on both engines: every summary equals its
recomputation from the records, and the indicators read from the summaries equal the indicators
computed from the records, for random periods under every kind of filter."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.extensions import db
from core.clock import clock_set_to
from core.errors import DomainError
from core.territory import Epci
from distribution.services.handover import handover
from distribution.services.invoicing import issue_credit_note
from distribution.services.reservations import release, reserve
from eligibility.models import Household
from eligibility.services.requests import create_request, decide_request
from inventory.models import Collection, Device, DeviceEvent
from inventory.services.collections import create_collection
from inventory.services.grading import grade_device
from inventory.services.reference import create_location, create_organisation, create_site
from inventory.lifecycle import TRANSITIONS, State
from inventory.services.transitions import transition
from reporting.filters import Filters, with_sites
from reporting.indicators import indicators
from reporting.records import indicators_from_records
from reporting.upkeep import verify
from tests.conftest import _empty_tables
from tests.helpers import actor, make_device, make_household, make_session, passing_checklist, sanitise, settings_for

START = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)   # the bundled rules and price grid apply from then
COMMUNES = ("97213", "97222", "97217")          # one per EPCI: CACEM, CAP Nord, Espace Sud
AGENTS = {"97213": "agent.cacem", "97222": "admin", "97217": "agent.espacesud"}

# When: hours after the step before, and days back from there (a backdated record) or 0.
when = st.tuples(st.integers(0, 24 * 15), st.one_of(st.just(0), st.just(0), st.integers(1, 60)))
receive = st.tuples(st.just("receive"), when, st.integers(0, 1), st.sampled_from(("laptop", "smartphone", "tablet")),
                    st.one_of(st.none(), st.integers(1, 40)))
stock = st.tuples(st.just("stock"), when, st.integers(0, 30))
hand_over = st.tuples(st.just("hand_over"), when, st.integers(0, 30), st.sampled_from(COMMUNES),
                      st.sampled_from((None, "none", "mobile", "broadband")), st.integers(0, 40))
step = st.one_of(
    receive, receive, stock, stock, hand_over, hand_over,
    st.tuples(st.just("advance"), when, st.integers(0, 30), st.integers(0, 5)),
    st.tuples(st.just("credit"), when, st.integers(0, 30)),
    st.tuples(st.just("release"), when, st.integers(0, 30), st.sampled_from(COMMUNES)),
    st.tuples(st.just("refuse"), when, st.sampled_from(COMMUNES)),
    st.tuples(st.just("correct"), when, st.sampled_from(("event_at", "weight", "category", "created_at",
                                                         "collection", "commune")), st.integers(0, 30)),
)
period = st.tuples(st.integers(-20, 340), st.integers(0, 400))
scope = st.sampled_from(("none", "epci", "donor", "category", "epci+category", "donor+category"))


class History:
    """Applies the steps through the services (a step the rules refuse is skipped, as a user's
    would be) and a few corrections in SQL."""

    def __init__(self, app, session):
        self.app, self.session, self.n, self.clock = app, session, 0, START
        self.tech = actor(app, "technicien")
        donors = [create_organisation(session, kind="donor", name=f"Donateur {k}", commune_insee=c)
                  for k, c in enumerate(("97213", "97217"))]
        sites = [create_site(session, code=code, name=f"Atelier {code}", kind="workshop", commune_insee=c)
                 for code, c in (("LAM", "97213"), ("MAR", "97217"))]
        self.bins = [create_location(session, site_id=s.id, label="A01", name="Bac") for s in sites]
        self.collections = [create_collection(session, donor=d.id, collected_on=date(2025, 5, 1), site=s.id,
                                              declared_count=50) for d, s in zip(donors, sites)]
        self.donors, self.sites = donors, sites
        self.devices: list[Device] = []
        self.invoices: list[str] = []

    def device(self, index: int, *states: str) -> Device | None:
        """The ``index``-th device (of those in one of ``states``, when given), or None."""
        found = [d for d in self.devices if not states or d.state in states]
        return found[index % len(found)] if found else None

    def household_request(self, commune: str, category: str):
        self.n += 1
        household = make_household(self.app, self.session, phone=f"0696 {self.n:06d}"[:14], last_name=f"Foyer{self.n}",
                                    commune_insee=commune)
        item = create_request(self.session, actor(self.app, "prescripteur"), household, category)
        return decide_request(self.session, actor(self.app, AGENTS[commune]), item, "validate")

    def apply(self, step) -> None:
        kind, (hours, back), *args = step
        self.clock += timedelta(hours=hours)
        try:
            with clock_set_to(self.clock - timedelta(days=back)) as moment:
                getattr(self, kind)(*args, moment) if kind == "correct" else getattr(self, kind)(*args)
        except DomainError:
            self.session.rollback()

    def receive(self, collection: int, category: str, tenths: int | None) -> None:
        weight = None if tenths is None else str(Decimal(tenths) / 10)
        self.devices.append(make_device(self.session, self.collections[collection].id, category=category,
                                        weight_kg=weight))

    def advance(self, index: int, choice: int, device: Device | None = None) -> None:
        """One step of the lifecycle (a reservation or a handover has its own use case)."""
        device = device or self.device(index)
        targets = [t.value for t in TRANSITIONS[State(device.state)]
                   if t.value not in ("reserved", "distributed")] if device is not None else []
        if not targets:
            return
        target = targets[choice % len(targets)]
        if device.state == "wiping":
            sanitise(self.session, device)
        if device.state == "grading" and target == "in_stock":
            grade_device(self.session, device.asset_tag, checklist=passing_checklist(device.category), cosmetic="B")
        transition(self.session, device.asset_tag, target, location=self.bins[0].code if target == "in_stock" else None)

    def stock(self, index: int) -> None:
        """Along the usual path to the stock, as far as the device can go."""
        device = self.device(index, "received", "wiping", "repair", "grading")
        for target in ("wiping", "grading", "in_stock"):
            if device is not None and State(target) in TRANSITIONS[State(device.state)]:
                self.advance(index, [t.value for t in TRANSITIONS[State(device.state)]].index(target), device)

    def hand_over(self, index: int, commune: str, access: str | None, paid: int) -> None:
        device = self.device(index, "in_stock")
        if device is None:
            return
        item = self.household_request(commune, device.category)
        reservation = reserve(self.session, self.tech, item.id, device.asset_tag)
        topic = "computer" if device.category == "laptop" else device.category
        workshop = make_session(self.app, self.session, commune=commune, topic=topic)
        result = handover(self.session, self.tech, reservation.id, settings_for(self.app), payment_method="cash",
                          accessories=["charger"] * (paid % 2), workshop_session_id=workshop.id,
                          internet_access=access, internet_offer_referred=access == "none")
        self.invoices.append(result.invoice.number)

    def credit(self, index: int) -> None:
        if self.invoices:
            issue_credit_note(self.session, self.tech, self.invoices[index % len(self.invoices)], reason="Retour",
                              return_device=True)

    def release(self, index: int, commune: str) -> None:
        device = self.device(index, "in_stock")
        if device is None:
            return
        reservation = reserve(self.session, self.tech, self.household_request(commune, device.category).id,
                              device.asset_tag)
        release(self.session, self.tech, reservation.id)

    def refuse(self, commune: str) -> None:
        self.n += 1
        household = make_household(self.app, self.session, phone=f"0696 {self.n:06d}"[:14], last_name=f"Foyer{self.n}",
                                   commune_insee=commune)
        item = create_request(self.session, actor(self.app, "prescripteur"), household, "tablet")
        decide_request(self.session, actor(self.app, AGENTS[commune]), item, "refuse", justification="Non.")

    def correct(self, what: str, index: int, when: datetime) -> None:
        device = self.device(index)
        if device is None:
            return
        statement = {
            # Keeps each device's events in the order they were written: every one at the same moment.
            "event_at": update(DeviceEvent).where(DeviceEvent.device_id == device.id).values(at=when),
            "weight": update(Device).where(Device.id == device.id).values(weight_kg=Decimal(index % 7) / 5),
            "category": update(Device).where(Device.id == device.id).values(category="desktop"),
            "created_at": update(Device).where(Device.id == device.id).values(created_at=when),
            "collection": update(Collection).where(Collection.id == device.collection_id).values(
                donor_id=self.donors[index % 2].id, site_id=self.sites[(index // 2) % 2].id),
            "commune": update(Household).where(Household.id == select(Household.id).order_by(Household.id.desc())
                                               .limit(1).scalar_subquery()).values(commune_insee=COMMUNES[index % 3]),
        }[what]
        self.session.execute(statement)
        self.session.commit()
        self.session.expire_all()


def filters(history: History, epcis: dict[str, int], start: date, end: date, kind: str, pick: int) -> Filters:
    parts = set(kind.split("+"))
    return Filters(start, end,
                   epci_id=list(epcis.values())[pick % 3] if "epci" in parts else None,
                   donor_id=history.donors[pick % 2].id if "donor" in parts else None,
                   category=("laptop", "smartphone", "tablet", "desktop")[pick % 4] if "category" in parts else None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=6, max_size=30),
       periods=st.lists(st.tuples(period, scope, st.integers(0, 11)), min_size=3, max_size=3))
def test_random_histories_keep_the_summaries_equal_to_the_records(app, session, steps, periods):
    _empty_tables(app)
    session = db.session
    history = History(app, session)
    for item in steps:
        history.apply(item)
    session.rollback()
    problems, _ = verify(session)
    assert problems == []
    epcis = dict(session.execute(select(Epci.short_name, Epci.id).order_by(Epci.short_name)).all())
    now = history.clock
    for (offset, length), kind, pick in periods:
        start = (START + timedelta(days=offset)).date()
        f = with_sites(session, filters(history, epcis, start, start + timedelta(days=length), kind, pick))
        assert indicators(session, f, now=now) == indicators_from_records(session, f, now=now), (f, steps)

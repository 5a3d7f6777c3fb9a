"""The demo's last weeks, played in date order through the services: households entered and
decided, workshops scheduled, devices handed over, participants booked, attendance noted, then
what happened today. Each past step runs with the clock set to its moment
(``core.clock.clock_set_to``), so every timestamp, audit entry, reference number and check is the
one real use would have written on that day. Dates are relative to the day the demo is loaded."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Flask

from app.demo_distribution import HANDOVERS_PAST, HANDOVERS_TODAY, RESERVED_TODAY, certificates_for_the_partner, equip, hold
from app import demo_tours
from app.demo_households import HOUSEHOLDS, REFERRERS, household_input
from app.demo_workshops import ATTENDANCE, BOOKINGS, PAST, UPCOMING, session_input
from core.actor import actor_of
from core.clock import MARTINIQUE, clock_set_to, local_today, utcnow
from core.schemas import load
from distribution.schemas import WorkshopIn
from distribution.services.workshops import book, create_session, record_attendance
from distribution.settings import settings_from
from eligibility.schemas import HouseholdIn
from eligibility.services.requests import create_household_with_request, decide_request
from inventory.services.reference import create_organisation

# When the Technicien scheduled the sessions (days ago, hour).
_PAST_SCHEDULED, _UPCOMING_SCHEDULED = (35, 8), (2, 8)


def _at(today: date, days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment ``days_ago`` days before ``today``, Martinique wall-clock time, as UTC."""
    return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), MARTINIQUE).astimezone(timezone.utc)


class Story:
    """The demo's households, requests and sessions, found again by name as the story goes."""

    def __init__(self, app: Flask, users: dict):
        from app.extensions import db

        self.session = db.session
        self.config = app.config
        self.users = users
        self.actors = {name: actor_of(user) for name, user in users.items()}
        self.settings = settings_from(app.config)
        self.today = local_today()
        self.requests = {}
        self.workshops = {}
        self.referrers = {name: create_organisation(self.session, kind="referrer", name=name, commune_insee=insee).id
                          for name, insee in REFERRERS}

    # --- the steps ---------------------------------------------------------------------------

    def enter(self, index: int, row) -> None:
        data = load(HouseholdIn(), household_input(row, index, today=self.today, entered_on=local_today(),
                                                   consent_version=self.config["CONSENT_TEXT_VERSION"],
                                                   referrer_ids=self.referrers))
        _, _, item = create_household_with_request(self.session, self.actors[row.entered_by], data, row.need,
                                                   reequip_months=self.config["ELIGIBILITY_REEQUIP_MONTHS"])
        self.requests[row.last] = item

    def decide(self, row) -> None:
        action, who = row.decision[:2]
        justification = row.decision[4] if len(row.decision) > 4 else None
        decide_request(self.session, self.actors[who], self.requests[row.last], action, justification=justification,
                       validity_months=self.config["ELIGIBILITY_VALIDITY_MONTHS"],
                       reequip_months=self.config["ELIGIBILITY_REEQUIP_MONTHS"])

    def schedule(self, row) -> None:
        day = self.today + timedelta(days=row.days)
        data = load(WorkshopIn(), session_input(row, day, self.users["animateur"].username))
        self.workshops[row.key] = create_session(self.session, self.actors["technicien"], data)

    def equip(self, name: str, workshop: str | None, payment: str, accessories: list, access: str,
              referred: bool) -> None:
        equip(self.session, self.actors["technicien"], self.requests[name], self.settings, utcnow(),
              workshop_session_id=self.workshops[workshop].id if workshop else None, payment=payment,
              accessories=accessories, internet_access=access, referred=referred)

    def book(self, name: str, workshop: str, who: str) -> None:
        book(self.session, self.actors[who], self.workshops[workshop].id, self.requests[name].household_id)

    def note_attendance(self, workshop: str) -> None:
        marks = ATTENDANCE[workshop]
        for booking in self.workshops[workshop].bookings:
            score = marks[booking.household.last_name]
            record_attendance(self.session, self.actors["animateur"], booking.id, attended=score is not None,
                              satisfaction=score)

    # --- the order ---------------------------------------------------------------------------

    def past_steps(self) -> list[tuple[datetime, int, object]]:
        """Every dated step as (moment, sequence, step); the sequence keeps the table's order
        among steps of the same moment."""
        at = lambda days, hour, minute=0: _at(self.today, days, hour, minute)   # noqa: E731
        steps = []
        for index, row in enumerate(HOUSEHOLDS):
            steps.append((at(*row.entered), lambda i=index, r=row: self.enter(i, r)))
            if row.decision:
                steps.append((at(*row.decision[2:4]), lambda r=row: self.decide(r)))
        for row in PAST:
            steps.append((at(*_PAST_SCHEDULED), lambda r=row: self.schedule(r)))
            if row.key in ATTENDANCE:
                steps.append((at(-row.days, row.hour + 2, 15), lambda k=row.key: self.note_attendance(k)))
        for row in UPCOMING:
            steps.append((at(*_UPCOMING_SCHEDULED), lambda r=row: self.schedule(r)))
        for (days, hour), *handover in HANDOVERS_PAST:
            steps.append((at(days, hour), lambda h=handover: self.equip(*h)))
        for name, workshop, who, days, hour in BOOKINGS:
            if days is not None:
                steps.append((at(days, hour), lambda n=name, w=workshop, a=who: self.book(n, w, a)))
        steps += demo_tours.steps(self)       # the mobile workshop's days on the road (issue 20)
        return [(moment, sequence, step) for sequence, (moment, step) in enumerate(steps)]

    def play(self) -> None:
        for moment, _, step in sorted(self.past_steps(), key=lambda s: s[:2]):
            with clock_set_to(moment):
                step()
        # Today, in the last hour (a handover ends 25 minutes after its reservation).
        start = utcnow() - timedelta(hours=1)
        for index, handover in enumerate(HANDOVERS_TODAY):
            with clock_set_to(start + timedelta(minutes=5 * index)):
                self.equip(*handover)
        for name in RESERVED_TODAY:
            with clock_set_to(start + timedelta(minutes=30)):
                hold(self.session, self.actors["technicien"], self.requests[name], self.settings, utcnow())
        for name, workshop, who, days, _ in BOOKINGS:
            if days is None:
                self.book(name, workshop, who)
        certificates_for_the_partner(self.session, self.users["partenaire"])


def play_demo_story(app: Flask, users: dict) -> None:
    """Load the demo's households, workshops and handovers (after its devices and accounts)."""
    Story(app, users).play()

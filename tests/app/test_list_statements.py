"""Every list page reads a page in a number of SQL statements that does not grow with its rows
(issue 18): the same page with N rows and with M > N rows runs the same statements, counted on
the engine (``sqlalchemy.event``), on both engines. A page that ran one query per row (the
households' requests, commune and EPCI; a device's collection and location) would differ.

Each case builds rows through the services (different related rows for each: a lazy load per
row cannot hide behind the session's identity map), signs in as the role that uses the list,
reads the page, adds rows, reads it again. Flask-AppBuilder lists over reference data that a test
cannot grow (communes, EPCI, accounts) are read with two page sizes instead (``psize_<View>``).
The timings at a national scale are in ``bench/lists.py``, not here."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from typing import Callable

import pytest
from sqlalchemy import event, update

from app.extensions import db
from core.actor import Actor
from core.clock import utcnow
from tests.helpers import (
    actor,
    advance,
    login,
    make_device,
    make_household,
    make_session,
    settings_for,
    stock_device,
    validated_request,
)

_n = count(1)


class Statements:
    """Counts the SQL statements the engine runs while open."""

    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0

    def _seen(self, *args) -> None:
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def statements_of(client, url: str) -> tuple[int, str]:
    """(statements, page) of one GET, with nothing of the test's own objects in the session."""
    db.session.expunge_all()
    with Statements(db.engine) as seen:
        answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code, answer.get_data(as_text=True)[:300])
    return seen.count, answer.get_data(as_text=True)


# --- builders: n more rows of each list, through the services ---------------------------------

def _place(session) -> dict:
    """A donor, a site, a bin and a collection of their own."""
    from inventory.services.collections import create_collection
    from inventory.services.reference import create_location, create_organisation, create_site

    n = next(_n)
    donor = create_organisation(session, kind="donor", name=f"Donateur {n}", commune_insee="97213")
    site = create_site(session, code=f"S{n}", name=f"Site {n}", kind="workshop",
                       commune_insee=("97213", "97209", "97222", "97217")[n % 4], organisation_id=donor.id)
    location = create_location(session, site_id=site.id, label=f"B{n}", name=f"Bac {n}")
    collection = create_collection(session, donor=donor.id, collected_on=date(2026, 3, 2), site=site.id,
                                   declared_count=3)
    return {"donor": donor, "site": site, "bin_a": location, "bin_b": location, "collection": collection}


def devices(app, session, n):
    for _ in range(n):
        place = _place(session)
        make_device(session, place["collection"].id, location=place["bin_a"].code)


def places(app, session, n):
    for _ in range(n):
        _place(session)


def spare_parts(app, session, n):
    from inventory.services.repairs import add_stock, harvest_parts

    for _ in range(n):
        place = _place(session)
        add_stock(session, part_type="battery", description=f"Batterie {next(_n)}", location=place["bin_a"].code,
                  quantity=2)
        donor_device = advance(session, make_device(session, place["collection"].id), "parts")
        harvest_parts(session, donor_device.asset_tag, [{"part_type": "ram", "description": f"Barrette {next(_n)}",
                                                          "location": place["bin_a"].code, "quantity": 1}])


COMMUNES = ("97213", "97209", "97222", "97217", "97229", "97230")    # CACEM, CACEM, CAP Nord, Espace Sud…


def households(app, session, n):
    from eligibility.services.requests import create_request

    for i in range(n):             # the first two in CACEM (the agent's EPCI), each in its own commune
        k = next(_n)
        household = make_household(app, session, "prescripteur", phone=f"0696 40 {k // 100:02d} {k % 100:02d}",
                                   last_name=f"Foyer{k}", commune_insee=COMMUNES[i % len(COMMUNES)])
        create_request(session, actor(app, "prescripteur"), household, "laptop")


def validated(app, session, n):
    for _ in range(n):
        k = next(_n)
        validated_request(app, session, phone=f"0696 50 {k // 100:02d} {k % 100:02d}", last_name=f"Attente{k}",
                          commune_insee=("97213", "97209")[k % 2], situations=["senior"] if k % 2 else [])


def reservations(app, session, n, *, handed_over=False):
    from distribution.services.handover import handover
    from distribution.services.reservations import reserve

    tech = actor(app, "technicien")
    workshop = make_session(app, session, capacity=50) if handed_over else None
    for _ in range(n):
        k = next(_n)
        item = validated_request(app, session, phone=f"0696 60 {k // 100:02d} {k % 100:02d}", last_name=f"Résa{k}",
                                 commune_insee=("97213", "97209")[k % 2])
        reservation = reserve(session, tech, item.id, stock_device(session, _place(session)).asset_tag)
        if handed_over:
            handover(session, tech, reservation.id, settings_for(app), payment_method="cash",
                     workshop_session_id=workshop.id)


def invoices(app, session, n):
    reservations(app, session, n, handed_over=True)


def workshops(app, session, n):
    from distribution.models import WorkshopSession
    from distribution.services.workshops import book

    agent = actor(app, "agent.cacem")
    for _ in range(n):
        k = next(_n)
        upcoming = make_session(app, session, commune=COMMUNES[k % len(COMMUNES)], days=3 + k)
        past = make_session(app, session, commune=COMMUNES[(k + 1) % len(COMMUNES)], days=4 + k)
        household = make_household(app, session, "prescripteur", phone=f"0696 70 {k // 100:02d} {k % 100:02d}",
                                   last_name=f"Atelier{k}", commune_insee="97213")
        book(session, agent, upcoming.id, household.id)
        book(session, agent, past.id, household.id)
        started = utcnow() - timedelta(days=k)
        session.execute(update(WorkshopSession).where(WorkshopSession.id == past.id)
                        .values(starts_at=started, ends_at=started + timedelta(hours=2)))
        session.commit()


def drives(app, session, n):
    from inventory.services.erasure_import import import_erasure_report

    report = {"tool": "Station", "drives": [
        {"serial_number": f"UNKNOWN-{next(_n)}", "level": "clear", "technique": "overwrite", "result": "pass",
         "verified": True} for _ in range(n)]}
    outcome = import_erasure_report(session, json.dumps(report).encode())
    assert outcome.queued == n


def snapshots(app, session, n):
    from inventory.services.snapshots import receive_snapshot
    from tests.inventory.snapshots.helpers import load

    for _ in range(n):
        k = next(_n)
        data = load("workbench_script")
        data["uuid"] = f"5b0e9d7c-3f41-4c2a-9a57-{k:012d}"
        data["data"]["dmidecode"] = data["data"]["dmidecode"].replace("RK7TEST", f"RK7TEST{k}")
        disks = json.loads(data["data"]["smartctl"])
        disks[0].pop("serial_number")            # set aside: the page's second list
        data["data"]["smartctl"] = json.dumps(disks)
        record, outcome = receive_snapshot(session, Actor(None, "Poste", frozenset()), data, None)
        assert outcome == "queued"


def tokens(app, session, n):
    from app.station_tokens import create_token

    for _ in range(n):
        create_token(session, f"Poste {next(_n)}", created_by_id=app.appbuilder.sm.find_user("admin").id)


def stations(app, session, n):
    from app.print_stations import PrintStation, save_station

    for _ in range(n):
        save_station(session, PrintStation(name=f"poste-{next(_n)}"))


def audit(app, session, n):
    households(app, session, n)      # each household's creation is in the log


@dataclass(frozen=True)
class Case:
    url: str
    user: str
    build: Callable | None      # None: the same rows, read with two page sizes (``psize``)
    row: str                    # a regular expression found once per row shown
    psize: str = ""


CASES = {
    # Flask-AppBuilder lists
    "devices": Case("/devices/list/", "technicien", devices, r'href="/devices/show/\d+'),
    "devices (agent)": Case("/devices/list/", "agent.cacem", devices, r'href="/devices/show/\d+'),
    "collections": Case("/collections/list/", "technicien", places, r'href="/collections/show/\d+'),
    "organisations": Case("/organisations/list/", "technicien", places, r'href="/organisations/show/\d+'),
    "sites": Case("/sites/list/", "technicien", places, r'href="/sites/show/\d+'),
    "locations": Case("/locations/list/", "technicien", places, r'href="/locations/show/\d+'),
    "spare parts": Case("/spare-parts/list/", "technicien", spare_parts, r'href="/spare-parts/show/\d+'),
    "communes": Case("/communes/list/", "admin", None, r'href="/communes/show/\d+', "CommuneView"),
    "epci": Case("/epci/list/", "admin", None, r'href="/epci/show/\d+', "EpciView"),
    "accounts": Case("/users/list/", "admin", None, r'href="/users/show/\d+', "RekonektUserDBModelView"),
    # our own list pages
    "households (admin)": Case("/households/", "admin", households, r'href="/households/\d+"'),
    "households (agent)": Case("/households/", "agent.cacem", households, r'href="/households/\d+"'),
    "households (prescripteur)": Case("/households/", "prescripteur", households, r'href="/households/\d+"'),
    "request queue (agent)": Case("/requests/", "agent.cacem", households, r'href="/requests/\d+"'),
    "request queue (all)": Case("/requests/?status=all", "admin", households, r'href="/requests/\d+"'),
    "waiting list": Case("/distribution/waiting-list/", "technicien", validated,
                         r'href="/distribution/waiting-list/\d+"'),
    "reservations": Case("/distribution/reservations/", "technicien", reservations,
                         r'href="/distribution/reservations/\d+"'),
    "invoices": Case("/distribution/invoices/", "technicien", invoices, r'href="/distribution/invoices/F-'),
    "workshops (technicien)": Case("/distribution/workshops/", "technicien", workshops,
                                   r'<tr><td><a href="/distribution/workshops/\d+"'),
    "workshops (agent)": Case("/distribution/workshops/", "agent.cacem", workshops,
                              r'href="/distribution/workshops/\d+"'),
    "workshops (animateur)": Case("/distribution/workshops/", "animateur", workshops,
                                  r'<tr><td><a href="/distribution/workshops/\d+"'),
    "erasure queue": Case("/erasures/queue", "technicien", drives, r'action="/erasures/queue/\d+/assign"'),
    "snapshot queue": Case("/snapshots/queue", "technicien", snapshots, r'action="/snapshots/queue/\d+/dismiss"'),
    "income audit log": Case("/eligibility/audit/", "admin", audit, r"<tr><td>\d\d/"),
    "station tokens": Case("/station-tokens/", "admin", tokens, r'action="/station-tokens/\d+/revoke"'),
    "print stations": Case("/print-stations/", "technicien", stations, r'value="poste-\d+"'),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_list_page_runs_the_same_statements_for_more_rows(app, client, session, name):
    case = CASES[name]
    login(client, case.user)
    if case.build is None:
        small, large = f"{case.url}?psize_{case.psize}=1", f"{case.url}?psize_{case.psize}=3"
        client.get(small)                                        # warm-up: caches, the signed-in user
        few, page = statements_of(client, small)
        rows_few = len(re.findall(case.row, page))
        many, page = statements_of(client, large)
        rows_many = len(re.findall(case.row, page))
    else:
        case.build(app, session, 2)
        client.get(case.url)
        few, page = statements_of(client, case.url)
        rows_few = len(re.findall(case.row, page))
        case.build(app, session, 3)
        many, page = statements_of(client, case.url)
        rows_many = len(re.findall(case.row, page))
    assert 0 < rows_few < rows_many, (rows_few, rows_many)
    assert few == many, f"{name}: {few} statements for {rows_few} rows, {many} for {rows_many}"


# Reference pages whose rows are versions loaded by Admin (one each in tests): bounded, read in
# a few statements that do not depend on what they show.
@pytest.mark.parametrize("url", ["/eligibility/rule-sets/", "/distribution/price-grids/", "/checklists/"])
def test_a_reference_list_reads_in_a_few_statements(app, client, session, url):
    login(client, "admin")
    client.get(url)
    seen, _ = statements_of(client, url)
    assert seen <= 6, seen

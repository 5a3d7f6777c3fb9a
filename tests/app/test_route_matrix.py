"""Every route of the application (``app.url_map``) × every role and anonymous, against ONE table
of expected outcomes (issue 15). A route without an entry fails the test: adding a route means
saying here who may use it.

Outcomes: the roles in ``allowed`` get an answer of the route (no 401/403, no redirection to the
login page, no server error); the roles in ``hidden`` get 404 (rows outside their scope, as if
they did not exist); every other signed-in role gets 403; anonymous gets 401 on the API and a
redirection to the login page elsewhere, unless the route is ``PUBLIC``. Reads (GET) run for
every identity. Writes (POST, DELETE…) run only where they must be refused — anonymous and the
roles outside ``allowed`` — so that the matrix changes nothing; the allowed side of writes is
covered by each feature's tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.conftest import USERS
from tests.helpers import bearer, csrf_token, login
from tests.reporting.scenario import build_scenario

ROLES = sorted(USERS)
ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})
WORKSHOP = ADMIN | {"technicien"}
AGENTS = frozenset({"agent.cacem", "agent.espacesud"})
STOCK = WORKSHOP | AGENTS                         # read-only stock for agents
ELIGIBILITY = ADMIN | AGENTS | {"prescripteur"}
DECIDERS = ADMIN | AGENTS
BOOKERS = WORKSHOP | ELIGIBILITY | {"animateur"}  # workshops and bookings, rows scoped further
DASHBOARD = ADMIN | AGENTS | {"partenaire"}
TOURS = WORKSHOP | {"animateur"}                  # the mobile workshop's tours (issue 20), rows scoped further
DOCS = ALL                                        # Swagger UI and the OpenAPI description
PUBLIC = "public"
NOT_RUN = "not run"   # /logout/ would end the session the matrix runs in (tested by its own feature)
ESPACE_SUD = frozenset({"agent.espacesud"})       # the seeded household lives in CACEM


@dataclass(frozen=True)
class Expect:
    allowed: frozenset = frozenset()
    hidden: frozenset = frozenset()
    mode: str = ""                                 # PUBLIC, NOT_RUN or ""
    extra: dict = field(default_factory=dict)


def rights(allowed=frozenset(), hidden=frozenset()) -> Expect:
    return Expect(frozenset(allowed), frozenset(hidden))


GONE = "gone"   # leads nowhere for anyone: 404 (FAB's file downloads, unknown actions)
NOBODY = frozenset()


def crud(read, add, edit, delete) -> dict:
    """A Flask-AppBuilder model view's routes. ``delete`` by GET is refused by FAB whenever CSRF is
    on (a redirection, no deletion), so it is a read here."""
    return {"list/": {"GET": rights(read)}, "show/<pk>": {"GET": rights(read)},
            # a search field's suggestions (app.views.listing), with the list's permission
            "autocomplete/<relation>": {"GET": rights(read)},
            "add": {"GET": rights(add), "POST": rights(add)}, "edit/<pk>": {"GET": rights(edit), "POST": rights(edit)},
            "delete/<pk>": {"GET": rights(delete), "POST": rights(delete)},
            "download/<string:filename>": {"GET": Expect(mode=GONE)},
            "action/<string:name>/<pk>": {"GET": Expect(mode=GONE), "POST": Expect(mode=GONE)},
            "action_post": {"POST": Expect(mode=GONE)}}


def model_views() -> dict:
    table = {}
    for base, read, add, edit, delete in [
        # Devices and collections are never deleted (history is append-only), nor places and donors.
        ("/devices/", STOCK, WORKSHOP, WORKSHOP, NOBODY), ("/collections/", STOCK, WORKSHOP, WORKSHOP, NOBODY),
        ("/organisations/", STOCK, WORKSHOP, WORKSHOP, NOBODY), ("/sites/", STOCK, WORKSHOP, WORKSHOP, NOBODY),
        ("/locations/", WORKSHOP, WORKSHOP, WORKSHOP, NOBODY), ("/spare-parts/", WORKSHOP, WORKSHOP, NOBODY, NOBODY),
        # The territory is reference data loaded from files; only an EPCI's settings are edited (Admin).
        ("/communes/", STOCK, NOBODY, NOBODY, NOBODY), ("/epci/", STOCK, NOBODY, ADMIN, NOBODY),
        # Accounts. (Roles are defined in code: no role, group, permission or view/menu table.)
        ("/users/", ADMIN, ADMIN, ADMIN, ADMIN),
    ]:
        for suffix, methods in crud(read, add, edit, delete).items():
            table[base + suffix] = methods
    return table


# (rule, method) → expected outcome. ONE table for the whole application.
TABLE: dict[str, dict[str, Expect]] = {
    **model_views(),
    # --- public
    "/": {"GET": Expect(mode=PUBLIC)},
    "/health": {"GET": Expect(mode=PUBLIC)},
    "/login/": {"GET": Expect(mode=PUBLIC), "POST": Expect(mode=PUBLIC)},
    "/logout/": {"GET": Expect(mode=NOT_RUN), "POST": Expect(mode=NOT_RUN)},
    "/lang/<string:locale>": {"GET": Expect(mode=PUBLIC)},
    "/back": {"GET": Expect(mode=PUBLIC)},
    "/static/<path:filename>": {"GET": Expect(mode=PUBLIC)},
    "/static/appbuilder/<path:filename>": {"GET": Expect(mode=PUBLIC)},
    "/verify/<code>": {"GET": Expect(mode=PUBLIC), "POST": Expect(mode=PUBLIC)},
    "/api/v1/verify/<code>": {"GET": Expect(mode=PUBLIC)},
    "/api/v1/security/login": {"POST": Expect(mode=PUBLIC)},
    "/api/v1/security/refresh": {"POST": Expect(mode=NOT_RUN)},
    "/api/v1/security/logout": {"POST": Expect(mode=NOT_RUN)},
    # --- every signed-in user
    "/swagger/<version>": {"GET": rights(DOCS)},
    "/api/<version>/_openapi": {"GET": rights(DOCS)},
    "/api/v1/menu/": {"GET": rights(ADMIN)},
    "/users/userinfo/": {"GET": rights(ALL)},
    "/userinfoeditview/form": {"GET": rights(ALL), "POST": rights(ALL)},
    "/resetmypassword/form": {"GET": rights(ALL), "POST": rights(ALL)},
    "/resetpassword/form": {"GET": rights(ADMIN), "POST": rights(ADMIN)},
    "/roles/": {"GET": rights(ADMIN)},      # what each role may do, read from app/roles.py
    "/station-tokens/": {"GET": rights(ADMIN), "POST": rights(ADMIN)},      # list and create
    "/station-tokens/<int(min=1, max=2147483647):token_id>/revoke": {"POST": rights(ADMIN)},
    # --- the workshop (pages)
    "/scan/": {"GET": rights(WORKSHOP)},
    "/devices/tag/<asset_tag>": {"GET": rights(STOCK)},
    "/devices/<int:pk>/certificate": {"POST": rights(WORKSHOP)},
    "/devices/<int:pk>/certificate.pdf": {"GET": rights(WORKSHOP)},
    "/devices/<int:pk>/erasure": {"POST": rights(WORKSHOP)},
    "/devices/<int:pk>/grade": {"POST": rights(WORKSHOP)},
    "/devices/<int:pk>/harvest": {"POST": rights(WORKSHOP)},
    "/devices/<int:pk>/move": {"POST": rights(WORKSHOP)},
    "/devices/<int:pk>/repair": {"POST": rights(WORKSHOP)},
    "/devices/<int:pk>/snapshots/<int:snapshot_id>.json": {"GET": rights(WORKSHOP)},
    "/devices/<int:pk>/transition": {"POST": rights(WORKSHOP)},
    "/collections/<int:pk>/certificate": {"POST": rights(WORKSHOP)},
    "/collections/<int:pk>/certificate.pdf": {"GET": rights(WORKSHOP)},
    "/collections/<int:pk>/erasure-import": {"POST": rights(WORKSHOP)},
    "/collections/<int:pk>/import": {"POST": rights(WORKSHOP)},
    "/collections/import-template.csv": {"GET": rights(WORKSHOP)},
    "/erasures/queue": {"GET": rights(WORKSHOP)},
    "/erasures/queue/<int:drive_id>/assign": {"POST": rights(WORKSHOP)},
    "/erasures/queue/<int:drive_id>/dismiss": {"POST": rights(WORKSHOP)},
    "/snapshots/queue": {"GET": rights(WORKSHOP)},          # « Instantanés en attente »
    "/snapshots/queue/collections": {"GET": rights(WORKSHOP)},   # the collection field's suggestions
    "/evidence/<string:uuid>": {"GET": rights(WORKSHOP)},   # workbench-script's printed address
    "/snapshots/queue/<int(min=1, max=2147483647):snapshot_id>/register": {"POST": rights(WORKSHOP)},
    "/snapshots/queue/<int(min=1, max=2147483647):snapshot_id>/dismiss": {"POST": rights(WORKSHOP)},
    "/snapshots/queue/<int(min=1, max=2147483647):snapshot_id>/disks/<int(min=1, max=2147483647):position>/add":
        {"POST": rights(WORKSHOP)},
    "/snapshots/queue/<int(min=1, max=2147483647):snapshot_id>/disks/<int(min=1, max=2147483647):position>/dismiss":
        {"POST": rights(WORKSHOP)},
    "/checklists/": {"GET": rights(ADMIN)},
    "/checklists/<category>": {"POST": rights(ADMIN)},
    "/labels/": {"GET": rights(WORKSHOP), "POST": rights(WORKSHOP)},
    "/print-stations/": {"GET": rights(WORKSHOP), "POST": rights(WORKSHOP)},
    "/print-stations/reception": {"POST": rights(WORKSHOP)},
    # « Inventaires » (issue 19): the list and the opening form, a stocktake, its confirmation step, downloads
    "/stocktakes/": {"GET": rights(WORKSHOP), "POST": rights(WORKSHOP)},
    "/stocktakes/<int(min=1, max=2147483647):stocktake_id>": {"GET": rights(WORKSHOP)},
    "/stocktakes/<int(min=1, max=2147483647):stocktake_id>/apply": {"GET": rights(WORKSHOP), "POST": rights(WORKSHOP)},
    "/stocktakes/<int(min=1, max=2147483647):stocktake_id>/cancel": {"POST": rights(WORKSHOP)},
    "/stocktakes/<int(min=1, max=2147483647):stocktake_id>/locations/<string(maxlength=40):code>/close":
        {"POST": rights(WORKSHOP)},
    "/stocktakes/<int(min=1, max=2147483647):stocktake_id>/locations/<string(maxlength=40):code>/reopen":
        {"POST": rights(WORKSHOP)},
    "/stocktakes/<int(min=1, max=2147483647):stocktake_id>/result.<any(pdf, csv, xlsx):fmt>": {"GET": rights(WORKSHOP)},
    # « Unités mobiles » (issue 20): the points of sale on the road and their invoice series, Admin only
    "/tour/": {"GET": rights(TOURS)},
    "/tour/sw.js": {"GET": Expect(mode=PUBLIC)},                   # the service worker: no data
    "/tour/manifest.webmanifest": {"GET": Expect(mode=PUBLIC)},    # fetched without credentials: no data
    "/mobile-units/": {"GET": rights(ADMIN), "POST": rights(ADMIN)},      # list and add
    "/mobile-units/<int(min=1, max=2147483647):unit_id>/rename": {"POST": rights(ADMIN)},
    "/mobile-units/<int(min=1, max=2147483647):unit_id>/retire": {"POST": rights(ADMIN)},
    # « Tournées » at the office (issue 20): the tours, a tour's records and settling them; a lost device, Admin
    "/distribution/tours/": {"GET": rights(WORKSHOP)},
    "/distribution/tours/<int(min=1, max=2147483647):tour_id>": {"GET": rights(WORKSHOP)},
    "/distribution/tours/<int(min=1, max=2147483647):tour_id>/actions/<string(minlength=36, maxlength=36):action_key>/resolve":
        {"POST": rights(WORKSHOP)},
    "/distribution/tours/<int(min=1, max=2147483647):tour_id>/lost": {"POST": rights(ADMIN)},
    # --- households (pages)
    "/households/": {"GET": rights(ELIGIBILITY)},
    "/households/new": {"GET": rights(ELIGIBILITY), "POST": rights(ELIGIBILITY)},
    "/households/<int:pk>": {"GET": rights(ELIGIBILITY, ESPACE_SUD)},
    "/households/<int:pk>/export.<fmt>": {"GET": rights(ELIGIBILITY, ESPACE_SUD)},
    "/households/<int:pk>/income": {"POST": rights(ELIGIBILITY)},
    "/households/<int:pk>/request": {"POST": rights(ELIGIBILITY)},
    "/requests/": {"GET": rights(ELIGIBILITY)},
    "/requests/<int:pk>": {"GET": rights(ELIGIBILITY, ESPACE_SUD)},
    "/requests/<int:pk>/decision": {"POST": rights(DECIDERS)},
    "/eligibility/batch/": {"GET": rights(DECIDERS)},
    "/eligibility/batch/check": {"POST": rights(DECIDERS)},
    "/eligibility/batch/import": {"POST": rights(DECIDERS)},
    "/eligibility/batch/template.csv": {"GET": rights(DECIDERS)},
    "/eligibility/rule-sets/": {"GET": rights(ADMIN), "POST": rights(ADMIN)},
    "/eligibility/audit/": {"GET": rights(ADMIN)},
    # --- the handover (pages)
    "/distribution/waiting-list/": {"GET": rights(WORKSHOP)},
    "/distribution/waiting-list/<int:pk>": {"GET": rights(WORKSHOP)},
    "/distribution/waiting-list/<int:pk>/reserve": {"POST": rights(WORKSHOP)},
    "/distribution/reservations/": {"GET": rights(WORKSHOP)},
    "/distribution/reservations/<int:pk>": {"GET": rights(WORKSHOP)},
    "/distribution/reservations/<int:pk>/handover": {"POST": rights(WORKSHOP)},
    "/distribution/reservations/<int:pk>/release": {"POST": rights(WORKSHOP)},
    "/distribution/invoices/": {"GET": rights(WORKSHOP)},
    "/distribution/invoices/<number>": {"GET": rights(WORKSHOP)},
    "/distribution/invoices/<number>/credit-note": {"POST": rights(WORKSHOP)},
    "/distribution/workshops/": {"GET": rights(BOOKERS)},
    "/distribution/workshops/new": {"GET": rights(WORKSHOP), "POST": rights(WORKSHOP)},
    "/distribution/workshops/<int:pk>": {"GET": rights(BOOKERS)},
    # Agents and prescripteurs book the households they see (others' are 404, by their own tests).
    "/distribution/workshops/<int:pk>/bookings": {"POST": rights(WORKSHOP | ELIGIBILITY)},
    "/distribution/workshops/<int:pk>/cancel": {"POST": rights(WORKSHOP)},
    "/distribution/workshops/<int:pk>/restore": {"POST": rights(ADMIN)},
    "/distribution/workshops/<int:pk>/bookings/<int:booking_id>/cancel": {"POST": rights(WORKSHOP | ELIGIBILITY)},
    "/distribution/workshops/<int:pk>/attendance/<int:booking_id>": {"POST": rights(WORKSHOP | {"animateur"})},
    "/distribution/price-grids/": {"GET": rights(ADMIN), "POST": rights(ADMIN)},
    # --- dashboard
    "/dashboard/": {"GET": rights(DASHBOARD)},
    "/dashboard/export/<key>.<fmt>": {"GET": rights(DASHBOARD)},
    "/dashboard/impact.pdf": {"GET": rights(ADMIN | AGENTS)},
    "/dashboard/donor-report.pdf": {"GET": rights({"admin", "partenaire"})},
    "/dashboard/certificates/<number>.pdf": {"GET": rights({"admin", "partenaire"})},
    # --- the JSON API
    "/api/v1/organisations": {"GET": rights(STOCK)},
    "/api/v1/sites": {"GET": rights(STOCK)},
    "/api/v1/collections": {"POST": rights(WORKSHOP)},
    "/api/v1/collections/<int(min=1, max=2147483647):pk>": {"GET": rights(STOCK)},
    "/api/v1/collections/<int(min=1, max=2147483647):pk>/certificate": {"POST": rights(WORKSHOP)},
    "/api/v1/collections/<int(min=1, max=2147483647):pk>/certificate.pdf": {"GET": rights(WORKSHOP)},
    "/api/v1/devices": {"POST": rights(WORKSHOP)},
    "/api/v1/devices/<string:asset_tag>": {"GET": rights(STOCK)},
    "/api/v1/devices/<string:asset_tag>/history": {"GET": rights(STOCK)},
    "/api/v1/devices/<string:asset_tag>/certificate": {"POST": rights(WORKSHOP)},
    "/api/v1/devices/<string:asset_tag>/certificate.pdf": {"GET": rights(WORKSHOP)},
    "/api/v1/devices/<string:asset_tag>/erasures": {"POST": rights(WORKSHOP)},
    "/api/v1/devices/<string:asset_tag>/grading": {"POST": rights(WORKSHOP)},
    "/api/v1/devices/<string:asset_tag>/transition": {"POST": rights(WORKSHOP)},
    "/api/v1/checklists/<string:category>": {"GET": rights(STOCK)},
    "/api/v1/scan": {"POST": rights(WORKSHOP)},
    "/api/v1/erasures/import": {"POST": rights(WORKSHOP)},
    "/api/v1/snapshots": {"POST": rights(WORKSHOP)},
    "/api/v1/stocktakes": {"GET": rights(WORKSHOP), "POST": rights(WORKSHOP)},
    "/api/v1/stocktakes/scan": {"POST": rights(WORKSHOP)},
    "/api/v1/stocktakes/<int(min=1, max=2147483647):stocktake_id>": {"GET": rights(WORKSHOP)},
    "/api/v1/stocktakes/<int(min=1, max=2147483647):stocktake_id>/result": {"GET": rights(WORKSHOP)},
    "/api/v1/stocktakes/<int(min=1, max=2147483647):stocktake_id>/locations/<string(maxlength=40):code>/close":
        {"POST": rights(WORKSHOP)},
    "/api/v1/stocktakes/<int(min=1, max=2147483647):stocktake_id>/locations/<string(maxlength=40):code>/reopen":
        {"POST": rights(WORKSHOP)},
    "/api/v1/stocktakes/<int(min=1, max=2147483647):stocktake_id>/apply": {"POST": rights(WORKSHOP)},
    "/api/v1/stocktakes/<int(min=1, max=2147483647):stocktake_id>/cancel": {"POST": rights(WORKSHOP)},
    "/api/v1/erasures/queue": {"GET": rights(WORKSHOP)},
    "/api/v1/erasures/queue/<int(min=1, max=2147483647):drive_id>/assign": {"POST": rights(WORKSHOP)},
    "/api/v1/erasures/queue/<int(min=1, max=2147483647):drive_id>/dismiss": {"POST": rights(WORKSHOP)},
    "/api/v1/labels": {"GET": rights(WORKSHOP)},
    "/api/v1/labels/print": {"POST": rights(WORKSHOP)},
    "/api/v1/eligibility/check": {"POST": rights(ELIGIBILITY)},
    "/api/v1/households": {"GET": rights(ELIGIBILITY), "POST": rights(ELIGIBILITY)},
    "/api/v1/households/<int(min=1, max=2147483647):household_id>": {"GET": rights(ELIGIBILITY, ESPACE_SUD)},
    "/api/v1/households/<int(min=1, max=2147483647):household_id>/export": {"GET": rights(ELIGIBILITY, ESPACE_SUD)},
    "/api/v1/requests": {"GET": rights(ELIGIBILITY), "POST": rights(ELIGIBILITY)},
    "/api/v1/requests/<int(min=1, max=2147483647):request_id>": {"GET": rights(ELIGIBILITY, ESPACE_SUD)},
    "/api/v1/requests/<int(min=1, max=2147483647):request_id>/decision": {"POST": rights(DECIDERS)},
    "/api/v1/reservations": {"POST": rights(WORKSHOP)},
    "/api/v1/reservations/<int(min=1, max=2147483647):reservation_id>": {"GET": rights(WORKSHOP)},
    "/api/v1/reservations/<int(min=1, max=2147483647):reservation_id>/release": {"POST": rights(WORKSHOP)},
    "/api/v1/reservations/<int(min=1, max=2147483647):reservation_id>/handover": {"POST": rights(WORKSHOP)},
    "/api/v1/invoices/<number>": {"GET": rights(WORKSHOP)},
    "/api/v1/invoices/<number>.pdf": {"GET": rights(WORKSHOP)},
    "/api/v1/invoices/<number>/handover-sheet.pdf": {"GET": rights(WORKSHOP)},
    "/api/v1/invoices/<number>/credit-note": {"POST": rights(WORKSHOP)},
    "/api/v1/invoices/credit-notes/<number>.pdf": {"GET": rights(WORKSHOP)},
    "/api/v1/workshops": {"GET": rights(BOOKERS), "POST": rights(WORKSHOP)},
    "/api/v1/workshops/<int(min=1, max=2147483647):session_id>/bookings": {"POST": rights(BOOKERS)},
    "/api/v1/workshops/<int(min=1, max=2147483647):session_id>/cancel": {"POST": rights(WORKSHOP)},
    "/api/v1/workshops/<int(min=1, max=2147483647):session_id>/restore": {"POST": rights(ADMIN)},
    "/api/v1/workshops/<int(min=1, max=2147483647):session_id>/attendance-sheet.pdf": {"GET": rights(WORKSHOP | {"animateur"})},
    "/api/v1/bookings/<int(min=1, max=2147483647):booking_id>": {"DELETE": rights(BOOKERS)},
    "/api/v1/bookings/<int(min=1, max=2147483647):booking_id>.ics": {"GET": rights(WORKSHOP | DECIDERS | {"prescripteur"}, ESPACE_SUD)},
    "/api/v1/bookings/<int(min=1, max=2147483647):booking_id>/attendance": {"POST": rights(BOOKERS)},
    "/api/v1/indicators": {"GET": rights(DASHBOARD)},
    "/api/v1/tours": {"POST": rights(TOURS), "GET": rights(WORKSHOP)},      # download; the office's list
    "/api/v1/tours/options": {"GET": rights(TOURS)},
    "/api/v1/tours/<int(min=1, max=2147483647):tour_id>": {"GET": rights(TOURS)},
    "/api/v1/tours/<int(min=1, max=2147483647):tour_id>/sync": {"POST": rights(TOURS)},
    "/api/v1/tours/<int(min=1, max=2147483647):tour_id>/actions": {"GET": rights(TOURS)},
    "/api/v1/tours/<int(min=1, max=2147483647):tour_id>/actions/<string(minlength=36, maxlength=36):action_key>/resolve":
        {"POST": rights(TOURS)},
    "/api/v1/tours/<int(min=1, max=2147483647):tour_id>/lost": {"POST": rights(ADMIN)},
    "/api/v1/mobile-units": {"GET": rights(ADMIN), "POST": rights(ADMIN)},
    "/api/v1/mobile-units/<int(min=1, max=2147483647):unit_id>/retire": {"POST": rights(ADMIN)},
}


@pytest.fixture
def seeded(app, session):
    from distribution.models import Booking, Invoice, Reservation, WorkshopSession
    from eligibility.models import Household, Request
    from inventory.certificate_pdf import Programme
    from inventory.models import Collection, Device, Location, Site
    from inventory.services.certificates import collection_certificate
    from core.organisations import Organisation
    from core.territory import Epci

    data = build_scenario(app, session)
    certificate = collection_certificate(session, data["shop"]["collection"].id, programme=Programme("P"),
                                         base_url="https://rekonekt.test")
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = data["shop"]["donor"].id
    db.session.commit()

    def first(model):
        return session.execute(select(func.min(model.id))).scalar_one()

    household = first(Household)       # Le Lamentin (CACEM), referred by the prescripteur
    values = {
        "asset_tag": session.get(Device, first(Device)).asset_tag, "household_id": household,
        "request_id": session.execute(select(func.min(Request.id)).where(Request.household_id == household)).scalar_one(),
        "reservation_id": first(Reservation), "session_id": first(WorkshopSession), "booking_id": first(Booking),
        "number": session.get(Invoice, first(Invoice)).number, "drive_id": 1, "category": "laptop",
        "code": certificate.verification_code, "version": "v1", "locale": "fr",
        "key": "indicators", "fmt": "csv", "name": "no-such-action", "filename": "css/rekonekt.css",
        "token_id": 1, "snapshot_id": 1, "stocktake_id": 1, "unit_id": 1, "tour_id": 1, "action_key": "5b0e9d7c-3f41-4c2a-9a57-0d6f1e2b7c12", "relation": "collection", "uuid": "5b0e9d7c-3f41-4c2a-9a57-0d6f1e2b7c11", "position": 1,
    }
    pks = {"/devices/": first(Device), "/collections/": first(Collection), "/api/v1/collections/": first(Collection),
           "/organisations/": first(Organisation), "/sites/": first(Site), "/locations/": first(Location),
           "/communes/": "97213", "/epci/": first(Epci), "/households/": household,
           "/requests/": values["request_id"], "/distribution/waiting-list/": values["request_id"],
           "/distribution/reservations/": values["reservation_id"], "/distribution/workshops/": values["session_id"]}
    yield {"values": values, "pks": pks, "certificate": certificate.number}
    partner.organisation_id = None
    db.session.commit()


def url_of(rule: str, seeded: dict) -> str:
    import re

    pk = next((v for prefix, v in sorted(seeded["pks"].items(), key=lambda kv: -len(kv[0])) if rule.startswith(prefix)), 1)
    values = {**seeded["values"], "pk": pk}
    if rule.startswith("/dashboard/certificates/"):
        values["number"] = seeded["certificate"]
    url = re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)
    if rule == "/dashboard/donor-report.pdf":
        url += "?from=2020-01-01"
    return url


def routes(app) -> list[tuple[str, str]]:
    return sorted({(rule.rule, method) for rule in app.url_map.iter_rules()
                   for method in rule.methods - {"HEAD", "OPTIONS"}})


def test_every_route_has_an_entry_and_every_entry_a_route(app):
    present = routes(app)
    missing = [(rule, method) for rule, method in present if method not in TABLE.get(rule, {})]
    assert missing == [], "routes without an entry in TABLE: say who may use them"
    stale = [(rule, method) for rule, methods in TABLE.items() for method, expect in methods.items()
             if (rule, method) not in present and expect.mode != NOT_RUN]
    assert stale == []


def _clients(app) -> dict:
    clients = {None: (app.test_client(), None)}
    anonymous = clients[None][0]
    clients[None] = (anonymous, csrf_token(anonymous.get("/login/").get_data(as_text=True)))
    for username in ROLES:
        client = app.test_client()
        clients[username] = (client, login(client, username))
    return clients


def _outcome(answer) -> str:
    if answer.status_code == 302 and "/login/" in answer.headers.get("Location", ""):
        return "login"
    return str(answer.status_code)


def test_every_route_answers_every_role_as_the_table_says(app, seeded):
    clients = _clients(app)
    tokens = {username: bearer(app.test_client(), username) for username in ROLES}
    wrong = []
    for rule, method in routes(app):
        expect = TABLE[rule][method]
        if expect.mode == NOT_RUN:
            continue
        api = rule.startswith("/api/")
        url = url_of(rule, seeded)
        for username in [None] + ROLES:
            if expect.mode == GONE:
                client, csrf = clients[username]
                answer = client.open(url, method=method, data={"csrf_token": csrf} if method != "GET" else None)
                if answer.status_code != 404:
                    wrong.append(f"{method} {url} as {username or 'anonymous'}: {_outcome(answer)} (404 expected)")
                continue
            public = expect.mode == PUBLIC
            allowed = public or username in expect.allowed
            hidden = username in expect.hidden
            if method != "GET" and (allowed and not hidden) and not (public and username is None):
                continue          # a write the role may do: not run here, the matrix changes nothing
            if public and method != "GET" and username is not None:
                continue
            client, csrf = clients[username]
            if api:
                headers = tokens[username] if username else {}
                answer = app.test_client().open(url, method=method, json={}, headers=headers)
            else:
                answer = client.open(url, method=method, data={"csrf_token": csrf} if method != "GET" else None)
            got = _outcome(answer)
            if hidden:
                ok = got == "404"
            elif allowed:
                ok = got not in ("401", "403", "login") and answer.status_code < 500
            elif username is None:
                ok = got == ("401" if api else "login")
            else:
                ok = got == "403"
            if not ok:
                wrong.append(f"{method} {url} as {username or 'anonymous'}: {got}")
    assert wrong == [], "\n".join(wrong)


# The only routes a station token (app.station_tokens) may call. Every other route answers it 401,
# pages and public routes included.
STATION_ROUTES = {("/api/v1/erasures/import", "POST"), ("/api/v1/snapshots", "POST")}


def test_a_station_token_opens_only_its_routes(app, seeded):
    from app.station_tokens import RESERVED, create_token, station_routes

    assert station_routes(app) == STATION_ROUTES
    secret = create_token(db.session, "Poste de la matrice", created_by_id=None).secret
    wrong = []
    for rule, method in routes(app):
        if (rule, method) in STATION_ROUTES:
            continue          # a write it may do: covered by tests/app/test_station_tokens.py
        url = url_of(rule, seeded)
        answer = app.test_client().open(url, method=method, json={}, headers={"Authorization": f"Bearer {secret}"})
        if answer.status_code != 401 or answer.get_json(silent=True) != {"message": RESERVED}:
            wrong.append(f"{method} {url}: {answer.status_code}")
    assert wrong == [], "\n".join(wrong)

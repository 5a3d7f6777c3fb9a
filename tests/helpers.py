"""Test helpers: authentication, a fixed clock, and data built through the services (never by
poking rows), but for the migration tests, whose older schemas only SQL can fill."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from flask.testing import FlaskClient

from inventory.lifecycle import State, TransitionContext
from core.schemas import load
from inventory.schemas import DeviceIn
from inventory.services.collections import create_collection
from inventory.services.devices import register_device
from inventory.services.erasures import record_erasure
from inventory.services.reference import create_location, create_organisation, create_site
from inventory.grading import BOOL, DEFAULT_TEMPLATES
from inventory.services.grading import grade_device
from inventory.services.transitions import transition

PASSWORD = "secret-pass"
_tokens: dict[tuple[int, str], str] = {}


def token(client: FlaskClient, username: str) -> str:
    key = (id(client.application), username)
    if key not in _tokens:
        answer = client.post("/api/v1/security/login",
                             json={"username": username, "password": PASSWORD, "provider": "db"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        _tokens[key] = answer.json["access_token"]
    return _tokens[key]


def bearer(client: FlaskClient, username: str) -> dict:
    return {"Authorization": f"Bearer {token(client, username)}"}


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token in page"
    return found.group(1)


def login(client: FlaskClient, username: str) -> str:
    """Log in through the form (with its CSRF token); returns a CSRF token for later posts."""
    page = client.get("/login/").get_data(as_text=True)
    answer = client.post("/login/", data={"username": username, "password": PASSWORD,
                                          "csrf_token": csrf_token(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return csrf_token(client.get("/").get_data(as_text=True))


# --- a fixed clock -------------------------------------------------------------------------

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    """``seconds`` after ``T0``: the times given to the scans of a test (``now=``), so that the
    scan station's windows fall where the test says."""
    return T0 + timedelta(seconds=seconds)


# --- rows in SQL, for the migration tests ----------------------------------------------------

def collection_rows_sql(declared_count: int) -> list[str]:
    """What a collection stands on, as SQL for a database migrated to an older revision (the
    services write today's schema): the CACEM EPCI, Le Lamentin, donor 1, workshop site 1 and
    collection 1, COL-2026-0001, received on 2026-01-02 with ``declared_count`` devices."""
    return [
        "INSERT INTO epci (id, siren, short_name, official_name) VALUES (1, '249720061', 'CACEM', 'Communauté')",
        "INSERT INTO commune (insee_code, name, epci_id) VALUES ('97213', 'Le Lamentin', 1)",
        "INSERT INTO organisation (id, kind, name, created_at) VALUES (1, 'donor', 'Donateur', '2026-01-01 00:00:00')",
        "INSERT INTO site (id, code, name, kind) VALUES (1, 'LAM', 'Atelier', 'workshop')",
        "INSERT INTO collection (id, reference, donor_id, collected_on, site_id, declared_count, created_at) "
        f"VALUES (1, 'COL-2026-0001', 1, '2026-01-02', 1, {declared_count}, '2026-01-02 12:00:00')",
    ]


# --- domain data --------------------------------------------------------------------------

def make_workshop(session) -> dict:
    donor = create_organisation(session, kind="donor", name="Donateur Test", siret=None, commune_insee="97213")
    site = create_site(session, code="LAM", name="Atelier Test", kind="workshop", commune_insee="97213")
    bin_a = create_location(session, site_id=site.id, label="A01", name="Bac A01")
    bin_b = create_location(session, site_id=site.id, label="B02", name="Bac B02")
    collection = create_collection(session, donor=donor.id, collected_on=date(2026, 3, 2), site=site.id,
                                   declared_count=10, weight_kg=Decimal("42.5"))
    return {"donor": donor, "site": site, "bin_a": bin_a, "bin_b": bin_b, "collection": collection}


_serials = iter(range(1, 10**9))


def make_device(session, collection_id: int, category: str = "laptop", storage="default", user_id=None, **extra):
    """Register a device through the service. ``storage="default"`` gives a laptop one SSD."""
    n = next(_serials)
    data = {"collection": collection_id, "category": category, "brand": "Dell", "model": "Latitude 5490",
            "serial_number": f"SN{n:08d}"}
    if storage == "default":
        if category in ("laptop", "desktop"):
            data["storage"] = [{"kind": "ssd", "serial_number": f"DISK{n:08d}", "capacity_gb": 256}]
    elif storage is not None:
        data["storage"] = storage
    data.update(extra)
    return register_device(session, load(DeviceIn(), data), user_id=user_id)


def sanitise(session, device, user_id=None) -> None:
    """A passing, verified erasure on every medium of the device."""
    for medium in list(device.media):
        technique = "factory-reset" if medium.kind in ("flash", "emmc") else "overwrite"
        record_erasure(session, device.asset_tag,
                       {"medium_serial": medium.serial_number, "level": "purge" if technique == "factory-reset" else "clear",
                        "technique": technique, "tool": "nwipe", "result": "pass", "verified": True},
                       user_id=user_id)


def advance(session, device, target: str, user_id=None):
    """Take a device along the usual path up to ``target`` (through the services)."""
    path = {
        "wiping": ["wiping"],
        "grading": ["wiping", "grading"],
        "repair": ["wiping", "repair"],
        "in_stock": ["wiping", "grading", "in_stock"],
        "reserved": ["wiping", "grading", "in_stock", "reserved"],
        "distributed": ["wiping", "grading", "in_stock", "reserved", "distributed"],
        "parts": ["wiping", "parts"],
        "recycled": ["wiping", "recycled"],
    }[target]
    for step in path:
        if step in ("grading", "repair") and device.state == State.WIPING.value:
            sanitise(session, device, user_id)
        if step in ("parts", "recycled"):
            sanitise(session, device, user_id)
        if step == "in_stock":
            grade_device(session, device.asset_tag, checklist=passing_checklist(device.category), cosmetic="B",
                         user_id=user_id)
        context = TransitionContext(handover=step == "distributed", reservation=step == "reserved")
        transition(session, device.asset_tag, step, user_id=user_id, context=context)
    return device


def passing_checklist(category: str, **overrides) -> dict:
    """Every item of the default checklist working (battery at 92 %)."""
    values = {item.key: (True if item.kind == BOOL else 92) for item in DEFAULT_TEMPLATES[category]}
    values.update(overrides)
    return values


# --- households -----------------------------------------------------------------------------

def actor(app, username: str):
    """The eligibility Actor of a test account."""
    from core.actor import actor_of

    return actor_of(app.appbuilder.sm.find_user(username))


def household_body(**overrides) -> dict:
    """A valid POST /api/v1/households body: a couple and a child in Le Lamentin (CACEM),
    1 800 € a month for 1.8 consumption units (1 000 €/UC: tier 1)."""
    body = {
        "last_name": "Jean-Baptiste", "first_name": "Éloïse", "birth_date": "1980-04-02",
        "phone": "0696 12 34 56", "email": "eloise@example.org", "address": "12 rue Schœlcher",
        "commune_insee": "97213",
        "members": [{"birth_date": "1980-04-02"}, {"age": 45, "relation": "spouse"}, {"age": 9, "relation": "child"}],
        "monthly_resources": "1800.00", "benefits": [], "situations": [],
        "consent_on": "2026-11-02", "consent_version": "consentement-2026-01",
    }
    body.update(overrides)
    return body


def make_household(app, session, username: str = "prescripteur", **overrides):
    """A household entered through the service by ``username``."""
    from eligibility.schemas import HouseholdIn
    from eligibility.services.households import create_household
    from core.schemas import load as load_schema

    household, _ = create_household(session, actor(app, username), load_schema(HouseholdIn(), household_body(**overrides)))
    return household


# --- handover ---------------------------------------------------------------------------------

def validated_request(app, session, category: str = "laptop", **household_overrides):
    """A request entered by the prescripteur and validated by agent.cacem (tier 1 by default;
    monthly_resources="2100.50" gives tier 2)."""
    from eligibility.services.requests import create_request, decide_request

    household = make_household(app, session, "prescripteur", **household_overrides)
    item = create_request(session, actor(app, "prescripteur"), household, category)
    return decide_request(session, actor(app, "agent.cacem"), item, "validate")


def stock_device(session, shop: dict, category: str = "laptop", grade: str = "B"):
    """A device of ``category`` sanitised, graded ``grade`` and in stock at the test workshop."""
    device = make_device(session, shop["collection"].id, category=category)
    advance(session, device, "grading")
    grade_device(session, device.asset_tag, checklist=passing_checklist(device.category), cosmetic=grade)
    transition(session, device.asset_tag, "in_stock", location=shop["bin_a"].code)
    return device


def make_session(app, session, *, commune: str = "97213", topic: str = "computer", days: float = 7,
                 capacity: int = 8, venue_kind: str = "digital_point", venue_name: str = "Médiathèque",
                 facilitator: str | None = "animateur"):
    """A workshop session ``days`` from now (2 hours long), created by the technicien."""
    from datetime import timedelta

    from core.clock import utcnow
    from distribution.services.workshops import create_session

    start = utcnow().replace(microsecond=0) + timedelta(days=days)
    user = app.appbuilder.sm.find_user(facilitator) if facilitator else None
    return create_session(session, actor(app, "technicien"), {
        "topic": topic, "starts_at": start, "ends_at": start + timedelta(hours=2), "venue_kind": venue_kind,
        "venue_name": venue_name, "address": "1 place de la Mairie", "commune_insee": commune,
        "capacity": capacity, "facilitator_id": user.id if user else None, "notes": None})


def settings_for(app, **changes):
    """The DistributionSettings of the test app, with ``changes`` to the config keys."""
    from distribution.settings import settings_from

    return settings_from({**app.config, **changes})


def logout(client: FlaskClient) -> None:
    """Sign out through the account menu's form (a POST with the CSRF token). Signing out ends
    every token of the account: the cached tokens are dropped."""
    page = client.get("/").get_data(as_text=True)
    answer = client.post("/logout/", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    _tokens.clear()

"""Every role against every endpoint, on the API (JWT) and in the UI (session)."""
from __future__ import annotations

import pytest

from tests.conftest import USERS
from tests.helpers import actor, bearer, login, make_device, make_household, make_workshop

ADMIN, TECH, AGENT = "admin", "technicien", "agent.cacem"
STOCK_READERS = {ADMIN, TECH, AGENT, "agent.espacesud"}
WORKSHOP = {ADMIN, TECH}
ELIGIBILITY = {ADMIN, AGENT, "agent.espacesud", "prescripteur"}
DECIDERS = {ADMIN, AGENT, "agent.espacesud"}
BOOKERS = WORKSHOP | ELIGIBILITY | {"animateur"}   # workshops and bookings (rows scoped further)

# (method, url, body, roles allowed)
API = [
    ("GET", "/api/v1/organisations", None, STOCK_READERS),
    ("GET", "/api/v1/sites", None, STOCK_READERS),
    ("GET", "/api/v1/collections/{collection}", None, STOCK_READERS),
    ("POST", "/api/v1/collections", {}, WORKSHOP),
    ("POST", "/api/v1/devices", {}, WORKSHOP),
    ("GET", "/api/v1/devices/{tag}", None, STOCK_READERS),
    ("GET", "/api/v1/devices/{tag}/history", None, STOCK_READERS),
    ("POST", "/api/v1/devices/{tag}/transition", {"to": "nowhere"}, WORKSHOP),
    ("POST", "/api/v1/devices/{tag}/erasures", {}, WORKSHOP),
    ("POST", "/api/v1/devices/{tag}/grading", {}, WORKSHOP),
    ("POST", "/api/v1/scan", {"code": "{tag}"}, WORKSHOP),
    ("POST", "/api/v1/erasures/import", None, WORKSHOP),
    ("GET", "/api/v1/erasures/queue", None, WORKSHOP),
    ("POST", "/api/v1/erasures/queue/1/assign", {}, WORKSHOP),
    ("POST", "/api/v1/erasures/queue/1/dismiss", {}, WORKSHOP),
    ("GET", "/api/v1/devices/{tag}/certificate.pdf", None, WORKSHOP),
    ("GET", "/api/v1/collections/{collection}/certificate.pdf", None, WORKSHOP),
    ("POST", "/api/v1/devices/{tag}/certificate", None, WORKSHOP),
    ("POST", "/api/v1/collections/{collection}/certificate", None, WORKSHOP),
    ("GET", "/api/v1/checklists/laptop", None, STOCK_READERS),
    ("GET", "/api/v1/labels?kind=device&tags={tag}&format=roll-62x29", None, WORKSHOP),
    ("POST", "/api/v1/labels/print", {}, WORKSHOP),
    ("POST", "/api/v1/eligibility/check", {}, ELIGIBILITY),
    ("POST", "/api/v1/households", {}, ELIGIBILITY),
    ("GET", "/api/v1/households", None, ELIGIBILITY),
    ("GET", "/api/v1/households/{household}", None, ELIGIBILITY),
    ("GET", "/api/v1/households/{household}/export", None, ELIGIBILITY),
    ("POST", "/api/v1/requests", {}, ELIGIBILITY),
    ("GET", "/api/v1/requests", None, ELIGIBILITY),
    ("GET", "/api/v1/requests/{request}", None, ELIGIBILITY),
    ("POST", "/api/v1/requests/{request}/decision", {}, DECIDERS),
    ("POST", "/api/v1/reservations", {}, WORKSHOP),
    ("GET", "/api/v1/reservations/999999", None, WORKSHOP),
    ("POST", "/api/v1/reservations/999999/handover", {}, WORKSHOP),
    ("GET", "/api/v1/invoices/F-2026-99999", None, WORKSHOP),
    ("GET", "/api/v1/invoices/F-2026-99999.pdf", None, WORKSHOP),
    ("POST", "/api/v1/invoices/F-2026-99999/credit-note", {}, WORKSHOP),
    ("GET", "/api/v1/workshops", None, BOOKERS),
    ("DELETE", "/api/v1/bookings/999999", None, BOOKERS),
    ("POST", "/api/v1/bookings/999999/attendance", {"attended": True}, BOOKERS),
    ("GET", "/api/v1/mobile-units", None, {ADMIN}),
    ("POST", "/api/v1/mobile-units", {}, {ADMIN}),
    ("POST", "/api/v1/mobile-units/999999/retire", {}, {ADMIN}),
    ("GET", "/api/v1/tours", None, WORKSHOP),                  # the office's list of tours
    ("POST", "/api/v1/tours/999999/lost", {}, {ADMIN}),        # a tour's device lost or reset
]

# (url, roles allowed) for pages read with GET
PAGES = [
    ("/scan/", WORKSHOP),
    ("/devices/list/", STOCK_READERS),
    ("/devices/show/{device_id}", STOCK_READERS),
    ("/devices/add", WORKSHOP),
    ("/devices/edit/{device_id}", WORKSHOP),
    ("/collections/list/", STOCK_READERS),
    ("/collections/show/{collection}", STOCK_READERS),
    ("/collections/add", WORKSHOP),
    ("/collections/import-template.csv", WORKSHOP),
    ("/organisations/list/", STOCK_READERS),
    ("/organisations/add", WORKSHOP),
    ("/sites/list/", STOCK_READERS),
    ("/locations/list/", WORKSHOP),
    ("/locations/add", WORKSHOP),
    ("/communes/list/", STOCK_READERS),
    ("/epci/list/", STOCK_READERS),
    ("/epci/edit/1", {ADMIN}),
    ("/erasures/queue", WORKSHOP),
    ("/snapshots/queue", WORKSHOP),
    ("/spare-parts/list/", WORKSHOP),
    ("/spare-parts/add", WORKSHOP),
    ("/checklists/", {ADMIN}),
    ("/labels/", WORKSHOP),
    ("/print-stations/", WORKSHOP),
    ("/users/list/", {ADMIN}),
    ("/users/userinfo/", set(USERS)),
    ("/resetmypassword/form", set(USERS)),
    ("/roles/", {ADMIN}),                       # what each role may do (read-only)
    ("/households/", ELIGIBILITY),
    ("/households/new", ELIGIBILITY),
    ("/requests/", ELIGIBILITY),
    ("/eligibility/batch/", DECIDERS),
    ("/eligibility/batch/template.csv", DECIDERS),
    ("/eligibility/rule-sets/", {ADMIN}),
    ("/eligibility/audit/", {ADMIN}),
    ("/distribution/waiting-list/", WORKSHOP),
    ("/distribution/reservations/", WORKSHOP),
    ("/distribution/invoices/", WORKSHOP),
    ("/distribution/workshops/", BOOKERS),      # agents and prescripteurs book their households there
    ("/distribution/workshops/new", WORKSHOP),
    ("/distribution/price-grids/", {ADMIN}),
    ("/mobile-units/", {ADMIN}),
    ("/distribution/tours/", WORKSHOP),        # the tours at the office (not the Animateur's)
    ("/dashboard/", {ADMIN, AGENT, "agent.espacesud"}),   # a Partenaire needs an organisation (tested apart)
]

# Forms that change data (POST, with a CSRF token)
FORMS = [
    ("/devices/{device_id}/transition", {"to": "wiping"}, WORKSHOP),
    ("/devices/{device_id}/grade", {"cosmetic": "A"}, WORKSHOP),
    ("/devices/{device_id}/repair", {"step": "open", "symptoms": "x"}, WORKSHOP),
    ("/devices/{device_id}/move", {"location": "LOC-LAM-A01"}, WORKSHOP),
    ("/devices/{device_id}/erasure", {}, WORKSHOP),
]


@pytest.fixture
def data(app, session):
    from eligibility.services.requests import create_request

    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    household = make_household(app, session, "prescripteur")
    item = create_request(session, actor(app, "prescripteur"), household, "laptop")
    return {"collection": shop["collection"].id, "tag": device.asset_tag, "device_id": device.id,
            "household": household.id, "request": item.id}


def _fill(value, data):
    if isinstance(value, str):
        return value.format(**data)
    if isinstance(value, dict):
        return {k: _fill(v, data) for k, v in value.items()}
    return value


@pytest.mark.parametrize("username", sorted(USERS))
@pytest.mark.parametrize("method,url,body,allowed", API, ids=[f"{m} {u}" for m, u, _, _ in API])
def test_api_rights(client, data, username, method, url, body, allowed):
    answer = client.open(_fill(url, data), method=method, json=_fill(body, data), headers=bearer(client, username))
    assert answer.is_json or answer.mimetype == "application/pdf"
    if username in allowed:
        assert answer.status_code not in (401, 403), answer.json
    else:
        assert answer.status_code == 403, answer.json
        assert answer.json == {"message": "Accès refusé : votre rôle ne permet pas cette action."}


@pytest.mark.parametrize("method,url,body,allowed", API, ids=[f"{m} {u}" for m, u, _, _ in API])
def test_api_needs_authentication(client, data, method, url, body, allowed):
    answer = client.open(_fill(url, data), method=method, json=_fill(body, data))
    assert answer.status_code == 401 and answer.is_json


@pytest.mark.parametrize("username", sorted(USERS))
def test_pages_by_role(client, data, username):
    login(client, username)
    for url, allowed in PAGES:
        answer = client.get(_fill(url, data))
        expected = 200 if username in allowed else 403
        assert answer.status_code == expected, (username, url, answer.status_code)
        if expected == 403:
            assert "Accès refusé" in answer.get_data(as_text=True)


@pytest.mark.parametrize("username", sorted(USERS))
def test_forms_by_role(client, data, username):
    token = login(client, username)
    for url, form, allowed in FORMS:
        answer = client.post(_fill(url, data), data={**form, "csrf_token": token})
        if username in allowed:
            assert answer.status_code == 302, (username, url, answer.status_code)
        else:
            assert answer.status_code == 403, (username, url, answer.status_code)


def test_anonymous_pages_redirect_to_login(client, data):
    for url, _ in PAGES:
        answer = client.get(_fill(url, data))
        assert answer.status_code == 302 and "/login/" in answer.headers["Location"], url

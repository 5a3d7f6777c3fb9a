"""Edge input answered in French with 400, 404 or 422, never a 500, on SQLite and PostgreSQL
alike (issue 15, defect 8): ids beyond a database integer, dates whose conversions leave the
calendar, bodies nested 100,000 levels deep, NUL characters and lone surrogates, amounts beyond
their column, workshop times with an offset (the README says they carry none)."""
from __future__ import annotations

import json

import pytest

from core.schemas import FORBIDDEN_TEXT
from tests.helpers import bearer, household_body, login, make_household, make_workshop

HUGE = "99999999999999999999"
DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
MOMENT_RANGE = "Date et heure entre le 01/01/1900 et le 31/12/2100 attendues."


def workshop(**changes) -> dict:
    body = {"topic": "computer", "starts_at": "2030-03-02T09:00", "ends_at": "2030-03-02T11:00",
            "commune_insee": "97213", "venue_kind": "site", "venue_name": "Atelier"}
    return {**body, **changes}


def raw(value: str) -> str:
    """A JSON text holding ``value`` written with escapes (a lone surrogate cannot be encoded)."""
    return json.dumps(value)


# (id, method, url, raw JSON body or None, status, fragment of the French message or errors key)
CASES = [
    ("household id beyond INTEGER", "GET", f"/api/v1/households/{HUGE}", None, 404, "introuvable"),
    ("household id at INTEGER + 1", "GET", "/api/v1/households/2147483648", None, 404, "introuvable"),
    ("household export id beyond INTEGER", "GET", f"/api/v1/households/{HUGE}/export", None, 404, "introuvable"),
    ("request id beyond INTEGER", "GET", f"/api/v1/requests/{HUGE}", None, 404, "introuvable"),
    ("reservation id beyond INTEGER", "GET", f"/api/v1/reservations/{HUGE}", None, 404, "introuvable"),
    ("collection id beyond INTEGER", "GET", f"/api/v1/collections/{HUGE}", None, 404, "introuvable"),
    ("booking id beyond INTEGER", "DELETE", f"/api/v1/bookings/{HUGE}", None, 404, "introuvable"),
    ("drive id beyond INTEGER", "POST", f"/api/v1/erasures/queue/{HUGE}/dismiss", "{}", 404, "introuvable"),
    ("household_id 1e20 in a body", "POST", "/api/v1/requests", '{"household_id": 1e20, "category": "laptop"}',
     422, "household_id"),
    ("household_id beyond INTEGER in a body", "POST", "/api/v1/requests",
     f'{{"household_id": {HUGE}, "category": "laptop"}}', 422, "household_id"),
    ("request_id beyond INTEGER in a body", "POST", "/api/v1/reservations",
     f'{{"request_id": {HUGE}, "asset_tag": "RK-000001"}}', 422, "request_id"),
    ("declared count beyond INTEGER", "POST", "/api/v1/collections",
     f'{{"donor": 1, "site": 1, "collected_on": "2026-03-02", "declared_count": {HUGE}}}', 422, "declared_count"),
    ("indicators to 9999-12-31", "GET", "/api/v1/indicators?to=9999-12-31", None, 422, "to"),
    ("indicators from 0001-01-01", "GET", "/api/v1/indicators?from=0001-01-01", None, 422, "from"),
    ("indicators donor beyond INTEGER", "GET", f"/api/v1/indicators?donor={HUGE}", None, 422, "donor"),
    ("indicators donor in superscript digits", "GET", "/api/v1/indicators?donor=%C2%B2", None, 422, "donor"),
    ("indicators epci beyond INTEGER", "GET", f"/api/v1/indicators?epci={HUGE}", None, 422, "epci"),
    ("workshops from 9999-12-31T23:00", "GET", "/api/v1/workshops?from=9999-12-31T23:00", None, 422, "from"),
    ("workshop starting in 9999", "POST", "/api/v1/workshops",
     json.dumps(workshop(starts_at="9999-12-31T22:00", ends_at="9999-12-31T23:00")), 422, "starts_at"),
    ("workshop time with an offset", "POST", "/api/v1/workshops",
     json.dumps(workshop(starts_at="2030-03-02T09:00-04:00")), 422, "starts_at"),
    ("workshop time in UTC", "POST", "/api/v1/workshops",
     json.dumps(workshop(ends_at="2030-03-02T15:00Z")), 422, "ends_at"),
    ("erasure ending in 9999", "POST", "/api/v1/devices/{tag}/erasures",
     '{"level": "clear", "technique": "overwrite", "result": "pass", "verified": true,'
     ' "ended_at": "9999-12-31T23:00:00-04:00"}', 422, "ended_at"),
    ("birth date in 9999", "POST", "/api/v1/eligibility/check",
     '{"commune_insee": "97213", "members": [{"birth_date": "9999-12-31"}], "monthly_resources": 10}', 422,
     "members.0.birth_date"),
    ("array nested 100,000 deep", "POST", "/api/v1/scan", DEEP, 400, "JSON trop imbriqué"),
    ("object nested 100,000 deep", "POST", "/api/v1/households", DEEP_OBJECT, 400, "JSON trop imbriqué"),
    ("nested 100,000 deep to the login", "POST", "/api/v1/security/login", DEEP, 400, "JSON trop imbriqué"),
    ("nested 33 deep", "POST", "/api/v1/eligibility/check", "[" * 33 + "]" * 33, 400, "JSON trop imbriqué"),
    ("lone surrogate in a scan code", "POST", "/api/v1/scan", '{"code": "\\ud800"}', 422, "code"),
    ("NUL in a scan code", "POST", "/api/v1/scan", '{"code": "RK\\u0000"}', 422, "code"),
    ("lone surrogate in a name", "POST", "/api/v1/households",
     json.dumps(household_body(last_name="PLACEHOLDER")).replace("PLACEHOLDER", "\\udfff"), 422, "last_name"),
    ("NUL in a name", "POST", "/api/v1/households", json.dumps(household_body(first_name="A\u0000")), 422,
     "first_name"),
    ("NUL in a key", "POST", "/api/v1/scan", '{"code\\u0000": "x"}', 422, "code\u0000"),
    ("NUL in a nested member", "POST", "/api/v1/eligibility/check",
     '{"commune_insee": "97213", "members": [{"age": 40, "relation": "x\\u0000"}], "monthly_resources": 10}', 422,
     "members.0.relation"),
    ("NUL in a path", "GET", "/api/v1/devices/RK%00", None, 404, "introuvable"),
    ("NUL in an invoice number", "GET", "/api/v1/invoices/F%00", None, 404, "introuvable"),
    ("NUL in a query value", "GET", "/api/v1/labels?kind=device&tags=RK%00", None, 422, "tags"),
    ("NUL in a household search", "GET", "/api/v1/households?q=a%00", None, 422, "q"),
    ("monthly resources 1e15", "POST", "/api/v1/households", json.dumps(household_body(monthly_resources=1e15)),
     422, "monthly_resources"),
    ("monthly resources 1e30", "POST", "/api/v1/eligibility/check",
     '{"commune_insee": "97213", "members": [{"age": 40}], "monthly_resources": 1e30}', 422, "monthly_resources"),
    ("payment beyond its column", "POST", "/api/v1/reservations/1/handover",
     '{"payments": [{"method": "cash", "amount": "1e15"}], "internet_access": "none"}', 422, "payments.0.amount"),
    ("weight beyond its column", "POST", "/api/v1/collections",
     '{"donor": 1, "site": 1, "collected_on": "2026-03-02", "weight_kg": 1e300}', 422, "weight_kg"),
    ("email beyond its column", "POST", "/api/v1/households", json.dumps(household_body(email="a" * 250 + "@x.fr")),
     422, "email"),
    ("label start in superscript digits", "GET", "/api/v1/labels?kind=device&tags=RK-000001&start=%C2%B2", None,
     422, "start"),
    ("medium id beyond INTEGER", "POST", "/api/v1/erasures/queue/1/assign",
     f'{{"asset_tag": "RK-000001", "medium": {HUGE}}}', 422, "medium"),
]


@pytest.fixture
def seeded(app, session):
    from tests.helpers import make_device

    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    make_household(app, session)
    return {"tag": device.asset_tag}


@pytest.mark.parametrize("method,url,body,status,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_edge_input_is_answered_in_french(client, seeded, method, url, body, status, expected):
    answer = client.open(url.format(**seeded), method=method, data=body, content_type="application/json",
                         headers=bearer(client, "admin"))
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    assert answer.is_json
    if status == 422:
        assert expected in answer.json["errors"], answer.json
        assert answer.json["errors"][expected][0] in answer.json["message"]
    else:
        assert expected in answer.json["message"], answer.json


def test_text_refusals_name_what_is_expected(client, seeded):
    answer = client.post("/api/v1/scan", data='{"code": "\\ud800"}', content_type="application/json",
                         headers=bearer(client, "technicien"))
    assert answer.json == {"message": f"Données refusées. code : {FORBIDDEN_TEXT}", "errors": {"code": [FORBIDDEN_TEXT]}}


def test_amount_refusals_say_the_maximum(client, seeded):
    body = '{"commune_insee": "97213", "members": [{"age": 40}], "monthly_resources": 1e30}'
    answer = client.post("/api/v1/eligibility/check", data=body, content_type="application/json",
                         headers=bearer(client, "admin"))
    assert answer.json["errors"] == {"monthly_resources": ["Ressources mensuelles de 9 999 999 999,99 € au plus attendues."]}
    assert "obligatoires" not in answer.json["message"]


def test_the_largest_amount_a_column_holds_is_stored_alike(client, seeded):
    """Numeric(12, 2): 9 999 999 999,99 € is taken and read back unchanged on both engines."""
    created = client.post("/api/v1/households", json=household_body(monthly_resources="9999999999.99"),
                          headers=bearer(client, "admin"))
    assert created.status_code == 201, created.json
    read = client.get(f"/api/v1/households/{created.json['id']}", headers=bearer(client, "admin"))
    assert read.json["monthly_resources"] == "9999999999.99"


def test_a_workshop_in_martinique_time_without_offset_is_taken(client, seeded):
    created = client.post("/api/v1/workshops", json=workshop(starts_at="2100-12-31T20:00", ends_at="2100-12-31T22:00"),
                          headers=bearer(client, "admin"))
    assert created.status_code == 201 and created.json["starts_at"] == "2101-01-01T00:00:00+00:00"
    offset = client.post("/api/v1/workshops", json=workshop(starts_at="2030-03-02T09:00+01:00"),
                         headers=bearer(client, "admin"))
    assert offset.json["errors"]["starts_at"] == [
        "Heure de Martinique sans décalage attendue (par exemple 2026-12-05T09:00, sans « Z » ni « -04:00 »)."]


@pytest.mark.parametrize("url", ["/devices/tag/RK%00", f"/distribution/reservations/{HUGE}", f"/households/{HUGE}",
                                 "/devices/show/1%00"])
def test_pages_answer_404_for_ids_no_database_holds(client, seeded, url):
    login(client, "admin")
    assert client.get(url).status_code == 404


def test_pages_refuse_a_nul_in_a_query(client, seeded):
    login(client, "admin")
    answer = client.get("/devices/list/?_flt_0_brand=a%00")
    assert answer.status_code == 400 and FORBIDDEN_TEXT in answer.get_data(as_text=True)


def test_a_checklist_that_is_not_an_object_is_refused_in_french(client, seeded):
    """Found by the full-budget fuzzing: the message's braces were read as a format field (500)."""
    answer = client.post(f"/api/v1/devices/{seeded['tag']}/grading", json={"checklist": [1], "cosmetic": "A"},
                         headers=bearer(client, "technicien"))
    assert answer.status_code == 422
    assert answer.json["errors"]["checklist"] == ["Objet attendu : {clé de l'élément : valeur}."]


def test_only_text_is_checked_for_forbidden_characters():
    """Found by the full-budget fuzzing: a multipart field without a value reached the check as None."""
    from core.schemas import forbidden_text

    assert forbidden_text("a\x00") and forbidden_text("\ud800") and forbidden_text("\udfff")
    assert not forbidden_text(None) and not forbidden_text(3) and not forbidden_text("é€😀")


def test_an_erasure_import_with_an_empty_form_field_is_answered(client, seeded):
    import io

    answer = client.post("/api/v1/erasures/import", headers=bearer(client, "technicien"),
                         data={"file": (io.BytesIO(b"not a report"), "r.txt"), "collection": None})
    assert answer.status_code in (400, 422) and answer.is_json

"""The served OpenAPI description is valid (issue 15, defect 12): every path parameter declared,
numeric bounds written as numbers, FAB's menu API described as it answers; and every POST body
of the API has its schema (what the fuzzing in test_fuzz_api.py generates from)."""
from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator

from tests.helpers import bearer


@pytest.fixture
def spec(client, session):
    answer = client.get("/api/v1/_openapi", headers=bearer(client, "admin"))
    assert answer.status_code == 200
    return answer.json


def test_the_spec_validates(spec):
    errors = [str(e).splitlines()[0] for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert errors == []


def test_every_path_parameter_is_declared_with_its_type(spec):
    for path, operations in spec["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            declared = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(declared) == names, (method, path)
            for name, schema in declared.items():
                if name.endswith("_id") or name == "pk":
                    assert schema == {"type": "integer", "minimum": 1, "maximum": 2147483647}, (path, name)


def test_numeric_bounds_are_numbers(spec):
    def walk(node, where):
        if isinstance(node, dict):
            for key in ("minimum", "maximum"):
                if key in node:
                    assert isinstance(node[key], (int, float)) and not isinstance(node[key], bool), (where, key)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(spec, "")
    devices = spec["components"]["schemas"]
    assert devices["SpecsIn"]["properties"]["ram_gb"]["maximum"] == 4096
    assert devices["DeviceIn"]["properties"]["weight_kg"]["maximum"] == 1000


def test_every_json_post_declares_its_body(spec):
    bodiless = {"/api/v1/reservations/{reservation_id}/release", "/api/v1/erasures/queue/{drive_id}/assign",
                "/api/v1/erasures/queue/{drive_id}/dismiss", "/api/v1/labels/print",
                "/api/v1/devices/{asset_tag}/certificate", "/api/v1/collections/{pk}/certificate",
                "/api/v1/stocktakes/{stocktake_id}/apply", "/api/v1/stocktakes/{stocktake_id}/locations/{code}/close",
                "/api/v1/stocktakes/{stocktake_id}/locations/{code}/reopen",
                "/api/v1/workshops/{session_id}/restore",
                }
    for path, operations in spec["paths"].items():
        if path.startswith("/api/v1/security/"):
            continue   # FAB's authentication API, described by FAB
        if "post" in operations and path not in bodiless:
            assert "requestBody" in operations["post"], path


def test_the_menu_answers_what_its_description_says(client, spec):
    schema = spec["paths"]["/api/v1/menu/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    answer = client.get("/api/v1/menu/", headers=bearer(client, "admin"))
    assert answer.status_code == 200 and "-" in str(answer.json)   # the separators are there
    jsonschema.validate(answer.json, schema)

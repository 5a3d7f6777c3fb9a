"""Schemathesis against the served OpenAPI description (issue 15): every operation of the JSON API,
with generated valid (positive) and invalid (negative) input, for Admin and for an Agent EPCI
(row-scoped), must answer without a server error and with a body that conforms to its
description. A bounded budget runs in CI (``REKONEKT_FUZZ_EXAMPLES``, 6 by default);
``make fuzz`` runs the full budget. The data of a small programme is seeded first, so that
generated ids meet real rows now and then."""
from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.helpers import bearer, make_device, make_household, make_session, make_workshop, validated_request

EXAMPLES = int(os.environ.get("REKONEKT_FUZZ_EXAMPLES", "6"))
ONLY = os.environ.get("REKONEKT_FUZZ_ONLY", "")        # a part of the path: fuzz those operations only
# FAB's authentication API: a generated logout or refresh would end the very session the fuzzing uses.
SKIPPED = ("/api/v1/security/",)
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def seeded(app, session):
    shop = make_workshop(session)
    make_device(session, shop["collection"].id)
    make_household(app, session)
    validated_request(app, session)
    make_session(app, session)
    return shop


def operations(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers)
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.full_path.startswith(SKIPPED) and ONLY in operation.full_path:
            found.append(operation)
    return found


def fuzz(operation, headers, examples: int) -> list[str]:
    """The failures of one operation (positive then negative input), as short lines."""
    failures: list[str] = []
    for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception as exc:  # noqa: BLE001 - an operation with no negative form: nothing to generate
            if mode == schemathesis.GenerationMode.NEGATIVE:
                continue
            raise exc

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except BaseException as exc:   # noqa: BLE001 - schemathesis raises a group of failures
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                found = "; ".join(getattr(e, "title", None) or str(e).splitlines()[0][:200]
                                  for e in getattr(exc, "exceptions", [exc]))
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{response.status_code} {found}")

        run()
    return failures


@pytest.mark.parametrize("username", ["admin", "agent.cacem"])
def test_the_api_survives_fuzzing(app, client, seeded, username):
    headers = bearer(client, username)
    found = operations(app, headers)
    assert ONLY or len(found) >= 50, len(found)    # the whole API, not an empty description
    started, failures = time.monotonic(), []
    for operation in found:
        failures += fuzz(operation, headers, EXAMPLES)
    elapsed = time.monotonic() - started
    print(f"\nfuzz {username}: {len(found)} operations × {EXAMPLES} examples × 2 modes in {elapsed:.1f} s")
    assert failures == [], "\n".join(failures)

"""GET /api/v1/households?q= (issue 18 review): « contains », with % and _ taken as letters (they
matched every household), and a text longer than any reference or name refused in French (on
SQLite a LIKE pattern over 50,000 bytes was a 500)."""
from __future__ import annotations

from tests.helpers import bearer, household_body


def search(client, q):
    return client.get("/api/v1/households", query_string={"q": q}, headers=bearer(client, "prescripteur"))


def test_wildcards_are_letters_and_a_huge_search_is_refused(client, session):
    created = client.post("/api/v1/households", json=household_body(), headers=bearer(client, "prescripteur"))
    assert created.status_code == 201, created.json
    reference = created.json["reference"]
    found = search(client, reference[-3:])
    assert found.status_code == 200 and [h["reference"] for h in found.json["result"]] == [reference]
    for wildcard in ("%", "_", "F_Y", "%-%"):
        answer = search(client, wildcard)
        assert answer.status_code == 200 and answer.json["result"] == [], wildcard
    huge = search(client, "A" * 60_000)
    assert huge.status_code == 422
    assert huge.json == {"message": "Recherche : 200 caractères au plus.",
                         "errors": {"q": ["Recherche : 200 caractères au plus."]}}
    assert search(client, "A" * 200).status_code == 200

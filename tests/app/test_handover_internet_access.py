"""The handover's internet-access rule holds through the API as on the form: without it the API
answers 422 naming the field, and nothing is written."""
from __future__ import annotations

import pytest

from distribution.models import Invoice, Reservation
from tests.helpers import bearer, make_session, make_workshop, stock_device, validated_request

REQUIRED = "Indiquez l'accès à internet du foyer."


@pytest.fixture
def reservation(app, client, session):
    shop = make_workshop(session)
    item = validated_request(app, session)
    make_session(app, session)
    answer = client.post("/api/v1/reservations", headers=bearer(client, "technicien"),
                         json={"request_id": item.id, "asset_tag": stock_device(session, shop).asset_tag})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def test_the_api_refuses_a_handover_without_internet_access(client, session, reservation):
    answer = client.post(f"/api/v1/reservations/{reservation}/handover", headers=bearer(client, "technicien"),
                         json={"payment_method": "cash"})
    assert answer.status_code == 422
    assert answer.json["errors"] == {"internet_access": [REQUIRED]}
    assert answer.json["message"] == f"Données refusées. accès à internet (internet_access) : {REQUIRED}"
    session.expire_all()
    assert session.get(Reservation, reservation).status == "active"
    assert session.query(Invoice).count() == 0


def test_the_api_hands_over_with_internet_access(client, session, reservation):
    answer = client.post(f"/api/v1/reservations/{reservation}/handover", headers=bearer(client, "technicien"),
                         json={"payment_method": "cash", "internet_access": "broadband"})
    assert answer.status_code == 201, answer.json
    session.expire_all()
    assert session.get(Reservation, reservation).internet_access == "broadband"

"""Issuing a certificate is a POST (it consumes a CERT- number); fetching an issued one is a GET
that never issues, and answers 404 with a French message when none was issued (issue 15,
defect 10). The pages issue through a form posted with its CSRF token."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inventory.models import Certificate
from inventory.services.erasures import record_erasure
from inventory.services.transitions import transition
from tests.helpers import bearer, login, make_device, make_workshop

SERIAL = "S3Z9NB0K654321"


@pytest.fixture
def wiped(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": SERIAL}])
    transition(session, device.asset_tag, "wiping")
    record_erasure(session, device.asset_tag, {"medium_serial": SERIAL, "level": "purge", "result": "pass",
                                               "technique": "ata-secure-erase", "verified": True})
    return {"tag": device.asset_tag, "device_id": device.id, "collection": shop["collection"].id}


def issued(session) -> int:
    return session.execute(select(func.count()).select_from(Certificate)).scalar_one()


@pytest.mark.parametrize("kind", ["devices", "collections"])
def test_a_get_never_issues_and_a_post_issues_once(client, session, wiped, kind):
    tech = bearer(client, "technicien")
    key = wiped["tag"] if kind == "devices" else wiped["collection"]
    for _ in range(2):
        missing = client.get(f"/api/v1/{kind}/{key}/certificate.pdf", headers=tech)
        assert missing.status_code == 404
        assert missing.json["message"].startswith("Aucun certificat d'effacement n'a encore été émis")
    assert issued(session) == 0
    first = client.post(f"/api/v1/{kind}/{key}/certificate", headers=tech)
    assert first.status_code == 201, first.json
    number = first.json["result"]["number"]
    assert number.startswith("CERT-") and first.json["result"]["pdf_url"] == f"/api/v1/{kind}/{key}/certificate.pdf"
    again = client.post(f"/api/v1/{kind}/{key}/certificate", headers=tech)
    assert again.status_code == 200 and again.json["result"]["number"] == number   # same records, same number
    for _ in range(2):
        pdf = client.get(f"/api/v1/{kind}/{key}/certificate.pdf", headers=tech)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.headers["X-Certificate-Number"] == number
        assert pdf.headers["X-Certificate-SHA256"] == first.json["result"]["sha256"]
    assert issued(session) == 1


def test_the_old_get_that_issued_is_gone(client, session, wiped):
    login(client, "technicien")
    assert client.get(f"/devices/{wiped['device_id']}/certificate").status_code == 405
    assert client.get(f"/collections/{wiped['collection']}/certificate").status_code == 405
    assert issued(session) == 0


@pytest.mark.parametrize("page", ["devices", "collections"])
def test_the_pages_issue_with_a_posted_form(client, session, wiped, page):
    csrf = login(client, "technicien")
    pk = wiped["device_id"] if page == "devices" else wiped["collection"]
    sheet = client.get(f"/{page}/show/{pk}").get_data(as_text=True)
    assert f'method="post" action="/{page}/{pk}/certificate"' in sheet
    missing = client.get(f"/{page}/{pk}/certificate.pdf")
    assert missing.status_code == 404 and "Aucun certificat d'effacement" in missing.get_data(as_text=True)
    assert client.post(f"/{page}/{pk}/certificate").status_code == 400   # no CSRF token: refused
    assert issued(session) == 0
    answer = client.post(f"/{page}/{pk}/certificate", data={"csrf_token": csrf})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/{page}/{pk}/certificate.pdf")
    pdf = client.get(answer.headers["Location"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert issued(session) == 1


def test_a_refused_issue_says_what_is_missing(client, session, wiped):
    make_device(session, wiped["collection"], storage=[{"kind": "hdd", "serial_number": "NOT-YET"}])
    refused = client.post(f"/api/v1/collections/{wiped['collection']}/certificate", headers=bearer(client, "technicien"))
    assert refused.status_code == 409 and refused.json["message"].startswith("Certificat impossible")
    assert issued(session) == 0

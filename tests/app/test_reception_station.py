"""The workshop's reception print station (issue 17): one setting, chosen on the print-stations
page, where the label of a device registered from a hardware snapshot prints at once
(POST /api/v1/snapshots), with no browser to choose a station."""
from __future__ import annotations

import socket
from html import unescape

import pytest
from sqlalchemy import delete, select

from app.print_stations import (PREFIX, PrintStation, reception_station, save_station,
                                set_reception_station)
from app.station_tokens import create_token
from core.errors import ValidationFailed
from core.settings import Setting
from inventory.models import Device
from tests.app.test_error_pages import visible as tagless
from tests.fake_printer import FakePrinter, printed_barcodes
from tests.helpers import bearer, login, make_device
from tests.inventory.conftest import shop  # noqa: F401 (the fixture)
from tests.inventory.test_snapshot_service import count, snapshot

URL = "/api/v1/snapshots"


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


@pytest.fixture
def station(session):
    return {"Authorization": f"Bearer {create_token(session, 'Poste de réception', created_by_id=None).secret}"}


def visible(answer) -> str:
    return unescape(tagless(answer))


def closed_address() -> str:
    """An address where nothing listens (a printer switched off)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    return address


def post(client, headers, body, collection):
    return client.post(f"{URL}?collection={collection}", json=body, headers=headers)


# --- the setting ------------------------------------------------------------------------------

def test_unset_by_default_set_to_a_known_station_and_cleared(session):
    assert reception_station(session) is None
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29"))
    assert set_reception_station(session, " zebra-1 ") == "zebra-1"
    session.expire_all()
    assert reception_station(session) == "zebra-1"
    assert set_reception_station(session, "") is None
    assert reception_station(session) is None
    assert set_reception_station(session, None) is None     # clearing twice is no error
    assert session.execute(select(Setting.key).where(Setting.key.like("labels.%"))).scalars().all() == [PREFIX + "zebra-1"]


def test_an_unknown_station_is_refused_in_french_and_nothing_changes(session):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29"))
    set_reception_station(session, "zebra-1")
    with pytest.raises(ValidationFailed) as refused:
        set_reception_station(session, "zebra-9")
    message = "Poste d'impression de la réception : poste « zebra-9 » inconnu ; choisissez un poste de la liste."
    assert refused.value.message == message and refused.value.errors == {"reception_station": [message]}
    session.expire_all()
    assert reception_station(session) == "zebra-1"


# --- the page ---------------------------------------------------------------------------------

def test_chosen_and_cleared_on_the_print_stations_page(client, session):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer="127.0.0.1:9100"))
    save_station(session, PrintStation(name="bureau", default_format="avery-l7160"))
    csrf = login(client, "technicien")
    page = unescape(client.get("/print-stations/").get_data(as_text=True))
    assert '<label for="reception_station">Poste d\'impression de la réception</label>' in page
    assert '<option value="">Aucun : étiquettes imprimées depuis la fiche de l\'appareil</option>' in page
    assert '<option value="bureau">bureau — sans imprimante réseau</option>' in page
    assert '<option value="zebra-1">zebra-1</option>' in page

    answer = client.post("/print-stations/reception", data={"csrf_token": csrf, "reception_station": "zebra-1"},
                         follow_redirects=True)
    assert answer.status_code == 200
    text = visible(answer)
    assert "Poste d'impression de la réception : « zebra-1 »." in text
    assert '<option value="zebra-1" selected>zebra-1</option>' in unescape(answer.get_data(as_text=True))
    assert reception_station(session) == "zebra-1"

    refused = client.post("/print-stations/reception", data={"csrf_token": csrf, "reception_station": "zebra-9"},
                          follow_redirects=True)
    assert "poste « zebra-9 » inconnu ; choisissez un poste de la liste" in visible(refused)
    assert "reception_station" not in visible(refused)
    session.expire_all()
    assert reception_station(session) == "zebra-1"

    cleared = client.post("/print-stations/reception", data={"csrf_token": csrf, "reception_station": ""},
                          follow_redirects=True)
    assert "Aucun poste d'impression de la réception" in visible(cleared)
    session.expire_all()
    assert reception_station(session) is None


def test_a_station_gone_since_is_said_on_the_page(client, session):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29"))
    set_reception_station(session, "zebra-1")
    session.execute(delete(Setting).where(Setting.key == PREFIX + "zebra-1"))
    session.commit()
    login(client, "technicien")
    text = visible(client.get("/print-stations/"))
    assert "Le poste « zebra-1 » choisi pour la réception n'existe plus : choisissez-en un autre." in text


# --- POST /api/v1/snapshots -------------------------------------------------------------------

def test_a_registered_device_prints_its_label_on_the_reception_station(client, session, shop, station, printer):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
    set_reception_station(session, "zebra-1")
    answer = post(client, station, snapshot(), shop["collection"].reference)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    tag = body["asset_tag"]
    assert body["label"] == {"printed_on": "zebra-1", "message": "Étiquette imprimée au poste « zebra-1 »."}
    assert body["message"].startswith(f"Appareil enregistré sous le numéro d'inventaire {tag}.")
    assert body["message"].endswith(" Étiquette imprimée au poste « zebra-1 ».")
    (job,) = printer.wait(1)
    assert f"^FD{tag}^FS" in job and "^PW496" in job      # on the station's 62 × 29 mm roll
    assert printed_barcodes(job) == [tag]                 # what the scanner will read on it

    # The same snapshot again, then the same content under another uuid: nothing registered, nothing printed.
    again = post(client, station, snapshot(), shop["collection"].reference)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    renamed = snapshot()
    renamed["uuid"] = "11111111-2222-4333-8444-555555555555"
    same = post(client, station, renamed, shop["collection"].reference)
    assert same.status_code == 200 and same.get_json()["status"] == "unchanged"
    assert "label" not in again.get_json() and "label" not in same.get_json()
    assert "Étiquette" not in again.get_json()["message"] + same.get_json()["message"]
    printer.close()
    assert len(printer.jobs) == 1


def test_a_device_completed_by_a_snapshot_prints_nothing(client, session, shop, station, printer):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
    set_reception_station(session, "zebra-1")
    make_device(session, shop["collection"].id, serial_number="RK7TEST", storage=[])   # registered by hand
    completed = post(client, station, snapshot(), shop["collection"].reference)
    assert completed.status_code == 200 and completed.get_json()["status"] == "completed"
    assert "label" not in completed.get_json() and "Étiquette" not in completed.get_json()["message"]
    printer.close()
    assert printer.jobs == []


def test_a_printer_that_is_off_keeps_the_device_registered_and_says_so(client, session, shop, station):
    address = closed_address()
    save_station(session, PrintStation(name="zebra-2", default_format="roll-62x29", printer=address))
    set_reception_station(session, "zebra-2")
    answer = post(client, station, snapshot(), shop["collection"].reference)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "registered" and body["label"]["printed_on"] is None
    problem = f"Étiquette non imprimée au poste « zebra-2 » : Imprimante {address} injoignable"
    assert body["label"]["message"].startswith(problem) and problem in body["message"]
    session.expire_all()
    assert session.execute(select(Device.asset_tag)).scalars().all() == [body["asset_tag"]]


def test_no_reception_station_prints_nothing_and_says_why(client, session, shop, station, printer):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
    answer = post(client, station, snapshot(), shop["collection"].reference)
    assert answer.status_code == 201
    label = answer.get_json()["label"]
    assert label == {"printed_on": None, "message": (
        "Étiquette non imprimée : aucun poste d'impression de la réception n'est réglé (page « Postes "
        "d'impression ») ; imprimez-la depuis la fiche de l'appareil.")}
    assert answer.get_json()["message"].endswith(label["message"])
    printer.close()
    assert printer.jobs == []


def test_a_station_without_printer_or_gone_since_is_said(client, session, shop, station):
    save_station(session, PrintStation(name="bureau", default_format="roll-62x29"))
    set_reception_station(session, "bureau")
    answer = post(client, station, snapshot(), shop["collection"].reference)
    assert answer.status_code == 201
    assert answer.get_json()["label"]["message"] == (
        "Étiquette non imprimée : le poste « bureau » n'a pas d'imprimante réseau ; imprimez-la depuis la fiche "
        "de l'appareil.")
    session.execute(delete(Setting).where(Setting.key == PREFIX + "bureau"))
    session.commit()
    other = snapshot()
    other["uuid"] = "11111111-2222-4333-8444-555555555555"
    other["data"]["dmidecode"] = other["data"]["dmidecode"].replace("Serial Number: RK7TEST", "Serial Number: RK8NEW")
    gone = post(client, station, other, shop["collection"].reference)
    assert gone.status_code == 201, gone.get_json()
    assert gone.get_json()["label"]["message"] == (
        "Étiquette non imprimée : le poste d'impression de la réception « bureau » n'existe plus ; choisissez-en "
        "un autre (page « Postes d'impression »).")
    assert count(session, Device) == 2


def test_a_queued_snapshot_prints_nothing_and_a_user_token_prints_too(client, session, shop, station, printer):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
    set_reception_station(session, "zebra-1")
    queued = client.post(URL, json=snapshot(), headers=station)     # no collection: waits for a technician
    assert queued.status_code == 202 and "label" not in queued.get_json()
    assert printer.wait(1, timeout=0.5) == []
    by_hand = post(client, bearer(client, "technicien"), snapshot("workbench_legacy"), shop["collection"].reference)
    assert by_hand.status_code == 201 and by_hand.get_json()["label"]["printed_on"] == "zebra-1"
    assert f"^FD{by_hand.get_json()['asset_tag']}^FS" in printer.wait(1)[0]

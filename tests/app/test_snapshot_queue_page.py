"""« Instantanés en attente » (issue 17): the queued hardware snapshots and the disks set aside,
settled through the page's forms as a technician (and Admin) would."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from sqlalchemy import func, select

from app.print_stations import PrintStation, save_station, set_reception_station
from core.actor import Actor
from inventory.models import Device, DeviceSnapshot, StorageMedium
from inventory.services.snapshots import receive_snapshot
from tests.app.test_views_inventory import csrf, shop, text_of  # noqa: F401 (csrf, shop: the fixtures)
from tests.fake_printer import FakePrinter, printed_barcodes
from tests.helpers import login, make_device
from tests.inventory.snapshots.helpers import load

STATION = Actor(None, "Poste de réception Lamentin", frozenset())
RECEIVED = datetime(2026, 12, 4, 15, 7, tzinfo=timezone.utc)       # 11:07 in Martinique
QUEUE = "/snapshots/queue"


def queued(session, *, without_serial: tuple[int, ...] = ()) -> DeviceSnapshot:
    data = load("workbench_script")
    disks = json.loads(data["data"]["smartctl"])
    for index in without_serial:
        disks[index].pop("serial_number")
    data["data"]["smartctl"] = json.dumps(disks)
    record, outcome = receive_snapshot(session, STATION, data, None, station_token_id=3, now=RECEIVED)
    assert outcome == "queued"
    return record


def content(answer) -> str:
    html = text_of(answer)
    return html[html.index("<h1>"):]


def record_of(session, key: int) -> DeviceSnapshot:
    session.expire_all()
    return session.get(DeviceSnapshot, key)


def register(client, csrf, record, **fields):
    return client.post(f"{QUEUE}/{record.id}/register", data={"csrf_token": csrf, **fields})


def test_the_page_shows_each_queued_snapshot_and_its_disks_in_french(client, session, shop, csrf):
    record = queued(session, without_serial=(0,))
    answer = client.get(QUEUE)
    assert answer.status_code == 200
    page = content(answer)
    assert "Instantanés en attente" in page and "Instantanés à enregistrer" in page
    assert "04/12/2026 11:07, par Poste de réception Lamentin" in page      # Martinique time, the station
    for fact in ("Dell Inc.", "Latitude 5490", "RK7TEST", "Ordinateur portable", "Intel Core i5-8350U", "16 Go",
                 "87 %", "aucune collecte indiquée"):
        assert fact in page, fact
    for disk in ("Disque dur (HDD)", "WD-WX21ARK20002", "SSD NVMe", "BTNH9RK0000312A"):
        assert disk in page, disk
    assert page.count("Disque à remplacer") == 1 and "Secteurs réalloués" in page
    # The forms: labelled fields, the technician's choices pre-filled from the snapshot, CSRF.
    assert f'action="/snapshots/queue/{record.id}/register"' in page
    assert f'<label for="collection-{record.id}">Collecte' in page and f'id="collection-{record.id}"' in page
    # keyboard first; the collection is typed (its reference), with suggestions: no list of every collection
    assert re.search(rf'<input[^>]*id="collection-{record.id}"[^>]*data-autocomplete="/snapshots/queue/collections"'
                     rf'[^>]*autofocus', page)
    assert re.search(r'<option value="laptop" selected>Ordinateur portable</option>', page)
    assert f'id="brand-{record.id}" name="brand" value="Dell Inc."' in page
    assert f'<label for="reason-{record.id}">Raison pour écarter l\'instantané</label>' in page
    assert page.count('name="csrf_token"') == 2 + 1     # register, dismiss; the disk set aside: dismiss only
    # The SSD without serial waits for the registration; the boot stick and the zram swaps are not
    # the machine's disks: they are not asked about.
    assert "Disques mis de côté" in page and "Samsung SSD 860 EVO 250GB" in page and "250,1 Go" in page
    assert page.count("Enregistrez d'abord l'instantané") == 1
    assert "SanDisk Cruzer Blade" not in page and "/dev/zram0" not in page
    shown = re.sub(r"<[^>]+>", " ", page)
    for python in ("None", "True", "False", "[", "{", "2026-12-04T", "Decimal", "250.1"):
        assert python not in shown, python


def test_registering_from_the_page_opens_the_new_device_sheet(client, session, shop, csrf):
    record = queued(session, without_serial=(0,))
    answer = register(client, csrf, record, collection=str(shop["collection"].id), category="laptop",
                      brand="Dell", model="Latitude 5490")
    device = session.execute(select(Device).where(Device.serial_number == "RK7TEST")).scalar_one()
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/devices/show/{device.id}")
    sheet = text_of(client.get(answer.headers["Location"]))
    assert (f"Appareil enregistré sous le numéro d'inventaire {device.asset_tag}. Étiquette non imprimée : aucun "
            "poste d'impression de la réception n'est réglé") in sheet
    assert (device.brand, device.collection_id, len(device.media)) == ("Dell", shop["collection"].id, 2)
    assert record_of(session, record.id).status == "registered"
    # Its disks set aside now offer to be added to the device.
    page = content(client.get(QUEUE))
    assert "Aucun instantané n'attend." in page and page.count(f"Ajouter à {device.asset_tag}") == 1
    # A second click (another tab) is told, nothing happens twice.
    again = register(client, csrf, record, collection=str(shop["collection"].id))
    assert again.status_code == 302 and again.headers["Location"].endswith(QUEUE)
    assert "Cet instantané a déjà été traité (Appareil enregistré)" in text_of(client.get(QUEUE))
    assert session.execute(select(func.count()).select_from(Device)).scalar_one() == 1


def test_the_label_prints_on_the_reception_station_as_for_a_post(client, session, shop, csrf):
    printer = FakePrinter()
    try:
        save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
        set_reception_station(session, "zebra-1")
        answer = register(client, csrf, queued(session), collection=shop["collection"].reference)
        tag = session.execute(select(Device.asset_tag)).scalar_one()
        (job,) = printer.wait(1)
        assert printed_barcodes(job) == [tag]
        assert (f"Appareil enregistré sous le numéro d'inventaire {tag}. Étiquette imprimée au poste « zebra-1 »."
                in text_of(client.get(answer.headers["Location"])))
    finally:
        printer.close()


def test_a_refused_registration_comes_back_with_the_field_named_and_what_was_typed(client, session, shop, csrf):
    record = queued(session)
    answer = register(client, csrf, record, collection="", category="laptop", brand="Dell", model="Latitude modifié")
    assert answer.status_code == 422
    page = content(answer)
    assert "Collecte obligatoire : choisissez la collecte d'où vient cet appareil." in page
    assert re.search(rf'<input[^>]*id="collection-{record.id}"[^>]*aria-invalid="true"[^>]*autofocus', page)
    assert f'id="model-{record.id}" name="model" value="Latitude modifié"' in page
    assert record_of(session, record.id).status == "queued"


def test_a_device_registered_since_is_offered_and_completed(client, session, shop, csrf):
    record = queued(session)
    device = make_device(session, shop["collection"].id, serial_number="RK7TEST", storage=None)
    page = content(client.get(QUEUE))
    assert f"L'appareil {device.asset_tag} a été enregistré depuis avec ce numéro de série" in page
    assert f"Compléter {device.asset_tag}" in page and f'id="collection-{record.id}"' not in page
    answer = register(client, csrf, record)
    assert answer.headers["Location"].endswith(f"/devices/show/{device.id}")
    assert "sa fiche a été complétée" in text_of(client.get(answer.headers["Location"]))
    session.expire_all()
    assert len(session.get(Device, device.id).media) == 3


def test_dismissing_a_snapshot_asks_why(client, session, shop, csrf):
    record = queued(session)
    refused = client.post(f"{QUEUE}/{record.id}/dismiss", data={"csrf_token": csrf, "reason": " "})
    assert refused.status_code == 302 and "Raison obligatoire" in text_of(client.get(QUEUE))
    answer = client.post(f"{QUEUE}/{record.id}/dismiss", data={"csrf_token": csrf, "reason": "Démarrage d'essai"})
    assert answer.status_code == 302
    page = text_of(client.get(QUEUE))
    assert "Instantané du n° de série RK7TEST écarté." in page
    assert "Aucun instantané n'attend." in page and "Aucun disque n'attend." in page
    assert (record_of(session, record.id).status, record_of(session, record.id).dismissal_reason) == (
        "dismissed", "Démarrage d'essai")


def test_a_disk_set_aside_is_added_or_dismissed_from_the_page(client, session, shop, csrf):
    record = queued(session, without_serial=(0, 1))
    register(client, csrf, record, collection=str(shop["collection"].id))
    device = record_of(session, record.id).device
    other = make_device(session, shop["collection"].id)
    # A serial number already on another device: the form comes back naming it.
    taken = other.media[0].serial_number
    refused = client.post(f"{QUEUE}/{record.id}/disks/1/add",
                          data={"csrf_token": csrf, "serial_number": taken, "kind": "ssd"})
    assert refused.status_code == 422
    page = content(refused)
    assert f"Le numéro de série {taken} est déjà celui d'un support de l'appareil {other.asset_tag}" in page
    assert re.search(rf'id="serial-{record.id}-1"[^>]*value="{taken}"[^>]*aria-invalid="true"[^>]*autofocus',
                     page)
    answer = client.post(f"{QUEUE}/{record.id}/disks/1/add",
                         data={"csrf_token": csrf, "serial_number": "S3YJNX0RK10001A", "kind": "ssd"})
    assert answer.status_code == 302
    assert f"Disque S3YJNX0RK10001A ajouté à l'appareil {device.asset_tag}." in text_of(client.get(QUEUE))
    session.expire_all()
    added = session.execute(select(StorageMedium).where(StorageMedium.serial_number == "S3YJNX0RK10001A")).scalar_one()
    assert added.device_id == device.id and added.health_read_at is not None
    assert "WDC WD5000LPCX-24C6HT0" in text_of(client.get(QUEUE))      # the HDD without serial, still there
    hdd = client.post(f"{QUEUE}/{record.id}/disks/2/dismiss",
                      data={"csrf_token": csrf, "reason": "Disque défectueux, envoyé au recyclage"})
    assert hdd.status_code == 302
    page = text_of(client.get(QUEUE))
    assert "Disque écarté de la file." in page
    assert "WDC WD5000LPCX-24C6HT0" not in page and record_of(session, record.id).pending_disks == 0


def test_admin_uses_the_page_too_and_the_menu_leads_there(client, session, shop):
    record = queued(session)
    csrf = login(client, "admin")
    home = text_of(client.get("/"))
    assert 'href="/snapshots/queue"' in home and "Instantanés en attente" in home
    answer = client.post(f"{QUEUE}/{record.id}/dismiss", data={"csrf_token": csrf, "reason": "Poste de test"})
    assert answer.status_code == 302 and record_of(session, record.id).status == "dismissed"


def test_a_form_without_its_csrf_token_is_refused(client, session, shop, csrf):
    record = queued(session)
    answer = client.post(f"{QUEUE}/{record.id}/dismiss", data={"reason": "sans jeton"})
    assert answer.status_code == 400 and record_of(session, record.id).status == "queued"

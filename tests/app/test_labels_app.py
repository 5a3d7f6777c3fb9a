"""Labels from the app: API, print stations, the dialog, and issue 4's "done when"."""
from __future__ import annotations

import re
import socket
import threading
from datetime import date

import pytest

from app.print_stations import PrintStation, save_station
from core.errors import ValidationFailed
from inventory.services.collections import create_collection
from labels.code128 import MM_PER_INCH
from labels.formats import get_format
from tests.helpers import bearer, login, make_device, make_workshop
from tests.labels.conftest import decode, rasterise  # noqa: F401  (fixture)


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_device_labels_over_the_api(client, shop, session, rasterise):
    tech = bearer(client, "technicien")
    devices = [make_device(session, shop["collection"].id) for _ in range(2)]
    tags = ",".join(d.asset_tag for d in devices)
    pdf = client.get(f"/api/v1/labels?kind=device&tags={tags}&format=avery-l7160&start=4", headers=tech)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (page,) = rasterise(pdf.get_data(), 300)
    assert sorted(s.data.decode() for s in decode(page)) == [d.asset_tag for d in devices]
    zpl = client.get(f"/api/v1/labels?kind=device&tags={tags}&format=roll-62x29&output=zpl", headers=tech)
    assert zpl.status_code == 200 and zpl.mimetype == "text/plain"
    assert re.findall(r"\^BCN,\d+,N,N,N,A\^FH\^FD([^^]+)\^FS", zpl.get_data(as_text=True)) == [d.asset_tag for d in devices]
    bins = client.get("/api/v1/labels?kind=location&codes=LOC-LAM-A01,loc-lam-b02&format=roll-50x25", headers=tech)
    assert bins.status_code == 200


@pytest.mark.parametrize(
    "query,status,message",
    [
        ("kind=device&tags=RK-999999", 404, "Code inconnu pour une étiquette de type appareil : RK-999999."),
        ("kind=device&tags={tag}&format=avery-l0000", 422, "Format d'étiquette inconnu « avery-l0000 »"),
        ("kind=device&tags={tag}&format=avery-l7160&start=22", 422, "Position de départ 22 hors de la planche"),
        ("kind=device&tags=", 422, "Sélection vide"),
        ("kind=toaster&codes=X", 422, "Type d'étiquette inconnu « toaster »"),
        ("kind=device&tags={tag}&format=avery-l7160&output=zpl", 422, "Le ZPL est pour les imprimantes thermiques"),
    ],
)
def test_bad_requests_in_french(client, shop, session, query, status, message):
    tag = make_device(session, shop["collection"].id).asset_tag
    answer = client.get("/api/v1/labels?" + query.format(tag=tag), headers=bearer(client, "technicien"))
    assert answer.status_code == status and answer.is_json
    assert message in answer.json["message"]


def test_station_calibration_moves_the_print(client, shop, session, rasterise):
    tag = make_device(session, shop["collection"].id).asset_tag
    save_station(session, PrintStation(name="atelier-1", default_format="avery-l7160", offset_x=4.0, offset_y=3.0))
    tech = bearer(client, "technicien")
    plain = client.get(f"/api/v1/labels?kind=device&tags={tag}&format=avery-l7160", headers=tech).get_data()
    shifted = client.get(f"/api/v1/labels?kind=device&tags={tag}&station=atelier-1", headers=tech).get_data()
    (a,) = decode(rasterise(plain, 300)[0])
    (b,) = decode(rasterise(shifted, 300)[0])
    px = 300 / MM_PER_INCH
    assert (b.rect.left - a.rect.left) / px == pytest.approx(4.0, abs=0.3)
    assert (b.rect.top - a.rect.top) / px == pytest.approx(3.0, abs=0.3)
    with pytest.raises(ValidationFailed) as bad:
        save_station(session, PrintStation(name="Atelier 2", default_format="nope", offset_x=40, dpi=600, printer="x:y"))
    assert set(bad.value.errors) == {"name", "default_format", "offset_x", "dpi", "printer"}


def test_print_to_a_station_printer(client, shop, session):
    tag = make_device(session, shop["collection"].id).asset_tag
    received = bytearray()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def accept():
        connection, _ = server.accept()
        with connection:
            while chunk := connection.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=f"127.0.0.1:{port}"))
    tech = bearer(client, "technicien")
    answer = client.post("/api/v1/labels/print", headers=tech, json={"kind": "device", "codes": tag, "station": "zebra-1"})
    assert answer.status_code == 200 and answer.json["result"]["sent"] == 1
    thread.join(timeout=5)
    server.close()
    assert f"^FD{tag}^FS" in received.decode()
    # The printer gone (nothing listens on its port any more): a French answer, not a hang.
    gone = client.post("/api/v1/labels/print", headers=tech, json={"kind": "device", "codes": tag, "station": "zebra-1"})
    assert gone.status_code == 502 and "injoignable" in gone.json["message"]
    none = client.post("/api/v1/labels/print", headers=tech, json={"kind": "device", "codes": tag, "station": "nowhere"})
    assert none.status_code == 404


def test_print_from_the_device_list_and_the_dialog(client, shop, session, rasterise):
    csrf = login(client, "technicien")
    devices = [make_device(session, shop["collection"].id) for _ in range(3)]
    chosen = client.post("/devices/action_post", data={"csrf_token": csrf, "action": "print_labels",
                                                       "rowid": [str(d.id) for d in devices[:2]]})
    assert chosen.status_code == 302 and "/labels/" in chosen.headers["Location"]
    dialog = client.get(chosen.headers["Location"]).get_data(as_text=True)
    assert f"{devices[0].asset_tag},{devices[1].asset_tag}" in dialog
    pdf = client.post("/labels/", data={"csrf_token": csrf, "kind": "device", "codes": f"{devices[0].asset_tag},{devices[1].asset_tag}",
                                        "format": "roll-57x32", "start": "1", "action": "pdf"})
    assert pdf.mimetype == "application/pdf"
    assert [s.data.decode() for page in rasterise(pdf.get_data(), 203) for s in decode(page)] == [d.asset_tag for d in devices[:2]]
    bad = client.post("/labels/", data={"csrf_token": csrf, "kind": "device", "codes": "RK-424242", "format": "roll-57x32",
                                        "start": "1", "action": "pdf"})
    assert bad.status_code == 422 and "RK-424242" in bad.get_data(as_text=True)


def test_issue4_done_when(client, shop, session, rasterise):
    """30 devices received, labels on a half-used L7160 sheet from position 10, then on a
    62 × 29 roll as PDF and ZPL; every printed code scans back at the scan station."""
    collection = create_collection(session, donor=shop["donor"].id, collected_on=date(2026, 11, 2), site=shop["site"].id,
                                   declared_count=30)
    devices = [make_device(session, collection.id) for _ in range(30)]
    tags = [d.asset_tag for d in devices]
    csrf = login(client, "technicien")
    page = client.get(f"/collections/show/{collection.id}").get_data(as_text=True)
    link = re.search(r'href="(/labels/\?kind=device&amp;codes=[^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200

    sheet = client.post("/labels/", data={"csrf_token": csrf, "kind": "device", "codes": ",".join(tags),
                                          "format": "avery-l7160", "start": "10", "action": "pdf"})
    pages = rasterise(sheet.get_data(), 300)
    fmt, px = get_format("avery-l7160"), 300 / MM_PER_INCH
    seen = {}
    for index, image in enumerate(pages):
        for symbol in decode(image):
            col = int((symbol.rect.left / px - fmt.left) // fmt.pitch_x)
            row = int((symbol.rect.top / px - fmt.top) // fmt.pitch_y)
            seen[symbol.data.decode()] = (index, row * fmt.cols + col + 1)
    assert seen == {tag: (0, 10 + i) if i < 12 else (1, i - 11) for i, tag in enumerate(tags)}

    roll = client.post("/labels/", data={"csrf_token": csrf, "kind": "device", "codes": ",".join(tags),
                                         "format": "roll-62x29", "start": "1", "action": "pdf"})
    assert [s.data.decode() for image in rasterise(roll.get_data(), 203) for s in decode(image)] == tags
    zpl = client.post("/labels/", data={"csrf_token": csrf, "kind": "device", "codes": ",".join(tags),
                                        "format": "roll-62x29", "start": "1", "action": "zpl"}).get_data(as_text=True)
    assert re.findall(r"\^BCN,\d+,N,N,N,A\^FH\^FD(RK-\d{6})\^FS", zpl) == tags
    for tag in seen:
        answer = client.post("/api/v1/scan", json={"code": tag}, headers={"X-CSRFToken": csrf})
        assert answer.status_code == 200 and answer.json["device"]["asset_tag"] == tag


def test_crate_and_spare_part_labels(client, shop, session, rasterise):
    from pyzbar.pyzbar import ZBarSymbol
    from pyzbar.pyzbar import decode as zbar

    from inventory.certificate_pdf import Programme
    from inventory.services.certificates import collection_certificate
    from inventory.services.erasures import record_erasure
    from inventory.services.repairs import add_stock
    from inventory.services.transitions import transition

    tech = bearer(client, "technicien")
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "CRATE-1"}])
    transition(session, device.asset_tag, "wiping")
    record_erasure(session, device.asset_tag, {"medium_serial": "CRATE-1", "level": "purge", "technique": "ata-secure-erase",
                                               "result": "pass", "verified": True})
    certificate = collection_certificate(session, shop["collection"].id, programme=Programme("P"), base_url="https://rekonekt.test")
    reference = shop["collection"].reference
    crate = client.get(f"/api/v1/labels?kind=collection&codes={reference}&format=roll-102x152", headers=tech)
    (page,) = rasterise(crate.get_data(), 300)
    assert [s.data.decode() for s in decode(page)] == [reference]
    assert [s.data.decode() for s in zbar(page, symbols=[ZBarSymbol.QRCODE])] == [
        f"https://rekonekt.test/verify/{certificate.verification_code}"]
    part = add_stock(session, part_type="battery", description="Batterie Dell 68 Wh", location=shop["bin_a"].code, quantity=2)
    shelf = client.get(f"/api/v1/labels?kind=spare_part&codes=SP-{part.id:06d}&format=roll-57x32", headers=tech)
    (page,) = rasterise(shelf.get_data(), 203)
    assert [s.data.decode() for s in decode(page)] == [f"SP-{part.id:06d}"]


def test_a_refused_print_station_is_told_in_french_without_field_keys(client, session):
    from tests.app.test_error_pages import visible
    from tests.helpers import login

    csrf = login(client, "technicien")
    answer = client.post("/print-stations/", data={"csrf_token": csrf, "name": "Atelier 2", "default_format": "nope",
                                                  "offset_x": "40", "offset_y": "0", "dpi": "600", "printer": "x:y"},
                         follow_redirects=True)
    page = visible(answer)
    assert "Nom du poste : nom court en minuscules" in page and "Décalage horizontal : de -20 à 20 mm" in page
    assert "Résolution : 203 ou 300 dpi" in page and "Format par défaut inconnu" in page
    for key in ("name", "offset_x", "default_format", "dpi :", "printer :"):
        assert key not in page, key

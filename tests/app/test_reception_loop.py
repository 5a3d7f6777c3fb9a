"""The reception loop through the test client (issue 16, defect 7): the form opens on the first
field to type; after « Enregistrer et saisir le suivant » it comes back filled like the device
just saved (same collection, category, brand, model, specifications, media kinds), on the next
serial number; the label prints on the print station's printer, or its PDF is offered."""
from __future__ import annotations

import io
import re
import socket
from decimal import Decimal
from html import unescape

import pypdf
import pytest
from sqlalchemy import select

from app.print_stations import PrintStation, save_station
from app.views.devices import first_field_to_type, form_values
from inventory.models import Device
from tests.fake_printer import FakePrinter
from tests.helpers import login, make_workshop

MM = 72 / 25.4


@pytest.fixture
def shop(session):
    return make_workshop(session)


@pytest.fixture
def csrf(client, session):
    return login(client, "technicien")


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def page_of(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def autofocused(html: str) -> list[str]:
    """The ids of the elements carrying ``autofocus``."""
    return re.findall(r'<(?:input|select|a)\b[^>]*\bid="([^"]+)"[^>]*\bautofocus\b', html)


def selected(html: str, name: str) -> str | None:
    block = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    found = re.search(r'<option value="([^"]*)"\s+selected', block)
    return found.group(1) if found else None


def value_of(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html).group(1)


def laptop(csrf, shop, serial: str, **extra) -> dict:
    form = {"csrf_token": csrf, "collection": shop["collection"].id, "category": "laptop", "brand": "Dell",
            "model": "Latitude 5490", "serial_number": serial, "cpu": "Core i5-8350U", "ram_gb": "8",
            "screen_in": "14,0", "weight_kg": "1,6", "os": "Windows 10", "medium_kind_0": "ssd",
            "medium_serial_0": f"D{serial}", "medium_capacity_0": "256", "location": "LOC-LAM-A01", "next": "another"}
    form.update(extra)
    return form


def test_the_form_opens_on_the_first_field_to_type(client, shop, csrf):
    blank = page_of(client.get("/devices/add"))
    assert autofocused(blank) == ["collection"]
    with_collection = page_of(client.get(f"/devices/add?collection={shop['collection'].id}"))
    assert autofocused(with_collection) == ["category"]


def test_saved_then_ready_for_the_next_of_the_batch_with_its_pdf_label(client, shop, csrf, session):
    answer = client.post("/devices/add", data=laptop(csrf, shop, "5cd001"))
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert f"collection={shop['collection'].id}" in location and "after=RK-000001" in location and "label=pdf" in location
    html = page_of(client.get(location))
    assert "RK-000001 enregistré : Dell Latitude 5490 (n° de série 5CD001)." in html
    # Filled like the device just saved; its identifiers left empty.
    assert selected(html, "collection") == str(shop["collection"].id)
    assert selected(html, "category") == "laptop"
    assert (value_of(html, "brand"), value_of(html, "model"), value_of(html, "cpu"), value_of(html, "os")) == (
        "Dell", "Latitude 5490", "Core i5-8350U", "Windows 10")
    assert (value_of(html, "ram_gb"), value_of(html, "screen_in"), value_of(html, "weight_kg")) == ("8", "14", "1,6")
    assert (selected(html, "medium_kind_0"), value_of(html, "medium_capacity_0")) == ("ssd", "256")
    assert selected(html, "location") == "LOC-LAM-A01"
    assert value_of(html, "serial_number") == value_of(html, "medium_serial_0") == value_of(html, "imei") == ""
    # No printer took the label: its PDF link holds the focus; the form's next field is the serial number.
    assert autofocused(html) == ["label-pdf"]
    assert 'data-first-field="serial_number"' in html
    href = re.search(r'id="label-pdf" href="([^"]+)"', html).group(1)
    pdf = client.get(href)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "RK-000001" in pypdf.PdfReader(io.BytesIO(pdf.get_data())).pages[0].extract_text()

    # The next laptop: only its serial numbers typed.
    second = client.post("/devices/add", data=laptop(csrf, shop, "5cd002"))
    assert "after=RK-000002" in second.headers["Location"]
    session.expire_all()
    devices = session.execute(select(Device).order_by(Device.id)).scalars().all()
    assert [(d.asset_tag, d.collection_id, d.category, d.brand, d.ram_gb) for d in devices] == [
        ("RK-000001", shop["collection"].id, "laptop", "Dell", Decimal("8.0")),
        ("RK-000002", shop["collection"].id, "laptop", "Dell", Decimal("8.0"))]


def test_the_label_prints_on_the_print_stations_printer(client, shop, csrf, session, printer):
    save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
    answer = client.post("/devices/add", data=laptop(csrf, shop, "5cd101", print_station="zebra-1"))
    assert answer.status_code == 302 and "label=pdf" not in answer.headers["Location"]
    html = page_of(client.get(answer.headers["Location"]))
    assert "Étiquette de RK-000001 imprimée au poste « zebra-1 »." in html
    assert autofocused(html) == ["serial_number"]
    assert "Réimprimer l'étiquette de RK-000001 (PDF)" in html
    assert selected(html, "print_station") == "zebra-1"      # remembered for the next device
    # The link's PDF is on the station's stock (a 62 × 29 mm roll).
    href = re.search(r'id="label-pdf" href="([^"]+)"', html).group(1)
    box = pypdf.PdfReader(io.BytesIO(client.get(href).get_data())).pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (62, 29)
    # The same station, chosen once, for the next one.
    client.post("/devices/add", data=laptop(csrf, shop, "5cd102", print_station="zebra-1"))
    printer.close()
    assert len(printer.jobs) == 2
    assert "^FDRK-000001^FS" in printer.jobs[0] and "^FDRK-000002^FS" in printer.jobs[1]
    assert "^PW496" in printer.jobs[0]      # 62 mm at 203 dpi: the station's roll


def test_a_printer_that_does_not_answer_keeps_the_device_and_offers_the_pdf(client, shop, csrf, session):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    address = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()      # nothing listens there any more
    save_station(session, PrintStation(name="zebra-2", default_format="roll-62x29", printer=address))
    answer = client.post("/devices/add", data=laptop(csrf, shop, "5cd201", print_station="zebra-2"))
    assert answer.status_code == 302 and "label=pdf" in answer.headers["Location"]
    html = page_of(client.get(answer.headers["Location"]))
    assert "RK-000001 enregistré" in html
    assert f"Étiquette non imprimée au poste « zebra-2 » : Imprimante {address} injoignable" in html
    assert autofocused(html) == ["label-pdf"]
    session.expire_all()
    assert session.execute(select(Device.asset_tag)).scalars().all() == ["RK-000001"]


def test_a_station_without_printer_gives_the_pdf_on_its_stock(client, shop, csrf, session):
    save_station(session, PrintStation(name="bureau", default_format="roll-62x29"))
    answer = client.post("/devices/add", data=laptop(csrf, shop, "5cd301", print_station="bureau"))
    html = page_of(client.get(answer.headers["Location"]))
    assert autofocused(html) == ["label-pdf"]
    href = unescape(re.search(r'id="label-pdf" href="([^"]+)"', html).group(1))
    assert "station=bureau" in href
    box = pypdf.PdfReader(io.BytesIO(client.get(href).get_data())).pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (62, 29)


def test_a_refused_form_opens_on_the_first_refused_field(client, shop, csrf, session):
    client.post("/devices/add", data=laptop(csrf, shop, "5cd401"))
    duplicate = client.post("/devices/add", data=laptop(csrf, shop, "5CD401"))
    assert duplicate.status_code == 422
    html = page_of(duplicate)
    assert "Numéro de série 5CD401 déjà enregistré pour l'appareil RK-000001." in html
    assert autofocused(html) == ["serial_number"]
    assert selected(html, "category") == "laptop" and value_of(html, "brand") == "Dell"
    no_category = client.post("/devices/add", data=laptop(csrf, shop, "5cd402", category=""))
    assert autofocused(page_of(no_category)) == ["category"]


def test_an_unknown_device_after_gives_a_blank_form(client, shop, csrf):
    html = page_of(client.get("/devices/add?after=RK-999999"))
    assert autofocused(html) == ["collection"] and 'id="label-pdf"' not in html


def test_first_field_to_type():
    assert first_field_to_type({}, {}) == "collection"
    assert first_field_to_type({"collection": 1}, {}) == "category"
    assert first_field_to_type({"collection": 1, "category": "laptop", "brand": "HP", "model": " "}, {}) == "model"
    full = {"collection": 1, "category": "laptop", "brand": "HP", "model": "840"}
    assert first_field_to_type(full, {}) == "serial_number"
    assert first_field_to_type(full, {"weight_kg": ["…"], "imei": ["…"]}) == "imei"
    assert first_field_to_type(full, {"storage.1.serial_number": ["…"], "location": ["…"]}) == "medium_serial_1"
    assert first_field_to_type(full, {"_": ["…"]}) == "serial_number"


def test_form_values_keep_everything_but_identifiers():
    values = form_values({"collection": 3, "category": "laptop", "brand": "HP", "model": "840", "weight_kg": Decimal("1.600"),
                          "location": None, "specs": {"ram_gb": Decimal("8.0"), "os": "Windows 10"},
                          "storage": [{"kind": "ssd", "capacity_gb": Decimal("256.0")}, {"kind": "hdd", "capacity_gb": None}]})
    assert values == {"collection": 3, "category": "laptop", "brand": "HP", "model": "840", "weight_kg": "1,6",
                      "ram_gb": "8", "os": "Windows 10", "medium_kind_0": "ssd", "medium_capacity_0": "256",
                      "medium_kind_1": "hdd"}
    # « No storage medium » is a declaration the technician makes for each device: never carried over.
    assert "no_media" not in form_values({"collection": 3, "category": "monitor", "brand": "Dell", "model": "P2419",
                                          "specs": {}, "storage": []})

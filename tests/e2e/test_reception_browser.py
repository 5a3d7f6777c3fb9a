"""Reception in a real browser (headless Chromium), keyboard only (issue 16, defect 7): ten
similar laptops registered one after the other, each in under 20 keys beyond the typed values,
each with its label — printed on the print station's printer (a fake one listening on
127.0.0.1), or, with no print station, its PDF downloaded with one key.

Issue 17: a laptop registered from its hardware snapshot — the real collector script, run as on
the live USB stick against the live server — gets its label from the reception print station's
printer, and the technician's only keys are the scan of that label at the scan station; the
same laptop typed into the reception form is counted beside it.

Every key goes through ``Keys`` (``page.keyboard`` only: no click, no fill, no mouse); keys
that type no character (Tab, Enter, arrows…) are counted per device. The pages count every
real pointer event too, and there must be none.

Needs Chromium (Debian: ``apt install chromium``); skipped, with that reason, when absent.
"""
from __future__ import annotations

import io
import shutil
from collections import Counter

import pypdf
import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from app.print_stations import PrintStation, save_station, set_reception_station
from app.station_tokens import create_token
from inventory.models import Device
from tests.browser import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, live_server  # noqa: F401  (fixture)
from tests.fake_printer import FakePrinter, printed_barcodes
from tests.e2e.test_scan_station_browser import sign_in, wait_banner
from tests.helpers import make_workshop
from tests.tools.test_collector import Station

pytestmark = NEEDS_CHROMIUM

LAPTOPS = 10
BUDGET = 20     # keys per device beyond the typed values: strictly fewer

# Counts the pointer events a person would make with a mouse, a finger or a pen, across pages.
COUNT_POINTER = """
for (const kind of ["mousedown", "pointerdown", "touchstart", "wheel", "contextmenu"]) {
  window.addEventListener(kind, (event) => {
    if (event.isTrusted) {
      sessionStorage.setItem("rk-pointer", String(Number(sessionStorage.getItem("rk-pointer") || 0) + 1));
    }
  }, true);
}
"""


class Keys:
    """The only way this test touches the page: ``page.keyboard``. ``type`` sends the typed
    values (characters only); ``press`` sends one other key and counts it for the current device."""

    def __init__(self, page):
        self.keyboard = page.keyboard
        self.device = 0
        self.counts: Counter[int] = Counter()
        self.log: dict[int, list[str]] = {}

    def type(self, text: str) -> None:
        assert "\n" not in text and "\t" not in text
        self.keyboard.type(text)

    def press(self, key: str) -> None:
        assert len(key) > 1, "a character is typed with type()"
        self.counts[self.device] += 1
        self.log.setdefault(self.device, []).append(key)
        self.keyboard.press(key)


@pytest.fixture
def browser(live_server):
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
        context.add_init_script(COUNT_POINTER)
        page = context.new_page()
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((live_server, "data:")) else None)
        failures: list[str] = []
        page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, live_server
        chromium.close()
        assert outside == [], f"requests left the app: {outside}"
        assert failures == [], failures
        assert errors == [], errors


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


@pytest.mark.parametrize("mode", ["printer", "pdf"])
def test_ten_laptops_by_keyboard(browser, session, mode):
    page, base = browser
    shop = make_workshop(session)
    collection = shop["collection"]
    printer = None
    if mode == "printer":
        printer = FakePrinter()
        save_station(session, PrintStation(name="zebra-1", default_format="roll-62x29", printer=printer.address))
    sign_in(page, base)
    keys = Keys(page)
    labels: dict[str, str] = {}     # asset tag → the text of its downloaded PDF

    def save(number: int) -> str:
        """Enter saves; the next form comes back; returns the saved device's tag."""
        tag = f"RK-{number:06d}"
        with page.expect_navigation():
            keys.press("Enter")
        page.wait_for_selector("#label-pdf")
        assert f"{tag} enregistré : Dell Latitude 5490" in page.inner_text(".alert-success")
        return tag

    def take_label(tag: str) -> None:
        """With no printer the label's link has the focus: Enter downloads its PDF."""
        if mode == "printer":
            assert f"Étiquette de {tag} imprimée au poste « zebra-1 »." in page.inner_text("body")
            return
        assert focused(page) == "label-pdf"
        with page.expect_download() as download:
            keys.press("Enter")
        pdf = download.value.path().read_bytes()
        labels[tag] = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    # Opened from the home page's button or the address: the collection has the focus, not the navbar.
    page.goto(f"{base}/devices/add")
    assert focused(page) == "collection"

    # Device 1: everything typed once.
    keys.device = 1
    if mode == "printer":               # the station's printer, chosen once (it is remembered)
        keys.press("Shift+Tab")
        assert focused(page) == "print_station"
        keys.press("ArrowDown")
        assert page.input_value("#print_station") == "zebra-1"
        keys.press("Tab")
    keys.type(collection.reference)     # a closed list selects as one types
    assert page.input_value("#collection") == str(collection.id)
    keys.press("Tab")
    keys.type("Ordinateur portable")
    assert page.input_value("#category") == "laptop"
    keys.press("Tab")
    keys.type("Dell")
    keys.press("Tab")
    keys.type("Latitude 5490")
    keys.press("Tab")
    keys.type("5CG0000001")
    keys.press("Tab")                   # IMEI: none on a laptop
    keys.press("Tab")
    keys.type("SSD SATA")
    assert page.input_value("#medium_kind_0") == "ssd"
    keys.press("Tab")
    keys.type("S3Z0000001")
    keys.press("Tab")
    keys.type("256")
    tag = save(1)
    take_label(tag)

    # Devices 2 to 10: the same collection, category, brand, model and disk; only the serial
    # numbers are typed.
    for number in range(2, LAPTOPS + 1):
        keys.device = number
        assert focused(page) == "serial_number", keys.log
        assert page.input_value("#collection") == str(collection.id)
        assert page.input_value("#category") == "laptop"
        assert (page.input_value("#brand"), page.input_value("#model")) == ("Dell", "Latitude 5490")
        assert page.input_value("#serial_number") == ""
        keys.type(f"5CG{number:07d}")
        keys.press("Tab")
        keys.press("Tab")
        keys.press("Tab")
        assert focused(page) == "medium_serial_0"
        assert (page.input_value("#medium_kind_0"), page.input_value("#medium_capacity_0")) == ("ssd", "256")
        keys.type(f"S3Z{number:07d}")
        tag = save(number)
        take_label(tag)

    per_device = {device: keys.counts[device] for device in range(1, LAPTOPS + 1)}
    assert all(count < BUDGET for count in per_device.values()), (per_device, keys.log)
    assert page.evaluate("Number(sessionStorage.getItem('rk-pointer') || 0)") == 0

    session.expire_all()
    devices = session.execute(select(Device).order_by(Device.id)).scalars().all()
    tags = [f"RK-{n:06d}" for n in range(1, LAPTOPS + 1)]
    assert [d.asset_tag for d in devices] == tags
    assert {(d.collection_id, d.category, d.brand, d.model) for d in devices} == {
        (collection.id, "laptop", "Dell", "Latitude 5490")}
    assert [d.serial_number for d in devices] == [f"5CG{n:07d}" for n in range(1, LAPTOPS + 1)]
    assert [[(m.kind, m.serial_number, int(m.capacity_gb)) for m in d.media] for d in devices] == [
        [("ssd", f"S3Z{n:07d}", 256)] for n in range(1, LAPTOPS + 1)]

    if printer is not None:
        printer.close()
        assert len(printer.jobs) == LAPTOPS
        assert [f"^FD{tag}^FS" in job for tag, job in zip(tags, printer.jobs)] == [True] * LAPTOPS
    else:
        assert sorted(labels) == tags
        assert all(tag in text for tag, text in labels.items()), labels
    print(f"\nkeys per device beyond the typed values ({mode}): {per_device}")


def test_typing_on_the_label_link_goes_to_the_serial_number(browser, session):
    """The PDF is offered, not forced: typing (or scanning) the next serial number straight away
    reaches the field."""
    page, base = browser
    shop = make_workshop(session)
    sign_in(page, base)
    page.goto(f"{base}/devices/add?collection={shop['collection'].id}")
    assert focused(page) == "category"
    keys = Keys(page)
    keys.type("Ordinateur portable")
    keys.press("Tab")
    keys.type("Lenovo")
    keys.press("Tab")
    keys.type("ThinkPad T480")
    keys.press("Tab")
    keys.type("PF1ABCDE")
    with page.expect_navigation():
        keys.press("Enter")
    assert focused(page) == "label-pdf"
    keys.type("PF2FGHIJ")
    assert focused(page) == "serial_number"
    assert page.input_value("#serial_number") == "PF2FGHIJ"
    # Escape too leaves the link for the field.
    keys.press("Shift+Tab")
    keys.press("Shift+Tab")
    keys.press("Shift+Tab")
    keys.press("Shift+Tab")
    keys.press("Shift+Tab")
    keys.press("Shift+Tab")
    assert focused(page) == "label-pdf"
    keys.press("Escape")
    assert focused(page) == "serial_number"
    with page.expect_navigation():
        keys.press("Enter")
    session.expire_all()
    assert session.execute(select(Device.serial_number).order_by(Device.id)).scalars().all() == ["PF1ABCDE", "PF2FGHIJ"]


class EveryKey(Keys):
    """``Keys`` that also counts the typed characters: every key a person presses."""

    def type(self, text: str) -> None:
        super().type(text)
        self.counts[self.device] += len(text)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl absent (apt install curl): the collector posts with it")
def test_a_laptop_registered_from_its_snapshot_costs_only_the_scan_of_its_label(browser, session, tmp_path):
    page, base = browser
    shop = make_workshop(session)
    collection = shop["collection"]
    printer = FakePrinter()
    save_station(session, PrintStation(name="reception", default_format="roll-62x29", printer=printer.address))
    set_reception_station(session, "reception")             # once, on the « Postes d'impression » page
    token = create_token(session, "Clé USB de la réception", created_by_id=None)

    # The live USB: the real collector script and the real curl, posting to the live server what
    # the machine's own tools print (the recorded outputs of tests/data/snapshots/: a Dell Latitude
    # 5490, a SATA SSD, an HDD with reallocated sectors, an NVMe drive, the live stick, a battery).
    usb = Station(tmp_path)
    (usb.bin / "curl").unlink()
    run = usb.run(env={"REKONEKT_URL": base, "REKONEKT_TOKEN": token.secret,
                       "REKONEKT_COLLECTION": collection.reference})
    screen = run.stdout.decode("utf-8")
    assert run.returncode == 0, (screen, run.stderr.decode("utf-8"))

    # The label came out of the reception printer: its barcode, read as a scanner reads it.
    (job,) = printer.wait(1)
    (tag,) = printed_barcodes(job)
    printer.close()
    assert len(printer.jobs) == 1
    assert f"Étiquette : {tag} — collez l'étiquette imprimée sur l'appareil" in screen
    assert f"Appareil enregistré sous le numéro d'inventaire {tag}.\n" in screen
    assert "Étiquette imprimée au poste « reception ».\n" in screen
    assert "Disque à remplacer : WD-WX21ARK20002" in screen

    # The technician at the scan station: the label's code and Enter, nothing else.
    sign_in(page, base)
    page.goto(f"{base}/scan/")
    assert focused(page) == "scan-code"
    keys = EveryKey(page)
    keys.device = "snapshot"
    keys.type(tag)                      # the scanner types the code…
    keys.press("Enter")                 # … and Enter
    wait_banner(page, f"{tag} — Dell Inc. Latitude 5490")
    page.wait_for_selector(".rk-media li")
    card = page.inner_text("#scan-card")
    assert f"{tag} — Dell Inc. Latitude 5490" in card and "RK7TEST" in card
    media = page.locator(".rk-media li").all_inner_texts()
    assert [item.split(" — ")[0] for item in media] == [
        "SSD SATA n° S3YJNX0RK10001A", "Disque dur (HDD) n° WD-WX21ARK20002", "SSD NVMe n° BTNH9RK0000312A"]
    assert ["Disque à remplacer" in item for item in media] == [False, True, False]
    snapshot_keys = keys.counts["snapshot"]
    assert snapshot_keys == len(tag) + 1, keys.log

    # The same laptop typed into the reception form (a twin: its serial numbers changed, not their
    # length), everything the snapshot read typed once, the collection already chosen.
    page.goto(f"{base}/devices/add?collection={collection.id}")
    assert focused(page) == "category"
    keys.device = "by hand"
    for value in ("Ordinateur portable", "Dell Inc.", "Latitude 5490", "RK7TWIN"):
        keys.type(value)
        keys.press("Tab")
    keys.press("Tab")                   # IMEI: none on a laptop
    disks = [("SSD SATA", "S3YJNX0RK10009A", "250"), ("Disque dur (HDD)", "WD-WX21ARK20009", "500"),
             ("SSD NVMe", "BTNH9RK0000319A", "512")]
    for kind, serial, capacity in disks:
        for value in (kind, serial, capacity):
            keys.type(value)
            keys.press("Tab")
    for _ in range(6):                  # the fourth disk row, « no medium », weight, location
        keys.press("Tab")
    assert focused(page) == "cpu"
    keys.type("Intel Core i5-8350U")
    keys.press("Tab")
    keys.type("16")
    with page.expect_navigation():
        keys.press("Enter")
    assert "enregistré : Dell Inc. Latitude 5490 (n° de série RK7TWIN)" in page.inner_text(".alert-success")
    by_hand = keys.counts["by hand"]
    assert page.evaluate("Number(sessionStorage.getItem('rk-pointer') || 0)") == 0

    session.expire_all()
    devices = {d.serial_number: d for d in session.execute(select(Device)).scalars()}
    assert devices["RK7TEST"].asset_tag == tag
    for serial in ("RK7TEST", "RK7TWIN"):
        device = devices[serial]
        assert (device.brand, device.model, device.cpu, int(device.ram_gb)) == (
            "Dell Inc.", "Latitude 5490", "Intel Core i5-8350U", 16)
        assert sorted(m.kind for m in device.media) == ["hdd", "nvme", "ssd"]
    assert snapshot_keys * 10 < by_hand
    print(f"\nkeys to register the laptop: from its snapshot {snapshot_keys} (the scan of {tag} + Enter), "
          f"by hand {by_hand} (typed values included; the label not counted)")

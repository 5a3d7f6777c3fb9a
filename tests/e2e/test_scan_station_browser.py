"""The scan station in a real browser (headless Chromium), driven with the keyboard alone:
a device goes from reception through wiping and quality control into stock.

Needs Chromium (Debian: ``apt install chromium``); skipped, with that reason, when absent.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import sync_playwright

from tests.helpers import PASSWORD, advance, make_device, make_workshop
from tests.browser import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, live_server  # noqa: F401  (fixture)
from tests.e2e.scan_keys import received_to_stock

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def browser_page(live_server):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((live_server, "data:")) else None)
        failures: list[str] = []
        page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 and "/api/" not in r.url else None)
        yield page, live_server
        browser.close()
        assert outside == [], f"requests left the app: {outside}"
        assert failures == [], failures


def sign_in(page, base: str, username: str = "technicien") -> None:
    """Sign in from the keyboard."""
    page.goto(f"{base}/login/")
    # The field has autofocus, but on a loaded machine the first keys can come before the browser
    # applies it (then the form is sent empty and the page stays on /login/): as the harness does.
    page.focus("#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def wait_banner(page, text: str) -> None:
    page.wait_for_function("t => document.getElementById('scan-banner').textContent.includes(t)", arg=text, timeout=5000)


def test_keyboard_only_from_reception_to_stock(browser_page, session):
    page, base = browser_page
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    tag = device.asset_tag

    sign_in(page, base)
    page.goto(f"{base}/scan/")
    assert page.evaluate("document.activeElement.id") == "scan-code"
    # Reception, wiping, quality control (the checklist), stock: keys only (tests/e2e/scan_keys.py).
    received_to_stock(page, page.keyboard.press, page.keyboard.type, tag, "Dell Latitude 5490")

    # The same code again at once: ignored, and said so.
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    wait_banner(page, "Lecture en double ignorée")
    # The card's history: Martinique time as JJ/MM/AAAA HH:MM, never seconds.
    history = page.locator(".rk-events li").all_inner_texts()
    assert history and all(re.match(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2} — ", line) for line in history), history
    assert not any(re.match(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", line) for line in history), history

    session.expire_all()
    from inventory.models import Device

    stored = session.get(Device, device.id)
    assert (stored.state, stored.grade) == ("in_stock", "B")


def test_refusal_is_a_red_banner(browser_page, session):
    page, base = browser_page
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    page.goto(f"{base}/login/")
    page.fill("#username", "technicien")
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/scan/")
    page.select_option("#scan-station", "grading")
    page.keyboard.type(device.asset_tag + "\n")
    wait_banner(page, "il doit d'abord passer par « Effacement »")
    assert "error" in page.get_attribute("#scan-banner", "class")
    # A scanner-fast burst starting with a digit is a code, not a shortcut.
    page.fill("#scan-code", "")
    page.keyboard.type("1XYZ\n", delay=5)
    wait_banner(page, "Code « 1XYZ » inconnu")


def test_put_away_whatever_the_station(browser_page, session):
    """Issue 16, defect 6: the station left on « Effacement » (remembered between visits), a
    location then an in-stock device: the device is put away there, and the banner says so and
    why its state stays."""
    page, base = browser_page
    shop = make_workshop(session)
    device = advance(session, make_device(session, shop["collection"].id), "in_stock")
    tag = device.asset_tag
    sign_in(page, base)
    page.goto(f"{base}/scan/")
    # Choose « Effacement » from the keyboard, then come back later: the station is remembered.
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#scan-station") == "wiping"
    page.goto(f"{base}/scan/")
    assert page.input_value("#scan-station") == "wiping"
    assert page.evaluate("document.activeElement.id") == "scan-code"

    page.keyboard.type("LOC-LAM-A01")
    page.keyboard.press("Enter")
    wait_banner(page, "Rangement dans LOC-LAM-A01")
    page.wait_for_selector("#scan-putaway:not([hidden])")
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    message = (f"{tag} rangé dans LOC-LAM-A01 ; il reste « En stock » "
               "(le passage à « Effacement » ne s'applique pas à cet état).")
    wait_banner(page, message)
    assert page.inner_text("#scan-banner") == message
    assert "ok" in page.get_attribute("#scan-banner", "class")
    assert "LOC-LAM-A01 — Bac A01" in page.inner_text(".rk-card dl")
    assert page.evaluate("document.activeElement.id") == "scan-code"

    session.expire_all()
    from inventory.models import Device

    stored = session.get(Device, device.id)
    assert (stored.state, stored.location.code) == ("in_stock", "LOC-LAM-A01")


def test_the_card_flags_a_disk_to_replace(browser_page, session):
    """Issue 17: a medium a hardware snapshot found worn shows « Disque à remplacer » on the card."""
    page, base = browser_page
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    worn = device.media[0]
    worn.needs_replacement = True
    session.commit()
    sign_in(page, base)
    page.goto(f"{base}/scan/")
    page.keyboard.type(device.asset_tag + "\n")
    page.wait_for_selector(".rk-media li")
    flagged = [item for item in page.locator(".rk-media li").all_inner_texts() if "Disque à remplacer" in item]
    assert len(flagged) == 1 and (worn.serial_number or "") in flagged[0], page.locator(".rk-media").inner_text()

"""The Content-Security-Policy (app/headers.py) in a real browser (headless Chromium): the main
pages load without a single violation, their scripts run (menus, select boxes, Swagger UI).

Needs Chromium (Debian: ``apt install chromium``); skipped, with that reason, when absent.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.app.accounts import throwaway_account
from tests.helpers import PASSWORD, make_device, make_workshop
from tests.browser import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, live_server  # noqa: F401  (fixture)

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def browser(live_server):
    """A page, and the CSP violations and script errors it met."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        yield page, live_server, problems
        chromium.close()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_the_main_pages_meet_no_csp_violation(browser, session):
    page, base, problems = browser
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    sign_in(page, base, "admin")
    for url in ["/", "/scan/", "/devices/list/", "/devices/add", f"/devices/show/{device.id}",
                f"/collections/show/{shop['collection'].id}", "/users/list/", "/users/add", "/households/new",
                "/dashboard/", "/distribution/workshops/new"]:
        page.goto(base + url)
        page.wait_for_load_state("load")
        assert problems == [], f"{url}: {problems}"

    # Scripts do run: FAB's select boxes are turned into select2 widgets, the menus open.
    page.goto(f"{base}/users/add")
    page.wait_for_selector(".select2-container")
    page.click("a.dropdown-toggle:has(.fa-user)")
    assert page.is_visible("a[href='/users/userinfo/']")

    # Swagger UI builds the API's description from the local spec.
    page.goto(f"{base}/swagger/v1")
    page.wait_for_selector(".opblock-tag", timeout=10000)
    assert problems == [], problems


def test_the_menu_signs_out_with_its_form(app, browser, session):
    page, base, problems = browser
    with throwaway_account(app, session, "sortant.navigateur"):
        sign_in(page, base, "sortant.navigateur")
        page.click("a.dropdown-toggle:has(.fa-user)")
        page.click("button.rk-logout")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/scan/")
        assert "/login/" in page.url
    assert problems == [], problems

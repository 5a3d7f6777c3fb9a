"""The scan station at 200 % zoom (1366×900 seen at 200 %: 683×450 CSS pixels, two device pixels
each) and on a tablet (800×1280), in Chromium (issue 16): the scan field and the banner on the
screen, no sideways scrolling, a device scanned and moved on from the keyboard.

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

import pytest

from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey  # noqa: F401  (fixture)
from tests.e2e.scan_keys import choose_station, focused, wait_banner
from tests.helpers import make_device, make_workshop

pytestmark = NEEDS_CHROMIUM


@pytest.mark.parametrize("name, viewport, scale", [
    ("scan-zoom-200", {"width": 683, "height": 450}, 2),     # 1366×900 at 200 %
    ("scan-tablette", {"width": 800, "height": 1280}, 1),
])
def test_scan_station_zoomed_and_on_a_tablet(journey, session, name, viewport, scale):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    walk = journey("technicien", name=name, viewport=viewport, scale=scale)
    page, keys = walk.page, walk.keys

    def fits(*selectors: str) -> None:
        """No sideways scrolling; each of ``selectors`` entirely on the screen, unscrolled."""
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"défilement horizontal : {width}"
        assert page.evaluate("window.scrollX") == 0
        for selector in selectors:
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (selector, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)

    walk.goto("/scan/", "poste de scan")
    assert focused(page) == "scan-code"
    fits("#scan-code")
    keys.type(device.asset_tag)
    keys.press("Enter")
    wait_banner(page, f"{device.asset_tag} — Dell Latitude 5490")
    walk.check("appareil scanné")
    fits("#scan-code", "#scan-banner")
    keys.press("1")
    wait_banner(page, f"{device.asset_tag} → Effacement")
    walk.check("effacement")
    fits("#scan-code", "#scan-banner")
    choose_station(page, keys.press, "stock")
    walk.finish()

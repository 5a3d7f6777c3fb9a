"""The scan station driven from the keyboard alone, step by step, for the browser tests that take a
device through it (tests/e2e/test_scan_station_browser.py, tests/e2e/test_journeys.py).

Each function takes the page, ``press`` (one key that types no character: Tab, Enter, an arrow, a
shortcut) and ``type`` (typed values), so that a caller may count the keys; ``checked(step)`` is
called after each step that changes the page (a journey checks the page there)."""
from __future__ import annotations

from collections.abc import Callable

from inventory.grading import DEFAULT_TEMPLATES

Press = Callable[[str], None]


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.name || ''")


def wait_banner(page, text: str) -> None:
    page.wait_for_function("t => document.getElementById('scan-banner').textContent.includes(t)", arg=text,
                           timeout=5000)


def choose_station(page, press: Press, value: str) -> None:
    """From the scan field: Tab to the station list, arrows to ``value``, Enter (back on the field)."""
    press("Tab")
    assert focused(page) == "scan-station"
    options = page.eval_on_selector_all("#scan-station option", "os => os.map(o => o.value)")
    current, target = options.index(page.input_value("#scan-station")), options.index(value)
    for _ in range(abs(target - current)):
        press("ArrowDown" if target > current else "ArrowUp")
    assert page.input_value("#scan-station") == value
    press("Enter")
    assert focused(page) == "scan-code"


def received_to_stock(page, press: Press, type_: Callable[[str], None], tag: str, title: str,
                      checked: Callable[[str], None] = lambda step: None) -> None:
    """A received device (``title``: « Dell Latitude 5490 ») from the reception station to « En
    stock »: scanned, key 1 (Effacement), E (the pending medium erased, passed and verified), the
    key of « Contrôle qualité », G (the checklist: every check works, the battery at 91 %, grade
    B), then the stock station and a scan. The station page must be open, the focus on its field."""
    type_(tag)
    press("Enter")
    wait_banner(page, f"{tag} — {title}")
    assert focused(page) == "scan-code"
    checked("scan du nouvel appareil")
    assert page.inner_text(".rk-next button[data-key='1']").endswith("Effacement")
    press("1")
    wait_banner(page, f"{tag} → Effacement")
    page.wait_for_selector("text=Enregistrer : réussi et vérifié")
    checked("effacement")
    press("e")
    wait_banner(page, f"{tag} : effacé")
    page.wait_for_selector(".rk-next button[data-key='2']")
    checked("effacement enregistré")
    labels = page.eval_on_selector_all(".rk-next button[data-key]", "bs => bs.map(b => b.textContent)")
    press(next(str(i + 1) for i, text in enumerate(labels) if text.endswith("Contrôle qualité")))
    wait_banner(page, f"{tag} → Contrôle qualité")
    page.wait_for_selector("#open-checklist")
    checked("contrôle qualité")

    # G opens the checklist; it is filled with the keyboard: Space ticks "works", Tab goes on.
    with page.expect_navigation():
        press("g")
    page.wait_for_url("**/devices/show/**")
    page.wait_for_function("document.activeElement.name === 'item_boots'")
    checked("grille de contrôle")
    for item in DEFAULT_TEMPLATES["laptop"]:
        if item.kind == "bool":
            press("Space")
        else:
            type_("91")
        press("Tab")
    assert focused(page) == "cosmetic"
    press("Space")          # A …
    press("ArrowRight")     # … then B: light marks
    press("Tab")            # the optional lower grade
    press("Tab")            # the note
    press("Tab")            # the button
    with page.expect_navigation():
        press("Enter")
    page.wait_for_url("**/scan/?show=*")
    page.wait_for_selector(".rk-card h2")
    assert "B" in page.inner_text(".rk-card dl")
    assert focused(page) == "scan-code"
    checked("appareil noté")

    choose_station(page, press, "stock")
    type_(tag)
    press("Enter")
    wait_banner(page, f"{tag} : Contrôle qualité → En stock.")
    assert "ok" in page.get_attribute("#scan-banner", "class")
    checked("en stock")

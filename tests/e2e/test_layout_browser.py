"""The layout in a real browser (headless Chromium), issue 16, defect 9: at 1366×900 the menu is one
row for every role (Admin's wrapped onto 3) and the users' list fits its panel (it was cut on the
right); on a tablet (1024×768, 800×1280) nothing is cut: the page never scrolls sideways, a wide
table scrolls inside its responsive wrapper, and every menu entry lies inside the screen.

Needs Chromium (Debian: ``apt install chromium``); skipped, with that reason, when absent.
"""
from __future__ import annotations

import pytest

from app.extensions import db
from core.territory import Epci
from inventory.services.reference import create_organisation
from sqlalchemy import select
from tests.app.accounts import throwaway_account
from tests.conftest import USERS
from tests.helpers import PASSWORD
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)

pytestmark = NEEDS_CHROMIUM

ONE_ROW = 60          # px: Bootstrap's navbar is 50-52 px high on one row, 100 and more on two
DESKTOP = {"width": 1366, "height": 900}
TABLETS = [{"width": 1024, "height": 768}, {"width": 800, "height": 1280}]


@pytest.fixture
def demo_like_accounts(app, session):
    """The demo's longest values in the users' list: an account named as in the demo, with its
    e-mail address and EPCI, and the Partenaire bound to « Caraïbes Télécom (démo) »."""
    donor = create_organisation(session, kind="donor", name="Caraïbes Télécom (démo)", siret=None,
                                commune_insee="97209")
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = donor.id
    with throwaway_account(app, session, "agent.espacesud.demo", role="Agent EPCI") as user:
        user.first_name, user.last_name = "Chloé", "Agent Espace Sud"
        user.email = "agent.espacesud@demo.rekonekt.invalid"
        user.epci_id = session.execute(select(Epci.id).where(Epci.short_name == "Espace Sud")).scalar_one()
        db.session.commit()
        yield
        partner.organisation_id = None
        db.session.commit()


def signed_in(browser, base: str, username: str, viewport: dict):
    page = browser.new_context(viewport=viewport).new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    return page, outside


NAVBAR = """() => {
  const nav = document.querySelector('.navbar');
  const items = [...nav.querySelectorAll('.navbar-nav > li')].map(li => li.getBoundingClientRect());
  return {height: nav.getBoundingClientRect().height,
          rightmost: Math.max(...items.map(r => r.right)), width: window.innerWidth,
          rows: new Set(items.map(r => Math.round(r.top))).size};
}"""

USERS_TABLE = """() => {
  const table = document.querySelector('table.table-bordered');
  const box = table.parentElement;
  return {scroll: box.scrollWidth, client: box.clientWidth, overflowX: getComputedStyle(box).overflowX,
          rows: table.querySelectorAll('tbody tr').length};
}"""

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_the_menu_is_one_row_at_1366_for_every_role(chromium, demo_like_accounts):
    browser, base = chromium
    for username in sorted(USERS):
        page, outside = signed_in(browser, base, username, DESKTOP)
        navbar = page.evaluate(NAVBAR)
        assert navbar["height"] < ONE_ROW and navbar["rows"] == 1, (username, navbar)
        assert navbar["rightmost"] <= navbar["width"], (username, navbar)
        assert outside == [], outside
        page.context.close()


def test_the_users_list_fits_at_1366(chromium, demo_like_accounts):
    browser, base = chromium
    page, _ = signed_in(browser, base, "admin", DESKTOP)
    page.goto(f"{base}/users/list/")
    table = page.evaluate(USERS_TABLE)
    assert table["rows"] >= len(USERS) + 1
    assert table["scroll"] <= table["client"], table
    assert page.evaluate(PAGE_WIDTH)[0] <= DESKTOP["width"]
    # The longest cell is on screen, not past the panel's edge.
    cell = page.locator("td", has_text="agent.espacesud@demo.rekonekt.invalid")
    box = cell.bounding_box()
    assert box is not None and box["x"] + box["width"] <= DESKTOP["width"]


@pytest.mark.parametrize("viewport", TABLETS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_nothing_is_cut_on_a_tablet(chromium, demo_like_accounts, viewport):
    browser, base = chromium
    page, _ = signed_in(browser, base, "admin", viewport)
    for url in ("/", "/users/list/", "/roles/", "/devices/list/", "/distribution/workshops/"):
        page.goto(f"{base}{url}")
        scroll, width = page.evaluate(PAGE_WIDTH)
        assert scroll <= width, (url, scroll, width)          # the page never scrolls sideways
        navbar = page.evaluate(NAVBAR)
        assert navbar["rightmost"] <= navbar["width"], (url, navbar)
    page.goto(f"{base}/users/list/")
    table = page.evaluate(USERS_TABLE)
    # Either it fits, or it scrolls inside its wrapper (nothing is out of reach).
    assert table["scroll"] <= table["client"] or table["overflowX"] in ("auto", "scroll"), table


CONTRAST = """cls => {
  const b = document.createElement('button'); b.className = 'btn ' + cls; b.textContent = 'x';
  document.body.appendChild(b);
  const lum = c => { const v = c.match(/\\d+/g).slice(0, 3).map(n => { n /= 255;
    return n <= 0.03928 ? n / 12.92 : Math.pow((n + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const s = getComputedStyle(b); const [a, c] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
  b.remove(); return (a + 0.05) / (c + 0.05);
}"""


def test_the_navbar_and_buttons_read_well(chromium, demo_like_accounts):
    """The brand is white on the dark navbar (the links' blue gave 2:1), the language menu and the
    narrow screen's menu button have a name, coloured buttons and links in text meet WCAG AA."""
    browser, base = chromium
    page, _ = signed_in(browser, base, "technicien", DESKTOP)
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar-brand a')).color") == "rgb(255, 255, 255)"
    assert page.get_attribute(".navbar-right a.dropdown-toggle >> nth=0", "aria-label") == "Langue"
    assert page.get_attribute("button.navbar-toggle", "aria-label") == "Menu"
    for cls in ("btn-primary", "btn-danger", "btn-success", "btn-warning", "btn-info"):
        assert page.evaluate(CONTRAST, cls) >= 4.5, cls
    underline = page.evaluate("""() => { const p = document.createElement('p'); p.innerHTML = '<a href="#">x</a>';
        document.querySelector('body > .container').appendChild(p);
        return getComputedStyle(p.firstChild).textDecorationLine; }""")
    assert underline == "underline"

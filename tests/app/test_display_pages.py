"""No Python value reaches a page (issue 16, defects 1 and 2): every Flask-AppBuilder list and
show page of the application (read from its own registry, ``appbuilder.baseviews``), walked as
Admin with at least one row of each model, and the profile page of each role, show no ``None``,
``True``, ``False``, ``[…]``, ISO timestamp, ``Decimal(``, object repr or English decimal number
in what a user reads. Every page says its language (``<html lang="fr">``)."""
from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from core.clock import to_local
from inventory.models import Device, Location
from inventory.services.reference import update_location
from inventory.services.repairs import add_stock
from tests.conftest import USERS
from tests.helpers import login, logout, make_device
from tests.reporting.scenario import build_scenario

# In anything a user reads.
TEXT_LEAKS = {
    "None": re.compile(r"\bNone\b"),
    "True": re.compile(r"\bTrue\b"),
    "False": re.compile(r"\bFalse\b"),
    "ISO timestamp": re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"),
    "Decimal": re.compile(r"Decimal\("),
    "object repr": re.compile(r"object at 0x"),
}
# In a table cell (a list's cell, a sheet's value).
CELL_LEAKS = {
    "Python list": re.compile(r"\[[^\]]*\]"),
    "English decimal": re.compile(r"^-?\d+\.\d+$"),
    "ISO date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}
SKIPPED = {"script", "style", "template", "noscript"}


class VisibleText(HTMLParser):
    """The text a reader sees (no script, style, tag or attribute), and each table cell's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.chunks: list[str] = []
        self.cells: list[str] = []
        self.cell: list[str] | None = None
        self.lang: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in SKIPPED:
            self.skipping += 1
        if tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1
        if tag in ("td", "th") and self.cell is not None:
            self.cells.append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.skipping:
            return
        self.chunks.append(data)
        if self.cell is not None:
            self.cell.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def read(html: str) -> VisibleText:
    page = VisibleText()
    page.feed(html)
    page.close()
    return page


def leaks(html: str) -> list[str]:
    """What a reader of the page would see of Python: one line per finding."""
    page = read(html)
    found = [f"{name}: …{page.text[max(0, m.start() - 60):m.end() + 30]}…"
             for name, pattern in TEXT_LEAKS.items() for m in pattern.finditer(page.text)]
    found += [f"{name} in a cell: {cell!r}" for cell in page.cells
              for name, pattern in CELL_LEAKS.items() if pattern.search(cell)]
    return found


def test_the_page_reader_sees_what_a_reader_sees():
    """The scanner reads text, not markup: an attribute or a script may hold anything."""
    html = ('<html lang="fr"><body><script>var x = [1, 2]; if (None) {}</script>'
            '<input value="True"><a title="2026-01-01 10:00">ok</a>'
            '<table><tr><th>Actif</th><td>Oui</td><td>1,6</td></tr></table></body></html>')
    assert leaks(html) == []
    assert read(html).lang == "fr"
    shown = ('<table><tr><td>None</td><td>[Admin]</td><td>8.0</td><td>2026-12-04</td>'
             '<td>2026-12-04 00:21:58.153776+00:00</td><td>Decimal(\'1\')</td>'
             '<td>&lt;Device object at 0x7f&gt;</td><td>True</td></tr></table>')
    kinds = {finding.split(":")[0].removesuffix(" in a cell") for finding in leaks(shown)}
    assert kinds == {"None", "True", "Python list", "English decimal", "ISO date", "ISO timestamp", "Decimal",
                     "object repr"}


@pytest.fixture
def rows(app, session):
    """At least one row of every model an Admin's list or show page reads: the reporting
    scenario (devices, collections, households, reservations, a workshop…), a device with
    decimals and empty fields as the issue saw it, a spare part, an inactive location, a group
    (for FAB's groups page, where the app has one)."""
    data = build_scenario(app, session)
    shop = data["shop"]
    device = make_device(session, shop["collection"].id, specs={"ram_gb": "8.0", "screen_in": "24.0"},
                         weight_kg="1.600")
    assert device.imei is None and device.cpu is None and device.grade is None
    add_stock(session, part_type="battery", description="Batterie Dell 68 Wh", location=shop["bin_b"].code,
              quantity=3, harvested_from=device)
    update_location(session, shop["bin_b"].id, name="Bac B02", kind="bin", active=False)
    sm = app.appbuilder.sm
    group = sm.add_group("atelier", "Atelier", "Les techniciens de l'atelier", roles=[sm.find_role("Technicien")])
    session.execute(update(Device).where(Device.id == device.id).values(os=""))
    session.commit()
    yield data
    # Accounts, roles and groups outlive a test: the group goes. (It has no member: FAB flushes
    # Group.users for its own User class only, and refuses the app's RekonektUser there.)
    session.rollback()
    session.delete(group)
    session.commit()


SHOW_LINK = re.compile(r'href="([^"]*/show/[^"?]+)')


def model_views(app):
    return [view for view in app.appbuilder.baseviews if hasattr(view, "datamodel") and hasattr(view, "list_widget")]


def test_no_python_value_on_any_list_or_show_page(app, client, rows):
    login(client, "admin")
    problems: dict[str, list[str]] = {}
    walked_shows = 0
    for view in model_views(app):
        name = type(view).__name__
        answer = client.get(f"{view.route_base}/list/")
        assert answer.status_code == 200, (name, answer.status_code)
        html = answer.get_data(as_text=True)
        if found := leaks(html):
            problems[f"{view.route_base}/list/"] = found
        model = view.datamodel.obj
        has_rows = db.session.execute(select(func.count()).select_from(model)).scalar_one() > 0
        links = sorted(set(SHOW_LINK.findall(html)))
        if has_rows and "can_show" in view.base_permissions and links == [] and "/show/" in html:
            pytest.fail(f"{name}: rows but no show link read")
        for link in links[:5]:
            page = client.get(link.replace("&amp;", "&"))
            assert page.status_code == 200, (link, page.status_code)
            walked_shows += 1
            if found := leaks(page.get_data(as_text=True)):
                problems[link] = found
    assert walked_shows >= 10, walked_shows
    assert problems == {}, "\n".join(f"{page}:\n  " + "\n  ".join(found) for page, found in problems.items())


def test_every_list_has_rows_to_walk(app, client, rows):
    """The walk above proves something only where a list has rows: every model view but FAB's
    permission tables (empty: roles are defined in code) has at least one."""
    empty = []
    for view in model_views(app):
        model = view.datamodel.obj
        if db.session.execute(select(func.count()).select_from(model)).scalar_one() == 0:
            empty.append(model.__tablename__)
    assert set(empty) <= {"ab_permission", "ab_view_menu", "ab_permission_view"}, empty


def test_the_device_sheet_shows_french_values(app, client, rows):
    """The issue's device sheet: « IMEI None », « Enregistré le 2026-12-04 00:21:58.153776+00:00 »,
    « Mémoire vive 8.0 », « Poids 1.600 », « Écran (pouces) 24.0 »."""
    login(client, "admin")
    device = db.session.execute(select(Device).where(Device.weight_kg == Decimal("1.600"))).scalar_one()
    page = read(client.get(f"/devices/show/{device.id}").get_data(as_text=True))
    cells = page.cells
    shown = dict(zip(cells[::2], cells[1::2]))

    def value(label):
        index = cells.index(label)
        return cells[index + 1]

    assert value("IMEI") == "—" and value("Processeur") == "—" and value("Note") == "—"
    assert value("Mémoire vive (Go)") == "8"
    assert value("Écran (pouces)") == "24"
    assert value("Poids (kg)") == "1,6"
    assert value("Système d'exploitation") == "—"
    assert value("Enregistré le") == to_local(device.created_at).strftime("%d/%m/%Y %H:%M"), shown


def test_locations_users_and_epci_show_oui_non_and_names(app, client, rows):
    login(client, "admin")
    locations = read(client.get("/locations/list/").get_data(as_text=True)).cells
    assert "Oui" in locations and "Non" in locations
    assert "True" not in locations and "False" not in locations
    epci = read(client.get("/epci/list/").get_data(as_text=True)).cells
    assert "Non" in epci
    users = read(client.get("/users/list/").get_data(as_text=True)).cells
    assert "Technicien" in users and "—" in users


@pytest.mark.parametrize("username", sorted(USERS))
def test_the_profile_page_of_every_role(app, client, rows, username):
    """« Actif ? True », « Rôle [Technicien] » on the profile page."""
    login(client, username)
    html = client.get("/users/userinfo/").get_data(as_text=True)
    assert leaks(html) == []
    cells = read(html).cells
    assert "Oui" in cells
    role = USERS[username][0]
    assert role in cells


PAGES = ["/", "/devices/list/", "/users/userinfo/", "/scan/", "/swagger/v1", "/dashboard/", "/households/",
         "/no-such-page", "/devices/show/999999999"]


def test_every_page_says_it_is_french(app, client, rows):
    anonymous = client.get("/login/")
    assert read(anonymous.get_data(as_text=True)).lang == "fr"
    assert read(client.get("/no-such-page").get_data(as_text=True)).lang == "fr"
    login(client, "admin")
    for path in PAGES:
        answer = client.get(path, follow_redirects=True)
        assert "text/html" in answer.content_type, path
        assert read(answer.get_data(as_text=True)).lang == "fr", path
    logout(client)

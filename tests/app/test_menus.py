"""A menu shows only what the role may open (issue 16, defect 5): for every role, every entry of
the menu, walked as the navbar walks it (``appbuilder.menu`` and ``menu_access``), and every link
of the home page answers 200, never 403. « Ateliers » answered 403 to the EPCI agents and the
prescripteur; Admin's security menu led to empty tables and a chart loaded from the internet."""
from __future__ import annotations

import re
from html import unescape

import pytest
from flask import g
from flask_login import login_user, logout_user

from app.extensions import db
from tests.conftest import USERS
from tests.helpers import login, make_workshop

ROLES = sorted(USERS)


@pytest.fixture
def partner_bound(app, session):
    """The Partenaire bound to a donor, as in the demo (their dashboard needs one)."""
    shop = make_workshop(session)
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = shop["donor"].id
    db.session.commit()
    yield
    partner.organisation_id = None
    db.session.commit()


def walk(app, username: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The menu as the navbar shows it to ``username`` (appbuilder/navbar_menu.html: an entry or a
    category is shown when the role has ``menu_access`` on its name): (category, label, URL) of
    each entry, and the categories shown with no entry in them."""
    sm = app.appbuilder.sm
    entries, empty = [], []
    with app.test_request_context("/"):
        principal = sm.load_user(sm.find_user(username).id)
        login_user(principal)
        g.user = principal
        for item in app.appbuilder.menu.get_list():
            if not sm.has_access("menu_access", item.name):
                continue
            if not item.childs:
                entries.append(("", str(item.label), item.get_url()))
                continue
            children = [c for c in item.childs if c.name != "-" and sm.has_access("menu_access", c.name)]
            if not children:
                empty.append(str(item.label))
            entries.extend((str(item.label), str(c.label), c.get_url()) for c in children)
        logout_user()
    return entries, empty


def navbar_links(html: str) -> list[str]:
    menu = html[html.index('<ul class="nav navbar-nav">'):html.index('<ul class="nav navbar-nav navbar-right">')]
    return [unescape(h) for h in re.findall(r'href="([^"#][^"]*)"', menu)]


def home_links(html: str) -> list[str]:
    actions = html[html.index('<div class="rk-actions">'):]
    actions = actions[:actions.index("</div>")]
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', actions)]


@pytest.mark.parametrize("username", ROLES)
def test_every_menu_entry_and_home_link_opens_for_its_role(app, client, session, partner_bound, username):
    entries, empty = walk(app, username)
    assert entries, f"{username} has no menu"
    assert empty == [], f"{username} sees empty categories: {empty}"
    login(client, username)
    home = client.get("/").get_data(as_text=True)
    # The navbar shows exactly what the walk found.
    assert sorted(navbar_links(home)) == sorted(url for _, _, url in entries)
    refused = []
    for category, label, url in entries:
        answer = client.get(url)
        if answer.status_code != 200:
            refused.append(f"{category} › {label} ({url}): {answer.status_code}")
    links = home_links(home)
    assert links, f"{username}: no first step on the home page"
    for url in links:
        answer = client.get(url)
        if answer.status_code != 200:
            refused.append(f"home page link {url}: {answer.status_code}")
    assert refused == [], f"{username}:\n" + "\n".join(refused)


EXPECTED_TOP = {
    "admin": ["Poste de scan", "Foyers", "Inventaire", "Remise", "Ateliers", "Tableau de bord", "Administration"],
    "technicien": ["Poste de scan", "Inventaire", "Remise", "Ateliers"],
    "agent.cacem": ["Foyers", "Inventaire", "Ateliers", "Tableau de bord"],
    "agent.espacesud": ["Foyers", "Inventaire", "Ateliers", "Tableau de bord"],
    "prescripteur": ["Foyers", "Ateliers"],
    "animateur": ["Ateliers"],
    "partenaire": ["Tableau de bord"],
}


@pytest.mark.parametrize("username", ROLES)
def test_each_role_s_menu(app, session, username):
    entries, _ = walk(app, username)
    top = list(dict.fromkeys(category or label for category, label, _ in entries))
    assert top == EXPECTED_TOP[username]


def test_admin_s_administration_menu_holds_only_what_applies(app, session):
    entries, _ = walk(app, "admin")
    administration = [label for category, label, _ in entries if category == "Administration"]
    assert administration == ["Utilisateurs", "Rôles", "Jetons de poste", "Règles d'éligibilité", "Grilles de prix solidaires",
                              "Grilles de contrôle qualité", "Journal des accès aux ressources", "Communes", "EPCI"]
    labels = {label for _, label, _ in entries}
    for gone in ("Statistiques utilisateurs", "Permissions de base", "Vues/Menus", "Permission des vues/menus",
                 "Groupes", "Sécurité"):
        assert gone not in labels


def test_mobile_units_are_in_the_handover_menu_of_admin_only(app, session):
    """« Unités mobiles » (issue 20) sits in « Remise » beside the invoices, for Admin alone."""
    admin, _ = walk(app, "admin")
    assert "/mobile-units/" in [url for category, _, url in admin if category == "Remise"]
    for username in ROLES:
        if username != "admin":
            entries, _ = walk(app, username)
            assert "/mobile-units/" not in [url for _, _, url in entries], username


def test_the_tours_at_the_office_are_in_the_handover_menu_of_the_workshop(app, session):
    """« Tournées » (issue 20) sits in « Remise » for the Technicien and Admin, and nowhere for the
    others (the Animateur keeps « Tournée », the offline page)."""
    for username in ROLES:
        entries, _ = walk(app, username)
        handover = [url for category, _, url in entries if category == "Remise"]
        assert ("/distribution/tours/" in handover) == (username in ("admin", "technicien")), username
        if username not in ("admin", "technicien"):
            assert "/distribution/tours/" not in [url for _, _, url in entries], username

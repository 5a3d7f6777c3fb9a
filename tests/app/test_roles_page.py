"""Admin's security pages (issue 16, defect 4, and the users' labels of defect 3).

Roles are defined in code (``app.roles``, Flask-AppBuilder's built-in roles): the pages that
showed FAB's role, group, permission and view/menu tables (empty, or raw patterns such as
``[['.*', '.*']]``) and the user statistics chart (Google's chart library, loaded from the
internet) are gone. The read-only « Rôles » page shows, in French, what each role may do,
resolved from the grants that FAB enforces against the permissions the application registers.
"""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from app.roles import (
    MENU_ACCESS,
    PERMISSION_LABELS,
    RESOURCE_LABELS,
    ROLES,
    allowed,
    grant,
    READ,
    registered_permissions,
)
from app.security import RekonektUser
from tests.conftest import USERS
from tests.helpers import login

GONE = ["/userstatschartview/chart/", "/groups/list/", "/permissions/list/", "/viewmenus/list/",
        "/permissionviews/list/", "/roles/list/", "/roles/show/1", "/roles/add"]


def page(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def section(html: str, role: str) -> str:
    """The part of the roles page about ``role``."""
    start = html.index(f">{role}</h2>")
    end = html.find("<h2 ", start)
    return html[start:end if end > 0 else len(html)]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_pages_that_do_not_apply_are_gone(app, client, session):
    login(client, "admin")
    for url in GONE:
        assert client.get(url).status_code == 404, url
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not [r for r in rules if r.startswith(("/userstatschartview", "/groups/", "/permissions/",
                                                   "/viewmenus/", "/permissionviews/"))]
    # No page of the app asks for Google's chart loader any more.
    names = {type(v).__name__ for v in app.appbuilder.baseviews}
    assert not names & {"UserStatsChartView", "RoleModelView", "UserGroupModelView", "PermissionModelView",
                        "ViewMenuModelView", "PermissionViewModelView"}


def test_the_roles_page_says_in_french_what_each_role_may_do(app, client, session):
    login(client, "admin")
    answer = client.get("/roles/")
    assert answer.status_code == 200
    html = page(answer)
    assert "[[" not in html and ".*" not in html and "^(" not in html and "can_" not in html
    assert "menu_access" not in html
    for role in ROLES:
        assert f">{role}</h2>" in html
    partner = text_of(section(html, "Partenaire"))
    assert "Tableau de bord consulter" in partner and "Indicateurs consulter" in partner
    assert "Foyers" not in partner and "Appareils" not in partner
    agent = text_of(section(html, "Agent EPCI"))
    assert "Demandes consulter, enregistrer, décider (valider, refuser, demander des pièces)" in agent
    assert "Appareils voir la liste, voir une fiche, consulter" in agent       # read-only stock
    assert "Ateliers" in agent and "Inscriptions aux ateliers" in agent
    assert "Foyers : File des demandes, Foyers, Nouveau foyer" in agent         # its menu
    technicien = text_of(section(html, "Technicien"))
    assert "Foyers" not in technicien and "Poste de scan" in technicien
    assert "Comptes utilisateurs voir son profil" in technicien
    admin = text_of(section(html, "Admin"))
    assert "Comptes utilisateurs voir la liste" in admin and "Rôles consulter" in admin
    assert "Ce rôle n'a aucun droit" in section(html, "Public")


def test_the_roles_page_follows_the_grants(app, client, session, monkeypatch):
    """Changing a grant changes the page (and what FAB enforces) at once: the page is read from
    the role definitions, not written beside them."""
    login(client, "admin")
    before = text_of(section(page(client.get("/roles/")), "Prescripteur"))
    assert "Ateliers" in before and "Appareils" not in before
    sm = app.appbuilder.sm
    changed = dict(sm.builtin_roles)
    changed["Prescripteur"] = [g for g in ROLES["Prescripteur"] if "Workshops" not in g[0]] \
        + grant(("Devices", "Inventory"), READ)
    monkeypatch.setattr(sm, "_builtin_roles", changed)
    after = text_of(section(page(client.get("/roles/")), "Prescripteur"))
    assert "Ateliers" not in after and "Inscriptions aux ateliers" not in after
    assert "Appareils voir la liste, voir une fiche, consulter" in after
    assert "Inventaire : Appareils" in after
    # The page says what FAB now enforces.
    client2 = app.test_client()
    login(client2, "prescripteur")
    assert client2.get("/distribution/workshops/").status_code == 403
    assert client2.get("/devices/list/").status_code == 200


def test_the_resolution_is_the_one_fab_enforces(app, session):
    """``allowed`` grants exactly what FAB's built-in role check grants, for every role and every
    permission the application registers."""
    sm = app.appbuilder.sm
    registered = registered_permissions(app.appbuilder)
    for name, grants in ROLES.items():
        role = sm.find_role(name)
        expected = {(res, perm) for res, perm in registered if sm._has_access_builtin_roles(role, perm, res)}
        assert allowed(grants, registered) == expected, name


def test_every_registered_resource_and_permission_has_a_french_label(app, session):
    registered = registered_permissions(app.appbuilder)
    menu_names = {res for res, perm in registered if perm == MENU_ACCESS}
    resources = {res for res, perm in registered if perm != MENU_ACCESS}
    permissions = {perm for res, perm in registered if perm != MENU_ACCESS}
    assert resources - set(RESOURCE_LABELS) == set(), "add their French label to app.roles.RESOURCE_LABELS"
    assert set(RESOURCE_LABELS) - resources == set(), "labels of resources that no longer exist"
    assert permissions - set(PERMISSION_LABELS) == set(), "add their French label to app.roles.PERMISSION_LABELS"
    assert {"List Users", "Roles", "Workshops", "Administration"} <= menu_names
    with app.test_request_context("/"):
        french = {str(label) for label in RESOURCE_LABELS.values()} | {str(l) for l in PERMISSION_LABELS.values()}
    assert "User accounts" not in french and "Comptes utilisateurs" in french and "voir la liste" in french


# --- the users' pages -------------------------------------------------------------------------------


def test_the_user_form_gives_a_role_and_no_group(app, client, session):
    csrf = login(client, "admin")
    form = page(client.get("/users/add"))
    roles = form[form.index('id="roles"'):]
    roles = roles[:roles.index("</select>")]
    offered = re.findall(r">([^<]+)</option>", roles)
    assert offered == ["Admin", "Technicien", "Agent EPCI", "Partenaire", "Prescripteur", "Animateur"]
    assert 'id="groups"' not in form and "Groupes" not in form
    data = {"csrf_token": csrf, "first_name": "Nadia", "last_name": "Test", "username": "nadia.test",
            "email": "nadia@example.invalid", "active": "y", "password": "Tamarinier en fleur 1972",
            "conf_password": "Tamarinier en fleur 1972"}
    refused = client.post("/users/add", data=data)
    assert refused.status_code == 200 and "Choisissez un rôle." in page(refused)
    technicien = app.appbuilder.sm.find_role("Technicien")
    created = client.post("/users/add", data={**data, "roles": str(technicien.id)})
    assert created.status_code == 302
    try:
        user = session.execute(select(RekonektUser).where(RekonektUser.username == "nadia.test")).scalar_one()
        assert [r.name for r in user.roles] == ["Technicien"]
        edit = page(client.get(f"/users/edit/{user.id}"))
        assert 'id="roles"' in edit and 'id="groups"' not in edit
        agent = app.appbuilder.sm.find_role("Agent EPCI")
        changed = client.post(f"/users/edit/{user.id}", data={
            "csrf_token": csrf, "first_name": "Nadia", "last_name": "Test", "username": "nadia.test",
            "email": "nadia@example.invalid", "active": "y", "roles": str(agent.id)})
        assert changed.status_code == 302
        session.expire_all()
        assert [r.name for r in session.get(RekonektUser, user.id).roles] == ["Agent EPCI"]
    finally:
        session.rollback()
        user = session.execute(select(RekonektUser).where(RekonektUser.username == "nadia.test")).scalar_one_or_none()
        if user is not None:
            session.delete(user)
            session.commit()


ENGLISH = ["Login Count", "Failed Login Count", "Login count", "Failed login count", "Last login", "Created on",
           "Changed on", "Created by", "Changed by", "First Name", "Last Name", "User Name", "Is Active?", "Email",
           "Role", "Groups", "User info", "Personal Info", "Audit Info"]


def test_every_column_of_the_users_pages_is_labelled_in_french(app, client, session):
    view = app.appbuilder.sm.user_view
    columns = (set(view.list_columns) | set(view.show_columns) | set(view.search_columns) | set(view.add_columns)
               | set(view.edit_columns)) - {"password", "conf_password"}   # form fields with their own label
    for _, fieldset in view.show_fieldsets + view.user_show_fieldsets:
        columns |= set(fieldset["fields"])
    with app.test_request_context("/"):
        labels = {c: str(view.label_columns.get(c, "")) for c in columns}
    assert all(labels.values()), [c for c, label in labels.items() if not label]
    assert not set(labels.values()) & set(ENGLISH), labels
    assert labels["login_count"] == "Nombre de connexions" and labels["fail_login_count"] == "Connexions échouées"

    admin_id = app.appbuilder.sm.find_user("admin").id
    login(client, "admin")
    for url in ("/users/list/", f"/users/show/{admin_id}", "/users/userinfo/", "/users/add", f"/users/edit/{admin_id}"):
        html = page(client.get(url))
        shown = text_of(html)
        for english in ENGLISH:
            assert f" {english} " not in f" {shown} " and f">{english}<" not in html, (url, english)
    show = text_of(page(client.get(f"/users/show/{admin_id}")))
    assert "Nombre de connexions" in show and "Connexions échouées" in show and "Dernière connexion" in show


@pytest.mark.parametrize("url", ["/users/list/", "/devices/list/"])
def test_the_delete_dialog_speaks_french(app, client, session, url):
    login(client, "admin")
    html = page(client.get(url))
    dialog = html[html.index('id="modal-confirm"'):]
    dialog = dialog[:dialog.index('id="modal-confirm-ok"') + 200]
    assert 'data-dismiss="modal">Annuler</button>' in dialog and ">Cancel<" not in html
    assert "Confirmation nécessaire" in dialog


@pytest.mark.parametrize("username", sorted(USERS))
def test_no_role_reaches_the_roles_page_but_admin(app, client, session, username):
    login(client, username)
    assert client.get("/roles/").status_code == (200 if username == "admin" else 403)

"""The roles, defined in code and checked in memory by Flask-AppBuilder (``FAB_ROLES``).

A grant is a pair of regular expressions (resource, permission). FAB matches them with
``re.match``, which anchors only at the start, so every pattern here is anchored at both ends:
``^DeviceView$`` must not also grant ``DeviceViewAdmin``.

Resources are the ``class_permission_name`` of views and APIs, and menu names for
``menu_access``. Adding a view means adding its name here (its grants, and its French label in
``RESOURCE_LABELS``), and ``tests/app/test_roles.py`` checks every role against every endpoint.

What a role may do is shown to Admin on the « Rôles » page (``app.views.roles``), resolved from
these grants against the permissions the application really registers (``role_rights``): the
page cannot drift from what Flask-AppBuilder enforces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from flask_babel import lazy_gettext as _l

from core.actor import ADMIN, AGENT_EPCI, ANIMATEUR, PARTENAIRE, PRESCRIPTEUR, PUBLIC, TECHNICIEN

READ = ("can_list", "can_show", "can_read", "can_download", "menu_access")
WRITE = READ + ("can_add", "can_edit", "can_write", "can_import")

# Resource groups (class permission names and menu names).
STOCK_READ = (
    "Devices",          # device list/show (UI) and GET device API
    "Checklists",
    "Collections",
    "Organisations",
    "Sites",
    "Inventory",        # menu category
)
WORKSHOP = (
    "Devices",
    "Erasures",
    "Snapshots",        # POST /api/v1/snapshots (station tokens too) and the « Instantanés en attente » page
    "Checklists",
    "Repairs",
    "Spare parts",
    "Labels",
    "Print stations",
    "Collections",
    "Organisations",
    "Sites",
    "Locations",
    "Scan",
    "Erasure queue",
    "Snapshot queue",   # menu entry: the snapshots and disks a technician settles by hand
    "Stocktakes",       # stocktakes (inventaires): pages and API (issue 19)
    "Inventory",
)
# Read-only: the pages stay open to them, the Administration menu (where they are listed) does not.
REFERENCE_READ = ("Communes",)
# Households and requests; rows are further scoped by eligibility.access (own EPCI, own referrals).
ELIGIBILITY = (
    "Households",         # household pages and API
    "Requests",           # request pages, queue and API
    "Eligibility check",  # the stateless simulation (API and page)
    "Eligibility",        # menu category
    "Request queue",      # menu entry
    "New household",      # menu entry
)
DECIDE = ("can_decide",)  # validate / refuse / ask for documents: EPCI agents (and Admin)
# The handover: waiting list, reservations, invoices and credit notes, workshop sessions.
DISTRIBUTION = (
    "Waiting list",       # validated requests and their matching devices (page)
    "Reservations",       # reservations and the handover (pages and API)
    "Invoices",           # invoices, their PDF and credit notes (pages and API)
    "Workshops",          # workshop sessions (pages and API) and the menu category
    "Bookings",           # bookings: cancel, attendance (API)
    "Tour office",        # the tours back at the office: records sent back, settling them (issue 20)
    "Distribution",       # menu category
)
# Dashboards, indicators, exports and reports; rows are scoped by reporting.filters.scoped
# (an Agent EPCI sees their EPCI, a Partenaire their own organisation's donations).
REPORTING = (
    "Indicators",         # GET /api/v1/indicators
    "Dashboard",          # the dashboard pages, exports and reports
)
# The mobile workshop offline (issue 20): download a tour, send its records; the rows are scoped in
# distribution.services.tours (an Animateur their own sessions and tours, no device nor invoice).
TOURS = ("Tours",)
# Booking a household they may see on a workshop (agents and prescripteurs); the list of
# upcoming sessions with free seats comes with it.
BOOKING = ("Workshops", "Bookings")


def grant(resources: tuple[str, ...], permissions: tuple[str, ...]) -> list[list[str]]:
    """Anchored grants of ``permissions`` on ``resources``."""
    names = "|".join(sorted(set(resources)))
    perms = "|".join(sorted(set(permissions)))
    return [[f"^({names})$", f"^({perms})$"]]


# The OpenAPI description and its Swagger UI, for every signed-in role.
API_DOCS = grant(("SwaggerView",), ("can_show",)) + grant(("OpenApi",), ("can_get",))

# Every signed-in user sees their own account, edits their name and changes their password.
SELF_SERVICE = (
    grant(("RekonektUserDBModelView",), ("can_userinfo",))
    + grant(("UserInfoEditView", "ResetMyPasswordView"), ("can_this_form_get", "can_this_form_post"))
)
SIGNED_IN = API_DOCS + SELF_SERVICE


ROLES: dict[str, list[list[str]]] = {
    # Everything, including users, roles and reference data.
    ADMIN: [[".*", ".*"]],
    # The workshop: collections, devices, scan, erasures, grading, locations. Never households.
    TECHNICIEN: grant(WORKSHOP + DISTRIBUTION + TOURS, WRITE) + grant(REFERENCE_READ, READ) + SIGNED_IN,
    # Households and requests of their EPCI (row-scoped), the decision, the batch check; stock read-only;
    # booking their households on workshops.
    AGENT_EPCI: (grant(ELIGIBILITY + ("Batch check",) + BOOKING, WRITE + DECIDE) + grant(STOCK_READ + REPORTING, READ)
                 + grant(REFERENCE_READ, READ) + SIGNED_IN),
    # Their own organisation's donations: dashboard, indicators, donor report, certificates.
    PARTENAIRE: grant(REPORTING, READ) + SIGNED_IN,
    # The households they referred (row-scoped) and their requests; no decision.
    PRESCRIPTEUR: grant(ELIGIBILITY + BOOKING, WRITE) + SIGNED_IN,
    # Their own sessions (row-scoped in distribution.access): participants' names, attendance.
    ANIMATEUR: grant(BOOKING + TOURS, WRITE) + SIGNED_IN,
    PUBLIC: [],
}

ALL_ROLES = tuple(ROLES)


# --- What a role may do, in French (the « Rôles » page) -------------------------------------

MENU_ACCESS = "menu_access"

# The French name of every resource the application registers (views, APIs, FAB's account pages).
# tests/app/test_roles_page.py checks that each registered resource has one and none is left over.
RESOURCE_LABELS = {
    "RekonektUserDBModelView": _l("User accounts"),
    "UserInfoEditView": _l("Own account details"),
    "ResetMyPasswordView": _l("Own password"),
    "ResetPasswordView": _l("Other accounts' passwords"),
    "Roles": _l("Roles"),
    "Station tokens": _l("Station tokens"),
    "OpenApi": _l("API description (OpenAPI)"),
    "SwaggerView": _l("API documentation"),
    "MenuApi": _l("Menu (API)"),
    "Devices": _l("Devices"),
    "Collections": _l("Collections"),
    "Organisations": _l("Organisations"),
    "Sites": _l("Sites"),
    "Locations": _l("Locations"),
    "Scan": _l("Scan station"),
    "Erasures": _l("Data erasures"),
    "Snapshots": _l("Hardware snapshots"),
    "Stocktakes": _l("Stocktakes"),
    "Tours": _l("Mobile workshop tours (offline)"),
    "Tour office": _l("Mobile workshop tours at the office (records sent back, settling them)"),
    "Checklists": _l("Quality-control checklists to fill in"),
    "Checklist templates": _l("Quality-control checklists"),
    "Labels": _l("Print labels"),
    "Print stations": _l("Print stations"),
    "Spare parts": _l("Spare-part stock"),
    "Communes": _l("Communes and EPCI"),
    "Households": _l("Households"),
    "Requests": _l("Requests"),
    "Eligibility check": _l("Eligibility simulation"),
    "Batch check": _l("Batch check (CSV/XLSX)"),
    "Rule sets": _l("Eligibility rule sets"),
    "Audit log": _l("Income audit log"),
    "Waiting list": _l("Waiting list"),
    "Reservations": _l("Reservations"),
    "Invoices": _l("Invoices"),
    "MobileUnits": _l("Mobile units"),      # Admin only (no grant to any other role): issue 20
    "Price grids": _l("Solidarity price grids"),
    "Workshops": _l("Workshops"),
    "Bookings": _l("Workshop bookings"),
    "Dashboard": _l("Dashboard"),
    "Indicators": _l("Indicators"),
}

# The French name of every permission, in the order they are listed.
PERMISSION_LABELS = {
    "can_list": _l("see the list"),
    "can_show": _l("see a record"),
    "can_read": _l("consult"),
    "can_get": _l("consult"),
    "can_userinfo": _l("see own profile"),
    "can_download": _l("download"),
    "can_this_form_get": _l("open the form"),
    "can_this_form_post": _l("send the form"),
    "can_add": _l("add"),
    "can_edit": _l("edit"),
    "can_write": _l("record changes"),
    "can_import": _l("import a file"),
    "can_decide": _l("decide (validate, refuse, ask for documents)"),
    "can_declare_lost": _l("declare a tour's device lost or reset"),
    "can_delete": _l("delete"),
    "userinfoedit": _l("edit own information"),
    "resetmypassword": _l("change own password"),
    "resetpasswords": _l("reset a password"),
}


def allowed(grants: Iterable[Iterable[str]], registered: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The registered ``(resource, permission)`` pairs that ``grants`` allow, matched as
    Flask-AppBuilder matches a built-in role's grants (``re.match`` of both patterns)."""
    grants = [tuple(g) for g in grants]
    return {(resource, permission) for resource, permission in registered
            if any(re.match(r, resource) and re.match(p, permission) for r, p in grants)}


def registered_permissions(appbuilder) -> set[tuple[str, str]]:
    """Every ``(resource, permission)`` the application checks: each registered view's and API's
    permissions, and ``menu_access`` on each menu entry and category."""
    pairs = {(view.class_permission_name, permission) for view in appbuilder.baseviews
             for permission in (view.base_permissions or ())}
    for item in appbuilder.menu.get_list():
        for entry in [item, *(item.childs or [])]:
            if entry.name != "-":
                pairs.add((entry.name, MENU_ACCESS))
    return pairs


@dataclass(frozen=True)
class ResourceRights:
    resource: str
    label: str
    permissions: tuple[str, ...]     # French, in PERMISSION_LABELS' order


@dataclass(frozen=True)
class MenuRights:
    label: str
    entries: tuple[str, ...]         # the entries of a category; empty for a top-level entry


@dataclass(frozen=True)
class RoleRights:
    name: str
    resources: tuple[ResourceRights, ...]
    menus: tuple[MenuRights, ...]


def role_rights(name: str, grants, appbuilder) -> RoleRights:
    """What the role ``name`` with ``grants`` may do in this application, in French: the
    resources with their permissions (by French name), and the menu as the navbar shows it."""
    granted = allowed(grants, registered_permissions(appbuilder))
    by_resource: dict[str, set[str]] = {}
    for resource, permission in granted:
        if permission != MENU_ACCESS:
            by_resource.setdefault(resource, set()).add(permission)
    order = {permission: rank for rank, permission in enumerate(PERMISSION_LABELS)}

    def labels(permissions: set[str]) -> tuple[str, ...]:
        ranked = sorted(permissions, key=lambda p: (order.get(p, len(order)), p))
        return tuple(dict.fromkeys(str(PERMISSION_LABELS.get(p, p)) for p in ranked))   # can_read = can_get

    resources = tuple(sorted((ResourceRights(resource, str(RESOURCE_LABELS.get(resource, resource)), labels(perms))
                              for resource, perms in by_resource.items()), key=lambda r: r.label.lower()))
    menus = []
    for item in appbuilder.menu.get_list():
        if (item.name, MENU_ACCESS) not in granted:
            continue
        entries = tuple(str(child.label) for child in (item.childs or [])
                        if child.name != "-" and (child.name, MENU_ACCESS) in granted)
        if item.childs and not entries:
            continue
        menus.append(MenuRights(str(item.label), entries))
    return RoleRights(name, resources, tuple(menus))

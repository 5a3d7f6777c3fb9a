"""The roles, defined in code and checked in memory by Flask-AppBuilder (``FAB_ROLES``).

A grant is a pair of regular expressions (resource, permission). FAB matches them with
``re.match``, which anchors only at the start, so every pattern here is anchored at both ends:
``^DeviceView$`` must not also grant ``DeviceViewAdmin``.

Resources are the ``class_permission_name`` of views and APIs, and menu names for
``menu_access``. Adding a view means adding its name here, and ``tests/app/test_roles.py``
checks every role against every endpoint.
"""
from __future__ import annotations

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
    "Inventory",
)
REFERENCE_READ = ("Communes", "Reference")
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
    "Distribution",       # menu category
)
# Dashboards, indicators, exports and reports; rows are scoped by reporting.filters.scoped
# (an Agent EPCI sees their EPCI, a Partenaire their own organisation's donations).
REPORTING = (
    "Indicators",         # GET /api/v1/indicators
    "Dashboard",          # the dashboard pages, exports and reports
)
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
    TECHNICIEN: grant(WORKSHOP + DISTRIBUTION, WRITE) + grant(REFERENCE_READ, READ) + SIGNED_IN,
    # Households and requests of their EPCI (row-scoped), the decision, the batch check; stock read-only;
    # booking their households on workshops.
    AGENT_EPCI: (grant(ELIGIBILITY + ("Batch check",) + BOOKING, WRITE + DECIDE) + grant(STOCK_READ + REPORTING, READ)
                 + grant(REFERENCE_READ, READ) + SIGNED_IN),
    # Their own organisation's donations: dashboard, indicators, donor report, certificates.
    PARTENAIRE: grant(REPORTING, READ) + SIGNED_IN,
    # The households they referred (row-scoped) and their requests; no decision.
    PRESCRIPTEUR: grant(ELIGIBILITY + BOOKING, WRITE) + SIGNED_IN,
    # Their own sessions (row-scoped in distribution.access): participants' names, attendance.
    ANIMATEUR: grant(BOOKING, WRITE) + SIGNED_IN,
    PUBLIC: [],
}

ALL_ROLES = tuple(ROLES)

"""The Admin's journey in Chromium (issue 16): the accounts, their own profile, the roles page, the
income audit log, the rule sets, price grids and checklists, and the reference data (communes,
EPCI, organisations, sites, locations), each with a value it must show.

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, plain  # noqa: F401  (fixture)
from tests.helpers import actor, make_household, make_workshop

pytestmark = NEEDS_CHROMIUM


ADMIN_PAGES = [
    ("/users/list/", "comptes", "technicien"),
    ("/users/userinfo/", "mon profil", "Admin"),
    ("/roles/", "rôles", "Technicien"),
    ("/eligibility/audit/", "journal des revenus", "Ressources mensuelles : 1 800,00 €"),
    ("/eligibility/rule-sets/", "barèmes", "MQ-"),
    ("/distribution/price-grids/", "grilles tarifaires", "PG-"),
    ("/checklists/", "grilles de contrôle", "Ordinateur portable"),
    ("/communes/list/", "communes", "Le Lamentin"),
    ("/epci/list/", "epci", "CACEM"),
    ("/organisations/list/", "organisations", "Donateur Test"),
    ("/sites/list/", "sites", "Atelier Test"),
    ("/locations/list/", "emplacements", "LOC-LAM-A01"),
]


def test_admin_accounts_roles_audit_and_reference_data(app, journey, session):
    shop = make_workshop(session)
    household = make_household(app, session, "prescripteur", last_name="Louis-Joseph", first_name="Maëlys")
    from eligibility.services.requests import create_request, decide_request

    decide_request(session, actor(app, "agent.cacem"),
                   create_request(session, actor(app, "prescripteur"), household, "laptop"), "validate")
    walk = journey("admin")
    page = walk.page
    for path, step, expected in ADMIN_PAGES:
        walk.goto(path, step)
        assert expected in plain(page.inner_text("body")), (path, expected)
    user = app.appbuilder.sm.find_user("agent.cacem")
    walk.goto(f"/users/show/{user.id}", "fiche d'un compte")
    assert "CACEM" in page.inner_text("body")
    walk.goto(f"/locations/show/{shop['bin_a'].id}", "fiche d'un emplacement")
    assert "LOC-LAM-A01" in page.inner_text("body")
    walk.finish()

"""The income audit log page (issue 16, defect 3): field names by their French label and values
written for people; no key, no ``None``, no Python list."""
from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from eligibility.services.households import update_income
from eligibility.services.requests import create_request, decide_request
from tests.helpers import actor, login, make_household


def test_the_audit_log_reads_in_french(app, client, session):
    household = make_household(app, session)
    update_income(session, actor(app, "agent.cacem"), household, monthly_resources=Decimal("1250"),
                  resources_proof="caf")
    decide_request(session, actor(app, "admin"), create_request(session, actor(app, "prescripteur"), household,
                                                                "laptop"), "validate")
    login(client, "admin")
    page = unescape(client.get(f"/eligibility/audit/?reference={household.reference}").get_data(as_text=True))
    log = page[page.index("<tbody>"):page.index("</tbody>")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", log)).replace("\u00a0", " ")
    for shown in ("Ressources mensuelles : 1 800,00 € → 1 250,00 €", "Justificatif des ressources : — → Attestation CAF",
                  "Membres du foyer : Demandeur né le 02/04/1980, Conjoint de 45 ans et Enfant de 9 ans",
                  "Statut de la demande : Déposée → Validée", "Décision automatique écartée : Non"):
        assert shown in text, shown
    for raw in ("monthly_resources", "resources_proof", "members", "status", "None", "[", "]", "head:", "1250.00"):
        assert raw not in text, raw

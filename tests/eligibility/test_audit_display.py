"""The income audit log as people read it (issue 16, defect 3): French field names, amounts,
labels and members; never ``monthly_resources : 1250.00``, ``None`` or ``['submitted', …]``."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from eligibility.audit_display import FIELD_LABELS, describe_changes, member_text, value_text

NBSP = "\u00a0"


def test_a_creation_reads_in_french():
    described = describe_changes({"monthly_resources": "1250.00", "resources_proof": None, "benefits": [],
                                  "members": ["head:1979-07-14", "spouse:1981-02-03", "child:12 ans",
                                              "other:1950-01-01"]})
    assert described == [
        ("Ressources mensuelles", f"1{NBSP}250,00{NBSP}€"),
        ("Justificatif des ressources", "—"),
        ("Prestations", "—"),
        ("Membres du foyer", "Demandeur né le 14/07/1979, Conjoint né le 03/02/1981, Enfant de 12 ans et "
                             "Autre personne du foyer née le 01/01/1950"),
    ]


def test_changes_read_before_and_after():
    described = dict(describe_changes({
        "monthly_resources": ["1250.00", "1400.50"], "resources_proof": [None, "tax_notice"],
        "benefits": [[], ["RSA", "ASPA"]], "members": [["head:1979-07-14"], ["head:1979-07-14", "child:3 ans"]]}))
    assert described == {
        "Ressources mensuelles": f"1{NBSP}250,00{NBSP}€ → 1{NBSP}400,50{NBSP}€",
        "Justificatif des ressources": "— → Avis d'imposition",
        "Prestations": "— → RSA et ASPA",
        "Membres du foyer": "Demandeur né le 14/07/1979 → Demandeur né le 14/07/1979 et Enfant de 3 ans",
    }


def test_a_decision_reads_with_status_labels_yes_no_and_dashes():
    described = describe_changes({"request": 12, "status": ["submitted", "validated"], "tier": 2,
                                  "overridden": False, "note": None})
    assert described == [("Demande", "n° 12"), ("Statut de la demande", "Déposée → Validée"), ("Palier", "2"),
                         ("Décision automatique écartée", "Non"), ("Justification", "—")]
    assert describe_changes({"status": ["pending_documents", "refused"], "overridden": True,
                             "note": "Ressources au-dessus du plafond"}) == [
        ("Statut de la demande", "Pièces demandées → Refusée"), ("Décision automatique écartée", "Oui"),
        ("Justification", "Ressources au-dessus du plafond")]
    assert describe_changes({"format": "pdf"}) == [("Format de l'export", "PDF")]
    assert describe_changes({}) == [] and describe_changes(None) == []


def test_two_benefits_are_a_list_not_a_change():
    assert describe_changes({"benefits": ["RSA", "ASPA"]}) == [("Prestations", "RSA et ASPA")]


@pytest.mark.parametrize("value, text", [
    ("head:1979-07-14", "Demandeur né le 14/07/1979"), ("child:0 ans", "Enfant de 0 ans"),
    ("parent:80 ans", "Parent de 80 ans"), ("spouse:", "Conjoint"),
])
def test_member_text(value, text):
    assert member_text(value) == text


def test_no_python_value_reaches_the_text():
    for field in FIELD_LABELS:
        for value in (None, True, False, [], "", ["x", "y"], Decimal("1.5")):
            text = value_text(field, value)
            assert text not in ("None", "True", "False", "[]", "") and not re.search(r"[\[\]']", text), (field, value)


def test_every_key_the_services_write_has_a_label(app, session):
    """A household created, read, its income changed, a request decided, exported: every key in
    the log has its French label."""
    from eligibility.models import AuditEntry
    from eligibility.services.export import export_household
    from eligibility.services.households import read_household, update_income
    from eligibility.services.requests import create_request, decide_request
    from tests.helpers import actor, make_household

    household = make_household(app, session)
    read_household(session, actor(app, "agent.cacem"), household.id)
    update_income(session, actor(app, "agent.cacem"), household, monthly_resources=Decimal("1500"),
                  resources_proof="caf", benefits=["RSA"])
    item = create_request(session, actor(app, "prescripteur"), household, "laptop")
    decide_request(session, actor(app, "admin"), item, "validate")
    export_household(session, actor(app, "admin"), household, "json")
    keys = {key for entry in session.query(AuditEntry).all() for key in entry.changes}
    assert keys and keys <= set(FIELD_LABELS), keys - set(FIELD_LABELS)
    for entry in session.query(AuditEntry).all():
        for label, text in describe_changes(entry.changes):
            assert label in FIELD_LABELS.values() and "None" not in text and "[" not in text, (label, text)

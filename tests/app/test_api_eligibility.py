"""Eligibility through the API: the stateless check, households, requests and decisions, with
the row-level rule (another EPCI's household is 404) and the four-eyes rule."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from core.territory import Epci
from eligibility.models import AuditEntry, Household
from tests.helpers import bearer, household_body

CHECK = {"commune_insee": "97213", "members": [{"age": 45}, {"age": 41}, {"age": 12}],
         "monthly_resources": 2000, "benefits": []}


def post(client, username, url, body):
    return client.post(url, json=body, headers=bearer(client, username))


def get(client, username, url):
    return client.get(url, headers=bearer(client, username))


def create(client, username="prescripteur", **overrides):
    answer = post(client, username, "/api/v1/households", household_body(**overrides))
    assert answer.status_code == 201, answer.json
    return answer.json


def test_check_gives_the_decision_with_french_reasons(client):
    answer = post(client, "prescripteur", "/api/v1/eligibility/check", CHECK)
    assert answer.status_code == 200, answer.json
    # 1 + 0.5 + 0.3 = 1.8 UC; 2 000 / 1.8 = 1 111.11 €/UC: tier 2 (≤ 1 288 €).
    assert answer.json == {
        "eligible": True, "tier": 2, "consumption_units": "1.8", "resources_per_uc": "1111.11", "epci": "CACEM",
        "rule_set": "MQ-2026.1", "reasons": answer.json["reasons"]}
    reasons = answer.json["reasons"]
    assert reasons[0] == "Le foyer habite en Martinique, sur le territoire de CACEM."
    assert "1,8 unités" in reasons[1] and "1\u00a0111,11\u00a0€" in reasons[2] and "palier 2" in reasons[3].lower()


def test_check_refuses_bad_input_in_french(client):
    answer = post(client, "agent.cacem", "/api/v1/eligibility/check",
                  {**CHECK, "benefits": ["XYZ"], "monthly_resources": -1})
    assert answer.status_code == 422
    assert answer.json["errors"]["monthly_resources"] == ["Les ressources ne peuvent pas être négatives."]
    assert "Codes acceptés : RSA, RSO" in answer.json["errors"]["benefits"][0]
    answer = post(client, "agent.cacem", "/api/v1/eligibility/check", {"commune_insee": "97213", "members": [{}]})
    assert answer.status_code == 422
    assert "members.0.age" in answer.json["errors"] and "monthly_resources" in answer.json["errors"]
    answer = client.post("/api/v1/eligibility/check", data="{", headers={**bearer(client, "agent.cacem"),
                                                                          "Content-Type": "application/json"})
    assert answer.status_code == 400 and "JSON mal formé" in answer.json["message"]


def test_household_entry_reference_phone_and_members(client, session):
    created = create(client)
    assert created["reference"].startswith("FOY-") and len(created["reference"]) == len("FOY-2026-00001")
    assert created["warnings"] == []
    shown = get(client, "prescripteur", f"/api/v1/households/{created['id']}").json
    assert shown["phone"] == "+596696123456" and shown["phone_display"] == "0696 12 34 56"
    assert [m["relation"] for m in shown["members"]] == ["head", "spouse", "child"]
    assert shown["epci"] == "CACEM" and shown["monthly_resources"] == "1800.00"


@pytest.mark.parametrize("phone", ["0612345678", "+33 6 12 34 56 78", "0596 12", "téléphone"])
def test_household_entry_refuses_non_martinique_phones(client, phone):
    answer = post(client, "prescripteur", "/api/v1/households", household_body(phone=phone))
    assert answer.status_code == 422
    assert answer.json["errors"]["phone"] == [
        "Numéro de Martinique attendu : 0596…, 0696…, 0697… (10 chiffres) ou au format international +596…"]


def test_household_entry_is_all_or_nothing(client, session):
    answer = post(client, "prescripteur", "/api/v1/households",
                  household_body(members=[{"age": 9}], commune_insee="97213"))
    assert answer.status_code == 422
    assert answer.json["errors"]["members"] == ["Le foyer doit compter au moins une personne de 14 ans ou plus."]
    answer = post(client, "prescripteur", "/api/v1/households", household_body(commune_insee="75056"))
    assert answer.status_code == 422 and "34 communes de Martinique" in answer.json["errors"]["commune_insee"][0]
    assert session.execute(select(Household)).first() is None


def test_agent_cannot_enter_a_household_of_another_epci(client):
    answer = post(client, "agent.espacesud", "/api/v1/households", household_body())
    assert answer.status_code == 422
    assert answer.json["errors"]["commune_insee"] == [
        "Le Lamentin relève de l'EPCI CACEM : seul un agent de cet EPCI peut y enregistrer un foyer."]


def test_row_level_access_for_every_role(client):
    cacem = create(client, "prescripteur")                                      # Le Lamentin, CACEM
    sud = create(client, "agent.espacesud", commune_insee="97206", phone="0596 11 22 33",
                 last_name="Louis", first_name="Marc")                          # Le Diamant, Espace Sud
    expectations = {
        "admin": {cacem["id"], sud["id"]},
        "agent.cacem": {cacem["id"]},
        "agent.espacesud": {sud["id"]},
        "prescripteur": {cacem["id"]},
    }
    for username, visible in expectations.items():
        listed = {h["id"] for h in get(client, username, "/api/v1/households").json["result"]}
        assert listed == visible, username
        for household in (cacem["id"], sud["id"]):
            answer = get(client, username, f"/api/v1/households/{household}")
            assert answer.status_code == (200 if household in visible else 404), (username, household)
            if answer.status_code == 404:
                assert answer.json == {"message": "Foyer introuvable."}
    # An unknown id answers exactly like another EPCI's household.
    assert get(client, "agent.cacem", "/api/v1/households/999999").json == {"message": "Foyer introuvable."}
    for username in ("technicien", "partenaire", "animateur"):
        assert get(client, username, f"/api/v1/households/{cacem['id']}").status_code == 403
        assert get(client, username, "/api/v1/households").status_code == 403


def test_duplicates_are_flagged_without_revealing_the_other_household(client):
    create(client, "agent.espacesud", commune_insee="97206")          # same person, entered in Espace Sud
    answer = post(client, "prescripteur", "/api/v1/households",
                  household_body(last_name="JEAN BAPTISTE", first_name="eloise", phone="0697 00 00 01"))
    assert answer.status_code == 201
    assert answer.json["warnings"] == ["Un foyer avec ces informations existe déjà dans l'EPCI Espace Sud."]
    # Same phone, different name: also flagged; with confirm_duplicate false, nothing is written.
    answer = post(client, "prescripteur", "/api/v1/households",
                  household_body(last_name="Autre", first_name="Nom", confirm_duplicate=False))
    assert answer.status_code == 409
    assert answer.json["duplicates"] == ["Un foyer avec ces informations existe déjà dans l'EPCI Espace Sud."]
    assert "Louis" not in str(answer.json) and "97206" not in str(answer.json)


def _request(client, username, household, category="laptop"):
    return post(client, username, "/api/v1/requests", {"household_id": household, "category": category})


def test_request_preview_and_validation_by_the_epci_agent(client):
    household = create(client)["id"]
    answer = _request(client, "prescripteur", household)
    assert answer.status_code == 201, answer.json
    item = answer.json
    assert item["status"] == "submitted"
    assert item["preview"]["eligible"] is True and item["preview"]["tier"] == 1
    assert item["preview"]["rule_set"] == "MQ-2026.1"
    # The prescripteur may not decide; the agent of another EPCI does not even see it.
    assert post(client, "prescripteur", f"/api/v1/requests/{item['id']}/decision", {"action": "validate"}).status_code == 403
    assert post(client, "agent.espacesud", f"/api/v1/requests/{item['id']}/decision",
                {"action": "validate"}).status_code == 404
    answer = post(client, "agent.cacem", f"/api/v1/requests/{item['id']}/decision", {"action": "validate"})
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "validated" and answer.json["tier"] == 1 and answer.json["overridden"] is False
    assert answer.json["valid_until"] is not None
    answer = post(client, "agent.cacem", f"/api/v1/requests/{item['id']}/decision", {"action": "refuse",
                                                                                     "justification": "x"})
    assert answer.status_code == 409
    queue = get(client, "agent.cacem", "/api/v1/requests?status=validated").json
    assert [r["id"] for r in queue["result"]] == [item["id"]]
    assert get(client, "agent.espacesud", "/api/v1/requests").json["count"] == 0


def test_four_eyes_rule_and_single_agent_epci(client, session):
    household = create(client, "agent.cacem")["id"]          # the agent entered the income
    item = _request(client, "agent.cacem", household).json
    answer = post(client, "agent.cacem", f"/api/v1/requests/{item['id']}/decision", {"action": "validate"})
    assert answer.status_code == 403
    assert answer.json["message"].startswith("Règle des quatre yeux")
    # Refusing or asking for documents is not validating.
    answer = post(client, "agent.cacem", f"/api/v1/requests/{item['id']}/decision",
                  {"action": "ask_documents", "justification": "Avis d'imposition 2025"})
    assert answer.status_code == 200 and answer.json["status"] == "pending_documents"
    cacem = session.execute(select(Epci).where(Epci.short_name == "CACEM")).scalar_one()
    cacem.single_agent = True
    session.commit()
    try:
        answer = post(client, "agent.cacem", f"/api/v1/requests/{item['id']}/decision", {"action": "validate"})
        assert answer.status_code == 200 and answer.json["status"] == "validated"
    finally:
        cacem.single_agent = False
        session.commit()


def test_override_needs_a_justification_and_is_flagged(client):
    household = create(client, monthly_resources="9000")["id"]           # 5 000 €/UC: not eligible
    item = _request(client, "prescripteur", household).json
    assert item["preview"]["eligible"] is False
    url = f"/api/v1/requests/{item['id']}/decision"
    answer = post(client, "agent.cacem", url, {"action": "validate", "tier": 3})
    assert answer.status_code == 422 and "Justification écrite obligatoire" in answer.json["errors"]["justification"][0]
    answer = post(client, "agent.cacem", url, {"action": "validate"})
    assert answer.status_code == 422 and "tier" in answer.json["errors"]
    answer = post(client, "agent.cacem", url, {"action": "validate", "tier": 3,
                                                "justification": "Perte d'emploi le mois dernier, justificatif vu."})
    assert answer.status_code == 200 and answer.json["overridden"] is True and answer.json["tier"] == 3


def test_refusal_needs_a_reason(client):
    household = create(client)["id"]
    item = _request(client, "prescripteur", household).json
    url = f"/api/v1/requests/{item['id']}/decision"
    answer = post(client, "agent.cacem", url, {"action": "refuse"})
    assert answer.status_code == 422 and answer.json["errors"]["justification"]
    answer = post(client, "agent.cacem", url, {"action": "refuse", "justification": "Ressources non justifiées."})
    assert answer.json["status"] == "refused" and answer.json["overridden"] is True   # the rules said tier 1


def test_one_open_request_per_category_and_reequipment_rule(app, client, session):
    from eligibility.models import Request
    from eligibility.services.requests import mark_equipped
    from core.clock import utcnow

    household = create(client)["id"]
    first = _request(client, "prescripteur", household).json
    answer = _request(client, "prescripteur", household)
    assert answer.status_code == 409 and "déjà en cours" in answer.json["message"]
    assert _request(client, "prescripteur", household, "smartphone").status_code == 201
    post(client, "agent.cacem", f"/api/v1/requests/{first['id']}/decision", {"action": "validate"})
    item = session.get(Request, first["id"])
    mark_equipped(session, item, utcnow() - timedelta(days=300))
    session.commit()
    answer = _request(client, "prescripteur", household)
    assert answer.status_code == 409
    assert answer.json["message"].startswith("Ce foyer a déjà reçu un appareil de la catégorie « Ordinateur portable » le ")
    # Equipped more than 24 months ago: a new request is accepted.
    item.equipped_at = utcnow() - timedelta(days=800)
    session.commit()
    assert _request(client, "prescripteur", household).status_code == 201


def test_reads_and_changes_of_income_are_audited_and_admin_only(client, session):
    household = create(client)["id"]
    get(client, "agent.cacem", f"/api/v1/households/{household}")
    get(client, "agent.espacesud", f"/api/v1/households/{household}")       # 404: not a read
    rows = session.execute(select(AuditEntry).where(AuditEntry.household_id == household)
                           .order_by(AuditEntry.id)).scalars().all()
    assert [(r.action, r.username) for r in rows] == [("create", "Prescripteur Test"), ("read", "Agent.Cacem Test")]
    assert rows[0].changes["monthly_resources"] == "1800.00"


def test_right_of_access_export_json_and_pdf(client):
    household = create(client)["id"]
    data = get(client, "prescripteur", f"/api/v1/households/{household}/export").json
    assert data["head"]["last_name"] == "Jean-Baptiste" and data["monthly_resources"] == "1800.00"
    assert [a["action"] for a in data["audit"]] == ["create", "export"]
    answer = get(client, "prescripteur", f"/api/v1/households/{household}/export?format=pdf")
    assert answer.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.data)).pages).replace("\u00a0", " ")
    assert data["reference"] in text and "Jean-Baptiste" in text and "1 800,00" in text
    assert get(client, "agent.espacesud", f"/api/v1/households/{household}/export").status_code == 404

"""The eligibility pages end to end, and issue 5's done-when: a prescripteur refers a household,
a CACEM agent validates it from the queue with the tier the rules give and cannot see CAP Nord's
households, the API gives the same decision, and a file of households is checked in batch."""
from __future__ import annotations

import html
import io

import pandas as pd
from sqlalchemy import func, select

from eligibility.models import Household, Request
from tests.helpers import logout, bearer, login, make_household

FORM = {
    "last_name": "Rosine", "first_name": "Gisèle", "birth_date": "1955-06-15", "phone": "0696 40 50 60",
    "address": "Quartier Bois-Rouge", "commune_insee": "97213",
    "member_1_relation": "spouse", "member_1_age": "72",
    "member_2_relation": "child", "member_2_birth_date": "2015-03-01",
    "monthly_resources": "2 100,50", "resources_proof": "tax_notice", "situations": ["senior"],
    "need": "laptop", "consent": "1", "referrer_person": "Mme Zébina (CCAS)",
}


def test_done_when_prescripteur_refers_and_cacem_agent_validates(app, client, session):
    token = login(client, "prescripteur")
    answer = client.post("/households/new", data={**FORM, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    household = session.execute(select(Household)).scalar_one()
    assert household.phone == "+596696405060" and household.consent_version == "consentement-2026-01"
    assert [m.relation for m in household.members] == ["head", "spouse", "child"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert household.reference in page and "Ordinateur portable" in page and "Déposée" in page
    # A CAP Nord household, entered by the admin (La Trinité).
    other = make_household(app, session, "admin", commune_insee="97230", last_name="Nord", phone="0596 99 88 77")
    logout(client)

    token = login(client, "agent.cacem")
    queue = client.get("/requests/").get_data(as_text=True)
    assert household.reference in queue and other.reference not in queue
    item = session.execute(select(Request)).scalar_one()
    page = client.get(f"/requests/{item.id}").get_data(as_text=True)
    # 2 100,50 € for 1 + 0.5 + 0.3 = 1.8 UC = 1 166,94 €/UC: tier 2.
    assert "Éligible, palier 2" in page and "1\u00a0166,94\u00a0€" in page
    answer = client.post(f"/requests/{item.id}/decision", data={"action": "validate", "csrf_token": token})
    assert answer.status_code == 302
    session.refresh(item)
    assert (item.status, item.tier, item.overridden) == ("validated", 2, False)
    assert client.get(f"/households/{other.id}").status_code == 404
    assert client.get(f"/requests/{other.id + 1000}").status_code == 404
    households = client.get("/households/").get_data(as_text=True)
    assert household.reference in households and other.reference not in households

    # The same household through the API: the same decision, French reasons included.
    checked = client.post("/api/v1/eligibility/check", headers=bearer(client, "prescripteur"), json={
        "commune_insee": "97213", "members": [{"birth_date": "1955-06-15"}, {"age": 72}, {"birth_date": "2015-03-01"}],
        "monthly_resources": "2100.50", "benefits": []}).json
    decision = item.decision
    assert (checked["eligible"], checked["tier"], checked["resources_per_uc"], checked["reasons"]) == (
        decision.eligible, decision.tier, str(decision.resources_per_uc), decision.reasons)


def test_form_errors_are_french_and_nothing_is_written(client, session):
    token = login(client, "prescripteur")
    answer = client.post("/households/new", data={**FORM, "phone": "06 12 34 56 78", "monthly_resources": "beaucoup",
                                                  "csrf_token": token})
    assert answer.status_code == 422
    page = html.unescape(answer.get_data(as_text=True))
    assert "Numéro de Martinique attendu" in page and "Montant en euros attendu" in page
    assert 'value="Rosine"' in page      # what was typed stays
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 0


def test_duplicate_entry_asks_for_confirmation(app, client, session):
    make_household(app, session, "agent.espacesud", commune_insee="97206", last_name="ROSINE", first_name="gisele",
                   birth_date="1955-06-15", phone="0596 01 02 03")
    token = login(client, "prescripteur")
    answer = client.post("/households/new", data={**FORM, "csrf_token": token})
    assert answer.status_code == 409
    assert "Un foyer avec ces informations existe déjà dans l'EPCI Espace Sud." in html.unescape(answer.get_data(as_text=True))
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 1
    answer = client.post("/households/new", data={**FORM, "confirm_duplicate": "1", "csrf_token": token})
    assert answer.status_code == 302
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 2


CSV = (
    "nom;prenom;date_naissance;telephone;email;adresse;commune_insee;ages;ressources_mensuelles;prestations;situations;besoin\n"
    "Rosine;Gisèle;15/06/1955;0696405060;;;97213;71;900;ASPA;senior;tablet\n"
    "Louis;Marc;1980-01-01;0696000001;;;97213;46;45;9;1800,00;;;laptop\n"
    "Hors;Zone;01/01/1970;0696000002;;;97206;56;500;;;\n"
    "Sans;Adulte;01/01/2015;0696000003;;;97213;11;500;;;\n"
)


def test_batch_check_download_and_confirmed_import(client, session):
    token = login(client, "agent.cacem")
    csv = CSV.replace("46;45;9", "46 ; 45 ; 9").replace(";46 ; 45 ; 9;", ';"46;45;9";')
    answer = client.post("/eligibility/batch/check", data={"csrf_token": token,
                         "file": (io.BytesIO(csv.encode("utf-8")), "foyers.csv")}, content_type="multipart/form-data")
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200, page[:2000]
    assert "2 without error" in page or "2 sans erreur" in page
    assert "commune hors de votre EPCI" in page and "au moins une personne de 14 ans" in page
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 0   # nothing stored
    content = page.split('name="content" value="', 1)[1].split('"', 1)[0]
    for fmt, reader in (("csv", lambda b: pd.read_csv(io.BytesIO(b), sep=";", dtype=str, keep_default_na=False)),
                        ("xlsx", lambda b: pd.read_excel(io.BytesIO(b), dtype=str, keep_default_na=False))):
        answer = client.post("/eligibility/batch/check", data={"csrf_token": token, "content": content,
                                                               "filename": "foyers.csv", "download": fmt})
        frame = reader(answer.data)
        assert list(frame["eligible"]) == ["oui", "oui", "", ""], fmt
        assert list(frame["palier"].astype(str)) == ["1", "1", "", ""], fmt
        assert "ASPA" in frame["motifs"][0] and frame["erreur"][3].startswith("ages :")
    answer = client.post("/eligibility/batch/import", data={"csrf_token": token, "content": content,
                                                            "filename": "foyers.csv"})
    assert answer.status_code == 302
    households = session.execute(select(Household).order_by(Household.id)).scalars().all()
    assert [h.last_name for h in households] == ["Rosine", "Louis"]
    assert [r.category for h in households for r in h.requests] == ["tablet", "laptop"]


def test_batch_check_refuses_a_file_without_the_columns(client):
    token = login(client, "agent.cacem")
    answer = client.post("/eligibility/batch/check", data={"csrf_token": token,
                         "file": (io.BytesIO(b"a;b\n1;2\n"), "x.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "Colonne(s) manquante(s) : commune_insee, ages, ressources_mensuelles" in answer.get_data(as_text=True)


def test_admin_loads_a_rule_set_and_reads_the_audit_log(app, client, session):
    from eligibility.models import RuleSet

    token = login(client, "admin")
    data = open("eligibility/rules/MQ-2026.1.json", encoding="utf-8").read().replace("MQ-2026.1", "TEST-2031.1") \
        .replace("2026-01-01", "2031-01-01")
    try:
        answer = client.post("/eligibility/rule-sets/", data={"csrf_token": token,
                             "file": (io.BytesIO(data.encode()), "r.json")}, content_type="multipart/form-data")
        assert answer.status_code == 302
        assert "TEST-2031.1" in client.get("/eligibility/rule-sets/").get_data(as_text=True)
    finally:
        session.query(RuleSet).filter_by(id="TEST-2031.1").delete()
        session.commit()
    household = make_household(app, session, "prescripteur")
    client.get(f"/households/{household.id}")
    log = client.get(f"/eligibility/audit/?reference={household.reference}").get_data(as_text=True)
    assert "Création" in log and "Consultation" in log and "Prescripteur Test" in log


def test_admin_marks_an_epci_as_single_agent(client, session):
    from core.territory import Epci

    epci = session.execute(select(Epci).where(Epci.short_name == "CAP Nord")).scalar_one()
    token = login(client, "admin")
    try:
        answer = client.post(f"/epci/edit/{epci.id}", data={"single_agent": "y", "csrf_token": token})
        assert answer.status_code == 302
        session.refresh(epci)
        assert epci.single_agent is True
        assert "Agent unique" in client.get("/epci/list/").get_data(as_text=True)
    finally:
        epci.single_agent = False
        session.commit()

"""Eligibility services, called directly: rule sets (locked once used, chosen by date), the
reproducibility of stored decisions, the ``flask eligibility`` commands, income updates and the
four-eyes rule, the retention purge, possible duplicates and the validity of requests.

The API tests (tests/app/test_api_eligibility.py) cover the HTTP side; these go to the services.
Any rule set a test adds is deleted at the end of the test (the ``rule_set`` table is kept
between tests, with the bundled MQ-2026.1 loaded once per session).
"""
from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

import eligibility
from core.clock import local_today, utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from eligibility import engine
from eligibility.models import AuditEntry, AuditViolation, Decision, Household, Member, Proof, Request, RuleSet
from eligibility.services.common import add_months, territory
from eligibility.services.households import (
    duplicate_epcis,
    facts_of,
    read_household,
    recheck,
    record_decision,
    update_income,
)
from eligibility.services.requests import create_request, decide_request, is_current, new_request
from eligibility.services.retention import purge
from eligibility.services.rulesets import (
    is_referenced,
    load_bundled,
    load_rule_set,
    read_rule_file,
    rules_by_id,
    rules_in_effect,
)
from tests.helpers import actor, make_household

BUNDLED_ID = "MQ-2026.1"
BUNDLED = json.loads((Path(eligibility.__file__).parent / "rules" / f"{BUNDLED_ID}.json").read_text(encoding="utf-8"))
TEST_ID = "TEST-2030.1"
# Much lower ceilings than MQ-2026.1 (1 073 / 1 288 / 1 503 €/UC): the default test household
# (1 800 € for 1.8 UC = 1 000 €/UC) is tier 1 under MQ-2026.1 and tier 3 under these.
LOW_TIERS = [
    {"tier": 1, "ceiling": "500", "label": "Palier 1", "basis": "test"},
    {"tier": 2, "ceiling": "900", "label": "Palier 2", "basis": "test"},
    {"tier": 3, "ceiling": "1100", "label": "Palier 3", "basis": "test"},
]


def rules_data(**changes) -> dict:
    """A copy of the bundled rule set under the test id, in effect from 2030-01-01."""
    data = copy.deepcopy(BUNDLED)
    data.update(id=TEST_ID, title="Règles de test 2030", effective_from="2030-01-01", effective_to=None)
    data.update(changes)
    return data


@pytest.fixture
def removes_test_rule_set(session):
    """Removes, at the end of the test, the test rule set and the decisions that use it."""
    yield TEST_ID
    session.rollback()
    used = select(Decision.id).where(Decision.rule_set_id == TEST_ID).scalar_subquery()
    plain = {"synchronize_session": False}
    session.execute(update(Request).where(Request.preview_id.in_(used)).values(preview_id=None),
                    execution_options=plain)
    session.execute(update(Request).where(Request.decision_id.in_(used)).values(decision_id=None),
                    execution_options=plain)
    session.execute(delete(Decision).where(Decision.rule_set_id == TEST_ID), execution_options=plain)
    session.execute(delete(RuleSet).where(RuleSet.id == TEST_ID), execution_options=plain)
    session.commit()


def months_ago(months: int) -> datetime:
    """Now, ``months`` calendar months ago (aware UTC)."""
    now = utcnow()
    return datetime.combine(add_months(now.date(), -months), now.time(), tzinfo=timezone.utc)


def audit_rows(session, household_id: int) -> list[AuditEntry]:
    return session.execute(select(AuditEntry).where(AuditEntry.household_id == household_id)
                           .order_by(AuditEntry.id)).scalars().all()


# --- rule sets --------------------------------------------------------------------------------

def test_loading_the_same_rule_set_again_changes_nothing(session):
    row, outcome = load_rule_set(session, copy.deepcopy(BUNDLED))
    assert (row.id, outcome) == (BUNDLED_ID, "unchanged")
    assert load_bundled(session) == [(BUNDLED_ID, "unchanged")]
    assert session.get(RuleSet, BUNDLED_ID).data == BUNDLED


def test_an_unused_rule_set_can_be_replaced(session, users, removes_test_rule_set):
    row, outcome = load_rule_set(session, rules_data(), user_id=users["admin"])
    assert (row.id, outcome) == (TEST_ID, "added")
    assert row.effective_from == date(2030, 1, 1) and row.loaded_by_id == users["admin"]
    assert load_rule_set(session, rules_data())[1] == "unchanged"

    row, outcome = load_rule_set(session, rules_data(title="Règles de test, corrigées", tiers=LOW_TIERS))
    assert outcome == "replaced"
    session.expire_all()
    stored = session.get(RuleSet, TEST_ID)
    assert stored.title == "Règles de test, corrigées" and stored.data["tiers"] == LOW_TIERS
    assert [t.ceiling for t in rules_by_id(session, TEST_ID).tiers] == [Decimal("500"), Decimal("900"),
                                                                        Decimal("1100")]


def test_a_rule_set_used_by_a_decision_can_no_longer_be_changed(app, session, removes_test_rule_set):
    load_rule_set(session, rules_data())
    household = make_household(app, session)
    assert not is_referenced(session, TEST_ID)
    decision = record_decision(session, household, date(2030, 6, 1))    # picks the test rule set
    session.commit()
    assert decision.rule_set_id == TEST_ID and is_referenced(session, TEST_ID)

    with pytest.raises(Conflict) as refused:
        load_rule_set(session, rules_data(tiers=LOW_TIERS))
    assert refused.value.message == (
        f"Le jeu de règles {TEST_ID} est déjà utilisé par 1 décision(s) : il ne peut plus être modifié. "
        "Publiez une nouvelle version sous un nouvel identifiant.")
    session.expire_all()
    assert session.get(RuleSet, TEST_ID).data == rules_data()
    # Loading the very same file again is still fine.
    assert load_rule_set(session, rules_data())[1] == "unchanged"


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", "\u00e9t\u00e9".encode("latin-1")])
def test_an_unreadable_rule_file_names_the_file_field(content):
    with pytest.raises(ValidationFailed) as refused:
        read_rule_file(content)
    assert list(refused.value.errors) == ["file"]


def test_an_invalid_rule_set_names_the_file_field_and_is_not_stored(session):
    incomplete = rules_data()
    del incomplete["tiers"]
    with pytest.raises(ValidationFailed) as refused:
        load_rule_set(session, incomplete)
    assert refused.value.errors == {"file": ["Règles incomplètes : champ « tiers » manquant."]}

    decreasing = rules_data(tiers=[{"tier": 1, "ceiling": "900", "label": "P1"},
                                   {"tier": 2, "ceiling": "500", "label": "P2"}])
    with pytest.raises(ValidationFailed) as refused:
        load_rule_set(session, decreasing)
    assert list(refused.value.errors) == ["file"]
    assert "croître" in refused.value.errors["file"][0]
    assert session.get(RuleSet, TEST_ID) is None


@pytest.mark.parametrize("changes, expected", [
    ({"automatic_tier1_benefits": ["RSA"]}, "Règles invalides"),
    ({"id": "X" * 31}, "30 caractères"),
    ({"title": "T" * 201}, "200"),
    ({"tiers": [{"tier": 0, "ceiling": "500", "label": "P0"}]}, "de 1 à 9"),
    ({"tiers": [{"tier": 1, "ceiling": "500", "label": "P1"}, {"tier": 1, "ceiling": "900", "label": "P1 bis"}]},
     "sans doublon"),
])
def test_a_malformed_rule_set_is_refused_with_a_french_message(session, changes, expected):
    with pytest.raises(ValidationFailed) as refused:
        load_rule_set(session, rules_data(**changes))
    assert list(refused.value.errors) == ["file"] and expected in refused.value.errors["file"][0]
    session.rollback()
    assert session.execute(select(func.count()).select_from(RuleSet)
                           .where(RuleSet.id.in_([TEST_ID, "X" * 31]))).scalar_one() == 0


def test_the_rule_set_in_effect_is_chosen_by_date(session, removes_test_rule_set):
    load_rule_set(session, rules_data())
    assert rules_in_effect(session, date(2026, 6, 1)).id == BUNDLED_ID
    assert rules_in_effect(session, date(2029, 12, 31)).id == BUNDLED_ID
    assert rules_in_effect(session, date(2030, 1, 1)).id == TEST_ID
    assert rules_in_effect(session, date(2030, 6, 1)).id == TEST_ID


def test_no_rule_set_in_effect_before_the_first_one(session):
    with pytest.raises(Conflict) as refused:
        rules_in_effect(session, date(2025, 12, 31))
    assert refused.value.message.startswith("Aucun jeu de règles d'éligibilité n'est en vigueur le 31/12/2025")
    assert rules_in_effect(session, date(2026, 1, 1)).id == BUNDLED_ID


# --- reproducibility --------------------------------------------------------------------------

def test_a_stored_decision_is_reproduced_after_new_rules_come_into_effect(app, session, removes_test_rule_set):
    household = make_household(app, session)
    stored = record_decision(session, household, date(2026, 6, 1))
    session.commit()
    decision_id = stored.id
    assert (stored.rule_set_id, stored.eligible, stored.tier) == (BUNDLED_ID, True, 1)

    load_rule_set(session, rules_data(tiers=LOW_TIERS))
    later = rules_in_effect(session, date(2030, 6, 1))
    assert later.id == TEST_ID
    # The same household under the new rules is decided differently: the check below is not empty.
    assert engine.decide(facts_of(household, date(2026, 6, 1)), later, territory(session)).tier == 3

    session.expire_all()
    decision = session.get(Decision, decision_id)
    again = recheck(session, decision)
    assert again.rule_set == BUNDLED_ID
    assert again.eligible == decision.eligible is True
    assert again.tier == decision.tier == 1
    assert again.consumption_units == decision.consumption_units == Decimal("1.8")
    assert again.resources_per_uc == decision.resources_per_uc == Decimal("1000.00")
    assert list(again.reasons) == decision.reasons and decision.reasons


# --- flask eligibility … ----------------------------------------------------------------------

def cli(app, *args):
    return app.test_cli_runner().invoke(args=["eligibility", *args])


def refused_by_click(result) -> bool:
    """The command stopped with its own French error (exit status 1), not with a crash."""
    return result.exit_code == 1 and isinstance(result.exception, SystemExit)


def test_cli_load_rules_adds_then_says_unchanged_then_refuses_a_used_rule_set(app, session, tmp_path,
                                                                              removes_test_rule_set):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules_data()), encoding="utf-8")
    result = cli(app, "load-rules", str(path))
    assert result.exit_code == 0, result.output
    assert f"Jeu de règles {TEST_ID} ajouté : en vigueur à partir du 01/01/2030." in result.output
    result = cli(app, "load-rules", str(path))
    assert result.exit_code == 0 and f"Jeu de règles {TEST_ID} inchangé" in result.output

    record_decision(session, make_household(app, session), date(2030, 6, 1))
    session.commit()
    path.write_text(json.dumps(rules_data(tiers=LOW_TIERS)), encoding="utf-8")
    result = cli(app, "load-rules", str(path))
    assert refused_by_click(result)
    assert f"Error: Le jeu de règles {TEST_ID} est déjà utilisé par 1 décision(s) : il ne peut plus être modifié." \
        in result.output
    session.expire_all()
    assert session.get(RuleSet, TEST_ID).data == rules_data()


def test_cli_load_rules_refuses_an_invalid_file(app, session, tmp_path):
    path = tmp_path / "rules.json"
    path.write_text("{", encoding="utf-8")
    result = cli(app, "load-rules", str(path))
    assert refused_by_click(result) and "Error: Fichier JSON illisible" in result.output


def test_cli_purge_dry_run_lists_without_anonymising(app, session):
    old = make_household(app, session)
    old.last_activity_at = months_ago(37)
    session.commit()
    old_id, reference = old.id, old.reference

    result = cli(app, "purge", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 foyer(s) à anonymiser (sans activité depuis 36 mois)." in result.output
    assert f"  {reference}" in result.output.splitlines()
    session.expire_all()
    household = session.get(Household, old_id)
    assert household.anonymised_at is None and household.last_name == "Jean-Baptiste"
    assert [a.action for a in audit_rows(session, old_id)] == ["create"]

    # A longer period finds nothing; without --dry-run the household is anonymised.
    assert "0 foyer(s) à anonymiser (sans activité depuis 48 mois)." in cli(app, "purge", "--months", "48",
                                                                            "--dry-run").output
    result = cli(app, "purge")
    assert result.exit_code == 0 and "1 foyer(s) anonymisé(s)" in result.output and reference in result.output
    session.expire_all()
    assert session.get(Household, old_id).anonymised_at is not None


def test_cli_purge_refuses_a_period_under_one_month(app, session):
    result = cli(app, "purge", "--months", "0")
    assert result.exit_code == 2 and "--months" in result.output
    with pytest.raises(ValidationFailed) as refused:
        purge(session, 0)
    assert list(refused.value.errors) == ["months"]


# --- income updates and the four-eyes rule ----------------------------------------------------

def test_update_income_is_audited_and_makes_the_agent_the_income_enterer(app, session, users):
    household = make_household(app, session, "prescripteur")
    assert household.income_entered_by_id == users["prescripteur"]
    agent = actor(app, "agent.cacem")

    update_income(session, agent, household, monthly_resources=Decimal("2400.00"), resources_proof="payslip",
                  benefits=[" rsa "])
    session.expire_all()
    household = session.get(Household, household.id)
    assert household.monthly_resources == Decimal("2400.00")
    assert household.resources_proof == "payslip" and household.benefits == ["RSA"]
    assert household.income_entered_by_id == users["agent.cacem"]
    last = audit_rows(session, household.id)[-1]
    assert (last.action, last.user_id, last.username) == ("update", users["agent.cacem"], "Agent.Cacem Test")
    assert last.changes == {"monthly_resources": ["1800.00", "2400.00"], "resources_proof": [None, "payslip"],
                            "benefits": [[], ["RSA"]]}

    # The agent now entered the income: they cannot validate; Admin (another person) can.
    item = create_request(session, actor(app, "prescripteur"), household, "laptop")
    with pytest.raises(Forbidden) as refused:
        decide_request(session, agent, item, "validate")
    assert refused.value.message.startswith("Règle des quatre yeux")
    assert item.status == "submitted"
    item = decide_request(session, actor(app, "admin"), item, "validate")
    assert item.status == "validated" and item.tier == 1 and item.decided_by_id == users["admin"]


def test_update_income_keeps_resources_to_the_cent(app, session):
    household = make_household(app, session, "prescripteur")
    update_income(session, actor(app, "agent.cacem"), household, monthly_resources=Decimal("2400.005"))
    session.expire_all()
    assert session.get(Household, household.id).monthly_resources == Decimal("2400.01")
    assert audit_rows(session, household.id)[-1].changes == {"monthly_resources": ["1800.00", "2400.01"]}


def test_update_income_refuses_negative_resources(app, session):
    household = make_household(app, session, "prescripteur")
    with pytest.raises(ValidationFailed) as refused:
        update_income(session, actor(app, "agent.cacem"), household, monthly_resources=Decimal("-1"))
    assert list(refused.value.errors) == ["monthly_resources"]
    session.expire_all()
    assert session.get(Household, household.id).monthly_resources == Decimal("1800.00")
    assert [a.action for a in audit_rows(session, household.id)] == ["create"]


# --- retention --------------------------------------------------------------------------------

def test_purge_anonymises_inactive_households_and_keeps_the_statistics(app, session, users):
    prescripteur, agent = actor(app, "prescripteur"), actor(app, "agent.cacem")
    old = make_household(app, session, "prescripteur", benefits=["CSS"], situations=["job_seeker"],
                         resources_proof="caf", notes="Rappeler le lundi.",
                         proofs=[{"kind": "caf", "seen_on": "2026-10-01"}])
    recent = make_household(app, session, "prescripteur", last_name="Louis", first_name="Marc",
                            birth_date="1975-05-05", phone="0596 11 22 33")
    validated = decide_request(session, agent, create_request(session, prescripteur, old, "laptop"), "validate")
    refused = decide_request(session, agent, create_request(session, prescripteur, old, "tablet"), "refuse",
                             justification="Ressources non justifiées.")
    read_household(session, agent, old.id)
    old.last_activity_at = months_ago(37)
    recent.last_activity_at = months_ago(35)
    session.commit()
    old_id, recent_id, reference = old.id, recent.id, old.reference
    session.expire_all()
    kept_requests = {r.id: (r.category, r.status, r.tier, r.created_at, r.decided_at, r.valid_until)
                     for r in session.get(Household, old_id).requests}
    decisions = session.execute(select(Decision).where(Decision.household_id == old_id)).scalars().all()
    assert len(decisions) == 4                       # a preview and a decision per request
    kept_decisions = {d.id: (d.eligible, d.tier, d.rule_set_id, d.checked_on, d.epci) for d in decisions}
    assert all(d.facts and d.reasons and d.resources_per_uc is not None for d in decisions)
    assert any(a.changes for a in audit_rows(session, old_id))

    assert purge(session, 36) == [reference]

    session.expire_all()
    household = session.get(Household, old_id)
    assert household.anonymised_at is not None
    for field in ("last_name", "first_name", "name_key", "birth_date", "phone", "email", "address",
                  "monthly_resources", "resources_proof", "notes", "referrer_user_id", "referrer_name",
                  "income_entered_by_id"):
        assert getattr(household, field) is None, field
    assert household.benefits == [] and household.situations == []
    assert household.members == [] and household.proofs == []
    assert session.scalar(select(func.count()).select_from(Member).where(Member.household_id == old_id)) == 0
    assert session.scalar(select(func.count()).select_from(Proof).where(Proof.household_id == old_id)) == 0
    # What stays, for statistics.
    assert household.reference == reference and household.commune_insee == "97213"
    assert {r.id: (r.category, r.status, r.tier, r.created_at, r.decided_at, r.valid_until)
            for r in household.requests} == kept_requests
    assert session.get(Request, refused.id).refusal_reason is None
    assert session.get(Request, refused.id).justification is None
    assert session.get(Request, validated.id).tier == 1
    for decision in session.execute(select(Decision).where(Decision.household_id == old_id)).scalars():
        assert (decision.eligible, decision.tier, decision.rule_set_id, decision.checked_on,
                decision.epci) == kept_decisions[decision.id]
        assert decision.facts == {} and decision.reasons == []
        assert decision.resources_per_uc is None and decision.consumption_units is None
    # The audit log keeps who did what, without the values, and records the anonymisation.
    entries = audit_rows(session, old_id)
    assert [a.action for a in entries] == ["create", "update", "update", "read", "anonymise"]
    assert all(a.changes == {} for a in entries)
    assert (entries[-1].user_id, entries[-1].username, entries[-1].household_reference) == (
        None, "purge automatique", reference)

    # Active 35 months ago: untouched.
    other = session.get(Household, recent_id)
    assert other.anonymised_at is None and other.last_name == "Louis" and len(other.members) == 3
    assert other.monthly_resources == Decimal("1800.00")
    assert audit_rows(session, recent_id)[0].changes["monthly_resources"] == "1800.00"

    # A second run has nothing left to do.
    assert purge(session, 36) == []
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "anonymise")) == 1
    # An anonymised household can no longer change.
    with pytest.raises(Conflict):
        update_income(session, agent, household, monthly_resources=Decimal("100"))
    with pytest.raises(Conflict):
        create_request(session, prescripteur, household, "smartphone")


def test_the_audit_log_cannot_be_changed_through_the_orm(app, session):
    household = make_household(app, session)
    household_id = household.id
    entry = audit_rows(session, household_id)[0]
    entry.changes = {"monthly_resources": "0.00"}
    with pytest.raises(AuditViolation):
        session.flush()
    session.rollback()

    session.delete(audit_rows(session, household_id)[0])
    with pytest.raises(AuditViolation):
        session.flush()
    session.rollback()

    session.expire_all()
    (entry,) = audit_rows(session, household_id)
    assert entry.action == "create" and entry.changes["monthly_resources"] == "1800.00"


# --- possible duplicates ----------------------------------------------------------------------

def test_possible_duplicates_by_normalised_name_and_birth_date_or_by_phone(app, session):
    household = make_household(app, session)       # Jean-Baptiste Éloïse, 02/04/1980, 0696 12 34 56, CACEM
    born = date(1980, 4, 2)
    other_phone = "+596697000001"

    def duplicates(last_name="JEAN BAPTISTE", first_name="eloise", birth_date=born, phone=other_phone, **kw):
        return duplicate_epcis(session, last_name=last_name, first_name=first_name, birth_date=birth_date,
                               phone=phone, **kw)

    assert duplicates() == ["CACEM"]
    assert duplicates(last_name="jean--baptiste", first_name="ÉLOÏSE") == ["CACEM"]
    assert duplicates(birth_date=date(1980, 4, 3)) == []                     # same name, another person
    assert duplicates(last_name="Autre", first_name="Personne", birth_date=None,
                      phone="+596696123456") == ["CACEM"]                      # same phone
    assert duplicates(last_name="Autre", first_name="Personne", birth_date=None, phone=None) == []
    assert duplicates(exclude_id=household.id) == []

    # The same person in Espace Sud too: each EPCI named once, sorted.
    make_household(app, session, "agent.espacesud", commune_insee="97206")
    assert duplicates() == ["CACEM", "Espace Sud"]
    assert duplicates(exclude_id=household.id) == ["Espace Sud"]


def test_anonymised_households_are_not_possible_duplicates(app, session):
    household = make_household(app, session)
    # Flag it anonymised but leave its identity: only the anonymised filter can exclude it.
    household.anonymised_at = utcnow()
    session.commit()
    assert duplicate_epcis(session, last_name="Jean-Baptiste", first_name="Éloïse", birth_date=date(1980, 4, 2),
                           phone="+596696123456") == []


# --- validity of requests ---------------------------------------------------------------------

def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:                       # 29 February
        return day.replace(year=day.year + 1, day=28)


def test_a_validation_lasts_twelve_months_then_no_longer_blocks(app, session):
    prescripteur = actor(app, "prescripteur")
    household = make_household(app, session)
    item = decide_request(session, actor(app, "agent.cacem"),
                          create_request(session, prescripteur, household, "laptop"), "validate")
    valid_until = one_year_after(local_today())
    assert item.valid_until == valid_until
    assert is_current(item, valid_until) and not is_current(item, valid_until + timedelta(days=1))

    with pytest.raises(Conflict, match="déjà en cours"):
        new_request(session, prescripteur, household, "laptop", valid_until)
    session.rollback()
    later = new_request(session, prescripteur, household, "laptop", valid_until + timedelta(days=1))
    session.commit()
    assert later.status == "submitted" and later.preview.checked_on == valid_until + timedelta(days=1)


def test_validation_on_29_february_lasts_until_28_february(app, session, monkeypatch):
    household = make_household(app, session)
    item = create_request(session, actor(app, "prescripteur"), household, "laptop")
    monkeypatch.setattr("eligibility.services.requests.local_today", lambda: date(2028, 2, 29))
    item = decide_request(session, actor(app, "agent.cacem"), item, "validate")
    assert item.valid_until == date(2029, 2, 28)


def test_a_refused_request_does_not_block_a_new_one(app, session):
    prescripteur, agent = actor(app, "prescripteur"), actor(app, "agent.cacem")
    household = make_household(app, session)
    item = create_request(session, prescripteur, household, "tablet")
    decide_request(session, agent, item, "ask_documents", justification="Avis d'imposition 2025")
    assert is_current(item, local_today())
    with pytest.raises(Conflict, match="déjà en cours"):           # waiting for documents still blocks
        create_request(session, prescripteur, household, "tablet")

    decide_request(session, agent, item, "refuse", justification="Pièces non fournies.")
    assert item.status == "refused" and not is_current(item, local_today())
    again = create_request(session, prescripteur, household, "tablet")
    assert again.id != item.id and again.status == "submitted"
    assert [r.status for r in session.get(Household, household.id).requests] == ["refused", "submitted"]

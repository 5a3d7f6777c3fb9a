"""Households: entry (with possible-duplicate flags), income changes, reads (audited), and the
automatic decision on their facts."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import local_today, utcnow
from core.counters import next_value
from core.errors import Conflict, Forbidden, ValidationFailed
from core.territory import Commune, Epci
from eligibility import engine
from core.actor import Actor
from eligibility.access import household_for
from eligibility.identity import InvalidPhone, name_key, normalise_phone
from eligibility.models import Decision, Household, Member, Proof
from eligibility.rules import Rules
from core.unit_of_work import unit_of_work
from eligibility.services.common import audit, territory
from eligibility.services.rulesets import rules_by_id, rules_in_effect
from eligibility.vocabulary import AuditAction, Relationship
from core.organisations import Organisation

CENT = Decimal("0.01")

def household_reference(year: int, number: int) -> str:
    return f"FOY-{year}-{number:05d}"


# --- facts and decisions -----------------------------------------------------------------------

def member_ages(members: list[dict], day: date) -> tuple[int, ...]:
    """Whole-year ages on ``day`` of members given as {"age"} or {"birth_date"}."""
    return tuple(engine.age_on(m["birth_date"], day) if m.get("birth_date") else m["age"] for m in members)


def _invalid(exc: engine.InvalidHousehold) -> ValidationFailed:
    return ValidationFailed(exc.errors)


def check(session: Session, data: dict, day: date | None = None) -> engine.Decision:
    """The stateless simulation (POST /eligibility/check): nothing is stored."""
    day = day or data.get("check_date") or local_today()
    rules = rules_in_effect(session, day)
    if any(m.get("birth_date") and m["birth_date"] > day for m in data["members"]):
        raise ValidationFailed({"members": ["Une date de naissance ne peut pas être dans le futur."]})
    facts = engine.HouseholdFacts(data["commune_insee"].strip(), member_ages(data["members"], day),
                                  data["monthly_resources"], tuple(data.get("benefits") or ()))
    try:
        return engine.decide(facts, rules, territory(session))
    except engine.InvalidHousehold as exc:
        raise _invalid(exc) from None


def facts_of(household: Household, day: date) -> engine.HouseholdFacts:
    return engine.HouseholdFacts(household.commune_insee, tuple(m.age_on(day) for m in household.members),
                                 household.monthly_resources, tuple(household.benefits or ()))


def facts_json(facts: engine.HouseholdFacts) -> dict:
    return {"commune_insee": facts.commune_insee, "ages": list(facts.ages),
            "monthly_resources": str(facts.monthly_resources), "benefits": list(facts.benefits)}


def record_decision(session: Session, household: Household, day: date,
                    rules: Rules | None = None) -> Decision:
    """Decide on the household's current facts with the rules in effect on ``day`` and keep
    the decision with its facts (in the caller's transaction)."""
    rules = rules or rules_in_effect(session, day)
    facts = facts_of(household, day)
    try:
        result = engine.decide(facts, rules, territory(session))
    except engine.InvalidHousehold as exc:
        raise _invalid(exc) from None
    row = Decision(household_id=household.id, rule_set_id=rules.id, checked_on=day, facts=facts_json(facts),
                   eligible=result.eligible, tier=result.tier, consumption_units=result.consumption_units,
                   resources_per_uc=result.resources_per_uc, epci=result.epci, reasons=list(result.reasons))
    session.add(row)
    return row


def recheck(session: Session, decision: Decision) -> engine.Decision:
    """The decision's own facts, decided again with its own rule set: the same answer."""
    facts = decision.facts
    return engine.decide(engine.HouseholdFacts(facts["commune_insee"], tuple(facts["ages"]),
                                               Decimal(facts["monthly_resources"]), tuple(facts["benefits"])),
                         rules_by_id(session, decision.rule_set_id), territory(session))


# --- duplicates --------------------------------------------------------------------------------

def duplicate_epcis(session: Session, *, last_name: str, first_name: str, birth_date: date | None,
                    phone: str | None, exclude_id: int | None = None) -> list[str]:
    """The EPCI where a household with the same normalised name and birth date, or the same
    phone, already exists (any EPCI). Only EPCI names come out: nothing else of the other one."""
    same = []
    if birth_date is not None:
        same.append((Household.name_key == name_key(last_name, first_name)) & (Household.birth_date == birth_date))
    if phone:
        same.append(Household.phone == phone)
    if not same:
        return []
    stmt = (select(Epci.short_name).distinct().select_from(Household).join(Commune, Household.commune)
            .join(Commune.epci).where(or_(*same)).where(Household.anonymised_at.is_(None)))
    if exclude_id is not None:
        stmt = stmt.where(Household.id != exclude_id)
    return sorted(session.execute(stmt).scalars())


def duplicate_warnings(epcis: list[str]) -> list[str]:
    return [f"Un foyer avec ces informations existe déjà dans l'EPCI {name}." for name in epcis]


# --- entry -------------------------------------------------------------------------------------

def _members(data: dict) -> list[Member]:
    """Members as given; the first is the head unless one is marked "head"."""
    given = data["members"]
    has_head = any(m.get("relation") == Relationship.HEAD.value for m in given)
    today = local_today()
    members = []
    for index, item in enumerate(given):
        relation = item.get("relation") or (Relationship.HEAD.value if index == 0 and not has_head
                                            else Relationship.OTHER.value)
        members.append(Member(relation=relation, birth_date=item.get("birth_date"), age=item.get("age"),
                              age_given_on=today if item.get("age") is not None else None))
    return members


def _entry_errors(session: Session, actor: Actor, data: dict) -> tuple[dict, Commune | None, str | None]:
    errors: dict[str, list[str]] = {}
    phone = None
    try:
        phone = normalise_phone(data["phone"])
    except InvalidPhone as exc:
        errors["phone"] = [exc.message]
    today = local_today()
    if data["birth_date"] > today:
        errors["birth_date"] = ["La date de naissance ne peut pas être dans le futur."]
    if any(m.get("birth_date") and m["birth_date"] > today for m in data["members"]):
        errors["members"] = ["Une date de naissance ne peut pas être dans le futur."]
    if sum(1 for m in data["members"] if m.get("relation") == Relationship.HEAD.value) > 1:
        errors["members"] = ["Un seul membre peut être le demandeur (relation « head »)."]
    commune = session.get(Commune, data["commune_insee"].strip())
    if commune is None:
        errors["commune_insee"] = [f"Commune inconnue « {data['commune_insee']} » : code INSEE d'une des 34 "
                                   "communes de Martinique attendu (972xx)."]
    elif actor.is_agent and not actor.is_admin and commune.epci_id != actor.epci_id:
        errors["commune_insee"] = [f"{commune.name} relève de l'EPCI {commune.epci.short_name} : seul un "
                                   "agent de cet EPCI peut y enregistrer un foyer."]
    referrer = data.get("referrer") or {}
    if referrer.get("organisation") is not None and session.get(Organisation, referrer["organisation"]) is None:
        errors["referrer.organisation"] = [f"Organisation n° {referrer['organisation']} inconnue."]
    return errors, commune, phone


def create_household(session: Session, actor: Actor, data: dict) -> tuple[Household, list[str]]:
    """Enter a household (data validated by HouseholdIn), in one transaction. Returns it and the
    possible-duplicate warnings. With ``confirm_duplicate`` false, a possible duplicate stops the
    entry (Conflict carrying the warnings) so that the person entering can check first."""
    with unit_of_work(session):
        return new_household(session, actor, data, local_today())


def new_household(session: Session, actor: Actor, data: dict, today: date) -> tuple[Household, list[str]]:
    """Check and add a household in the caller's transaction (no commit)."""
    if not (actor.is_admin or actor.is_agent or actor.is_prescripteur):
        raise Forbidden("Seuls un prescripteur, un agent EPCI ou l'administrateur enregistrent un foyer.")
    errors, commune, phone = _entry_errors(session, actor, data)
    if errors:
        raise ValidationFailed(errors)
    warnings = duplicate_warnings(duplicate_epcis(session, last_name=data["last_name"], first_name=data["first_name"],
                                                  birth_date=data["birth_date"], phone=phone))
    if warnings and not data.get("confirm_duplicate", True):
        raise Conflict(" ".join(warnings), duplicates=warnings)
    referrer = data.get("referrer") or {}
    household = Household(
        last_name=data["last_name"].strip(), first_name=data["first_name"].strip(),
        name_key=name_key(data["last_name"], data["first_name"]), birth_date=data["birth_date"], phone=phone,
        email=(data.get("email") or "").strip() or None, address=(data.get("address") or "").strip() or None,
        commune_insee=commune.insee_code, monthly_resources=data["monthly_resources"],
        resources_proof=data.get("resources_proof"),
        benefits=sorted({b.strip().upper() for b in data.get("benefits") or [] if b.strip()}),
        situations=sorted(set(data.get("situations") or [])),
        consent_on=data.get("consent_on"), consent_version=data.get("consent_version"),
        notes=(data.get("notes") or "").strip() or None,
        income_entered_by_id=actor.id, created_by_id=actor.id,
    )
    if actor.is_prescripteur and not actor.is_admin:
        household.referrer_user_id = actor.id
        household.referrer_organisation_id = actor.organisation_id
        household.referrer_name = referrer.get("person") or actor.name
    else:
        household.referrer_organisation_id = referrer.get("organisation")
        household.referrer_name = referrer.get("person")
    household.members = _members(data)
    household.proofs = [Proof(kind=p["kind"], seen_on=p["seen_on"], seen_by_id=actor.id)
                        for p in data.get("proofs") or []]
    # The facts must be decidable (an adult, known benefits) before anything is written.
    try:
        engine.decide(facts_of(household, today), rules_in_effect(session, today), territory(session))
    except engine.InvalidHousehold as exc:
        raise _invalid(exc) from None
    household.reference = household_reference(today.year, next_value(session, f"household:{today.year}"))
    session.add(household)
    session.flush()
    audit(session, AuditAction.CREATE, household, actor, income_snapshot(household))
    return household, warnings


def income_snapshot(household: Household) -> dict:
    """The income data as the audit log records it."""
    return {"monthly_resources": f"{household.monthly_resources:.2f}" if household.monthly_resources is not None else None,
            "resources_proof": household.resources_proof, "benefits": list(household.benefits or []),
            "members": [m.relation + ":" + (m.birth_date.isoformat() if m.birth_date else f"{m.age} ans")
                        for m in household.members]}


def update_income(session: Session, actor: Actor, household: Household, *, monthly_resources: Decimal,
                  resources_proof: str | None = None, benefits: list[str] | None = None) -> Household:
    """Change the declared resources (and benefits). The actor becomes the one who entered the
    income, for the four-eyes rule; old and new values go to the audit log."""
    if household.anonymised_at is not None:
        raise Conflict("Ce foyer est anonymisé : ses données ne peuvent plus être modifiées.")
    if monthly_resources is None or monthly_resources < 0:
        raise ValidationFailed({"monthly_resources": ["Montant positif ou nul en euros attendu."]})
    before = income_snapshot(household)
    household.monthly_resources = Decimal(monthly_resources).quantize(CENT, rounding=ROUND_HALF_UP)
    household.resources_proof = resources_proof
    if benefits is not None:
        household.benefits = sorted({b.strip().upper() for b in benefits if b.strip()})
    today = local_today()
    with unit_of_work(session):
        try:
            engine.decide(facts_of(household, today), rules_in_effect(session, today), territory(session))
        except engine.InvalidHousehold as exc:
            raise _invalid(exc) from None
        after = income_snapshot(household)
        household.income_entered_by_id = actor.id
        household.last_activity_at = utcnow()
        audit(session, AuditAction.UPDATE, household, actor,
              {key: [before[key], after[key]] for key in after if before[key] != after[key]})
    return household


def read_household(session: Session, actor: Actor, household_id) -> Household:
    """A household the actor may see (else NotFound), the read written to the audit log."""
    household = household_for(session, actor, household_id)
    with unit_of_work(session):
        audit(session, AuditAction.READ, household, actor)
    return household

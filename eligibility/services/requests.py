"""Requests: a household asks for a device of a category; an agent of its EPCI validates,
refuses or asks for documents. Validations last 12 months; a household equipped in the last
24 months gets no second device of the same category (both configurable)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_today, to_local, utcnow
from core.errors import Conflict, Forbidden, TransitionRefused, ValidationFailed
from core.actor import Actor
from eligibility.access import can_decide
from eligibility.models import Household, Request
from core.unit_of_work import unit_of_work
from eligibility.services.common import add_months, audit
from eligibility.services.households import new_household, record_decision
from eligibility.services.rulesets import rules_by_id
from eligibility.vocabulary import AuditAction, RequestStatus
from core.vocabulary import Category

VALIDITY_MONTHS = 12
REEQUIP_MONTHS = 24
OPEN = (RequestStatus.SUBMITTED.value, RequestStatus.PENDING_DOCUMENTS.value)
ACTIONS = {"validate": RequestStatus.VALIDATED, "refuse": RequestStatus.REFUSED,
           "ask_documents": RequestStatus.PENDING_DOCUMENTS}


def is_current(item: Request, today: date) -> bool:
    """Still pending, or validated and within its validity (not yet equipped)."""
    if item.status in OPEN:
        return True
    return item.status == RequestStatus.VALIDATED.value and item.valid_until is not None and today <= item.valid_until


def reequipment_block(household: Household, category: str, today: date, months: int = REEQUIP_MONTHS) -> str | None:
    """Why the household cannot get another device of this category now, or None."""
    since = add_months(today, -months)
    equipped = [r.equipped_at for r in household.requests
                if r.category == category and r.equipped_at is not None and to_local(r.equipped_at).date() > since]
    if not equipped:
        return None
    last = to_local(max(equipped)).date()
    return (f"Ce foyer a déjà reçu un appareil de la catégorie « {Category.label_of(category)} » le "
            f"{last:%d/%m/%Y} : une nouvelle demande est possible à partir du {add_months(last, months):%d/%m/%Y}.")


def create_request(session: Session, actor: Actor, household: Household, category: str, *,
                   reequip_months: int = REEQUIP_MONTHS) -> Request:
    """A request, ``submitted``, with a preview of the automatic decision (one transaction)."""
    with unit_of_work(session):
        return new_request(session, actor, household, category, local_today(), reequip_months)


def create_household_with_request(session: Session, actor: Actor, data: dict, category: str | None, *,
                                  reequip_months: int = REEQUIP_MONTHS
                                  ) -> tuple[Household, list[str], Request | None]:
    """A new household (data validated by HouseholdIn) and, when ``category`` is given, its first
    request, in one transaction: a refused request leaves no household behind. Returns the
    household, its possible-duplicate warnings and the request (None without ``category``)."""
    today = local_today()
    with unit_of_work(session):
        household, warnings = new_household(session, actor, data, today)
        item = new_request(session, actor, household, category, today, reequip_months) if category else None
    return household, warnings, item


def new_request(session: Session, actor: Actor, household: Household, category: str, today: date,
                reequip_months: int = REEQUIP_MONTHS) -> Request:
    """Check and add a request in the caller's transaction (no commit)."""
    if not (actor.is_admin or actor.is_agent or actor.is_prescripteur):
        raise Forbidden("Seuls un prescripteur, un agent EPCI ou l'administrateur déposent une demande.")
    if category not in Category.values():
        raise ValidationFailed({"category": [f"Catégorie inconnue : valeurs acceptées : {', '.join(Category.values())}."]})
    # One open request per category, even when two people submit at once: the household row is
    # locked until this transaction ends, and its requests are read again under the lock.
    session.refresh(household, with_for_update=True)
    session.expire(household, ["requests"])
    if household.anonymised_at is not None:
        raise Conflict("Ce foyer est anonymisé : il ne peut plus déposer de demande.")
    current = next((r for r in household.requests if r.category == category and is_current(r, today)), None)
    if current is not None:
        raise Conflict(f"Une demande « {Category.label_of(category)} » est déjà en cours pour ce foyer "
                       f"({RequestStatus.label_of(current.status).lower()}, déposée le "
                       f"{to_local(current.created_at):%d/%m/%Y}).")
    blocked = reequipment_block(household, category, today, reequip_months)
    if blocked:
        raise Conflict(blocked)
    item = Request(household=household, category=category, status=RequestStatus.SUBMITTED.value,
                   created_by_id=actor.id)
    session.add(item)
    item.preview = record_decision(session, household, today)
    household.last_activity_at = utcnow()
    session.flush()
    return item


def decide_request(session: Session, actor: Actor, item: Request, action: str, *, justification: str | None = None,
                   tier: int | None = None, single_agent: bool | None = None,
                   validity_months: int = VALIDITY_MONTHS, reequip_months: int = REEQUIP_MONTHS) -> Request:
    """An agent's action on a request. Overriding the automatic decision needs a justification
    and is flagged; the agent who entered the income cannot validate (four-eyes rule) unless
    the EPCI has a single agent."""
    household = item.household
    if action not in ACTIONS:
        raise ValidationFailed({"action": ["Action inconnue : validate, refuse ou ask_documents attendu."]})
    if not can_decide(actor, household):
        raise Forbidden(f"Seul un agent de l'EPCI {household.commune.epci.short_name} peut statuer sur cette demande.")
    # Two agents deciding at once: the second waits for the first (the row lock on PostgreSQL,
    # the unit of work's write lock on SQLite), then sees its decision.
    with unit_of_work(session):
        session.refresh(item, with_for_update=True)
        if item.status not in OPEN:
            raise TransitionRefused(f"Cette demande est déjà « {RequestStatus.label_of(item.status)} » : "
                                    "elle ne peut plus être modifiée.", allowed=[])
        justification = (justification or "").strip() or None
        today = local_today()
        if single_agent is None:
            single_agent = household.commune.epci.single_agent
        if action == "validate" and household.income_entered_by_id == actor.id and actor.id is not None and not single_agent:
            raise Forbidden("Règle des quatre yeux : vous avez saisi les ressources de ce foyer. Un autre agent de "
                            "l'EPCI doit valider la demande.")
        if action == "validate":
            blocked = reequipment_block(household, item.category, today, reequip_months)
            if blocked:
                raise Conflict(blocked)
        automatic = record_decision(session, household, today)
        session.flush()
        item.decision = automatic
        before = item.status
        if action == "validate":
            _validate(session, item, automatic, tier, justification, today, validity_months)
        elif action == "refuse":
            if not justification:
                raise ValidationFailed({"justification": ["Motif du refus obligatoire : il sera communiqué au foyer."]})
            item.status = RequestStatus.REFUSED.value
            item.tier = None
            item.overridden = automatic.eligible
            item.refusal_reason = justification
            item.justification = justification
        else:
            item.status = RequestStatus.PENDING_DOCUMENTS.value
            item.justification = justification
        if action != "ask_documents":
            item.decided_at = utcnow()
            item.decided_by_id = actor.id
        household.last_activity_at = utcnow()
        audit(session, AuditAction.UPDATE, household, actor,
              {"request": item.id, "status": [before, item.status], "tier": item.tier,
               "overridden": item.overridden, "note": justification})
    return item


def _validate(session: Session, item: Request, automatic, tier: int | None, justification: str | None,
              today: date, validity_months: int) -> None:
    rules = rules_by_id(session, automatic.rule_set_id)
    known = [t.tier for t in rules.tiers]
    chosen = tier if tier is not None else automatic.tier
    if chosen is None:
        raise ValidationFailed({"tier": ["La décision automatique est « non éligible » : pour valider quand même, "
                                         f"indiquez le palier ({', '.join(map(str, known))}) et une justification."]})
    if chosen not in known:
        raise ValidationFailed({"tier": [f"Palier inconnu : paliers des règles {rules.id} : {', '.join(map(str, known))}."]})
    overridden = not automatic.eligible or chosen != automatic.tier
    if overridden and not justification:
        auto = f"palier {automatic.tier}" if automatic.eligible else "non éligible"
        raise ValidationFailed({"justification": [f"Justification écrite obligatoire : la décision automatique est "
                                                  f"« {auto} » et vous validez au palier {chosen}."]})
    item.status = RequestStatus.VALIDATED.value
    item.tier = chosen
    item.overridden = overridden
    item.justification = justification
    item.refusal_reason = None
    item.valid_until = add_months(today, validity_months)


def mark_equipped(session: Session, item: Request, when: datetime | None = None) -> Request:
    """The household received the device (called by the handover, in its transaction)."""
    if item.status != RequestStatus.VALIDATED.value:
        raise TransitionRefused("Seule une demande validée peut être marquée « équipé ».", allowed=[])
    item.status = RequestStatus.EQUIPPED.value
    item.equipped_at = when or utcnow()
    item.household.last_activity_at = item.equipped_at
    return item


def mark_returned(session: Session, item: Request) -> Request:
    """The household gave the device back (a credit note with a return, in its transaction): the
    request is validated again, so the household can receive another device without waiting
    out the re-equipment rule."""
    if item.status != RequestStatus.EQUIPPED.value:
        raise TransitionRefused("Seule une demande « équipé » peut revenir à « validée ».", allowed=[])
    item.status = RequestStatus.VALIDATED.value
    item.equipped_at = None
    return item


def queue(session: Session, stmt, status: str | None = None):
    """Requests of ``stmt`` (already scoped), oldest first, optionally of one status."""
    if status:
        stmt = stmt.where(Request.status == status)
    return session.execute(stmt.order_by(Request.created_at, Request.id)).scalars().all()


def open_requests_select():
    return select(Request).where(Request.status.in_(OPEN))

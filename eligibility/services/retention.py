"""Retention (GDPR): households with no activity for 36 months (configurable) are anonymised.
What stays, for statistics: the commune, the tiers, the dates and the categories."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import ValidationFailed
from core.actor import Actor
from eligibility.models import AuditEntry, Decision, Household
from core.unit_of_work import unit_of_work
from eligibility.services.common import add_months, audit
from eligibility.vocabulary import AuditAction

RETENTION_MONTHS = 36
SYSTEM = Actor(None, "purge automatique", frozenset())


def purge_candidates(session: Session, months: int = RETENTION_MONTHS, now: datetime | None = None) -> list[Household]:
    if months < 1:
        raise ValidationFailed({"months": ["Nombre de mois entier, au moins 1, attendu."]})
    now = now or utcnow()
    cutoff = datetime.combine(add_months(now.date(), -months), now.time(), tzinfo=now.tzinfo)
    return session.execute(select(Household).where(Household.anonymised_at.is_(None))
                           .where(Household.last_activity_at < cutoff).order_by(Household.id)).scalars().all()


def anonymise(session: Session, household: Household, actor: Actor = SYSTEM) -> None:
    """Erase everything personal about one household, in the caller's transaction."""
    for field in ("last_name", "first_name", "name_key", "birth_date", "phone", "email", "address",
                  "monthly_resources", "resources_proof", "referrer_user_id", "referrer_name",
                  "consent_version", "notes", "income_entered_by_id"):
        setattr(household, field, None)
    household.benefits = []
    household.situations = []
    household.members.clear()
    household.proofs.clear()
    household.anonymised_at = utcnow()
    for item in household.requests:
        item.justification = None
        item.refusal_reason = None
    # Decisions keep eligibility, tier, rule set and dates; their facts and reasons held income.
    session.execute(update(Decision).where(Decision.household_id == household.id)
                    .values(facts={}, reasons=[], consumption_units=None, resources_per_uc=None))
    # The audit log keeps who did what and when; the values it recorded (income) go. This is the
    # only write ever made to past audit entries.
    session.execute(update(AuditEntry).where(AuditEntry.household_id == household.id).values(changes={}))
    audit(session, AuditAction.ANONYMISE, household, actor)


def purge(session: Session, months: int = RETENTION_MONTHS, now: datetime | None = None,
          dry_run: bool = False) -> list[str]:
    """Anonymise every household inactive for ``months``. Returns their references."""
    households = purge_candidates(session, months, now)
    references = [h.reference for h in households]
    if dry_run or not households:
        return references
    with unit_of_work(session):
        for household in households:
            anonymise(session, household)
    return references

"""Right of access (GDPR art. 15): everything held about a household, as JSON and as the
display-ready data the PDF is rendered from. Each export is written to the audit log."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_today, to_local, utcnow
from core.actor import Actor
from core.money import euros
from eligibility.identity import display_phone
from eligibility.models import AuditEntry, Household
from eligibility.representations import household_export_json
from core.unit_of_work import unit_of_work
from eligibility.services.common import audit
from eligibility.vocabulary import AuditAction, ProofKind, Relationship, RequestStatus, Situation
from core.vocabulary import Category


def _day(value):
    return value.strftime("%d/%m/%Y") if value is not None else None


def _moment(value):
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value is not None else None


def household_display(household: Household, audit_rows: list[AuditEntry], rules_labels: dict[int, str] | None = None) -> dict:
    """The same content, display-ready in French, for the PDF."""
    today = local_today()
    labels = rules_labels or {}
    return {
        "reference": household.reference,
        "exported_at": _moment(utcnow()),
        "head": {"last_name": household.last_name, "first_name": household.first_name,
                 "birth_date": _day(household.birth_date), "phone": display_phone(household.phone),
                 "email": household.email, "address": household.address,
                 "commune": f"{household.commune.name} ({household.commune_insee})",
                 "epci": household.commune.epci.short_name},
        "members": [{"relation": Relationship.label_of(m.relation), "birth_date": _day(m.birth_date),
                     "age": f"{m.age_on(today)} ans"} for m in household.members],
        "monthly_resources": euros(household.monthly_resources) if household.monthly_resources is not None else None,
        "resources_proof": ProofKind.label_of(household.resources_proof) if household.resources_proof else None,
        "benefits": list(household.benefits or []),
        "situations": [Situation.label_of(s) for s in household.situations or []],
        "referrer": {"organisation": household.referrer_organisation.name if household.referrer_organisation else None,
                     "person": household.referrer_name},
        "consent": ({"on": _day(household.consent_on), "version": household.consent_version}
                    if household.consent_on else None),
        "notes": household.notes,
        "proofs": [{"kind": ProofKind.label_of(p.kind), "seen_on": _day(p.seen_on)} for p in household.proofs],
        "requests": [{
            "category": Category.label_of(r.category), "status": RequestStatus.label_of(r.status),
            "created_at": _moment(r.created_at), "decided_at": _moment(r.decided_at),
            "tier": labels.get(r.tier, f"Palier {r.tier}") if r.tier else None, "valid_until": _day(r.valid_until),
            "overridden": r.overridden, "justification": r.justification, "refusal_reason": r.refusal_reason,
            "decision": _decision_display(r.decision or r.preview),
        } for r in household.requests],
        "audit": [{"at": _moment(a.at), "who": a.username or "—", "action": AuditAction.label_of(a.action)}
                  for a in audit_rows],
    }


def _decision_display(decision) -> dict | None:
    if decision is None:
        return None
    return {"rule_set": decision.rule_set_id, "checked_on": _day(decision.checked_on),
            "eligible": "Oui" if decision.eligible else "Non", "reasons": list(decision.reasons)}


def audit_of(session: Session, household: Household) -> list[AuditEntry]:
    return session.execute(select(AuditEntry).where(AuditEntry.household_id == household.id)
                           .order_by(AuditEntry.at, AuditEntry.id)).scalars().all()


def export_household(session: Session, actor: Actor, household: Household, fmt: str) -> tuple[dict, dict]:
    """(json, display) of the household; the export is recorded in the audit log first."""
    with unit_of_work(session):
        audit(session, AuditAction.EXPORT, household, actor, {"format": fmt})
    rows = audit_of(session, household)
    return household_export_json(household, rows, utcnow()), household_display(household, rows)

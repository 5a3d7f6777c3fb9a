"""The eligibility domain as JSON: households, requests and decisions for the API, and the
right-of-access export. Pure functions of loaded objects: no query, no request context."""
from __future__ import annotations

from datetime import date, datetime

from eligibility.identity import display_phone
from eligibility.models import AuditEntry, Household, Request


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def decision_json(decision) -> dict | None:
    if decision is None:
        return None
    return {"eligible": decision.eligible, "tier": decision.tier,
            "consumption_units": str(decision.consumption_units) if decision.consumption_units is not None else None,
            "resources_per_uc": str(decision.resources_per_uc) if decision.resources_per_uc is not None else None,
            "epci": decision.epci, "rule_set": decision.rule_set_id, "checked_on": decision.checked_on.isoformat(),
            "reasons": list(decision.reasons)}


def request_json(item: Request) -> dict:
    return {"id": item.id, "household_id": item.household_id, "household": item.household.reference,
            "category": item.category, "status": item.status, "tier": item.tier, "overridden": item.overridden,
            "justification": item.justification, "refusal_reason": item.refusal_reason,
            "created_at": item.created_at.isoformat(),
            "decided_at": item.decided_at.isoformat() if item.decided_at else None,
            "valid_until": item.valid_until.isoformat() if item.valid_until else None,
            "preview": decision_json(item.preview), "decision": decision_json(item.decision)}


def household_json(household: Household) -> dict:
    return {
        "id": household.id, "reference": household.reference, "last_name": household.last_name,
        "first_name": household.first_name,
        "birth_date": household.birth_date.isoformat() if household.birth_date else None,
        "phone": household.phone, "phone_display": display_phone(household.phone), "email": household.email,
        "address": household.address, "commune_insee": household.commune_insee, "commune": household.commune.name,
        "epci": household.commune.epci.short_name,
        "members": [{"relation": m.relation, "birth_date": m.birth_date.isoformat() if m.birth_date else None,
                     "age": m.age, "age_given_on": m.age_given_on.isoformat() if m.age_given_on else None}
                    for m in household.members],
        "monthly_resources": str(household.monthly_resources) if household.monthly_resources is not None else None,
        "resources_proof": household.resources_proof, "benefits": household.benefits,
        "situations": household.situations,
        "referrer": {"organisation": household.referrer_organisation_id, "person": household.referrer_name},
        "consent_on": household.consent_on.isoformat() if household.consent_on else None,
        "consent_version": household.consent_version, "notes": household.notes,
        "proofs": [{"kind": p.kind, "seen_on": p.seen_on.isoformat()} for p in household.proofs],
        "requests": [request_json(r) for r in household.requests],
        "anonymised": household.anonymised_at is not None,
    }


def household_export_json(household: Household, audit_rows: list[AuditEntry], exported_at: datetime) -> dict:
    """The right-of-access export (GDPR art. 15), machine-readable: everything held, and who read it."""
    return {
        "reference": household.reference,
        "exported_at": _iso(exported_at),
        "head": {"last_name": household.last_name, "first_name": household.first_name,
                 "birth_date": _iso(household.birth_date), "phone": household.phone, "email": household.email,
                 "address": household.address, "commune_insee": household.commune_insee,
                 "commune": household.commune.name, "epci": household.commune.epci.short_name},
        "members": [{"relation": m.relation, "birth_date": _iso(m.birth_date), "age": m.age,
                     "age_given_on": _iso(m.age_given_on)} for m in household.members],
        "monthly_resources": str(household.monthly_resources) if household.monthly_resources is not None else None,
        "resources_proof": household.resources_proof,
        "benefits": list(household.benefits or []),
        "situations": list(household.situations or []),
        "referrer": {"organisation": household.referrer_organisation.name if household.referrer_organisation else None,
                     "person": household.referrer_name},
        "consent": {"on": _iso(household.consent_on), "version": household.consent_version},
        "notes": household.notes,
        "proofs": [{"kind": p.kind, "seen_on": _iso(p.seen_on)} for p in household.proofs],
        "requests": [{
            "id": r.id, "category": r.category, "status": r.status, "created_at": _iso(r.created_at),
            "decided_at": _iso(r.decided_at), "tier": r.tier, "valid_until": _iso(r.valid_until),
            "overridden": r.overridden, "justification": r.justification, "refusal_reason": r.refusal_reason,
            "equipped_at": _iso(r.equipped_at),
            "decision": _export_decision_json(r.decision or r.preview),
        } for r in household.requests],
        "audit": [{"at": _iso(a.at), "who": a.username, "action": a.action} for a in audit_rows],
    }


def _export_decision_json(decision) -> dict | None:
    if decision is None:
        return None
    return {"rule_set": decision.rule_set_id, "checked_on": _iso(decision.checked_on), "eligible": decision.eligible,
            "tier": decision.tier, "reasons": list(decision.reasons)}

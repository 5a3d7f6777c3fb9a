"""Models of the eligibility domain: rule sets, households and their members and proofs,
requests, decisions, and the audit log of income data."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import Model, in_values
from core.clock import utcnow
from core.territory import Commune
from core.types import UTCDateTime
from eligibility.vocabulary import AuditAction, ProofKind, Relationship, RequestStatus
from core.organisations import Organisation
from core.vocabulary import Category


class RuleSet(Model):
    """A version of the eligibility rules, stored as the file it came from. Never edited once a
    decision references it; a new version gets a new id."""

    __tablename__ = "rule_set"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    def __str__(self) -> str:
        return self.title


class Household(Model):
    """A household, known by a pseudonymous reference (FOY-YYYY-NNNNN). Its identity and income
    are personal data: read through ``eligibility.access`` only, and every read or change of
    the income is in the audit log."""

    __tablename__ = "household"
    __table_args__ = (
        CheckConstraint("monthly_resources IS NULL OR monthly_resources >= 0", name="resources_nonnegative"),
        Index("ix_household_identity", "name_key", "birth_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    last_name: Mapped[str | None] = mapped_column(String(120))
    first_name: Mapped[str | None] = mapped_column(String(120))
    name_key: Mapped[str | None] = mapped_column(String(240))   # normalised names, to spot duplicates
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)   # E.164
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee_code"), nullable=False, index=True)
    monthly_resources: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    resources_proof: Mapped[str | None] = mapped_column(String(20))
    benefits: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    situations: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    referrer_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    referrer_user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    referrer_name: Mapped[str | None] = mapped_column(String(120))   # the social worker, by name
    consent_on: Mapped[date | None] = mapped_column(Date)
    consent_version: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    income_entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commune: Mapped[Commune] = relationship()
    referrer_organisation: Mapped[Organisation | None] = relationship()
    members: Mapped[list["Member"]] = relationship(back_populates="household", order_by="Member.id",
                                                   cascade="all, delete-orphan")
    proofs: Mapped[list["Proof"]] = relationship(back_populates="household", order_by="Proof.id",
                                                 cascade="all, delete-orphan")
    requests: Mapped[list["Request"]] = relationship(back_populates="household", order_by="Request.id")

    def __str__(self) -> str:   # the pseudonymous reference, never the names
        return self.reference


class Member(Model):
    """One person of a household, the head included: a birth date, or an age given on a date."""

    __tablename__ = "household_member"
    __table_args__ = (
        CheckConstraint(in_values("relation", Relationship.values()), name="relation"),
        CheckConstraint("birth_date IS NOT NULL OR (age IS NOT NULL AND age_given_on IS NOT NULL)", name="age_known"),
        CheckConstraint("age IS NULL OR (age >= 0 AND age <= 125)", name="age_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    relation: Mapped[str] = mapped_column(String(10), nullable=False)   # Relationship value
    birth_date: Mapped[date | None] = mapped_column(Date)
    age: Mapped[int | None] = mapped_column(Integer)
    age_given_on: Mapped[date | None] = mapped_column(Date)

    household: Mapped[Household] = relationship(back_populates="members")

    def age_on(self, day: date) -> int:
        from eligibility.engine import age_on

        if self.birth_date is not None:
            return age_on(self.birth_date, day)
        return self.age + max(0, age_on(self.age_given_on, day))

    def __str__(self) -> str:
        return Relationship.label_of(self.relation)


class Proof(Model):
    """A document seen by an agent: its kind and the date. The document itself is not kept."""

    __tablename__ = "household_proof"
    __table_args__ = (CheckConstraint(in_values("kind", ProofKind.values()), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    seen_on: Mapped[date] = mapped_column(Date, nullable=False)
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    household: Mapped[Household] = relationship(back_populates="proofs")

    def __str__(self) -> str:
        return ProofKind.label_of(self.kind)


class Request(Model):
    """A household's request for a device of a category, and the EPCI's decision on it."""

    __tablename__ = "eligibility_request"
    __table_args__ = (
        CheckConstraint(in_values("status", RequestStatus.values()), name="status"),
        CheckConstraint(in_values("category", Category.values()), name="category"),
        CheckConstraint("tier IS NULL OR tier BETWEEN 1 AND 9", name="tier"),
        Index("ix_eligibility_request_status", "status", "created_at"),
        Index("ix_eligibility_request_created_id", "created_at", "id"),   # the queue of every status
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=RequestStatus.SUBMITTED.value)
    preview_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))    # at submission
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision.id"))   # at the agent's action
    tier: Mapped[int | None] = mapped_column(Integer)
    overridden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    justification: Mapped[str | None] = mapped_column(Text)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    valid_until: Mapped[date | None] = mapped_column(Date)
    equipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    household: Mapped[Household] = relationship(back_populates="requests")
    preview: Mapped["Decision | None"] = relationship(foreign_keys=[preview_id])
    decision: Mapped["Decision | None"] = relationship(foreign_keys=[decision_id])
    decided_by: Mapped[User | None] = relationship(User, foreign_keys=[decided_by_id])

    def __str__(self) -> str:
        return f"Demande n° {self.id} ({Category.label_of(self.category).lower()})"


class Decision(Model):
    """An eligibility decision as the engine gave it, with the facts and the rule set it used:
    re-checking these facts with this rule set gives the same answer."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    rule_set_id: Mapped[str] = mapped_column(ForeignKey("rule_set.id"), nullable=False, index=True)
    checked_on: Mapped[date] = mapped_column(Date, nullable=False)
    facts: Mapped[dict] = mapped_column(JSON, nullable=False)
    eligible: Mapped[bool] = mapped_column(Boolean, nullable=False)
    tier: Mapped[int | None] = mapped_column(Integer)
    # Income-derived: blanked, with the facts and reasons, when the household is anonymised.
    consumption_units: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    resources_per_uc: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    epci: Mapped[str | None] = mapped_column(String(40))
    reasons: Mapped[list] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    def __str__(self) -> str:
        verdict = "Éligible" if self.eligible else "Non éligible"
        return f"{verdict}, tranche {self.tier}" if self.eligible and self.tier else verdict


class AuditEntry(Model):
    """Who created, changed, read or exported a household's income data, and what changed.
    Append-only: never updated, never deleted (the anonymisation keeps it, without names)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        CheckConstraint(in_values("action", AuditAction.values()), name="action"),
        Index("ix_audit_entry_reference_id", "household_reference", "id"),   # the log of one household
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    username: Mapped[str | None] = mapped_column(String(120))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    household_reference: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    changes: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    def __str__(self) -> str:
        return f"{AuditAction.label_of(self.action)} ({self.household_reference or 'foyer inconnu'})"


class AuditViolation(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _no_audit_update(mapper, connection, target) -> None:
    raise AuditViolation("audit_entry is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _no_audit_delete(mapper, connection, target) -> None:
    raise AuditViolation("audit_entry is append-only")

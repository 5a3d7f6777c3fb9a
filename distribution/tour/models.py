"""The tour's records: mobile units (each with its own invoice series), tours with the snapshot
they downloaded, the stops and reserved devices they carry, every action sent back (with its
idempotency key and outcome) and the walk-in participants of a mobile workshop."""
from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import Model, in_values
from core.clock import utcnow
from core.territory import Commune
from core.types import UTCDateTime
from distribution.models import Reservation, WorkshopSession
from distribution.tour.rules import ActionKind, ActionOutcome, TourStatus


class MobileUnit(Model):
    """A point of sale on the road (« M1 », « Camion Nord »): it numbers its own invoices
    F-Mn-AAAA-NNNNN. A unit is never deleted nor its code reused; a lost device retires it and
    ``closed_series`` records the last number synced in each year (docs/mobile-tour-design.md § 1.5)."""

    __tablename__ = "mobile_unit"
    __table_args__ = (CheckConstraint("code LIKE 'M%'", name="code_form"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    retired_reason: Mapped[str | None] = mapped_column(Text)
    closed_series: Mapped[dict | None] = mapped_column(JSON)        # {"2026": 12}: last number per year
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class MobileTour(Model):
    """A tour downloaded for a day (TRN-AAAA-NNNN), held by one account on one browser
    (``device_key``). At most one tour is out per unit: one writer per invoice series."""

    __tablename__ = "mobile_tour"
    __table_args__ = (
        CheckConstraint(in_values("status", TourStatus.values()), name="status"),
        CheckConstraint("last_seq >= 0", name="last_seq_nonnegative"),
        Index("uq_mobile_tour_out_unit", "mobile_unit_id", unique=True,
              sqlite_where=text("status = 'out'"), postgresql_where=text("status = 'out'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    mobile_unit_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_unit.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    device_key: Mapped[str] = mapped_column(String(36), nullable=False)
    tour_date: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=TourStatus.OUT.value)
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    snapshot_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    snapshot: Mapped[dict] = mapped_column(JSON, nullable=False)
    snapshot_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    closure: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    lost_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[MobileUnit | None] = relationship()
    holder: Mapped[User] = relationship(User, foreign_keys=[holder_id])
    sessions: Mapped[list[WorkshopSession]] = relationship(secondary="mobile_tour_session",
                                                           order_by=WorkshopSession.starts_at)
    reservations: Mapped[list[Reservation]] = relationship(secondary="mobile_tour_reservation",
                                                           order_by=Reservation.id)

    @property
    def status_label(self) -> str:
        return TourStatus.label_of(self.status)

    def __str__(self) -> str:
        return f"Tournée {self.reference}"


class MobileTourSession(Model):
    """A stop of a tour: one of its workshop sessions."""

    __tablename__ = "mobile_tour_session"

    tour_id: Mapped[int] = mapped_column(ForeignKey("mobile_tour.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id"), primary_key=True, index=True)

    def __str__(self) -> str:
        return f"Étape : atelier n° {self.session_id}"


class MobileTourReservation(Model):
    """A reserved device loaded in the van for a tour."""

    __tablename__ = "mobile_tour_reservation"

    tour_id: Mapped[int] = mapped_column(ForeignKey("mobile_tour.id"), primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id"), primary_key=True, index=True)

    def __str__(self) -> str:
        return f"Appareil chargé : réservation n° {self.reservation_id}"


class TourAction(Model):
    """One action recorded offline and sent back: its idempotency key (``client_key``), its place
    in the tour's order (``seq``), what it said (``payload``, with its SHA-256 so that a key reused
    for another content is caught) and what the server made of it."""

    __tablename__ = "tour_action"
    __table_args__ = (
        CheckConstraint(in_values("kind", ActionKind.values()), name="kind"),
        CheckConstraint(in_values("outcome", ActionOutcome.values()), name="outcome"),
        CheckConstraint("seq > 0", name="seq_positive"),
        UniqueConstraint("tour_id", "seq"),
        Index("ix_tour_action_tour_outcome", "tour_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("mobile_tour.id"), nullable=False)
    client_key: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    payload_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)    # the device's clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    what_to_do: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    tour: Mapped[MobileTour] = relationship()

    @property
    def kind_label(self) -> str:
        return ActionKind.label_of(self.kind)

    @property
    def outcome_label(self) -> str:
        return ActionOutcome.label_of(self.outcome)

    def __str__(self) -> str:
        return f"{self.kind_label} n° {self.seq} ({self.outcome_label.lower()})"


class WorkshopWalkIn(Model):
    """Someone who came to a mobile workshop without a booking: not a household (no eligibility,
    no income, no seat). Anonymised after the retention period like the households."""

    __tablename__ = "workshop_walk_in"
    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id"), nullable=False, index=True)
    tour_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_tour.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("tour_action.id"), unique=True)
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee_code"), nullable=False, index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[WorkshopSession] = relationship()
    commune: Mapped[Commune] = relationship()

    def __str__(self) -> str:
        if self.anonymised_at is not None:
            return "Participant anonymisé"
        return f"{self.first_name or ''} {self.last_name or ''}".strip() or "Participant sans inscription"

"""SQLAlchemy models of the handover: price grids, reservations, invoices and their lines,
credit notes, onboarding-workshop sessions and bookings.

Issued invoices, their lines and credit notes are immutable: the ORM refuses any update or
delete (``ImmutableRecord``), and database triggers refuse them too (see ``IMMUTABLE_TABLES``)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    JSON,
    Numeric,
    String,
    Text,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import Model, in_values
from core.clock import utcnow
from core.territory import Commune
from core.types import UTCDateTime
from distribution.vocabulary import (
    BookingStatus,
    InternetAccess,
    ReservationStatus,
    VatRegime,
    VenueKind,
    WorkshopTopic,
    venue_label,
)
from eligibility.models import Household, Request
from core.organisations import Organisation
from inventory.models import Device, Site

Money = Numeric(12, 2)


class PriceGrid(Model):
    """A version of the solidarity price grid; its ``data`` is the grid file as loaded."""

    __tablename__ = "price_grid"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    def __str__(self) -> str:
        return self.title


class Reservation(Model):
    """A device held for a validated request, then handed over (or released)."""

    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint(in_values("status", ReservationStatus.values()), name="status"),
        CheckConstraint("internet_access IS NULL OR " + in_values("internet_access", InternetAccess.values()),
                        name="internet_access"),
        # One live reservation per device and per request, enforced by the database itself.
        Index("uq_reservation_active_device", "device_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("uq_reservation_active_request", "request_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_reservation_status_expires_id", "status", "expires_at", "id"),   # the current ones, by expiry
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("eligibility_request.id"), nullable=False, index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ReservationStatus.ACTIVE.value)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    reserved_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)
    # Recorded at handover, for the programme's internet-access indicator.
    internet_access: Mapped[str | None] = mapped_column(String(20))
    internet_offer_referred: Mapped[bool | None] = mapped_column(Boolean)

    request: Mapped[Request] = relationship()
    device: Mapped[Device] = relationship()
    reserved_by: Mapped[User | None] = relationship(User, foreign_keys=[reserved_by_id])

    @property
    def status_label(self) -> str:
        return ReservationStatus.label_of(self.status)

    def __str__(self) -> str:
        return f"Réservation n° {self.id}"


class WorkshopSession(Model):
    """An onboarding workshop ("atelier de prise en main")."""

    __tablename__ = "workshop_session"
    __table_args__ = (
        CheckConstraint(in_values("topic", WorkshopTopic.values()), name="topic"),
        CheckConstraint(in_values("venue_kind", VenueKind.values()), name="venue_kind"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_workshop_session_topic_start", "topic", "starts_at"),
        Index("ix_workshop_session_starts_id", "starts_at", "id"),    # the workshops list, by date
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    venue_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    venue_name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str | None] = mapped_column(String(300))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee_code"), nullable=False, index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False, default=8)
    notes: Mapped[str | None] = mapped_column(Text)
    waitlist_counter: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # A cancelled session stays on record (its bookings are cancelled with it); it is no longer
    # proposed nor counted as held.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    commune: Mapped[Commune] = relationship()
    site: Mapped[Site | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    facilitator: Mapped[User | None] = relationship(User, foreign_keys=[facilitator_id])
    cancelled_by: Mapped[User | None] = relationship(User, foreign_keys=[cancelled_by_id])
    bookings: Mapped[list["Booking"]] = relationship(back_populates="session", order_by="Booking.id")

    @property
    def topic_label(self) -> str:
        return WorkshopTopic.label_of(self.topic)

    @property
    def venue_kind_label(self) -> str:
        return VenueKind.label_of(self.venue_kind)

    @property
    def venue_label(self) -> str:
        """The venue's name with its kind, once (``distribution.vocabulary.venue_label``)."""
        return venue_label(self.venue_name, self.venue_kind)

    def __str__(self) -> str:
        return f"Atelier {self.topic_label} ({self.venue_name})"


class Booking(Model):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint(in_values("status", BookingStatus.values()), name="status"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        # A household holds at most one live booking per session.
        Index("uq_booking_live_household", "session_id", "household_id", unique=True,
              sqlite_where=text("status IN ('booked', 'waitlisted')"),
              postgresql_where=text("status IN ('booked', 'waitlisted')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    queue_number: Mapped[int | None] = mapped_column(Integer)   # order on the waiting list
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    tour_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_tour.id"))   # booked at a handover on tour

    session: Mapped[WorkshopSession] = relationship(back_populates="bookings")
    household: Mapped[Household] = relationship()

    @property
    def status_label(self) -> str:
        return BookingStatus.label_of(self.status)

    def __str__(self) -> str:
        return f"Inscription n° {self.id} ({self.status_label.lower()})"


class Invoice(Model):
    """An issued invoice (facture): immutable, numbered F-YYYY-NNNNN, chained by SHA-256. An
    invoice issued offline by a mobile unit is numbered in the unit's series F-Mn-YYYY-NNNNN and
    also chained per unit (``unit_*``), that chain being anchored in the main one when it syncs."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint(in_values("vat_regime", VatRegime.values()), name="vat_regime"),
        CheckConstraint("total_ttc = total_ht + vat", name="totals_add_up"),
        Index("uq_invoice_unit_position", "mobile_unit_id", "unit_position", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    chain_position: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id"), unique=True, nullable=False)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False, index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    seller: Mapped[dict] = mapped_column(JSON, nullable=False)
    buyer_name: Mapped[str] = mapped_column(String(250), nullable=False)
    buyer_address: Mapped[str | None] = mapped_column(String(400))
    vat_regime: Mapped[str] = mapped_column(String(20), nullable=False)
    price_grid_id: Mapped[str] = mapped_column(ForeignKey("price_grid.id"), nullable=False)
    tier: Mapped[int] = mapped_column(Integer, nullable=False)
    total_ttc: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total_ht: Mapped[Decimal] = mapped_column(Money, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money, nullable=False)
    reference_value: Mapped[Decimal] = mapped_column(Money, nullable=False)
    aide_solidaire: Mapped[Decimal] = mapped_column(Money, nullable=False)
    payments: Mapped[list] = mapped_column(JSON, nullable=False)   # [{"method", "amount"}]
    amount_paid: Mapped[Decimal] = mapped_column(Money, nullable=False)
    workshop: Mapped[dict | None] = mapped_column(JSON)             # what the invoice says of the booking
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    previous_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # Issued offline on tour (all NULL for the office's invoices).
    mobile_unit_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_unit.id"))
    tour_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_tour.id"), index=True)
    unit_position: Mapped[int | None] = mapped_column(Integer)
    unit_previous_hash: Mapped[str | None] = mapped_column(String(64))
    unit_hash: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list["InvoiceLine"]] = relationship(back_populates="invoice", order_by="InvoiceLine.position")
    household: Mapped[Household] = relationship()
    device: Mapped[Device] = relationship()
    reservation: Mapped[Reservation] = relationship()
    credit_notes: Mapped[list["CreditNote"]] = relationship(back_populates="invoice", order_by="CreditNote.id")

    def __str__(self) -> str:
        return self.number


class InvoiceLine(Model):
    __tablename__ = "invoice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)   # "device" or an accessory code
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    asset_tag: Mapped[str | None] = mapped_column(String(20))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price_ttc: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total_ttc: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total_ht: Mapped[Decimal] = mapped_column(Money, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money, nullable=False)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    def __str__(self) -> str:
        return self.description


class CreditNote(Model):
    """An avoir, numbered AV-YYYY-NNNNN, citing the invoice it corrects or cancels; immutable and
    chained like the invoices."""

    __tablename__ = "credit_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    chain_position: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), nullable=False, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    device_returned: Mapped[bool] = mapped_column(Boolean, nullable=False)
    lines: Mapped[list] = mapped_column(JSON, nullable=False)   # the invoice lines credited, with amounts
    total_ttc: Mapped[Decimal] = mapped_column(Money, nullable=False)
    total_ht: Mapped[Decimal] = mapped_column(Money, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    previous_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")

    def __str__(self) -> str:
        return self.number


class ImmutableRecord(RuntimeError):
    """Something tried to change or delete an issued invoice, line or credit note."""


IMMUTABLE_TABLES = ("invoice", "invoice_line", "credit_note")


def _refuse(target) -> None:
    raise ImmutableRecord(f"{target.__tablename__} est immuable : une facture émise ne se modifie "
                          "que par un avoir.")


def _refuse_update(mapper, connection, target) -> None:
    # SQLAlchemy also calls this for a parent whose collection grew (a credit note added to an
    # invoice); only a change of a column is a change of the document.
    state = inspect(target)
    if any(state.attrs[column.key].history.has_changes() for column in mapper.column_attrs):
        _refuse(target)


def _refuse_delete(mapper, connection, target) -> None:
    _refuse(target)


for _model in (Invoice, InvoiceLine, CreditNote):
    event.listen(_model, "before_update", _refuse_update)
    event.listen(_model, "before_delete", _refuse_delete)


def immutability_triggers(dialect: str, table: str) -> list[str]:
    """SQL creating the triggers that refuse UPDATE and DELETE on ``table``."""
    message = f"{table} est immuable : une facture émise ne se modifie que par un avoir"
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION refuse_change_of_issued_document() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || "
            "' est immuable : une facture émise ne se modifie que par un avoir'; END; $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change_of_issued_document()",
        ]
    return [f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"]


def _add_triggers(table_name: str):
    def listener(table, connection, **kw) -> None:
        for statement in immutability_triggers(connection.dialect.name, table_name):
            connection.exec_driver_sql(statement)
    return listener


for _model in (Invoice, InvoiceLine, CreditNote):
    event.listen(_model.__table__, "after_create", _add_triggers(_model.__tablename__))

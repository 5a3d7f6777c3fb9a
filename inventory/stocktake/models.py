"""The stocktake's records: the stocktake and its locations, what was expected in each when it
was opened, every code counted (who, where, when), the counters' current location, what applying
it did, and the devices marked missing (issue 19)."""
from __future__ import annotations

from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import Model, in_values
from core.clock import utcnow
from core.types import UTCDateTime
from inventory.models import Device, EventId, Location, Site, SparePart
from inventory.stocktake.rules import (
    DEVICE_COUNTED,
    AdjustmentKind,
    CountOutcome,
    LocationCountStatus,
    QuantityMode,
    StocktakeStatus,
)

COUNTED_PREDICATE = "outcome IN (" + ", ".join(f"'{o}'" for o in DEVICE_COUNTED) + ")"


class Stocktake(Model):
    """A stocktake of a site, or of chosen locations of a site (INV-AAAA-NNNN)."""

    __tablename__ = "stocktake"
    __table_args__ = (CheckConstraint(in_values("status", StocktakeStatus.values()), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False, index=True)
    whole_site: Mapped[bool] = mapped_column(Boolean, nullable=False)
    blind: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=StocktakeStatus.OPEN.value)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)       # applied or cancelled
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site] = relationship()
    opened_by: Mapped[User | None] = relationship(User, foreign_keys=[opened_by_id])
    ended_by: Mapped[User | None] = relationship(User, foreign_keys=[ended_by_id])
    locations: Mapped[list["StocktakeLocation"]] = relationship(
        back_populates="stocktake", order_by="StocktakeLocation.id")

    @property
    def status_label(self) -> str:
        return StocktakeStatus.label_of(self.status)

    @property
    def is_open(self) -> bool:
        return self.status == StocktakeStatus.OPEN.value

    def __str__(self) -> str:
        return f"Inventaire {self.reference}"


class StocktakeLocation(Model):
    """One location of a stocktake. ``live`` is true while the stocktake is open: a location is
    in at most one open stocktake (a unique index), so scanning it says which one to count."""

    __tablename__ = "stocktake_location"
    __table_args__ = (
        CheckConstraint(in_values("status", LocationCountStatus.values()), name="status"),
        UniqueConstraint("stocktake_id", "location_id"),
        Index("uq_stocktake_location_live", "location_id", unique=True,
              sqlite_where=text("live"), postgresql_where=text("live")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), nullable=False)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), nullable=False)
    live: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=LocationCountStatus.PENDING.value)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    stocktake: Mapped[Stocktake] = relationship(back_populates="locations")
    location: Mapped[Location] = relationship()
    closed_by: Mapped[User | None] = relationship(User)

    @property
    def status_label(self) -> str:
        return LocationCountStatus.label_of(self.status)

    @property
    def is_closed(self) -> bool:
        return self.status == LocationCountStatus.CLOSED.value

    def __str__(self) -> str:
        return f"{self.location.code} ({self.status_label})"


class StocktakeExpected(Model):
    """What the records held in a location when the stocktake was opened: a device (with its
    state then) or a part line (with its quantity then). Written once, never changed."""

    __tablename__ = "stocktake_expected"
    __table_args__ = (
        CheckConstraint("(device_id IS NULL) <> (spare_part_id IS NULL)", name="one_item"),
        Index("ix_stocktake_expected_stocktake_device", "stocktake_id", "device_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), nullable=False)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), nullable=False)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    spare_part_id: Mapped[int | None] = mapped_column(ForeignKey("spare_part.id"))
    state: Mapped[str | None] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    device: Mapped[Device | None] = relationship()
    spare_part: Mapped[SparePart | None] = relationship()
    location: Mapped[Location] = relationship()

    def __str__(self) -> str:
        what = self.device.asset_tag if self.device is not None else (self.spare_part.description if self.spare_part else "")
        return f"{what} attendu dans {self.location.code}"


class StocktakeCount(Model):
    """One code counted, by whom, where and when, and what it was. A device is counted once per
    stocktake (a unique index on the counting outcomes); a repeat is kept as a ``repeat`` row.
    ``recorded_location_id`` and ``device_version`` are the device's record at the count: a
    device changed since is a conflict when the stocktake is applied, not overwritten."""

    __tablename__ = "stocktake_count"
    __table_args__ = (
        CheckConstraint(in_values("outcome", CountOutcome.values()), name="outcome"),
        CheckConstraint("mode IS NULL OR " + in_values("mode", QuantityMode.values()), name="mode"),
        CheckConstraint("quantity >= 0", name="quantity_nonnegative"),
        Index("uq_stocktake_count_device", "stocktake_id", "device_id", unique=True,
              sqlite_where=text(COUNTED_PREDICATE), postgresql_where=text(COUNTED_PREDICATE)),
        Index("ix_stocktake_count_stocktake_location", "stocktake_id", "location_id", "id"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), nullable=False)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(120), nullable=False)
    outcome: Mapped[str] = mapped_column(String(15), nullable=False)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    spare_part_id: Mapped[int | None] = mapped_column(ForeignKey("spare_part.id"))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    mode: Mapped[str | None] = mapped_column(String(5))
    recorded_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    recorded_state: Mapped[str | None] = mapped_column(String(20))
    device_version: Mapped[int | None] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    device: Mapped[Device | None] = relationship()
    spare_part: Mapped[SparePart | None] = relationship()
    location: Mapped[Location] = relationship(foreign_keys=[location_id])
    recorded_location: Mapped[Location | None] = relationship(foreign_keys=[recorded_location_id])
    counted_by: Mapped[User | None] = relationship(User)

    @property
    def outcome_label(self) -> str:
        return CountOutcome.label_of(self.outcome)

    def __str__(self) -> str:
        return f"{self.code} : {self.outcome_label} ({self.location.code})"


class StocktakeCounter(Model):
    """The location a user is counting (what the next scan counts into), and the last code they
    scanned (a scanner's double fire within the station's window is ignored)."""

    __tablename__ = "stocktake_counter"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), primary_key=True)
    stocktake_location_id: Mapped[int | None] = mapped_column(ForeignKey("stocktake_location.id"))
    last_code: Mapped[str | None] = mapped_column(String(120))
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    stocktake_location: Mapped[StocktakeLocation | None] = relationship()

    def __str__(self) -> str:
        place = self.stocktake_location
        return f"Comptage en cours : {place.location.code}" if place is not None else "Aucun comptage en cours"


class StocktakeAdjustment(Model):
    """What applying a stocktake did for one device or part line, or the conflict that stopped it
    (``kind`` = conflict, with the reason): the record that it is never applied twice."""

    __tablename__ = "stocktake_adjustment"
    __table_args__ = (CheckConstraint(in_values("kind", AdjustmentKind.values()), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    spare_part_id: Mapped[int | None] = mapped_column(ForeignKey("spare_part.id"))
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    quantity_before: Mapped[int | None] = mapped_column(Integer)
    quantity_after: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("device_event.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device | None] = relationship()
    spare_part: Mapped[SparePart | None] = relationship()
    from_location: Mapped[Location | None] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location | None] = relationship(foreign_keys=[to_location_id])

    @property
    def kind_label(self) -> str:
        return AdjustmentKind.label_of(self.kind)

    def __str__(self) -> str:
        return self.kind_label


class MissingDevice(Model):
    """A device a stocktake found missing, until it is found again (``found_at``). While a row
    is open the device's ``missing_since`` is set: it is out of matching and reservation."""

    __tablename__ = "missing_device"
    __table_args__ = (
        Index("uq_missing_device_open", "device_id", unique=True,
              sqlite_where=text("found_at IS NULL"), postgresql_where=text("found_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False, index=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), nullable=False)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))   # where it was expected
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    found_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    found_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    found_how: Mapped[str | None] = mapped_column(Text)        # French: by which scan, where

    device: Mapped[Device] = relationship()
    stocktake: Mapped[Stocktake] = relationship()
    location: Mapped[Location | None] = relationship()

    def __str__(self) -> str:
        state = "retrouvé" if self.found_at is not None else "manquant"
        return f"{self.device.asset_tag} {state} (inventaire {self.stocktake.reference})"

"""SQLAlchemy models of the workshop domain.

Constraints live here, in the schema, not only in the services: the database refuses a
negative weight or an unknown state even if some code path forgot to check.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    JSON,
    LargeBinary,
    Numeric,
    String,
    Text,
    event,
    false,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from core.base import Model, in_values
from core.clock import utcnow
from core.organisations import Organisation
from core.territory import Commune
from core.types import UTCDateTime
from inventory.lifecycle import State
from core.vocabulary import Category
from inventory.vocabulary import (
    Destination,
    ErasureLevel,
    ErasureResult,
    ErasureSource,
    ErasureTechnique,
    Grade,
    LocationKind,
    MediumKind,
    MediumOrigin,
    PartType,
    RepairOutcome,
    SiteKind,
    SnapshotStatus,
    Station,
)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key for events.
EventId = BigInteger().with_variant(Integer, "sqlite")


class Site(Model):
    __tablename__ = "site"
    __table_args__ = (CheckConstraint(in_values("kind", SiteKind.values()), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    address: Mapped[str | None] = mapped_column(String(250))
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.insee_code"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))

    commune: Mapped[Commune | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    locations: Mapped[list["Location"]] = relationship(back_populates="site", order_by="Location.code")

    @property
    def kind_label(self) -> str:
        return SiteKind.label_of(self.kind)

    def __str__(self) -> str:
        return self.name


class Location(Model):
    """A bin or shelf inside a site; its ``code`` (LOC-…) is printed as a barcode."""

    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint(in_values("kind", LocationKind.values()), name="kind"),
        CheckConstraint("code LIKE 'LOC-%'", name="code_prefix"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default=LocationKind.BIN.value)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    site: Mapped[Site] = relationship(back_populates="locations")

    @property
    def kind_label(self) -> str:
        return LocationKind.label_of(self.kind)

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Collection(Model):
    """A donor's batch: the start of the chain of custody."""

    __tablename__ = "collection"
    __table_args__ = (
        CheckConstraint("declared_count >= 0", name="declared_count_nonnegative"),
        CheckConstraint("weight_kg IS NULL OR weight_kg >= 0", name="weight_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    donor_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False, index=True)
    collected_on: Mapped[date] = mapped_column(Date, nullable=False)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), nullable=False)
    declared_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    donor: Mapped[Organisation] = relationship()
    site: Mapped[Site] = relationship()
    created_by: Mapped[User | None] = relationship(User)
    devices: Mapped[list["Device"]] = relationship(back_populates="collection", order_by="Device.id")

    def __str__(self) -> str:
        return self.reference


class Device(Model):
    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint(in_values("category", Category.values()), name="category"),
        CheckConstraint(in_values("state", State.values()), name="state"),
        CheckConstraint("grade IS NULL OR " + in_values("grade", Grade.values()), name="grade"),
        CheckConstraint("weight_kg IS NULL OR weight_kg >= 0", name="weight_nonnegative"),
        CheckConstraint("ram_gb IS NULL OR ram_gb >= 0", name="ram_nonnegative"),
        CheckConstraint("screen_in IS NULL OR screen_in > 0", name="screen_positive"),
        CheckConstraint("imei IS NULL OR length(imei) = 15", name="imei_length"),
        Index("ix_device_state_category", "state", "category"),
        # The device list's sorts, a page from either end (the id breaks ties: issue 18).
        Index("ix_device_category_id", "category", "id"),
        Index("ix_device_state_id", "state", "id"),
        Index("ix_device_grade_id", "grade", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    brand: Mapped[str] = mapped_column(String(80), nullable=False)
    model: Mapped[str] = mapped_column(String(120), nullable=False)
    serial_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    imei: Mapped[str | None] = mapped_column(String(15), unique=True)
    cpu: Mapped[str | None] = mapped_column(String(120))
    ram_gb: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    storage_summary: Mapped[str | None] = mapped_column(String(120))
    screen_in: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    os: Mapped[str | None] = mapped_column(String(80))
    # Shown to Admin and Technicien only (see the device views and API).
    os_licence_key: Mapped[str | None] = mapped_column(String(120))
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), nullable=False, index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=State.RECEIVED.value)
    grade: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Set while a stocktake has found it missing (``missing_device`` says which and where), until
    # it is found again: out of matching and reservation meanwhile (issue 19).
    missing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    collection: Mapped[Collection] = relationship(back_populates="devices")
    location: Mapped[Location | None] = relationship()
    media: Mapped[list["StorageMedium"]] = relationship(
        back_populates="device", order_by="StorageMedium.id", cascade="all, delete-orphan"
    )

    # Optimistic lock: every UPDATE checks and bumps ``version``; a concurrent writer that read
    # the old version updates no row and gets a StaleDataError instead of overwriting.
    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        return State.label_of(self.state)

    @property
    def category_label(self) -> str:
        return Category.label_of(self.category)

    def __str__(self) -> str:
        return self.asset_tag


class StorageMedium(Model):
    """One data-bearing part of a device (a disk, an SSD, a phone's internal memory…)."""

    __tablename__ = "storage_medium"
    __table_args__ = (
        CheckConstraint(in_values("kind", MediumKind.values()), name="kind"),
        CheckConstraint("capacity_gb IS NULL OR capacity_gb > 0", name="capacity_positive"),
        CheckConstraint(in_values("origin", MediumOrigin.values()), name="origin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    manufacturer: Mapped[str | None] = mapped_column(String(80))
    model: Mapped[str | None] = mapped_column(String(120))
    # Not unique: two drives may report the same serial, and later imports must see that.
    serial_number: Mapped[str | None] = mapped_column(String(100), index=True)
    capacity_gb: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    origin: Mapped[str] = mapped_column(String(10), nullable=False, default=MediumOrigin.DONATED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Health as the last hardware snapshot read it (smartctl); all empty when never read.
    # ``needs_replacement`` is the « disque à remplacer » rule of docs/snapshot-format.md.
    power_on_hours: Mapped[int | None] = mapped_column(Integer)
    smart_passed: Mapped[bool | None] = mapped_column(Boolean)
    reallocated_sectors: Mapped[int | None] = mapped_column(BigInteger)
    pending_sectors: Mapped[int | None] = mapped_column(BigInteger)
    nvme_percentage_used: Mapped[int | None] = mapped_column(Integer)
    needs_replacement: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                    server_default=false())
    health_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship(back_populates="media")
    erasures: Mapped[list["ErasureRecord"]] = relationship(
        back_populates="medium", order_by="ErasureRecord.id"
    )

    @property
    def kind_label(self) -> str:
        return MediumKind.label_of(self.kind)

    def __str__(self) -> str:
        name = " ".join(part for part in (self.manufacturer, self.model) if part)
        serial = f"n° de série {self.serial_number}" if self.serial_number else "sans n° de série"
        return f"{self.kind_label}{' ' + name if name else ''} ({serial})"


class ErasureRecord(Model):
    """One sanitisation attempt on one medium: what a NIST SP 800-88 certificate of
    sanitisation holds (level, technique, tool, verification, who, when, destination)."""

    __tablename__ = "erasure_record"
    __table_args__ = (
        CheckConstraint(in_values("level", ErasureLevel.values()), name="level"),
        CheckConstraint(in_values("technique", ErasureTechnique.values()), name="technique"),
        CheckConstraint(in_values("result", ErasureResult.values()), name="result"),
        CheckConstraint(
            "started_at IS NULL OR ended_at IS NULL OR ended_at >= started_at", name="time_order"
        ),
        CheckConstraint("destination IS NULL OR " + in_values("destination", Destination.values()), name="destination"),
        CheckConstraint(in_values("source", ErasureSource.values()), name="source"),
        CheckConstraint("passes IS NULL OR passes >= 0", name="passes_nonnegative"),
        CheckConstraint("bytes_erased IS NULL OR bytes_erased >= 0", name="bytes_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    medium_id: Mapped[int] = mapped_column(ForeignKey("storage_medium.id"), nullable=False, index=True)
    level: Mapped[str] = mapped_column(String(10), nullable=False)
    technique: Mapped[str] = mapped_column(String(20), nullable=False)
    # The tool's own name for what it did ("DoD Short", "PRNG Stream"…), beside our technique.
    method: Mapped[str | None] = mapped_column(String(80))
    tool: Mapped[str | None] = mapped_column(String(120))
    tool_version: Mapped[str | None] = mapped_column(String(40))
    passes: Mapped[int | None] = mapped_column(Integer)
    verification_method: Mapped[str | None] = mapped_column(String(120))
    hpa_dco: Mapped[str | None] = mapped_column(String(120))
    bytes_erased: Mapped[int | None] = mapped_column(BigInteger)
    sanitised_by: Mapped[str | None] = mapped_column(String(120))
    sanitised_by_role: Mapped[str | None] = mapped_column(String(80))
    verified_by: Mapped[str | None] = mapped_column(String(120))
    verified_by_role: Mapped[str | None] = mapped_column(String(80))
    destination: Mapped[str | None] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(10), nullable=False, default=ErasureSource.MANUAL.value)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(String(20), nullable=False)
    # The verification's outcome: True when it was done and found the medium sanitised.
    verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    medium: Mapped[StorageMedium] = relationship(back_populates="erasures")
    recorded_by: Mapped[User | None] = relationship(User)

    def __str__(self) -> str:
        return f"{ErasureLevel.label_of(self.level)} : {ErasureResult.label_of(self.result).lower()}"


class ErasureImport(Model):
    """One imported wiping report (an nwipe log, a JSON or CSV report). Its content hash makes
    a second import of the same file a no-op."""

    __tablename__ = "erasure_import"
    __table_args__ = (CheckConstraint(in_values("format", ["nwipe", "json", "csv"]), name="format"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    filename: Mapped[str | None] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10), nullable=False)
    tool: Mapped[str | None] = mapped_column(String(120))
    tool_version: Mapped[str | None] = mapped_column(String(40))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    drives: Mapped[list["ImportedDrive"]] = relationship(back_populates="report", order_by="ImportedDrive.position")
    collection: Mapped[Collection | None] = relationship()

    def __str__(self) -> str:
        return self.filename or f"Rapport d'effacement n° {self.id}"


class ImportedDrive(Model):
    """One drive found in an imported report. Matched to exactly one medium by its serial
    number, it becomes an erasure record at once; otherwise it waits in the review queue until
    a technician assigns it to a medium or dismisses it. It is never guessed."""

    __tablename__ = "imported_drive"
    __table_args__ = (
        CheckConstraint(in_values("status", ["matched", "queued", "assigned", "dismissed"]), name="status"),
        Index("ix_imported_drive_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("erasure_import.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    serial_number: Mapped[str | None] = mapped_column(String(100), index=True)
    model: Mapped[str | None] = mapped_column(String(120))
    result: Mapped[str] = mapped_column(String(20), nullable=False)
    # Everything needed to write the erasure record (the fields of ErasureIn, ISO times).
    details: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)  # why it waits, in French
    erasure_id: Mapped[int | None] = mapped_column(ForeignKey("erasure_record.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    report: Mapped[ErasureImport] = relationship(back_populates="drives")
    erasure: Mapped["ErasureRecord | None"] = relationship()

    def __str__(self) -> str:
        serial = f"n° de série {self.serial_number}" if self.serial_number else "sans n° de série"
        return f"{self.model or 'Support'} ({serial})"


class DeviceSnapshot(Model):
    """One hardware snapshot received (``POST /api/v1/snapshots``): what it said, what it became.

    ``uuid`` makes a second post of the same snapshot a no-op; ``content_hash`` (what it says about
    the machine, uuid and date left out) makes a second post of the same content a no-op too.
    ``raw`` is the JSON posted, kept for audit (bounded by the edge's ``MAX_CONTENT_LENGTH`` and
    ``inventory.services.snapshots.RAW_MAX_CHARS``). ``disks`` holds each disk read with its health
    (``disks`` of the summary), ``ignored`` the disks set aside (no serial number, USB stick…) with
    the reason in French, for the review queue; a technician resolves each one (added to the
    device or dismissed: ``resolution`` on the entry, ``inventory.services.snapshot_queue``), and
    ``pending_disks`` counts those still unresolved (kept with every change of ``ignored``, so
    that the queue reads an indexed column, not every snapshot's JSON). A queued snapshot (no
    device found, no collection named, or a device that cannot be registered from it) says why in
    ``reason``, until a technician registers it or dismisses it (``reviewed_*``,
    ``dismissal_reason``).
    A station token has no foreign key here: its table belongs to the web edge (``app``); its id
    and name are kept as they were.
    """

    __tablename__ = "device_snapshot"
    __table_args__ = (
        CheckConstraint(in_values("status", SnapshotStatus.values()), name="status"),
        CheckConstraint("status IN ('queued', 'dismissed') OR device_id IS NOT NULL", name="device_unless_queued"),
        CheckConstraint("status <> 'dismissed' OR dismissal_reason IS NOT NULL", name="dismissed_with_reason"),
        CheckConstraint("pending_disks >= 0", name="pending_disks_nonnegative"),
        Index("ix_device_snapshot_status", "status"),
        Index("ix_device_snapshot_pending_disks", "pending_disks"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    software_version: Mapped[str | None] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"))
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    maker: Mapped[str | None] = mapped_column(String(80))
    model: Mapped[str | None] = mapped_column(String(120))
    serial_number: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    category: Mapped[str | None] = mapped_column(String(20))
    processor: Mapped[str | None] = mapped_column(String(120))
    memory_gb: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    battery_health: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    disks: Mapped[list] = mapped_column(JSON, nullable=False)
    ignored: Mapped[list] = mapped_column(JSON, nullable=False)
    raw: Mapped[str] = mapped_column(Text, nullable=False, deferred=True)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    station_token_id: Mapped[int | None] = mapped_column(Integer)
    station_name: Mapped[str | None] = mapped_column(String(120))
    pending_disks: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    dismissal_reason: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device | None] = relationship()
    collection: Mapped[Collection | None] = relationship()

    @property
    def status_label(self) -> str:
        return SnapshotStatus.label_of(self.status)

    def __str__(self) -> str:
        return f"Instantané matériel {self.serial_number}"


class RepairTicket(Model):
    """One repair visit of a device: what was wrong, what was done, the parts and the time spent.
    A device has at most one open ticket (enforced by a partial unique index)."""

    __tablename__ = "repair_ticket"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR " + in_values("outcome", RepairOutcome.values()), name="outcome"),
        CheckConstraint("labour_minutes >= 0", name="labour_nonnegative"),
        CheckConstraint("(closed_at IS NULL) = (outcome IS NULL)", name="closed_with_outcome"),
        Index("uq_repair_ticket_open_per_device", "device_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False, index=True)
    symptoms: Mapped[str] = mapped_column(Text, nullable=False)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[str | None] = mapped_column(Text)
    labour_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    technician: Mapped[str | None] = mapped_column(String(120))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))

    device: Mapped[Device] = relationship()
    usages: Mapped[list["PartUsage"]] = relationship(back_populates="ticket", order_by="PartUsage.id")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __str__(self) -> str:
        return f"Réparation n° {self.id}"


class SparePart(Model):
    """A line of spare-part stock: one kind of part at one location. Harvested parts keep the
    device they came from, for traceability. ``quantity`` never goes below zero."""

    __tablename__ = "spare_part"
    __table_args__ = (
        CheckConstraint(in_values("part_type", PartType.values()), name="part_type"),
        CheckConstraint("quantity >= 0", name="quantity_nonnegative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_type: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    description: Mapped[str] = mapped_column(String(200), nullable=False)
    compatible_models: Mapped[str | None] = mapped_column(Text)  # comma-separated, as the workshop says them
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    harvested_from_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    location: Mapped[Location] = relationship()
    harvested_from: Mapped[Device | None] = relationship()

    @property
    def part_type_label(self) -> str:
        return PartType.label_of(self.part_type)

    def __str__(self) -> str:
        return f"{self.part_type_label} — {self.description} ({self.location.code})"


class PartUsage(Model):
    """A part taken from stock for a repair."""

    __tablename__ = "part_usage"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("repair_ticket.id"), nullable=False, index=True)
    spare_part_id: Mapped[int] = mapped_column(ForeignKey("spare_part.id"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    fitted_medium_id: Mapped[int | None] = mapped_column(ForeignKey("storage_medium.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    ticket: Mapped[RepairTicket] = relationship(back_populates="usages")
    spare_part: Mapped[SparePart] = relationship()
    fitted_medium: Mapped[StorageMedium | None] = relationship()

    def __str__(self) -> str:
        return f"{self.quantity} × {self.spare_part.description}"


class ChecklistTemplate(Model):
    """The quality-control checklist of a category (items as ``inventory.grading.Item`` dicts).
    Editable by Admin; each grading result keeps a copy of the items it was graded with."""

    __tablename__ = "checklist_template"
    __table_args__ = (CheckConstraint(in_values("category", Category.values()), name="category"),)

    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    items: Mapped[list] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    def __str__(self) -> str:
        return f"Contrôle qualité : {Category.label_of(self.category)}"


class GradingResult(Model):
    """One quality control of a device: each item's value, the cosmetic state, the computed and
    the final grade (null when the device failed and went back to repair)."""

    __tablename__ = "grading_result"
    __table_args__ = (
        CheckConstraint(in_values("cosmetic", Grade.values()), name="cosmetic"),
        CheckConstraint("grade IS NULL OR " + in_values("grade", Grade.values()), name="grade"),
        CheckConstraint("computed_grade IS NULL OR " + in_values("computed_grade", Grade.values()), name="computed_grade"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False, index=True)
    items: Mapped[list] = mapped_column(JSON, nullable=False)
    checklist: Mapped[dict] = mapped_column(JSON, nullable=False)
    cosmetic: Mapped[str] = mapped_column(String(1), nullable=False)
    computed_grade: Mapped[str | None] = mapped_column(String(1))
    grade: Mapped[str | None] = mapped_column(String(1))
    failing: Mapped[list] = mapped_column(JSON, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    device: Mapped[Device] = relationship()

    @property
    def passed(self) -> bool:
        return self.grade is not None

    def __str__(self) -> str:
        return f"Note {self.grade}" if self.grade else "Contrôle non réussi"


class Certificate(Model):
    """A certificate of data sanitisation, for one device or a whole collection. The PDF is
    kept as issued, with its SHA-256, so that anyone holding the file can check it at
    ``/verify/<verification_code>``. ``fingerprint`` identifies the records it covers: asking
    again for the same media returns the same certificate instead of a new number."""

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint(in_values("kind", ["device", "collection"]), name="kind"),
        CheckConstraint("kind = 'collection' OR device_id IS NOT NULL", name="device_for_device_kind"),
        Index("ix_certificate_target", "kind", "collection_id", "device_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("collection.id"), nullable=False)
    donor_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)
    verification_code: Mapped[str] = mapped_column(String(24), unique=True, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    pdf_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    # What the public verification page shows: no personal data, serials masked.
    summary: Mapped[dict] = mapped_column(JSON, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    device: Mapped[Device | None] = relationship()
    collection: Mapped[Collection] = relationship()
    donor: Mapped[Organisation] = relationship()

    def __str__(self) -> str:
        return self.number


# The events the programme's indicators count (reporting.indicators), as column values of
# ``device_event``. Each has a partial index below, so that a count by period reads only its own
# entries (and the device ids the filters need).
COUNTED_EVENTS = {
    "received": {"kind": "received"},
    "sanitised": {"kind": "transition", "from_state": "wiping"},
    "graded": {"kind": "graded"},
    "recycled": {"kind": "transition", "to_state": "recycled"},
}


def counted_event_predicate(name: str) -> str:
    """The SQL predicate of a counted event, as its partial index (and its migration) spell it."""
    return " AND ".join(f"{column} = '{value}'" for column, value in COUNTED_EVENTS[name].items())


class DeviceEvent(Model):
    """Append-only history: every state change and every move of a device.

    ``kind`` is ``received`` (registration), ``transition`` (state change), ``move`` (new
    location, same state) or ``graded``. For every kind ``to_state`` is the device's state after
    the event, so the last event always tells the current state.
    """

    __tablename__ = "device_event"
    __table_args__ = (
        CheckConstraint(in_values("kind", ["received", "transition", "move", "graded"]), name="kind"),
        CheckConstraint(in_values("to_state", State.values()), name="to_state"),
        CheckConstraint(
            "station IS NULL OR " + in_values("station", Station.values()), name="station"
        ),
        Index("ix_device_event_device_id_id", "device_id", "id"),
        Index("ix_device_event_at", "at"),
        *(Index(f"ix_device_event_{name}_at", "at", "device_id", postgresql_where=text(counted_event_predicate(name)),
                sqlite_where=text(counted_event_predicate(name))) for name in COUNTED_EVENTS),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    station: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)

    device: Mapped[Device] = relationship()
    user: Mapped[User | None] = relationship(User)
    location: Mapped[Location | None] = relationship()

    @property
    def from_label(self) -> str:
        return State.label_of(self.from_state)

    @property
    def to_label(self) -> str:
        return State.label_of(self.to_state)

    def __str__(self) -> str:
        if self.from_state and self.from_state != self.to_state:
            return f"{self.from_label} → {self.to_label}"
        return self.to_label


# How many devices a collection has registered, beside what the donor declared. A correlated
# subquery: the collection list shows it for every row in the same SELECT.
Collection.registered_count = column_property(
    select(func.count(Device.id)).where(Device.collection_id == Collection.id).correlate_except(Device).scalar_subquery(),
    deferred=True,
)


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(DeviceEvent, "before_update")
def _refuse_event_update(mapper, connection, target) -> None:
    raise AppendOnlyViolation("device_event is append-only: an event is never updated")


@event.listens_for(DeviceEvent, "before_delete")
def _refuse_event_delete(mapper, connection, target) -> None:
    raise AppendOnlyViolation("device_event is append-only: an event is never deleted")


class ScanContext(Model):
    """What the scan station remembers between two scans of one user: the last code (to ignore
    a scanner's double fire) and the location being filled (put-away mode). Kept in the database
    so that it works across server processes and survives a page reload."""

    __tablename__ = "scan_context"

    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), primary_key=True)
    last_code: Mapped[str | None] = mapped_column(String(120))
    last_station: Mapped[str | None] = mapped_column(String(12))
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))

    location: Mapped[Location | None] = relationship()

    def __str__(self) -> str:
        return f"Poste de scan ({self.location.code})" if self.location is not None else "Poste de scan"

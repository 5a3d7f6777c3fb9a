"""Repairs with spare parts, and the spare-part stock.

Taking a part from stock is one conditional UPDATE (``quantity = quantity - n WHERE quantity >=
n``): two technicians taking the last part at the same moment cannot both get it, and the stock
never goes below zero (a CHECK constraint says so too). A storage part (SSD, disk) fitted during
a repair becomes a new medium of the device, marked as fitted by the workshop.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from core.clock import utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from inventory.codes import clean_identifier
from inventory.lifecycle import State, StateGroup
from inventory.models import Device, PartUsage, RepairTicket, SparePart, StorageMedium
from core.unit_of_work import unit_of_work
from inventory.services.common import device_by_tag, location_by_code
from inventory.services.transitions import apply_transition
from inventory.vocabulary import STORAGE_PART_KINDS, MediumOrigin, PartType, RepairOutcome


def open_ticket(session: Session, asset_tag: str, *, symptoms: str, user_id: int | None = None,
                technician: str | None = None, now: datetime | None = None) -> RepairTicket:
    """Open a repair visit for a device in repair. Raises Conflict when the device is not in
    repair or already has an open ticket."""
    device = device_by_tag(session, asset_tag, with_media=False)
    if device.state != State.REPAIR.value:
        raise Conflict(f"Un ticket de réparation s'ouvre pour un appareil en « Réparation » ; "
                       f"{device.asset_tag} est à l'état « {device.state_label} ».")
    if not (symptoms or "").strip():
        raise ValidationFailed({"symptoms": ["Décrivez les symptômes constatés."]})
    if current_ticket(session, device.id) is not None:
        raise Conflict(f"{device.asset_tag} a déjà un ticket de réparation ouvert.")
    with unit_of_work(session):
        ticket = RepairTicket(device=device, symptoms=symptoms.strip(), technician=technician,
                              technician_id=user_id, opened_at=now or utcnow())
        session.add(ticket)
    return ticket


def current_ticket(session: Session, device_id: int) -> RepairTicket | None:
    return session.execute(
        select(RepairTicket).where(RepairTicket.device_id == device_id, RepairTicket.closed_at.is_(None))
        .options(selectinload(RepairTicket.usages).selectinload(PartUsage.spare_part))
    ).scalar_one_or_none()


def _open_ticket(session: Session, ticket_id: int) -> RepairTicket:
    ticket = session.get(RepairTicket, ticket_id)
    if ticket is None:
        raise NotFound(f"Ticket de réparation n° {ticket_id} inconnu.")
    if not ticket.is_open:
        raise Conflict("Ce ticket de réparation est déjà clos.")
    return ticket


def update_ticket(session: Session, ticket_id: int, *, diagnosis: str | None = None, actions: str | None = None,
                  labour_minutes: int | None = None) -> RepairTicket:
    ticket = _open_ticket(session, ticket_id)
    if labour_minutes is not None and (not isinstance(labour_minutes, int) or labour_minutes < 0 or labour_minutes > 100_000):
        raise ValidationFailed({"labour_minutes": ["Temps de main-d'œuvre en minutes (nombre entier positif ou nul) attendu."]})
    with unit_of_work(session):
        if diagnosis is not None:
            ticket.diagnosis = diagnosis.strip() or None
        if actions is not None:
            ticket.actions = actions.strip() or None
        if labour_minutes is not None:
            ticket.labour_minutes = labour_minutes
    return ticket


def use_part(session: Session, ticket_id: int, spare_part_id: int, *, quantity: int = 1, fitted_serial: str | None = None,
             capacity_gb=None, user_id: int | None = None, now: datetime | None = None) -> PartUsage:
    """Take ``quantity`` of a stock line for a repair, in one transaction. Raises Conflict when
    the stock has not enough (even when someone else took it an instant before)."""
    now = now or utcnow()
    ticket = _open_ticket(session, ticket_id)
    part = session.get(SparePart, spare_part_id)
    if part is None:
        raise ValidationFailed({"spare_part": [f"Pièce n° {spare_part_id} inconnue."]})
    if not isinstance(quantity, int) or quantity < 1 or quantity > 100:
        raise ValidationFailed({"quantity": ["Quantité de 1 à 100 attendue."]})
    medium_kind = STORAGE_PART_KINDS.get(PartType(part.part_type))
    if medium_kind and quantity != 1:
        raise ValidationFailed({"quantity": ["Un support de données se pose un par un (quantité 1), avec son numéro de série."]})
    with unit_of_work(session):
        taken = session.execute(
            update(SparePart).where(SparePart.id == part.id, SparePart.quantity >= quantity)
            .values(quantity=SparePart.quantity - quantity)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            session.refresh(part)
            raise Conflict(f"Stock insuffisant : {part.quantity} « {part.description} » à {part.location.code}, "
                           f"{quantity} demandé(s).")
        usage = PartUsage(ticket=ticket, spare_part=part, quantity=quantity, used_at=now, used_by_id=user_id)
        if medium_kind:
            usage.fitted_medium = StorageMedium(
                device_id=ticket.device_id, kind=medium_kind, origin=MediumOrigin.FITTED.value,
                serial_number=clean_identifier(fitted_serial or "") or None, capacity_gb=capacity_gb,
                model=part.description[:120], created_at=now)
        session.add(usage)
    session.refresh(part)
    return usage


def close_ticket(session: Session, ticket_id: int, *, outcome: str, next_state: str | None = None,
                 user_id: int | None = None, note: str | None = None, now: datetime | None = None) -> RepairTicket:
    """Close a repair visit and move the device on, in one transaction: a repaired device goes
    to quality control (or stays in repair when ``next_state`` says so); a device that cannot
    be repaired goes to ``parts`` or ``recycled`` (guards apply: its data must be gone)."""
    now = now or utcnow()
    ticket = _open_ticket(session, ticket_id)
    if outcome not in RepairOutcome.values():
        raise ValidationFailed({"outcome": [f"Issue inconnue : valeurs acceptées : {', '.join(RepairOutcome.values())}."]})
    if outcome == RepairOutcome.REPAIRED.value:
        target = next_state or State.GRADING.value
        if target not in (State.GRADING.value, State.REPAIR.value):
            raise ValidationFailed({"next_state": ["Après réparation : « grading » (contrôle qualité)."]})
    else:
        target = next_state
        if target not in StateGroup.END_OF_LIFE:
            raise ValidationFailed({"next_state": ["Un appareil irréparable va en pièces détachées (« parts ») ou au recyclage (« recycled »)."]})
    device = device_by_tag(session, ticket.device.asset_tag)
    with unit_of_work(session):
        ticket.outcome, ticket.closed_at = outcome, now
        if target != device.state:
            summary = f"Ticket de réparation n° {ticket.id} : {RepairOutcome.label_of(outcome).lower()}"
            apply_transition(session, device, State(target), user_id=user_id, now=now,
                             note=summary + (f" — {note.strip()}" if note and note.strip() else ""))
    return ticket


def add_stock(session: Session, *, part_type: str, description: str, location: str, quantity: int,
              compatible_models: str | None = None, harvested_from: Device | None = None) -> SparePart:
    """Add parts to stock: to the matching line (same part, place and origin) or a new one."""
    errors: dict[str, list[str]] = {}
    if part_type not in PartType.values():
        errors["part_type"] = [f"Type de pièce inconnu : valeurs acceptées : {', '.join(PartType.values())}."]
    if not (description or "").strip():
        errors["description"] = ["Décrivez la pièce (par exemple « Batterie Dell 68 Wh »)."]
    if not isinstance(quantity, int) or quantity < 1 or quantity > 10_000:
        errors["quantity"] = ["Quantité de 1 à 10 000 attendue."]
    try:
        place = location_by_code(session, location or "")
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    description = description.strip()
    with unit_of_work(session):
        same_origin = (SparePart.harvested_from_id == harvested_from.id if harvested_from
                       else SparePart.harvested_from_id.is_(None))
        line = session.execute(
            select(SparePart).where(SparePart.part_type == part_type, SparePart.description == description,
                                    SparePart.location_id == place.id, same_origin)
        ).scalar_one_or_none()
        if line is None:
            line = SparePart(part_type=part_type, description=description, location=place, quantity=0,
                             compatible_models=(compatible_models or "").strip() or None, harvested_from=harvested_from)
            session.add(line)
            session.flush()
        session.execute(update(SparePart).where(SparePart.id == line.id)
                        .values(quantity=SparePart.quantity + quantity).execution_options(synchronize_session=False))
    session.refresh(line)
    return line


def harvest_parts(session: Session, asset_tag: str, parts: list[dict]) -> list[SparePart]:
    """Parts taken from a device in « Pièces détachées », added to stock and linked to it."""
    device = device_by_tag(session, asset_tag, with_media=False)
    if device.state != State.PARTS.value:
        raise Conflict(f"On prélève des pièces sur un appareil en « Pièces détachées » ; {device.asset_tag} "
                       f"est à l'état « {device.state_label} ».")
    if not parts:
        raise ValidationFailed({"parts": ["Indiquez au moins une pièce prélevée."]})
    compatible = f"{device.brand} {device.model}"
    return [add_stock(session, part_type=p.get("part_type", ""), description=p.get("description", ""),
                      location=p.get("location", ""), quantity=p.get("quantity", 1),
                      compatible_models=p.get("compatible_models") or compatible, harvested_from=device)
            for p in parts]


def stock_for(session: Session, device: Device | None = None) -> list[SparePart]:
    """Stock lines with parts left; those compatible with ``device`` first."""
    lines = list(session.execute(
        select(SparePart).where(SparePart.quantity > 0).order_by(SparePart.part_type, SparePart.description)
    ).scalars())
    if device is None:
        return lines
    model = device.model.lower()
    return sorted(lines, key=lambda line: model not in (line.compatible_models or "").lower())

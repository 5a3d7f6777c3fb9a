"""Quality control by checklist: templates, grading a device, and the "reconditionné" status."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.display import display, words
from inventory.disk_health import reasons
from inventory.grading import (BATTERY, BOOL, DEFAULT_TEMPLATES, PERCENT, STORAGE, ChecklistInvalid, Item, Reading,
                               compute, prefill)
from inventory.lifecycle import State
from inventory.models import ChecklistTemplate, Device, DeviceEvent, DeviceSnapshot, GradingResult
from inventory.sanitisation import is_safe
from core.unit_of_work import unit_of_work
from inventory.services.common import device_by_tag
from inventory.services.transitions import apply_transition
from core.vocabulary import Category


def ensure_templates(session: Session) -> int:
    """Create the default checklist of every category that has none (existing ones are kept:
    Admin may have edited them). Commits. Returns how many were created."""
    existing = set(session.execute(select(ChecklistTemplate.category)).scalars())
    created = 0
    for category, items in DEFAULT_TEMPLATES.items():
        if category not in existing:
            session.add(ChecklistTemplate(category=category, items=[i.as_dict() for i in items]))
            created += 1
    session.commit()
    return created


def template_items(session: Session, category: str) -> list[Item]:
    if category not in Category.values():
        raise NotFound(f"Catégorie inconnue « {category} » : valeurs acceptées : {', '.join(Category.values())}.")
    template = session.get(ChecklistTemplate, category)
    if template is None:
        raise NotFound(f"Aucune grille de contrôle pour la catégorie « {Category.label_of(category)} ».")
    return [Item.from_dict(d) for d in template.items]


def every_template(session: Session) -> dict[str, list[Item]]:
    """Category → its checklist's items, every template in one statement (a category without
    one is left out)."""
    return {template.category: [Item.from_dict(d) for d in template.items]
            for template in session.execute(select(ChecklistTemplate)).scalars()}


def parse_template_text(text: str) -> list[Item]:
    """Admin's editing format, one item per line: ``key ; label ; bool`` or
    ``key ; label ; percent ; threshold``. Raises ValidationFailed naming the line."""
    items, errors, keys = [], [], set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split(";")]
        if len(parts) not in (3, 4) or not parts[0] or not parts[1]:
            errors.append(f"Ligne {number} : « clé ; libellé ; bool » ou « clé ; libellé ; percent ; seuil » attendu.")
            continue
        key, label, kind = parts[0], parts[1], parts[2].lower()
        if not key.replace("_", "").isalnum() or not key.islower():
            errors.append(f"Ligne {number} : la clé « {key} » doit être en minuscules, lettres, chiffres et _ seulement.")
        if key in keys:
            errors.append(f"Ligne {number} : la clé « {key} » est déjà utilisée.")
        keys.add(key)
        threshold = None
        if kind == PERCENT:
            try:
                threshold = float(parts[3].replace(",", ".")) if len(parts) == 4 and parts[3] else None
            except ValueError:
                threshold = -1
            if threshold is not None and not 0 <= threshold <= 100:
                errors.append(f"Ligne {number} : seuil de 0 à 100 attendu.")
        elif kind != BOOL:
            errors.append(f"Ligne {number} : type « bool » (fonctionne ou non) ou « percent » (mesure) attendu.")
        items.append(Item(key, label, kind, threshold))
    if not items and not errors:
        errors.append("La grille doit compter au moins un élément.")
    if errors:
        raise ValidationFailed({"items": errors})
    return items


def template_text(items: list[Item]) -> str:
    return "\n".join(
        f"{i.key} ; {i.label} ; {i.kind}" + (f" ; {i.threshold:g}" if i.threshold is not None else "") for i in items
    )


def save_template(session: Session, category: str, text: str, *, user_id: int | None = None) -> ChecklistTemplate:
    template_items(session, category)  # NotFound for an unknown category
    items = parse_template_text(text)
    with unit_of_work(session):
        template = session.get(ChecklistTemplate, category)
        template.items = [i.as_dict() for i in items]
        template.updated_at, template.updated_by_id = utcnow(), user_id
    return template


def snapshot_readings(session: Session, device: Device) -> list[Reading]:
    """What the device's hardware snapshots measured, as checklist readings: the battery's
    health from the latest snapshot that read it; the storage's health when every medium has
    been read (works: none is to be replaced; fails: one is, with its reasons). A medium no
    snapshot read (added by hand, fitted) leaves the storage to the technician."""
    readings = []
    battery = session.execute(
        select(DeviceSnapshot.battery_health, DeviceSnapshot.received_at)
        .where(DeviceSnapshot.device_id == device.id, DeviceSnapshot.battery_health.is_not(None))
        .order_by(DeviceSnapshot.id.desc()).limit(1)).first()
    if battery is not None:
        readings.append(Reading(BATTERY.key, float(battery.battery_health),
                                f"{display(battery.battery_health)} % d'après l'instantané matériel du "
                                f"{display(battery.received_at)}"))
    read = [m for m in device.media if m.health_read_at is not None]
    failing = [m for m in read if m.needs_replacement]
    if failing:
        text = " ; ".join(f"{m.serial_number or m.kind_label} ({words(reasons(m)) if reasons(m) else 'à remplacer'})"
                          for m in failing)
        readings.append(Reading(STORAGE.key, False, f"Disque à remplacer : {text}"))
    elif read and len(read) == len(device.media):
        when = display(max(m.health_read_at for m in read))
        count = "du disque lu" if len(read) == 1 else f"des {len(read)} disques lus"
        readings.append(Reading(STORAGE.key, True, f"État SMART correct {count} le {when}"))
    return readings


def checklist_prefill(session: Session, device: Device, items: list[Item] | None = None) -> dict[str, Reading]:
    """The starting values of the device's checklist that its snapshots offer (by item key)."""
    if items is None:
        items = template_items(session, device.category)
    return prefill(items, snapshot_readings(session, device))


def grade_device(session: Session, asset_tag: str, *, checklist: dict, cosmetic: str, grade: str | None = None,
                 note: str | None = None, user_id: int | None = None, now: datetime | None = None) -> GradingResult:
    """Record a quality control. A failing checklist is an outcome, not an error: the result
    has no grade, lists the failing items, and the device goes back to repair. Raises
    NotFound, Conflict (not in quality control) or ValidationFailed (missing or bad items)."""
    now = now or utcnow()
    device = device_by_tag(session, asset_tag)
    if device.state != State.GRADING.value:
        raise Conflict(f"La note se donne au contrôle qualité ; l'appareil est à l'état « {device.state_label} ».")
    items = template_items(session, device.category)
    try:
        outcome = compute(items, checklist, cosmetic, lowered_to=grade, note=note)
    except ChecklistInvalid as exc:
        raise ValidationFailed(exc.errors) from None
    with unit_of_work(session):
        result = GradingResult(
            device=device, items=[i.as_dict() for i in items], checklist=dict(checklist), cosmetic=cosmetic,
            computed_grade=outcome.computed, grade=outcome.grade, failing=[i.key for i in outcome.failing],
            note=(note or "").strip() or None, graded_at=now, graded_by_id=user_id,
        )
        session.add(result)
        if outcome.grade is None:
            failing = ", ".join(i.label for i in outcome.failing)
            apply_transition(session, device, State.REPAIR, user_id=user_id, now=now,
                             note=f"Contrôle qualité non concluant : {failing}.")
        else:
            device.grade = outcome.grade
            device.updated_at = now
            text = f"Note {outcome.grade}"
            if outcome.grade != outcome.computed:
                text += f" (calculée {outcome.computed}, abaissée : {result.note})"
            session.add(DeviceEvent(device=device, kind="graded", from_state=device.state, to_state=device.state,
                                    at=now, user_id=user_id, location=device.location, note=text))
    return result


def latest_result(session: Session, device_id: int) -> GradingResult | None:
    return session.execute(
        select(GradingResult).where(GradingResult.device_id == device_id).order_by(GradingResult.id.desc()).limit(1)
    ).scalar_one_or_none()


def is_refurbished(device: Device, latest: GradingResult | None) -> bool:
    """"Reconditionné" (décret 2022-190): every function tested with a complete, passing
    checklist since the last repair, and every medium sanitised or destroyed. Labels and
    invoices rely on this."""
    if latest is None or not latest.passed or device.grade is None:
        return False
    items = {i["key"] for i in latest.items}
    if not items <= set(latest.checklist):
        return False
    return all(is_safe(m) for m in device.media)

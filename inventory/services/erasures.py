"""Recording the sanitisation of a storage medium."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from inventory.codes import clean_identifier
from inventory.lifecycle import StateGroup
from inventory.models import ErasureRecord, StorageMedium
from core.unit_of_work import unit_of_work
from inventory.services.common import device_by_tag
from inventory.vocabulary import (
    DESTRUCTION_TECHNIQUES,
    Destination,
    ErasureLevel,
    ErasureResult,
    ErasureSource,
    ErasureTechnique,
    MediumKind,
)

# Techniques that only make sense on some media.
_TECHNIQUE_MEDIA = {
    ErasureTechnique.ATA_SECURE_ERASE: {MediumKind.HDD, MediumKind.SSD},
    ErasureTechnique.NVME_SANITIZE: {MediumKind.NVME},
    ErasureTechnique.FACTORY_RESET: {MediumKind.FLASH, MediumKind.EMMC},
}


def _pick_medium(media: list[StorageMedium], serial: str | None) -> StorageMedium:
    if not media:
        raise ValidationFailed({"medium_serial": ["Cet appareil n'a aucun support de données enregistré."]})
    if not serial:
        if len(media) == 1:
            return media[0]
        listed = ", ".join(m.serial_number or f"{m.kind_label} sans numéro" for m in media)
        raise ValidationFailed({"medium_serial": [f"Précisez le support : cet appareil en a {len(media)} ({listed})."]})
    matches = [m for m in media if m.serial_number == clean_identifier(serial)]
    if not matches:
        listed = ", ".join(m.serial_number or f"{m.kind_label} sans numéro" for m in media)
        raise ValidationFailed({"medium_serial": [f"Aucun support n° {serial} sur cet appareil (supports : {listed})."]})
    return matches[0]


def check_technique(level: str, technique: str, medium_kind: str) -> dict[str, list[str]]:
    """Level/technique/medium consistency, as field errors (empty when consistent)."""
    errors: dict[str, list[str]] = {}
    destroying = ErasureTechnique(technique) in DESTRUCTION_TECHNIQUES
    if level == ErasureLevel.DESTROY and not destroying:
        errors["technique"] = ["Le niveau « destroy » se fait par broyage (shred) ou perçage (drill)."]
    elif destroying and level != ErasureLevel.DESTROY:
        errors["level"] = ["Le broyage et le perçage relèvent du niveau « destroy »."]
    allowed_media = _TECHNIQUE_MEDIA.get(ErasureTechnique(technique))
    if allowed_media and MediumKind(medium_kind) not in allowed_media:
        kinds = ", ".join(sorted(k.value for k in allowed_media))
        errors.setdefault("technique", []).append(
            f"La technique « {technique} » ne s'applique pas à un support « {medium_kind} » (supports : {kinds})."
        )
    return errors


def default_destination(level: str, result: str) -> str | None:
    """Where a medium goes after this record, when the operator did not say."""
    if level == ErasureLevel.DESTROY and result == ErasureResult.PASS:
        return Destination.DESTRUCTION.value
    if result != ErasureResult.FAIL:
        return Destination.REUSE.value
    return None


def erasure_record(medium: StorageMedium, data: dict, *, user_id: int | None, operator_name: str | None,
                   operator_role: str | None, now: datetime, source: str = ErasureSource.MANUAL.value) -> ErasureRecord:
    """A record built from checked data (``ErasureIn`` fields). No write."""
    sanitised_by = data.get("sanitised_by") or operator_name
    return ErasureRecord(
        medium=medium,
        level=data["level"],
        technique=data["technique"],
        method=data.get("method"),
        tool=data.get("tool"),
        tool_version=data.get("tool_version"),
        passes=data.get("passes"),
        verification_method=data.get("verification_method"),
        hpa_dco=data.get("hpa_dco"),
        bytes_erased=data.get("bytes_erased"),
        sanitised_by=sanitised_by,
        sanitised_by_role=data.get("sanitised_by_role") or (operator_role if sanitised_by == operator_name else None),
        verified_by=data.get("verified_by") or (sanitised_by if data["verified"] else None),
        verified_by_role=data.get("verified_by_role") or (data.get("sanitised_by_role") or operator_role if data["verified"] else None),
        destination=data.get("destination") or default_destination(data["level"], data["result"]),
        source=source,
        started_at=data.get("started_at"),
        ended_at=data.get("ended_at"),
        result=data["result"],
        verified=data["verified"],
        recorded_at=now,
        recorded_by_id=user_id,
    )


def record_erasure(session: Session, asset_tag: str, data: dict, *, user_id: int | None = None,
                   operator_name: str | None = None, operator_role: str | None = None,
                   now: datetime | None = None) -> ErasureRecord:
    """Record one sanitisation attempt. ``data`` comes from ``ErasureIn``; the signed-in
    operator is who sanitised (and verified) unless the data name someone else.

    Raises NotFound, ValidationFailed, or Conflict when the device has left the workshop.
    """
    device = device_by_tag(session, asset_tag)
    if device.state in StateGroup.LEFT_WORKSHOP:
        raise Conflict(f"L'appareil est à l'état « {device.state_label} » : il n'est plus à l'atelier.")
    medium = _pick_medium(list(device.media), data.get("medium_serial"))
    errors = check_technique(data["level"], data["technique"], medium.kind)
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        record = erasure_record(medium, data, user_id=user_id, operator_name=operator_name,
                                operator_role=operator_role, now=now or utcnow())
        session.add(record)
    return record

"""A device a stocktake found missing, as the device sheet tells it (issue 19)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.clock import to_local
from inventory.stocktake.models import MissingDevice


def open_missing_record(session: Session, device_id: int) -> MissingDevice | None:
    """The device's missing record not yet closed by a scan or a stocktake, if any."""
    return session.execute(
        select(MissingDevice).options(joinedload(MissingDevice.stocktake), joinedload(MissingDevice.location))
        .where(MissingDevice.device_id == device_id, MissingDevice.found_at.is_(None))).scalar_one_or_none()


def missing_notice(record: MissingDevice | None) -> str | None:
    """What the device sheet says of a missing device, in French; None when it is not missing."""
    if record is None:
        return None
    where = f" (attendu dans {record.location.code})" if record.location is not None else ""
    return (f"Manquant depuis l'inventaire {record.stocktake.reference} du "
            f"{to_local(record.marked_at):%d/%m/%Y}{where} : hors rapprochement et réservation. "
            "Scannez-le au poste de scan quand il est retrouvé.")

"""A received hardware snapshot as the device sheet shows it, in French: where it came from, what
the machine said about itself, each disk with its health, the disks set aside, why, and what a
technician did with them, and what the snapshot became. Built from the record
(``DeviceSnapshot``), never from the raw JSON (kept for audit, offered as a download)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from core.display import EMPTY, display
from core.vocabulary import Category
from inventory.models import DeviceSnapshot
from inventory.snapshots.envelopes import REKONEKT, WORKBENCH, WORKBENCH_LEGACY
from inventory.vocabulary import MediumKind

SOURCES = {
    WORKBENCH: "eReuse workbench-script",
    WORKBENCH_LEGACY: "eReuse workbench (mode legacy)",
    REKONEKT: "collecteur Rekonekt",
}


@dataclass(frozen=True)
class DiskLine:
    kind: str
    model: str
    serial_number: str
    capacity: str
    health: list[str]
    to_replace: bool


@dataclass(frozen=True)
class SnapshotSummary:
    id: int
    received: str            # « 04/12/2026 14:05, par Poste de réception (collecteur Rekonekt 1.0) »
    outcome: str             # what it became, with the reason when there is one
    facts: list[tuple[str, str]]
    disks: list[DiskLine]
    set_aside: list[str]


def _gigabytes(value) -> str:
    try:
        return f"{display(Decimal(str(value)))} Go" if value not in (None, "") else EMPTY
    except InvalidOperation:
        return EMPTY


def _disk(disk: dict) -> DiskLine:
    health = []
    if disk.get("smart_passed") is not None:
        health.append("SMART : " + ("réussi" if disk["smart_passed"] else "échec"))
    for key, label in (("reallocated_sectors", "Secteurs réalloués"), ("pending_sectors", "Secteurs en attente")):
        if isinstance(disk.get(key), int):
            health.append(f"{label} : {display(disk[key])}")
    if isinstance(disk.get("nvme_percentage_used"), int):
        health.append(f"Usure NVMe : {display(disk['nvme_percentage_used'])} %")
    if isinstance(disk.get("power_on_hours"), int):
        health.append(f"Heures de fonctionnement : {display(disk['power_on_hours'])}")
    kind = MediumKind.label_of(disk["kind"]) if disk.get("kind") in MediumKind.values() else "Type inconnu"
    return DiskLine(kind=kind, model=display(disk.get("model")), serial_number=display(disk.get("serial_number")),
                    capacity=_gigabytes(disk.get("capacity_gb")), health=health,
                    to_replace=bool(disk.get("needs_replacement")))


RESOLVED = {"added": "ajouté à l'appareil", "matched": "rapproché du support de l'appareil", "dismissed": "écarté"}


def _resolution(resolution) -> str:
    """What a technician did with a disk set aside (``inventory.services.snapshot_queue``)."""
    if not isinstance(resolution, dict) or resolution.get("action") not in RESOLVED:
        return ""
    text = f" — {RESOLVED[resolution['action']]}"
    if resolution.get("serial_number"):
        text += f" sous le n° de série {resolution['serial_number']}"
    try:
        text += f" le {display(datetime.fromisoformat(resolution['at']))}"
    except (KeyError, TypeError, ValueError):
        pass
    if resolution.get("by"):
        text += f" par {resolution['by']}"
    return text + (f" : {resolution['note']}" if resolution.get("note") else "")


def _set_aside(item: dict) -> str:
    what = " ".join(str(part) for part in (item.get("model"), item.get("serial_number")) if part)
    where = f" ({item['device_name']})" if item.get("device_name") else ""
    return (f"Disque n° {display(item.get('position'))}{where}{' — ' + what if what else ''} : {item.get('message') or '—'}"
            + _resolution(item.get("resolution")))


def summarise(record: DeviceSnapshot, poster: str | None = None) -> SnapshotSummary:
    """``poster``: the name of the account that posted it, when no station token did."""
    tool = SOURCES.get(record.source, record.source)
    if record.software_version:
        tool += f" {record.software_version}"
    by = record.station_name or poster
    received = display(record.received_at) + (f", par {by}" if by else "") + f" ({tool})"
    outcome = record.status_label + (f" : {record.reason}" if record.reason else "")
    facts = [
        ("Marque", display(record.maker)), ("Modèle", display(record.model)),
        ("Numéro de série", display(record.serial_number)),
        ("Catégorie", Category.label_of(record.category) if record.category else "Boîtier sans catégorie"),
        ("Processeur", display(record.processor)),
        ("Mémoire", _gigabytes(record.memory_gb)),
        ("Santé de la batterie", f"{display(record.battery_health)} %" if record.battery_health is not None
         else "Non lue (pas de batterie, ou pas de mesure)"),
    ]
    if record.collected_at is not None:
        facts.append(("Lu sur la machine le", display(record.collected_at)))
    return SnapshotSummary(id=record.id, received=received, outcome=outcome, facts=facts,
                           disks=[_disk(d) for d in record.disks if isinstance(d, dict)],
                           set_aside=[_set_aside(i) for i in record.ignored if isinstance(i, dict)])

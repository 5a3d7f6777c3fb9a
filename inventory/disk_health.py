"""A storage medium's health as the device sheet says it, in French: what the last hardware
snapshot read (SMART result, reallocated and pending sectors, NVMe wear, power-on hours) and the
« disque à remplacer » verdict stored with it (the rule is in docs/snapshot-format.md)."""
from __future__ import annotations

from core.display import display
from inventory.models import StorageMedium
from inventory.snapshots.smartctl import replacement_reasons

REPLACE = "Disque à remplacer"


def health_lines(medium: StorageMedium) -> list[str]:
    """The facts read on the medium, one short French line each; empty when no snapshot read it."""
    if medium.health_read_at is None:
        return []
    lines = []
    if medium.smart_passed is not None:
        lines.append("SMART : " + ("réussi" if medium.smart_passed else "échec"))
    if medium.reallocated_sectors is not None:
        lines.append(f"Secteurs réalloués : {display(medium.reallocated_sectors)}")
    if medium.pending_sectors is not None:
        lines.append(f"Secteurs en attente : {display(medium.pending_sectors)}")
    if medium.nvme_percentage_used is not None:
        lines.append(f"Usure NVMe : {display(medium.nvme_percentage_used)} %")
    if medium.power_on_hours is not None:
        lines.append(f"Heures de fonctionnement : {display(medium.power_on_hours)}")
    lines.append(f"Lu le {display(medium.health_read_at)}")
    return lines


def reasons(medium: StorageMedium) -> list[str]:
    """Why the medium is to be replaced, in French, from what the last snapshot read."""
    return replacement_reasons(medium.smart_passed, medium.reallocated_sectors, medium.pending_sectors,
                               medium.nvme_percentage_used)

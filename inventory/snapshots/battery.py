"""Reading a laptop battery's wear: design capacity against the capacity it still holds.

Two sources:

* the files of ``/sys/class/power_supply/<name>/`` (what Rekonekt's collector sends): either
  ``energy_full_design`` and ``energy_full`` (µWh) or ``charge_full_design`` and ``charge_full``
  (µAh), plus ``cycle_count`` (0 means « not reported »), ``manufacturer``, ``model_name``,
  ``technology``, ``status``, ``type`` and ``scope`` (``Device`` for a wireless mouse's battery);
* inxi's Battery block (what workbench-script sends), whose ``condition`` reads
  ``49.6/57.0 Wh (87.0%)`` (full / design, then the percentage) and ``cycles`` a count.

Health = 100 × full ÷ design, one decimal; None when the design capacity is missing or 0. It may
exceed 100 on a new battery: kept as reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .text import clean, invalid

_CONDITION = re.compile(r"^\s*([\d.]{1,12})\s*/\s*([\d.]{1,12})\s*(Wh|Ah|mWh|mAh)\b(?:\s*\(\s*([\d.]{1,8})\s*%\s*\))?",
                        re.IGNORECASE)
MAX_MICRO = 10 ** 12       # 1 MWh in µWh: more is not a battery


@dataclass(frozen=True)
class Battery:
    name: str | None                   # BAT0
    health_percent: Decimal | None
    design_capacity: Decimal | None    # in ``unit``
    full_capacity: Decimal | None
    unit: str | None                   # "Wh" or "Ah"
    cycle_count: int | None
    manufacturer: str | None = None
    model: str | None = None
    technology: str | None = None
    status: str | None = None
    source: str = "sysfs"              # "sysfs" or "inxi"


def health(full: Decimal | None, design: Decimal | None) -> Decimal | None:
    if full is None or not design:
        return None
    return (100 * full / design).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _micro(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 <= number <= MAX_MICRO else None


def is_system_battery(files: dict) -> bool:
    """A power supply the laptop runs on: type Battery (when given), scope not Device."""
    kind = clean(files.get("type"))
    scope = clean(files.get("scope"))
    return (kind is None or kind.lower() == "battery") and (scope is None or scope.lower() != "device")


def parse_battery_sysfs(files, position: int = 1) -> Battery:
    """Reads one battery's sysfs files (file name → content). Raises ``ValidationFailed`` (field
    ``battery``) only when ``files`` is not a JSON object."""
    if not isinstance(files, dict):
        raise invalid("battery", f"batterie n° {position} : un objet JSON est attendu (fichier → contenu).")
    for prefix, unit in (("energy", "Wh"), ("charge", "Ah")):
        design, full = _micro(files.get(f"{prefix}_full_design")), _micro(files.get(f"{prefix}_full"))
        if design or full is not None:
            break
    design_value = Decimal(design) / 10 ** 6 if design else None
    full_value = Decimal(full) / 10 ** 6 if full is not None else None
    cycles = _micro(files.get("cycle_count"))
    return Battery(
        name=clean(files.get("name"), 40), health_percent=health(full_value, design_value),
        design_capacity=design_value, full_capacity=full_value,
        unit=unit if design_value is not None or full_value is not None else None,
        cycle_count=cycles or None, manufacturer=clean(files.get("manufacturer"), 80),
        model=clean(files.get("model_name"), 120), technology=clean(files.get("technology"), 40),
        status=clean(files.get("status"), 40))


def parse_condition(condition) -> tuple[Decimal, Decimal, str, Decimal | None] | None:
    """inxi's ``49.6/57.0 Wh (87.0%)`` → (full, design, unit, health); None when unreadable."""
    if not isinstance(condition, str):
        return None
    match = _CONDITION.match(condition)
    if not match:
        return None
    try:
        full, design = Decimal(match.group(1)), Decimal(match.group(2))
        percent = Decimal(match.group(4)).quantize(Decimal("0.1"), ROUND_HALF_UP) if match.group(4) else None
    except InvalidOperation:
        return None
    if not full.is_finite() or not design.is_finite() or (percent is not None and not percent.is_finite()):
        return None
    unit = match.group(3)
    if unit.lower().startswith("m"):
        full, design, unit = full / 1000, design / 1000, unit[1:]
    return full, design, unit.capitalize() if unit.lower() == "wh" else "Ah", percent


def _short_key(key) -> str:
    return key.rsplit("#", 1)[-1].strip().lower() if isinstance(key, str) else ""


def parse_inxi_battery(inxi) -> Battery | None:
    """The first battery of inxi's JSON output (a list of one-key objects) that has a readable
    condition; None when there is none. Never raises."""
    if not isinstance(inxi, list):
        return None
    for block in inxi:
        if not isinstance(block, dict):
            continue
        for key, entries in block.items():
            if _short_key(key) != "battery" or not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                fields = {_short_key(name): value for name, value in entry.items()}
                condition = parse_condition(fields.get("condition"))
                if condition is None:
                    continue
                full, design, unit, percent = condition
                cycles = fields.get("cycles")
                cycles = int(cycles) if isinstance(cycles, str) and cycles.isascii() and cycles.isdigit() \
                    and len(cycles) < 10 else None
                return Battery(
                    name=clean(fields.get("id"), 40), health_percent=percent if percent is not None
                    else health(full, design), design_capacity=design, full_capacity=full, unit=unit,
                    cycle_count=cycles or None, model=clean(fields.get("model"), 120),
                    technology=clean(fields.get("type"), 40), status=clean(fields.get("status"), 40),
                    source="inxi")
    return None

"""Recognising a posted hardware snapshot and turning it into a ``Snapshot``.

Three formats are accepted (``docs/snapshot-format.md``):

* ``workbench-script``: eReuse's boot tool, ``{"type": "Snapshot", "software":
  "workbench-script", "uuid", "timestamp", "data": {"dmidecode": text, "smartctl": JSON text
  of a list (or the list itself), "inxi": JSON text}, ...}``. Its timestamp is the booted
  machine's local time without a zone (``2026-12-04 10:07:12.481903``): read as Martinique time.
  The battery comes from inxi's Battery block when there is one;
* ``workbench-legacy``: the same tool in legacy mode, recognised by ``data.lshw`` (or
  ``data.smart``): disks in ``data.smart`` (then ``data.disks``, ``data.smartctl``), timestamp
  with a ``T``; lshw, hwinfo and lspci are not read; no battery;
* ``rekonekt``: our collector's ``{"type": "RekonektSnapshot", "version": 1, "uuid",
  "collected_at": UTC with Z, "collector", "collection" (optional), "dmidecode", "lsblk",
  "smartctl": [objects], "battery": [sysfs files]}``.

Refused: the signed form (a verifiable credential, ``credentialSubject``), workbench-script's
Display and Disk snapshots, and anything else.

Disks that are not registered are kept in ``Snapshot.ignored`` with the reason: an entry smartctl
could not read (or an empty one), a removable disk (USB: the live stick), a disk without serial
number (for the review queue), a second entry with the same serial.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid as uuid_module
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime, timezone
from decimal import Decimal

from core.clock import MARTINIQUE
from core.vocabulary import Category

from .battery import Battery, is_system_battery, parse_battery_sysfs, parse_inxi_battery
from .dmidecode import System, parse_dmidecode
from .smartctl import Disk, parse_smartctl
from .text import clean, invalid

WORKBENCH = "workbench-script"
WORKBENCH_LEGACY = "workbench-legacy"
REKONEKT = "rekonekt"
MAX_DISKS = 64
MAX_BATTERIES = 8

# Why a disk of the snapshot is not registered (Ignored.reason) and what a person is told.
UNREADABLE, REMOVABLE, NO_SERIAL, DUPLICATE = "unreadable", "removable", "no-serial", "duplicate"
IGNORED_MESSAGES = {
    UNREADABLE: "smartctl n'a pas pu lire ce périphérique",
    REMOVABLE: "support amovible (USB) : la clé de démarrage n'est pas un disque de l'appareil",
    NO_SERIAL: "disque sans numéro de série : à rapprocher à la main",
    DUPLICATE: "même numéro de série qu'un disque déjà lu",
}


# Block devices that are not disks: compressed swap in RAM, loop files, RAM disks, optical
# drives, floppies, software RAID and device-mapper volumes, network block devices.
VIRTUAL_DEVICE = re.compile(r"(zram|loop|ram|sr|fd|md|dm-|nbd)\d*$")


def needs_review(reason: str, device_name: str | None) -> bool:
    """Whether a disk set aside may be one of the machine's own, so that a person must decide
    (the review queue): a disk without serial number, or a device smartctl could not read that
    has a disk's name. The boot stick, a disk read twice, an empty entry and a virtual device
    (zram, loop…) are only noted."""
    if reason == NO_SERIAL:
        return True
    if reason == UNREADABLE:
        key = _device_key(device_name)
        return key is not None and not VIRTUAL_DEVICE.match(key)
    return reason not in (REMOVABLE, DUPLICATE)


@dataclass(frozen=True)
class Ignored:
    position: int
    reason: str                          # one of IGNORED_MESSAGES
    device_name: str | None = None
    model: str | None = None
    serial_number: str | None = None
    # The disk as smartctl read it (None for an empty entry): its capacity, kind and health, for
    # the technician who adds it by hand from the review queue. Not compared: it only details.
    disk: Disk | None = dataclass_field(default=None, compare=False, repr=False)

    @property
    def message(self) -> str:
        return IGNORED_MESSAGES[self.reason]

    @property
    def needs_review(self) -> bool:
        return needs_review(self.reason, self.device_name)


@dataclass(frozen=True)
class Snapshot:
    uuid: str
    source: str                          # "workbench-script", "workbench-legacy" or "rekonekt"
    software_version: str | None         # "0.0.1", "dev", "rekonekt-collect 1.0"
    collected_at: datetime               # aware, UTC
    collection: str | None               # Rekonekt format only: the collection named by the technician
    system: System
    chassis_type: str | None
    category: Category | None
    processor: str | None
    memory_gb: Decimal | None
    disks: tuple[Disk, ...]
    ignored: tuple[Ignored, ...]
    batteries: tuple[Battery, ...]
    content_hash: str

    @property
    def serial_number(self) -> str:
        return self.system.serial_number

    @property
    def battery(self) -> Battery | None:
        """The first battery whose health is known, else the first battery."""
        return next((b for b in self.batteries if b.health_percent is not None),
                    self.batteries[0] if self.batteries else None)

    @property
    def disks_to_replace(self) -> tuple[Disk, ...]:
        return tuple(disk for disk in self.disks if disk.needs_replacement)


def _json_value(value, field: str, what: str):
    """``value`` itself, or the JSON a string holds."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise invalid(field, f"{what} : JSON illisible.") from None


def _uuid(value) -> str:
    try:
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        return str(uuid_module.UUID(value))
    except ValueError:
        raise invalid("uuid", "identifiant du snapshot (uuid) absent ou illisible.") from None


def _timestamp(value, field: str, naive_zone) -> datetime:
    moment = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise invalid(field, "date de collecte absente ou illisible (AAAA-MM-JJ HH:MM:SS attendu).")
    if moment.tzinfo is None:
        if naive_zone is None:
            raise invalid(field, "date de collecte sans fuseau horaire : l'heure UTC suivie de « Z » est attendue.")
        moment = moment.replace(tzinfo=naive_zone)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise invalid(field, "date de collecte hors limites.") from None


def _device_key(name) -> str | None:
    return name.rsplit("/", 1)[-1] if isinstance(name, str) and name else None


def _names_and_serials(pairs: list[tuple]) -> tuple[set[str], set[str]]:
    """Device names (``sdc``) and serial numbers of (name, serial) pairs, unusable values left out."""
    names = {_device_key(name) for name, _ in pairs if isinstance(name, str) and name}
    serials = {serial for _, value in pairs if (serial := clean(value))}
    return names, serials


def _removable_from_lsblk(lsblk) -> tuple[set[str], set[str]]:
    """Names and serials lsblk marks USB or removable."""
    devices = lsblk.get("blockdevices") if isinstance(lsblk, dict) else None
    return _names_and_serials([
        (device.get("name"), device.get("serial")) for device in (devices if isinstance(devices, list) else [])
        if isinstance(device, dict) and (device.get("tran") == "usb" or device.get("rm") in (True, "1", 1))])


def _usb_from_inxi(inxi) -> tuple[set[str], set[str]]:
    """Names and serials of the drives inxi calls USB (its keys read ``NNN#a#b#Name``)."""
    pairs = []
    for block in inxi if isinstance(inxi, list) else []:
        for key, entries in block.items() if isinstance(block, dict) else []:
            if not isinstance(key, str) or key.rsplit("#", 1)[-1] != "Drives" or not isinstance(entries, list):
                continue
            for entry in entries:
                fields = ({str(k).rsplit("#", 1)[-1].split("-")[0]: v for k, v in entry.items()}
                          if isinstance(entry, dict) else {})
                if fields.get("type") == "USB":
                    pairs.append((fields.get("ID"), fields.get("serial")))
    return _names_and_serials(pairs)


def _disks(entries, field: str, usb: tuple[set[str], set[str]]) -> tuple[tuple[Disk, ...], tuple[Ignored, ...]]:
    entries = _json_value(entries, field, "liste des disques (smartctl)")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise invalid(field, "la liste des sorties de smartctl doit être une liste JSON.")
    if len(entries) > MAX_DISKS:
        raise invalid(field, f"trop de disques : {MAX_DISKS} au plus.")
    usb_names, usb_serials = usb
    kept: list[Disk] = []
    ignored: list[Ignored] = []
    for position, entry in enumerate(entries, 1):
        if entry is None or entry == "":
            ignored.append(Ignored(position, UNREADABLE))
            continue
        if isinstance(entry, str):
            try:
                entry = json.loads(entry)
            except (ValueError, RecursionError):
                raise invalid(field, f"disque n° {position} : sortie de smartctl illisible (JSON attendu).") from None
        disk = parse_smartctl(entry, position)
        reason = None
        if disk.unreadable or (disk.model is None and disk.capacity_bytes is None):
            reason = UNREADABLE
        elif (disk.removable or _device_key(disk.device_name) in usb_names
              or (disk.serial_number is not None and disk.serial_number in usb_serials)):
            reason = REMOVABLE
        elif disk.serial_number is None:
            reason = NO_SERIAL
        elif any(other.serial_number == disk.serial_number for other in kept):
            reason = DUPLICATE
        if reason:
            ignored.append(Ignored(position, reason, disk.device_name, disk.model, disk.serial_number, disk))
        else:
            kept.append(disk)
    return tuple(kept), tuple(ignored)


def _batteries(entries) -> tuple[Battery, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise invalid("battery", "la liste des batteries doit être une liste JSON.")
    if len(entries) > MAX_BATTERIES:
        raise invalid("battery", f"trop de batteries : {MAX_BATTERIES} au plus.")
    batteries = []
    for position, files in enumerate(entries, 1):
        battery = parse_battery_sysfs(files, position)
        if is_system_battery(files):
            batteries.append(battery)
    return tuple(batteries)


def content_hash(system: System, chassis_type, processor, memory_gb, disks, batteries) -> str:
    """SHA-256 of what the snapshot says about the machine, in a canonical form: neither its uuid,
    date, source format, power-on hours nor ignored entries count, so the same machine posted
    twice (or by another tool) hashes the same, and a changed disk, module or battery does not."""
    canonical = {
        "system": [system.maker, system.product_name, system.version, system.serial_number, system.sku,
                   system.family],
        "chassis": chassis_type, "processor": processor,
        "memory_gb": str(memory_gb) if memory_gb is not None else None,
        "disks": sorted([disk.serial_number, disk.model, disk.capacity_bytes, disk.kind.value if disk.kind else None,
                         disk.smart_passed, disk.reallocated_sectors, disk.pending_sectors,
                         disk.nvme_percentage_used] for disk in disks),
        "batteries": [str(b.health_percent) if b.health_percent is not None else None for b in batteries],
    }
    text = json.dumps(canonical, ensure_ascii=True, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def detect_source(data: dict) -> str:
    """Which of the three formats ``data`` is; raises ``ValidationFailed`` (field ``snapshot``)
    for the refused ones."""
    if data.get("type") == "RekonektSnapshot":
        if data.get("version") != 1 or isinstance(data.get("version"), bool):
            raise invalid("version", f"version {str(data.get('version'))[:20]} du format Rekonekt non prise en "
                                     "charge (1 attendue).")
        return REKONEKT
    if "credentialSubject" in data:
        raise invalid("snapshot", "snapshot signé (attestation vérifiable) non pris en charge : envoyez le "
                                  "snapshot de workbench-script sans signature (url_wallet vide).")
    if data.get("software") == WORKBENCH:
        inner = data.get("data")
        if not isinstance(inner, dict):
            raise invalid("data", "le champ « data » du snapshot workbench-script doit être un objet JSON.")
        kind = inner.get("snapshot_type")
        if kind not in (None, "Device"):
            raise invalid("snapshot", f"snapshot workbench-script de type « {str(kind)[:40]} » non pris en charge : "
                                      "seul un ordinateur (Device) peut être enregistré.")
        return WORKBENCH_LEGACY if ("lshw" in inner or "smart" in inner) else WORKBENCH
    raise invalid("snapshot", "format de snapshot non reconnu : un snapshot eReuse workbench-script ou "
                              "Rekonekt (type « RekonektSnapshot ») est attendu.")


def parse_snapshot(data) -> Snapshot:
    """Reads a posted snapshot. Raises ``ValidationFailed`` with French messages naming what is
    wrong: not an object, a refused format, no uuid or date, no dmidecode output or no system
    serial number, a list of disks or one disk's smartctl output that is not JSON."""
    if not isinstance(data, dict):
        raise invalid("snapshot", "le snapshot doit être un objet JSON.")
    source = detect_source(data)
    if source == REKONEKT:
        fields, inner = data, data
        collected_at = _timestamp(data.get("collected_at"), "collected_at", None)
        version = clean(data.get("collector"), 80)
        collection = data.get("collection")
        collection = clean(str(collection), 80) if isinstance(collection, (str, int)) and not isinstance(
            collection, bool) else None
    else:
        inner = data["data"]
        collected_at = _timestamp(data.get("timestamp"), "timestamp", MARTINIQUE)
        version = clean(data.get("version"), 80)
        collection = None
    uuid = _uuid(data.get("uuid"))
    if not isinstance(inner.get("dmidecode"), str) or not inner["dmidecode"].strip():
        raise invalid("dmidecode", "sortie de dmidecode absente : elle donne le numéro de série du système.")
    dmi = parse_dmidecode(inner["dmidecode"])
    if dmi.system.serial_number is None:
        raise invalid("dmidecode", "numéro de série du système absent ou générique dans la sortie de dmidecode "
                                   "(« System Information », « Serial Number ») : l'appareil ne peut être reconnu.")
    batteries: tuple[Battery, ...] = ()
    if source == REKONEKT:
        disks, ignored = _disks(data.get("smartctl"), "smartctl", _removable_from_lsblk(data.get("lsblk")))
        batteries = _batteries(data.get("battery"))
    elif source == WORKBENCH:
        try:
            inxi = json.loads(inner["inxi"]) if isinstance(inner.get("inxi"), str) else inner.get("inxi")
        except (ValueError, RecursionError):
            inxi = None                  # inxi is optional: workbench-script sends "" without it
        disks, ignored = _disks(inner.get("smartctl"), "smartctl", _usb_from_inxi(inxi))
        battery = parse_inxi_battery(inxi)
        batteries = (battery,) if battery else ()
    else:
        key = next((k for k in ("smart", "disks", "smartctl") if k in inner), "smart")
        disks, ignored = _disks(inner.get(key), key, (set(), set()))
    return Snapshot(
        uuid=uuid, source=source, software_version=version, collected_at=collected_at, collection=collection,
        system=dmi.system, chassis_type=dmi.chassis_type, category=dmi.category, processor=dmi.processor,
        memory_gb=dmi.memory_gb, disks=disks, ignored=ignored, batteries=batteries,
        content_hash=content_hash(dmi.system, dmi.chassis_type, dmi.processor, dmi.memory_gb, disks, batteries))

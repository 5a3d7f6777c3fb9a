"""Reading one disk's ``smartctl -x --json`` output (smartmontools 7.x, any ``--json=`` flags).

Read here (every other key is ignored, and any key may be missing or of another type: it then
counts as unknown, never as an error):

* ``device``: ``name`` (``/dev/sda``), ``type`` (``sat``, ``nvme``, ``scsi``, ``usbjmicron``…),
  ``protocol`` (``ATA``, ``NVMe``, ``SCSI``), ``info_name`` (``/dev/sdc [USB JMicron]``);
* ``model_name`` (SCSI with smartctl 7.3/7.4: ``scsi_model_name``, then ``scsi_vendor`` +
  ``scsi_product``), ``serial_number``, ``user_capacity.bytes`` (NVMe: then
  ``nvme_total_capacity``, then the first namespace's size);
* ``rotation_rate`` (0 = solid state, else revolutions per minute), ``trim.supported``;
* ``power_on_time.hours`` (then the NVMe health log's ``power_on_hours``);
* ``smart_status.passed``; ATA attributes 5 (Reallocated_Sector_Ct) and 197
  (Current_Pending_Sector), their ``raw.value``; SCSI ``scsi_grown_defect_list`` as reallocated
  sectors; NVMe ``nvme_smart_health_information_log.percentage_used``;
* ``smartctl.exit_status``: a bit mask; bit 0 (command line) or bit 1 (the device could not be
  opened or identified) make the entry unusable. The other bits describe the disk's health, and
  bit 2 alone is common on healthy disks with smartctl 7.3/7.4 ``-x``.

Kind: ``nvme`` when the protocol or device type says NVMe; ``ssd`` when the rotation rate is 0 (or
absent with TRIM supported); ``hdd`` when it is positive; None otherwise.

Removable: a USB bridge (device type ``usb…`` or ``[USB`` in ``info_name``), or a SCSI device
without SMART (what a USB stick looks like to smartctl).

« Disque à remplacer » (``Disk.needs_replacement``): the overall SMART result is FAILED, or at
least one reallocated sector, or at least one pending sector, or an NVMe drive has used 100 % or
more of its rated endurance. One reallocated sector is enough: a workshop cannot watch the count
grow, and the drive leaves with a family.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from inventory.vocabulary import MediumKind

from .text import clean, invalid

FAILCMD, FAILDEV = 0x01, 0x02
MAX_BYTES = 10 ** 18                   # 1 EB: anything larger is not a disk's capacity
MAX_COUNT = 2 ** 62


@dataclass(frozen=True)
class Disk:
    position: int                       # 1 for the first entry of the snapshot's smartctl list
    device_name: str | None             # /dev/sda
    device_type: str | None             # smartctl's -d type: sat, nvme, scsi, usbjmicron…
    protocol: str | None                # ATA, NVMe, SCSI
    model: str | None
    serial_number: str | None
    capacity_bytes: int | None
    kind: MediumKind | None
    power_on_hours: int | None
    smart_passed: bool | None           # None: no overall result (SMART unavailable)
    reallocated_sectors: int | None
    pending_sectors: int | None
    nvme_percentage_used: int | None
    exit_status: int | None
    removable: bool                     # USB bridge or stick

    @property
    def capacity_gb(self) -> Decimal | None:
        """Capacity in GB as disk makers count them (10⁹ bytes), one decimal."""
        if not self.capacity_bytes:
            return None
        return (Decimal(self.capacity_bytes) / 10 ** 9).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def unreadable(self) -> bool:
        return self.exit_status is not None and bool(self.exit_status & (FAILCMD | FAILDEV))

    @property
    def usable(self) -> bool:
        """Readable by smartctl, with a serial number and a model or capacity: a disk to register."""
        return (not self.unreadable and self.serial_number is not None
                and (self.model is not None or self.capacity_bytes is not None))

    @property
    def replacement_reasons(self) -> list[str]:
        """Why the disk is to be replaced, in French; empty when nothing says so."""
        return replacement_reasons(self.smart_passed, self.reallocated_sectors, self.pending_sectors,
                                   self.nvme_percentage_used)

    @property
    def needs_replacement(self) -> bool:
        return bool(self.replacement_reasons)


def replacement_reasons(smart_passed: bool | None, reallocated_sectors: int | None, pending_sectors: int | None,
                        nvme_percentage_used: int | None) -> list[str]:
    """The rule of « disque à remplacer » (docs/snapshot-format.md), with its reasons in French:
    a failed SMART result, any reallocated or pending sector, an NVMe drive worn to 100 %."""
    reasons = []
    if smart_passed is False:
        reasons.append("résultat SMART : échec")
    if reallocated_sectors:
        reasons.append(f"{reallocated_sectors} secteur(s) réalloué(s)")
    if pending_sectors:
        reasons.append(f"{pending_sectors} secteur(s) en attente de réallocation")
    if nvme_percentage_used is not None and nvme_percentage_used >= 100:
        reasons.append(f"usure NVMe {nvme_percentage_used} %")
    return reasons


def _device_name(data: dict) -> str | None:
    """``device.name``; when smartctl could not open the device it has no ``device`` member, and
    the name is the last argument it was given (``/dev/zram0``)."""
    name = clean(_get(data, "device", "name"), 120)
    if name is None:
        argv = _get(data, "smartctl", "argv")
        last = argv[-1] if isinstance(argv, list) and argv else None
        name = clean(last, 120) if isinstance(last, str) and last.startswith("/dev/") else None
    return name


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _count(value, maximum: int = MAX_COUNT) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        return None
    return value


def _attribute(data: dict, number: int) -> int | None:
    table = _get(data, "ata_smart_attributes", "table")
    if not isinstance(table, list):
        return None
    for row in table:
        if isinstance(row, dict) and row.get("id") == number and not isinstance(row.get("id"), bool):
            return _count(_get(row, "raw", "value"))
    return None


def _model(data: dict) -> str | None:
    model = clean(data.get("model_name"), 120) or clean(data.get("scsi_model_name"), 120)
    if model:
        return model
    for vendor_key, product_key in (("scsi_vendor", "scsi_product"), ("vendor", "product")):
        parts = [clean(data.get(vendor_key)), clean(data.get(product_key))]
        if any(parts):
            return clean(" ".join(part for part in parts if part), 120)
    return None


def _capacity(data: dict) -> int | None:
    namespaces = data.get("nvme_namespaces")
    first = namespaces[0] if isinstance(namespaces, list) and namespaces else None
    for value in (_get(data, "user_capacity", "bytes"), data.get("nvme_total_capacity"),
                  _get(first, "size", "bytes")):
        capacity = _count(value, MAX_BYTES)
        if capacity:
            return capacity
    return None


def _kind(protocol: str | None, device_type: str | None, data: dict) -> MediumKind | None:
    if (protocol or "").lower() == "nvme" or (device_type or "").lower() == "nvme":
        return MediumKind.NVME
    rotation = data.get("rotation_rate")
    if not isinstance(rotation, bool) and isinstance(rotation, int):
        if rotation == 0:
            return MediumKind.SSD
        if rotation > 0:
            return MediumKind.HDD
    if rotation is None and _get(data, "trim", "supported") is True:
        return MediumKind.SSD
    return None


def _removable(protocol: str | None, device_type: str | None, data: dict) -> bool:
    info = data.get("device", {}).get("info_name") if isinstance(data.get("device"), dict) else None
    if (device_type or "").lower().startswith("usb") or (isinstance(info, str) and "[usb" in info.lower()):
        return True
    return (protocol or "").lower() == "scsi" and _get(data, "smart_support", "available") is False


def parse_smartctl(data, position: int = 1) -> Disk:
    """Reads one ``smartctl -x --json`` object. Raises ``ValidationFailed`` (field ``smartctl``,
    naming the disk's ``position``) only when ``data`` is not a JSON object."""
    if not isinstance(data, dict):
        raise invalid("smartctl", f"disque n° {position} : la sortie de smartctl n'est pas un objet JSON.")
    device_type = clean(_get(data, "device", "type"), 40)
    protocol = clean(_get(data, "device", "protocol"), 40)
    smart_passed = _get(data, "smart_status", "passed")
    serial = clean(data.get("serial_number"))
    reallocated = _attribute(data, 5)
    hours = _count(_get(data, "power_on_time", "hours"))
    if reallocated is None:
        reallocated = _count(data.get("scsi_grown_defect_list"))
    return Disk(
        position=position, device_name=_device_name(data), device_type=device_type,
        protocol=protocol, model=_model(data),
        serial_number=serial if serial is not None and len(serial) <= 100 else None,
        capacity_bytes=_capacity(data), kind=_kind(protocol, device_type, data),
        power_on_hours=hours if hours is not None
        else _count(_get(data, "nvme_smart_health_information_log", "power_on_hours")),
        smart_passed=smart_passed if isinstance(smart_passed, bool) else None,
        reallocated_sectors=reallocated, pending_sectors=_attribute(data, 197),
        nvme_percentage_used=_count(_get(data, "nvme_smart_health_information_log", "percentage_used")),
        exit_status=_count(_get(data, "smartctl", "exit_status")),
        removable=_removable(protocol, device_type, data))

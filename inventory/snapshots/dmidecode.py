"""Reading the text output of ``dmidecode`` (versions 2.x to 3.6): the system, its chassis,
processor and memory.

The text is a list of records separated by blank lines. Each starts with ``Handle 0x0001, DMI
type 1, 27 bytes``, then the record's name (``System Information``), then one ``<TAB>Key: Value``
line per field; list fields (``Flags:``, ``Characteristics:``) continue on lines indented by two
tabs, which are not needed here. Values may carry trailing spaces.

Read here:

* type 1 « System Information »: Manufacturer, Product Name, Version, Serial Number, SKU Number,
  Family. Lenovo writes its machine-type code in Product Name (``20HRCTO1WW``) and the marketing
  name in Version (``ThinkPad X1 Carbon 5th``): for Lenovo the model is the Version (else the
  Family), and the Product Name is kept as ``product_name``;
* type 3 « Chassis Information »: Type, mapped to a category by ``CHASSIS_CATEGORIES``;
* type 4 « Processor Information »: the Version of the first socket that is populated, cleaned of
  ``(R)``, ``(TM)``, ``CPU`` and the ``@ 1.70GHz`` frequency;
* type 17 « Memory Device »: the Size of each module (``8 GB``, ``8192 MB``, ``512 kB``, ``1 TB``,
  binary units), summed; ``No Module Installed``, ``Not Installed`` and ``Unknown`` count for
  nothing.

Placeholders (``text.PLACEHOLDERS``) count as empty values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.vocabulary import Category

from .text import clean, invalid, printable

MAX_TEXT_CHARS = 1_000_000       # a full dmidecode dump is 20 to 60 kB

_HANDLE = re.compile(r"^Handle 0x[0-9A-Fa-f]+, DMI type (\d{1,3}), \d+ bytes$")
_FIELD = re.compile(r"^\t([^\t:][^:]*):(.*)$")
_SIZE = re.compile(r"^(\d{1,9})\s*(kB|KB|MB|GB|TB)$", re.IGNORECASE)
_SIZE_KIB = {"kb": 1, "mb": 1024, "gb": 1024 ** 2, "tb": 1024 ** 3}

# dmidecode's chassis names (SMBIOS 3.x, type 3 « Type »), lower-cased, and the spellings other
# tools use. Category has no all-in-one nor server: an all-in-one is a fixed computer (desktop),
# a server is « other ». Anything absent (Other, Unknown, Docking Station, Blade…) gives None:
# the technician chooses.
CHASSIS_CATEGORIES = {
    "portable": Category.LAPTOP, "laptop": Category.LAPTOP, "notebook": Category.LAPTOP,
    "hand held": Category.LAPTOP, "sub notebook": Category.LAPTOP, "convertible": Category.LAPTOP,
    "detachable": Category.LAPTOP,
    "tablet": Category.TABLET,
    "desktop": Category.DESKTOP, "low profile desktop": Category.DESKTOP, "pizza box": Category.DESKTOP,
    "mini tower": Category.DESKTOP, "tower": Category.DESKTOP, "space-saving": Category.DESKTOP,
    "lunch box": Category.DESKTOP, "sealed-case pc": Category.DESKTOP, "all in one": Category.DESKTOP,
    "embedded pc": Category.DESKTOP, "mini pc": Category.DESKTOP, "stick pc": Category.DESKTOP,
    "main server chassis": Category.OTHER, "rack mount chassis": Category.OTHER,
    "multi-system": Category.OTHER,
}
_CPU_NOISE = re.compile(r"\((?:R|TM|C)\)|®|™|\bCPU\b|\s@\s*[\d.]+\s*[GM]Hz.*$|\bProcessor\b", re.IGNORECASE)


@dataclass(frozen=True)
class System:
    maker: str | None
    product_name: str | None     # Product Name as printed (Lenovo: the machine-type code)
    version: str | None
    serial_number: str | None
    sku: str | None = None
    family: str | None = None

    @property
    def model(self) -> str | None:
        """The name a person knows the machine by: Lenovo's Version (or Family), else the Product
        Name."""
        if self.maker and self.maker.lower().startswith("lenovo"):
            return self.version or self.family or self.product_name
        return self.product_name


@dataclass(frozen=True)
class Dmidecode:
    system: System
    chassis_type: str | None          # as printed: « Notebook »
    category: Category | None
    processor: str | None
    memory_mib: int                   # 0 when no module size is readable
    memory_modules: int

    @property
    def memory_gb(self) -> Decimal | None:
        """Installed memory in GiB (what a seller calls GB), one decimal; None when unknown."""
        if not self.memory_mib:
            return None
        return (Decimal(self.memory_mib) / 1024).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _records(text: str) -> list[tuple[int, str, dict[str, str]]]:
    records: list[tuple[int, str, dict[str, str]]] = []
    current: tuple[int, str, dict[str, str]] | None = None
    expect_name = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        handle = _HANDLE.match(line)
        if handle:
            current, expect_name = None, True
            dmi_type = int(handle.group(1))
            records.append((dmi_type, "", {}))
            continue
        if expect_name:
            if line.strip():
                dmi_type, _, fields = records[-1]
                records[-1] = current = (dmi_type, line.strip(), fields)
                expect_name = False
            continue
        if current is None or not line:
            if not line:
                current = None
            continue
        field = _FIELD.match(line)
        if field:
            key = field.group(1).strip()
            current[2].setdefault(key, field.group(2).strip())
    return records


def _first(records, dmi_type: int) -> dict[str, str]:
    return next((fields for kind, _, fields in records if kind == dmi_type), {})


def chassis_category(chassis_type: str | None) -> Category | None:
    if not chassis_type:
        return None
    return CHASSIS_CATEGORIES.get(printable(chassis_type).lower().replace("space saving", "space-saving"))


def clean_processor(version: str | None) -> str | None:
    """``Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz`` → ``Intel Core i5-8350U``."""
    text = clean(version)
    if text is None:
        return None
    return clean(_CPU_NOISE.sub(" ", text), 120)


def memory_kib(size: str) -> int:
    """A module's Size in KiB; 0 for an empty slot or anything unreadable."""
    match = _SIZE.match(printable(size))
    if not match:
        return 0
    return int(match.group(1)) * _SIZE_KIB[match.group(2).lower()]


def parse_dmidecode(text: str) -> Dmidecode:
    """Reads dmidecode's text. Never fails on odd content (missing records give None values);
    raises ``ValidationFailed`` (field ``dmidecode``) only when the text is not a string, is too
    long, or holds no « System Information » record at all."""
    if not isinstance(text, str):
        raise invalid("dmidecode", "la sortie de dmidecode doit être un texte.")
    if len(text) > MAX_TEXT_CHARS:
        raise invalid("dmidecode", f"sortie de dmidecode trop longue ({MAX_TEXT_CHARS // 1000} ko au plus).")
    records = _records(text)
    if not any(kind == 1 for kind, _, _ in records):
        raise invalid("dmidecode", "aucune section « System Information » dans la sortie de dmidecode "
                                   "(dmidecode doit être lancé en root).")
    fields = _first(records, 1)
    system = System(
        maker=clean(fields.get("Manufacturer"), 80), product_name=clean(fields.get("Product Name"), 120),
        version=clean(fields.get("Version"), 120), serial_number=clean(fields.get("Serial Number"), 100),
        sku=clean(fields.get("SKU Number"), 80), family=clean(fields.get("Family"), 120))
    chassis_type = clean(_first(records, 3).get("Type"), 80)
    processor = None
    for kind, _, cpu in records:
        if kind == 4 and "unpopulated" not in cpu.get("Status", "").lower():
            processor = clean_processor(cpu.get("Version"))
            if processor:
                break
    sizes = [memory_kib(mem.get("Size", "")) for kind, _, mem in records if kind == 17]
    return Dmidecode(system=system, chassis_type=chassis_type, category=chassis_category(chassis_type),
                     processor=processor, memory_mib=sum(sizes) // 1024,
                     memory_modules=sum(1 for size in sizes if size))

"""Reading dmidecode's text: the fixture of a Dell Latitude 5490, and variants of it.

Pure tests: no application, no database.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.vocabulary import Category
from inventory.snapshots.dmidecode import (
    CHASSIS_CATEGORIES, System, chassis_category, clean_processor, memory_kib, parse_dmidecode)
from inventory.snapshots.text import clean, is_placeholder

from .helpers import refused, text

LATITUDE = text("dmidecode_latitude.txt")


def with_field(record: str, key: str, value: str, source: str = LATITUDE) -> str:
    """The fixture with ``key`` of the first ``record`` section set to ``value``."""
    head, _, tail = source.partition(f"{record}\n")
    before, _, after = tail.partition(f"\t{key}: ")
    return f"{head}{record}\n{before}\t{key}: {value}\n{after.split(chr(10), 1)[1]}"


def test_latitude_fixture():
    dmi = parse_dmidecode(LATITUDE)
    assert dmi.system == System(maker="Dell Inc.", product_name="Latitude 5490", version=None,
                                serial_number="RK7TEST", sku="0817", family="Latitude")
    assert dmi.system.model == "Latitude 5490"
    assert (dmi.chassis_type, dmi.category) == ("Notebook", Category.LAPTOP)
    assert dmi.processor == "Intel Core i5-8350U"
    assert (dmi.memory_mib, dmi.memory_modules, dmi.memory_gb) == (16384, 2, Decimal("16.0"))


def test_windows_line_endings_read_alike():
    assert parse_dmidecode(LATITUDE.replace("\n", "\r\n")) == parse_dmidecode(LATITUDE)


def test_lenovo_model_is_in_version():
    lenovo = with_field("System Information", "Manufacturer", "LENOVO")
    lenovo = with_field("System Information", "Product Name", "20HRCTO1WW", lenovo)
    lenovo = with_field("System Information", "Version", "ThinkPad X1 Carbon 5th", lenovo)
    system = parse_dmidecode(lenovo).system
    assert (system.model, system.product_name) == ("ThinkPad X1 Carbon 5th", "20HRCTO1WW")
    no_version = with_field("System Information", "Version", "Not Specified", lenovo)
    assert parse_dmidecode(no_version).system.model == "Latitude"      # the Family


@pytest.mark.parametrize("placeholder", [
    "To Be Filled By O.E.M.", "To be filled by O.E.M.", "Default string", "System Serial Number", "Not Specified",
    "None", "0123456789", "", "   ", "00000000", "0", "FFFFFFFF", "Not Applicable", "Not Available", "N/A",
    "Unknown", "<BAD INDEX>", "<OUT OF SPEC>", "Type1ProductConfigId", "xxxxxxxx", "....",
])
def test_placeholders_are_no_value(placeholder):
    assert is_placeholder(placeholder) and clean(placeholder) is None
    dmi = parse_dmidecode(with_field("System Information", "Serial Number", placeholder))
    assert dmi.system.serial_number is None


@pytest.mark.parametrize("value", ["RK7TEST", "5CQ6VY1", "PF0QMY5N", "0A", "OEM1234"])
def test_real_serials_are_kept(value):
    assert parse_dmidecode(with_field("System Information", "Serial Number", value)).system.serial_number == value


def test_trailing_spaces_and_control_characters_are_dropped():
    dmi = parse_dmidecode(with_field("System Information", "Serial Number", "RK7\x00TEST  \x1b"))
    assert dmi.system.serial_number == "RK7TEST"


@pytest.mark.parametrize(("size", "kib"), [
    ("8 GB", 8 * 1024 ** 2), ("8192 MB", 8 * 1024 ** 2), ("512 MB", 512 * 1024), ("1536 MB", 1536 * 1024),
    ("524288 kB", 512 * 1024), ("1 TB", 1024 ** 3), ("No Module Installed", 0), ("Not Installed", 0),
    ("Unknown", 0), ("", 0), ("8 GiB", 0), ("huit GB", 0),
])
def test_memory_sizes(size, kib):
    assert memory_kib(size) == kib


def test_memory_mixed_units_are_summed():
    mixed = LATITUDE.replace("\tSize: 8 GB\n", "\tSize: 8192 MB\n", 1).replace("\tSize: 8 GB\n", "\tSize: 4 GB\n", 1)
    dmi = parse_dmidecode(mixed)
    assert (dmi.memory_mib, dmi.memory_modules, dmi.memory_gb) == (12288, 2, Decimal("12.0"))
    half = mixed.replace("\tSize: 4 GB\n", "\tSize: 512 MB\n")
    assert parse_dmidecode(half).memory_gb == Decimal("8.5")


def test_no_memory_device_gives_none():
    dmi = parse_dmidecode(LATITUDE.replace("DMI type 17,", "DMI type 19,"))
    assert (dmi.memory_mib, dmi.memory_modules, dmi.memory_gb) == (0, 0, None)


@pytest.mark.parametrize(("chassis", "category"), [
    ("Portable", Category.LAPTOP), ("Laptop", Category.LAPTOP), ("Notebook", Category.LAPTOP),
    ("Hand Held", Category.LAPTOP), ("Sub Notebook", Category.LAPTOP), ("Convertible", Category.LAPTOP),
    ("Detachable", Category.LAPTOP), ("Tablet", Category.TABLET),
    ("Desktop", Category.DESKTOP), ("Low Profile Desktop", Category.DESKTOP), ("Pizza Box", Category.DESKTOP),
    ("Mini Tower", Category.DESKTOP), ("Tower", Category.DESKTOP), ("Space-saving", Category.DESKTOP),
    ("Space-Saving", Category.DESKTOP), ("Lunch Box", Category.DESKTOP), ("Sealed-case PC", Category.DESKTOP),
    ("All In One", Category.DESKTOP), ("All in One", Category.DESKTOP), ("Embedded PC", Category.DESKTOP),
    ("Mini PC", Category.DESKTOP), ("Stick PC", Category.DESKTOP),
    ("Main Server Chassis", Category.OTHER), ("Rack Mount Chassis", Category.OTHER), ("Multi-system", Category.OTHER),
    ("Other", None), ("Unknown", None), ("Docking Station", None), ("Blade", None), ("<OUT OF SPEC>", None),
])
def test_every_chassis_mapping(chassis, category):
    assert chassis_category(chassis) is category
    dmi = parse_dmidecode(with_field("Chassis Information", "Type", chassis))
    assert dmi.category is category


def test_mapping_table_is_lower_case():
    assert all(name == name.lower() for name in CHASSIS_CATEGORIES)


@pytest.mark.parametrize(("version", "cleaned"), [
    ("Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz", "Intel Core i5-8350U"),
    ("Intel(R) Core(TM) i7-4600U CPU @ 2.10GHz", "Intel Core i7-4600U"),
    ("AMD Ryzen 5 PRO 3500U w/ Radeon Vega Mobile Gfx", "AMD Ryzen 5 PRO 3500U w/ Radeon Vega Mobile Gfx"),
    ("Intel(R) Celeron(R) CPU  N3050  @ 1.60GHz", "Intel Celeron N3050"),
    ("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", "11th Gen Intel Core i5-1135G7"),
    ("Not Specified", None), ("", None),
])
def test_processor_names(version, cleaned):
    assert clean_processor(version) == cleaned


def test_first_populated_processor_is_read():
    empty_socket = ("Handle 0x0040, DMI type 4, 48 bytes\nProcessor Information\n\tSocket Designation: CPU0\n"
                    "\tStatus: Unpopulated\n\tVersion: Ghost CPU\n\n")
    text_ = LATITUDE.replace("Handle 0x0004,", empty_socket + "Handle 0x0004,")
    assert parse_dmidecode(text_).processor == "Intel Core i5-8350U"
    no_version = with_field("Processor Information", "Version", "Not Specified")
    assert parse_dmidecode(no_version).processor is None


def test_no_system_record_is_refused():
    errors = refused(parse_dmidecode, "# dmidecode 3.4\nPermission denied\n")
    assert "System Information" in errors["dmidecode"][0]
    assert "dmidecode" in refused(parse_dmidecode, "")
    assert "dmidecode" in refused(parse_dmidecode, None)
    assert "trop longue" in refused(parse_dmidecode, LATITUDE * 300)["dmidecode"][0]


def test_missing_fields_give_none():
    bare = "Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: Acme\n"
    dmi = parse_dmidecode(bare)
    assert dmi.system == System(maker="Acme", product_name=None, version=None, serial_number=None)
    assert (dmi.chassis_type, dmi.category, dmi.processor, dmi.memory_gb) == (None, None, None, None)

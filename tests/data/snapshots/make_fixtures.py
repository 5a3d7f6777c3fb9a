"""Builds the composite snapshot fixtures of this folder from the tool outputs next to it, so
that the three envelopes always describe the same laptop (a Dell Latitude 5490 with fictitious
serials): ``workbench_script.json`` (eReuse workbench-script 0.0.1 as it posts),
``workbench_legacy.json`` (its legacy mode) and ``rekonekt_snapshot.json`` (our collector's
format, version 1). Run it again after changing a tool output::

    .venv/bin/python tests/data/snapshots/make_fixtures.py
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
# lsblk order: sda, sdb, sdc (the live USB stick), nvme0n1, then a zram swap lsblk also calls a disk
WORKBENCH_DISKS = ["smartctl_sata_ssd", "smartctl_hdd_reallocated", "smartctl_usb_stick", "smartctl_nvme",
                   "smartctl_zram_junk"]
FIXED_DISKS = ["smartctl_sata_ssd", "smartctl_hdd_reallocated", "smartctl_nvme"]


def _json(name: str):
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def _battery(folder: str) -> dict[str, str]:
    entry = {"name": "BAT0"}
    for path in sorted((HERE / folder).iterdir()):
        entry[path.name] = path.read_text(encoding="utf-8").strip()
    return entry


def build() -> dict[str, dict]:
    dmidecode = (HERE / "dmidecode_latitude.txt").read_text(encoding="utf-8")
    smartctl = [_json(name) for name in WORKBENCH_DISKS]
    # workbench-script's logging decorator turns a smartctl call that printed no JSON into ""
    smartctl.append("")
    inxi = _json("inxi")
    workbench = {
        "timestamp": "2026-12-04 10:07:12.481903", "type": "Snapshot",
        "uuid": "5b0e9d7c-3f41-4c2a-9a57-0d6f1e2b7c11", "software": "workbench-script", "version": "0.0.1",
        "operator_id": "",
        "data": {"smartctl": json.dumps(smartctl), "dmidecode": dmidecode, "inxi": json.dumps(inxi)},
        "erase": [],
    }
    legacy = {
        "timestamp": "2026-12-04T10:09:40.118220", "type": "Snapshot",
        "uuid": "c2a41f60-8d3b-4e7f-b1a9-6e5d4c3b2a10", "software": "workbench-script", "version": "dev",
        "data": {"dmidecode": dmidecode, "smart": smartctl,
                 "lshw": json.dumps({"id": "rekonekt-test", "class": "system", "product": "Latitude 5490 (0817)",
                                     "vendor": "Dell Inc.", "serial": "RK7TEST"}, indent=2),
                 "hwinfo": "01: None 00.0: 10105 BIOS\n  [Created at bios.186]\n",
                 "lspci": "00:00.0 Host bridge: Intel Corporation Xeon E3-1200 v6/7th Gen Core Processor"
                          " Host Bridge/DRAM Registers (rev 08)\n"},
        "sid": "4e7f", "schema_api": "1.0.0", "settings_version": "No Settings Version (NaN)",
    }
    rekonekt = {
        "type": "RekonektSnapshot", "version": 1, "uuid": "9f3c2e1a-7b6d-4c5e-8f90-a1b2c3d4e5f6",
        "collected_at": "2026-12-04T14:11:05Z", "collector": "rekonekt-collect 1.0",
        "collection": "COL-2026-0042",
        "dmidecode": dmidecode, "lsblk": _json("lsblk"),
        "smartctl": [_json(name) for name in FIXED_DISKS],
        "battery": [_battery("battery_BAT0")],
    }
    return {"workbench_script": workbench, "workbench_legacy": legacy, "rekonekt_snapshot": rekonekt}


def main() -> None:
    for name, content in build().items():
        (HERE / f"{name}.json").write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n",
                                           encoding="utf-8")


if __name__ == "__main__":
    main()

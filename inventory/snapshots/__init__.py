"""Readers for hardware snapshots: what a machine booted on a live USB says about itself.

Pure functions only (no Flask, no database), documented in ``docs/snapshot-format.md``:
``dmidecode`` reads dmidecode's text (maker, model, serial, chassis, processor, memory),
``smartctl`` one ``smartctl -x --json`` object per disk, ``battery`` the battery figures (sysfs
files or inxi's condition string), and ``envelopes`` recognises the three snapshot formats
accepted (eReuse workbench-script, its legacy mode, Rekonekt's own collector) and turns one into
a ``Snapshot``. Bad input raises ``core.errors.ValidationFailed`` with French messages.
"""

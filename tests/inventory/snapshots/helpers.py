"""Reading the fixtures of ``tests/data/snapshots`` (built by its ``make_fixtures.py``)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ValidationFailed

DATA = Path(__file__).resolve().parents[2] / "data" / "snapshots"


def text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def load(name: str):
    return json.loads(text(f"{name}.json"))


def sysfs(folder: str) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted((DATA / folder).iterdir())}


def refused(function, *args) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        function(*args)
    return caught.value.errors

"""The "reconditionné" status (décret 2022-190) on devices with several storage media, in every
state a medium can be in, and the state of each medium as the collection page and the
certificates show it. Pure: the objects are built in memory, no database."""
from __future__ import annotations

import itertools

import pytest

from inventory.models import Device, ErasureRecord, GradingResult, StorageMedium
from inventory.sanitisation import MediumState, covering_record, is_safe, medium_state
from inventory.services.grading import is_refurbished


def record(level: str, result: str, verified: bool) -> ErasureRecord:
    return ErasureRecord(level=level, result=result, verified=verified)


# name → (origin, erasure records in order, the medium's state, whether it holds no donor data)
MEDIA = {
    "wiped": ("donated", [("purge", "pass", True)], MediumState.SANITISED, True),
    "cleared": ("donated", [("clear", "pass", True)], MediumState.SANITISED, True),
    "warned-verified": ("donated", [("clear", "pass_with_warnings", True)], MediumState.SANITISED, True),
    "shredded": ("donated", [("destroy", "pass", False)], MediumState.DESTROYED, True),
    "failed-then-drilled": ("donated", [("clear", "fail", False), ("destroy", "pass", False)], MediumState.DESTROYED, True),
    "failed-then-wiped": ("donated", [("clear", "fail", False), ("purge", "pass", True)], MediumState.SANITISED, True),
    "fitted": ("fitted", [], MediumState.FITTED, True),
    "pending": ("donated", [], MediumState.PENDING, False),
    "failed": ("donated", [("clear", "fail", False)], MediumState.FAILED, False),
    "unverified": ("donated", [("purge", "pass", False)], MediumState.FAILED, False),
    "warned-unverified": ("donated", [("clear", "pass_with_warnings", False)], MediumState.FAILED, False),
    "destroy-warned": ("donated", [("destroy", "pass_with_warnings", True)], MediumState.FAILED, False),
}


def medium(name: str) -> StorageMedium:
    origin, records, _state, _safe = MEDIA[name]
    return StorageMedium(kind="ssd", origin=origin, serial_number=name,
                         erasures=[record(*r) for r in records])


def device(*names: str, grade: str | None = "B") -> Device:
    return Device(category="laptop", grade=grade, media=[medium(n) for n in names])


def passed(items=("screen", "keyboard"), checklist=None, ok=True) -> GradingResult:
    checklist = {key: True for key in items} if checklist is None else checklist
    # A control passes when it gives a grade (GradingResult.passed).
    return GradingResult(items=[{"key": key} for key in items], checklist=checklist, grade="B" if ok else None)


@pytest.mark.parametrize("name", MEDIA)
def test_each_medium_state(name):
    _origin, records, state, safe = MEDIA[name]
    m = medium(name)
    assert medium_state(m) is state
    assert is_safe(m) is safe
    covering = covering_record(m)
    if state in (MediumState.SANITISED, MediumState.DESTROYED):
        # The record that makes it safe: a destruction first, else the latest passing one.
        assert covering is m.erasures[-1]
    else:
        assert covering is None


def test_a_destruction_covers_the_medium_even_before_a_later_wipe():
    m = StorageMedium(kind="hdd", origin="donated", erasures=[
        record("destroy", "pass", False), record("purge", "pass", True)])
    assert covering_record(m) is m.erasures[0] and medium_state(m) is MediumState.DESTROYED


@pytest.mark.parametrize("size", [1, 2, 3])
def test_refurbished_only_when_every_medium_is_safe(size):
    """Every combination of media states, one to three media: "reconditionné" exactly when each
    medium is sanitised, destroyed or fitted by the workshop."""
    for names in itertools.product(MEDIA, repeat=size):
        expected = all(MEDIA[n][3] for n in names)
        assert is_refurbished(device(*names), passed()) is expected, names


def test_a_device_without_media_needs_only_its_control():
    assert is_refurbished(device(), passed()) is True


@pytest.mark.parametrize("result,grade", [
    (None, "B"),                                                       # never controlled
    (passed(ok=False), "B"),                                           # the control failed
    (passed(), None),                                                  # no grade (back to repair)
    (passed(items=("screen", "keyboard"), checklist={"screen": True}), "B"),   # an item not tested
])
def test_refurbished_needs_a_complete_passing_control_and_a_grade(result, grade):
    assert is_refurbished(device("wiped", "shredded", grade=grade), result) is False


def test_a_checklist_with_more_than_the_template_still_counts():
    result = passed(items=("screen",), checklist={"screen": True, "extra": True})
    assert is_refurbished(device("wiped"), result) is True

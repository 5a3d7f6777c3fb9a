"""Flask-AppBuilder's columns through the display layer (app/column_display.py), and a human name
for every model (what a relationship's cell shows)."""
from __future__ import annotations

import os
import re
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import CheckConstraint, Column, inspect

import app.models  # noqa: F401  (every model)
from app.column_display import column_formatter, formatters_for, server_local_datetime, shown_columns, vocabulary_of
from core.base import Model
from core.organisations import Organisation
from core.vocabulary import Category, OrganisationKind
from distribution.models import Booking, WorkshopSession
from eligibility.models import Decision, Request
from inventory.lifecycle import State
from inventory.models import Collection, Device, DeviceEvent, Location, StorageMedium
from inventory.vocabulary import Grade, LocationKind


def mapped_classes() -> list[type]:
    """Every model of the app's metadata; of Flask-AppBuilder's own, those a page can show (its
    RegisterUser, for self-registration, which is off, has no name and no page)."""
    return sorted({mapper.class_ for mapper in Model.registry.mappers
                   if not mapper.class_.__module__.startswith("flask_appbuilder") or mapper.class_.__name__ in FAB_SHOWN},
                  key=lambda cls: cls.__name__)


FAB_SHOWN = {"User", "Role", "Group", "Permission", "ViewMenu", "PermissionView"}


@pytest.mark.parametrize("cls", mapped_classes(), ids=lambda cls: cls.__name__)
def test_every_model_has_a_human_name(cls):
    """A relationship's cell shows str(row): no model may fall back to « <… object at 0x…> »."""
    assert cls.__str__ is not object.__str__ or cls.__repr__ is not object.__repr__, cls


def test_names_of_rows_with_empty_fields():
    assert str(StorageMedium(kind="ssd")) == "SSD SATA (sans n° de série)"
    assert str(StorageMedium(kind="hdd", manufacturer="Seagate", model="ST500", serial_number="Z1")) == \
        "Disque dur (HDD) Seagate ST500 (n° de série Z1)"
    assert str(Decision(eligible=False)) == "Non éligible"
    assert str(Decision(eligible=True, tier=2)) == "Éligible, tranche 2"
    assert str(Request(id=4, category="laptop")) == "Demande n° 4 (ordinateur portable)"
    assert str(DeviceEvent(from_state="wiping", to_state="grading")) == f"Effacement → {State.GRADING.label}"
    assert str(DeviceEvent(from_state=None, to_state="received")) == "Réceptionné"
    assert str(WorkshopSession(topic="computer", venue_name="Médiathèque")) == "Atelier ordinateur (Médiathèque)"
    assert str(Booking(id=3, status="booked")).startswith("Inscription n° 3 (")
    for row in (StorageMedium(kind="ssd"), Decision(eligible=True), DeviceEvent(to_state="received")):
        assert "None" not in str(row)


def test_the_vocabulary_of_a_column_is_read_from_its_check_constraint():
    assert vocabulary_of(Device, "state") is State
    assert vocabulary_of(Device, "category") is Category
    assert vocabulary_of(Device, "grade") is Grade              # « grade IS NULL OR grade IN (…) »
    assert vocabulary_of(Location, "kind") is LocationKind
    assert vocabulary_of(Organisation, "kind") is OrganisationKind
    assert vocabulary_of(Device, "brand") is None
    assert vocabulary_of(Collection, "registered_count") is None  # a column_property, no table
    assert vocabulary_of(Device, "no_such_column") is None
    assert column_formatter(Device, "grade")("B") == "B — bon état"
    assert column_formatter(Device, "location.kind")("shelf") == "Étagère"
    assert column_formatter(Device, "asset_tag") is None


def _in_list_columns(model: type) -> set[str]:
    """The columns of ``model`` whose check constraint is a closed list (``col IN (…)``)."""
    mapper = inspect(model)
    found = set()
    for key, column in mapper.columns.items():
        if not isinstance(column, Column):
            continue
        for constraint in column.table.constraints:
            if isinstance(constraint, CheckConstraint) and re.search(rf"\b{column.name} IN \(", str(constraint.sqltext)):
                found.add(key)
    return found


def test_every_vocabulary_column_of_every_view_shows_its_label(app):
    """Each model view of the app, FAB's own included: every column it shows that holds a
    vocabulary's value has a formatter, which turns each value into its French label."""
    checked = 0
    for view in app.appbuilder.baseviews:
        if getattr(view, "datamodel", None) is None or not hasattr(view, "list_columns"):
            continue
        model = view.datamodel.obj
        for column in set(shown_columns(view)) & _in_list_columns(model):
            formatter = view.formatters_columns.get(column)
            assert formatter is not None, (type(view).__name__, column)
            vocabulary = vocabulary_of(model, column)
            assert vocabulary is not None, (type(view).__name__, column)
            for value, label in vocabulary.choices():
                assert formatter(value) == label
            checked += 1
    assert checked >= 7, checked   # device state, category and grade; kinds of organisation, site, location, part


def test_a_view_keeps_its_own_formatters(app):
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "DeviceView")
    assert view.formatters_columns["state"] == State.label_of
    assert view.formatters_columns["grade"]("A") == "A — très bon état"
    assert formatters_for(view)["state"] == State.label_of
    # The class's dict is left alone: another app built from the same classes starts afresh.
    assert "grade" not in type(view).formatters_columns


def test_fab_naive_timestamps_are_server_local_time(app):
    """FAB writes ab_user.created_on, changed_on and last_login with datetime.now(): the server's
    local time, naive. They are read as such, then shown in Martinique time."""
    user_view = next(v for v in app.appbuilder.baseviews if "created_on" in shown_columns(v))
    assert user_view.formatters_columns["created_on"] is server_local_datetime
    before = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "Europe/Paris"
        time.tzset()
        assert server_local_datetime(datetime(2026, 1, 15, 12, 0)) == "15/01/2026 07:00"   # 11:00 UTC
        os.environ["TZ"] = "UTC"
        time.tzset()
        assert server_local_datetime(datetime(2026, 1, 15, 12, 0)) == "15/01/2026 08:00"
        assert server_local_datetime(datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)) == "15/01/2026 08:00"
        assert server_local_datetime(None) == "—"
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()

"""Flask-AppBuilder's list and show pages through the display layer (``core.display``).

The widget templates (app/templates/appbuilder/general/widgets/) pass every value through the
``display`` filter. What a value alone cannot tell is given here, per column, as FAB formatters,
for every model view of the application (``apply_to_views``, run once all views are registered):

- a column that stores a vocabulary's VALUE as plain text (a device's ``state``, a location's
  ``kind``) shows the French label of its ``Labelled`` vocabulary. The vocabulary is read from the
  schema: the column's check constraint is ``core.base.in_values(column, Vocabulary.values())``,
  so a new model view needs nothing more;
- a plain ``DateTime`` column (not ``core.types.UTCDateTime``) is Flask-AppBuilder's own
  (``ab_user.created_on``, ``last_login``…): FAB writes it with ``datetime.now()``, the server's
  local time, without a zone. It is read as such, then shown in Martinique time.

A formatter a view declares itself is kept.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, inspect
from sqlalchemy.orm import Mapper

from core.base import in_values
from core.display import display
from core.types import UTCDateTime
from core.vocabulary import Labelled

Formatter = Callable[[Any], str]


def vocabularies() -> list[type[Labelled]]:
    """Every Labelled vocabulary defined so far (the models import theirs)."""
    found, queue = [], list(Labelled.__subclasses__())
    while queue:
        cls = queue.pop(0)
        found.append(cls)
        queue += cls.__subclasses__()
    return found


def vocabulary_of(model: type, column: str) -> type[Labelled] | None:
    """The vocabulary whose values the check constraints of ``model.column`` allow, if exactly one
    vocabulary fits."""
    found = inspect(model).columns.get(column)
    if not isinstance(found, Column):      # a column_property's expression has no constraint
        return None
    checks = [str(c.sqltext) for c in found.table.constraints if isinstance(c, CheckConstraint)]
    name = found.name
    fitting = [cls for cls in vocabularies() if any(in_values(name, cls.values()) in sql for sql in checks)]
    return fitting[0] if len(fitting) == 1 else None


def server_local_datetime(value: Any) -> str:
    """A naive datetime written by FAB with ``datetime.now()`` (server time), in Martinique time."""
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.astimezone()   # Python reads a naive datetime as the server's local time
    return display(value)


def column_formatter(model: type, column: str) -> Formatter | None:
    """The formatter ``column`` of ``model`` needs beyond ``display`` (see the module), or None.
    A dotted column (``site.commune``) is looked up on the related model."""
    mapper: Mapper = inspect(model)
    head, _, rest = column.partition(".")
    if rest:
        relationship = mapper.relationships.get(head)
        return column_formatter(relationship.mapper.class_, rest) if relationship is not None else None
    found = mapper.columns.get(column)
    if found is None:
        return None
    vocabulary = vocabulary_of(model, column)
    if vocabulary is not None:
        return vocabulary.label_of
    kind = found.type
    if isinstance(kind, DateTime) and not isinstance(kind, UTCDateTime):
        return server_local_datetime
    return None


def shown_columns(view) -> list[str]:
    """The columns a model view's list and show pages read."""
    columns: list[str] = list(getattr(view, "list_columns", None) or []) + list(getattr(view, "show_columns", None) or [])
    for fieldsets in (getattr(view, "show_fieldsets", None), getattr(view, "user_show_fieldsets", None)):
        for _, fieldset in fieldsets or []:
            columns += list(fieldset.get("fields", []))
    return list(dict.fromkeys(columns))


def formatters_for(view) -> dict[str, Formatter]:
    """The view's formatters: its own, and ours for the columns it left alone."""
    model = view.datamodel.obj
    own = dict(view.formatters_columns or {})
    for column in shown_columns(view):
        if column not in own and (formatter := column_formatter(model, column)) is not None:
            own[column] = formatter
    return own


def apply_to_views(views: Iterable) -> None:
    """Give every model view (a FAB view with a ``datamodel``) the formatters of its columns. Its
    ``formatters_columns`` is replaced on the instance: the class's dict is shared."""
    for view in views:
        if getattr(view, "datamodel", None) is not None and hasattr(view, "formatters_columns"):
            view.formatters_columns = formatters_for(view)

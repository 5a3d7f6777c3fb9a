"""The declarative base every Rekonekt model uses: Flask-AppBuilder's ``Model``, with a naming
convention so that every constraint has a stable name (Alembic needs names to alter or drop
constraints, and SQLite's batch mode needs them to rebuild tables)."""
from __future__ import annotations

from flask_appbuilder import Model

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Model.metadata.naming_convention = NAMING_CONVENTION


def in_values(column: str, values: list[str]) -> str:
    """The SQL of a check constraint: ``column`` holds one of ``values`` (a closed vocabulary)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"

__all__ = ["Model", "NAMING_CONVENTION", "in_values"]

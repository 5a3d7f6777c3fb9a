"""Rebuilding the summaries of ``reporting.summaries`` from the records, and verifying them against
that recomputation (``flask reporting rebuild`` / ``flask reporting verify``)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.db import begin_reading
from core.unit_of_work import unit_of_work
from reporting.summaries import TABLES, recompute_sql

TITLES = {
    "reporting_device_day": "Comptes d'appareils par jour et par mois",
    "reporting_handover": "Remises (une ligne par facture)",
    "reporting_equipment": "Réservations remises (une ligne par réservation)",
    "reporting_validated_request": "Demandes validées (une ligne par demande)",
}
_BY_NAME = {table.name: table for table in TABLES}


def _keys(name: str) -> int:
    return len(_BY_NAME[name].primary_key.columns)


def rebuild(session: Session) -> dict[str, int]:
    """Rewrite every summary from the records, in one unit of work; {table: rows}. On PostgreSQL
    the summaries are locked first: a writer waits, then its triggers apply its change to the
    rebuilt rows (its records were not yet in the recomputation)."""
    counts = {}
    with unit_of_work(session):
        connection = session.connection()
        dialect = connection.dialect.name
        if dialect == "postgresql":
            connection.exec_driver_sql(f"LOCK TABLE {', '.join(_BY_NAME)} IN EXCLUSIVE MODE")
        for name, select_sql in recompute_sql(dialect).items():
            columns = ", ".join(column.name for column in _BY_NAME[name].columns)
            connection.exec_driver_sql(f"DELETE FROM {name}")
            counts[name] = connection.exec_driver_sql(f"INSERT INTO {name} ({columns}) {select_sql}").rowcount
    return counts


def _rows(connection, name: str, select_sql: str) -> dict[tuple, tuple]:
    """{key: values}; a count row whose values are all zero is the same as no row."""
    keys = _keys(name)
    rows = {tuple(row[:keys]): tuple(row[keys:]) for row in connection.exec_driver_sql(select_sql)}
    if name == "reporting_device_day":
        rows = {key: values for key, values in rows.items() if any(values)}
    return rows


def _shown(value) -> str:
    return "vide" if value is None else str(value)


def _described(name: str, key: tuple) -> str:
    columns = [column.name for column in _BY_NAME[name].primary_key.columns]
    return f"{TITLES[name]} ({name}), " + ", ".join(f"{c} = {_shown(v)}" for c, v in zip(columns, key))


def verify(session: Session) -> tuple[list[str], int]:
    """(each difference between a stored summary and its recomputation from the records, in
    French; the rows compared). Read-only, in one transaction that sees one moment of the
    database (``core.db.begin_reading``): a write committed while it reads, its summaries kept
    by its triggers, is no difference. What ``session`` had not committed is rolled back first
    (and verify rolls back at its end)."""
    session.rollback()
    connection = session.connection()
    begin_reading(connection)
    problems, compared = [], 0
    for name, select_sql in recompute_sql(connection.dialect.name).items():
        columns = [column.name for column in _BY_NAME[name].columns]
        stored = _rows(connection, name, f"SELECT {', '.join(columns)} FROM {name}")
        expected = _rows(connection, name, select_sql)
        compared += len(expected)
        values = columns[_keys(name):]
        for key in sorted(stored.keys() | expected.keys(), key=lambda k: tuple(map(str, k))):
            have, want = stored.get(key), expected.get(key)
            if have == want:
                continue
            if have is None:
                problems.append(f"{_described(name, key)} : ligne absente du résumé.")
            elif want is None:
                problems.append(f"{_described(name, key)} : ligne en trop dans le résumé.")
            else:
                problems.append(f"{_described(name, key)} : " + ", ".join(
                    f"{column} vaut {_shown(a)} dans le résumé, {_shown(b)} recalculé"
                    for column, a, b in zip(values, have, want) if a != b) + ".")
    session.rollback()
    return problems, compared

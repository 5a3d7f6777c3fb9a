"""Versioned reference data (eligibility rule sets, price grids): a row per version holding the
file as loaded, replaceable until something uses it, and the version in effect on a day."""
from __future__ import annotations

from datetime import date
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.unit_of_work import unit_of_work


def store_version(session: Session, model, *, key: str, title: str, effective_from: date, effective_to: date | None,
                  data: dict, user_id: int | None, uses: Callable[[], int],
                  locked: Callable[[int], str]) -> tuple[object, str]:
    """Add the version ``key``, or replace it while ``uses()`` is 0. Returns (row, "added" |
    "unchanged" | "replaced"); Conflict with ``locked(uses)`` once it is used."""
    row = session.get(model, key)
    if row is not None and row.data == data:
        return row, "unchanged"
    if row is not None:
        used = uses()
        if used:
            raise Conflict(locked(used))
    outcome = "replaced" if row is not None else "added"
    with unit_of_work(session, duplicate=f"Une version « {key} » vient d'être enregistrée par ailleurs : rechargez et vérifiez."):
        if row is None:
            row = model(id=key)
            session.add(row)
        row.title, row.effective_from, row.effective_to = title, effective_from, effective_to
        row.data = data
        row.loaded_by_id = user_id
    return row, outcome


def version_in_effect(session: Session, model, day: date):
    """The version in effect on ``day`` (the latest that started on or before it), or None."""
    return session.execute(
        select(model).where(model.effective_from <= day)
        .where((model.effective_to.is_(None)) | (model.effective_to >= day))
        .order_by(model.effective_from.desc(), model.id.desc()).limit(1)
    ).scalar_one_or_none()

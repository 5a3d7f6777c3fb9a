"""Price grids in the database: loaded from files, never changed once an invoice uses them,
chosen by date."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.jsonfile import read_json_object
from core.errors import Conflict, ValidationFailed
from distribution.models import Invoice, PriceGrid
from distribution.pricing import GridInvalid, PriceGridRules, bundled_grids, parse_grid
from inventory.services.common import unit_of_work


def read_grid_file(content: bytes | str) -> dict:
    """A JSON file given by Admin, as a dict, or ValidationFailed in French."""
    return read_json_object(content)


def load_grid(session: Session, data: dict, *, user_id: int | None = None) -> tuple[PriceGrid, str]:
    """Add a grid, or replace one no invoice uses yet: (row, "added" | "unchanged" | "replaced").
    A grid used by an invoice is never changed (Conflict)."""
    try:
        grid = parse_grid(data)
    except GridInvalid as exc:
        raise ValidationFailed({"file": [exc.message]}) from None
    row = session.get(PriceGrid, grid.id)
    if row is not None and row.data == data:
        return row, "unchanged"
    if row is not None:
        used = session.execute(select(func.count()).select_from(Invoice)
                               .where(Invoice.price_grid_id == grid.id)).scalar_one()
        if used:
            raise Conflict(f"La grille {grid.id} est déjà utilisée par {used} facture(s) : elle ne peut plus être "
                           "modifiée. Publiez une nouvelle version sous un nouvel identifiant.")
    with unit_of_work(session):
        outcome = "replaced" if row is not None else "added"
        if row is None:
            row = PriceGrid(id=grid.id)
            session.add(row)
        row.title, row.effective_from, row.effective_to = grid.title, grid.effective_from, grid.effective_to
        row.data = data
        row.loaded_by_id = user_id
    return row, outcome


def load_bundled_grids(session: Session) -> list[tuple[str, str]]:
    outcomes = []
    for data in bundled_grids():
        try:
            row, outcome = load_grid(session, data)
            outcomes.append((row.id, outcome))
        except Conflict:
            outcomes.append((str(data.get("id")), "locked"))
    return outcomes


def grids_with_usage(session: Session) -> list[tuple[PriceGrid, int]]:
    """Every grid, latest first, with the number of invoices that used it (locked when > 0)."""
    used = dict(session.execute(select(Invoice.price_grid_id, func.count()).group_by(Invoice.price_grid_id)).all())
    rows = session.execute(select(PriceGrid).order_by(PriceGrid.effective_from.desc(), PriceGrid.id.desc())).scalars()
    return [(row, used.get(row.id, 0)) for row in rows]


def grid_in_effect(session: Session, day: date) -> PriceGridRules:
    row = session.execute(
        select(PriceGrid).where(PriceGrid.effective_from <= day)
        .where((PriceGrid.effective_to.is_(None)) | (PriceGrid.effective_to >= day))
        .order_by(PriceGrid.effective_from.desc(), PriceGrid.id.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise Conflict(f"Aucune grille de prix solidaires n'est en vigueur le {day:%d/%m/%Y} : "
                       "l'administrateur doit en charger une.")
    return parse_grid(row.data)

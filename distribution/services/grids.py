"""Price grids in the database: loaded from files, never changed once an invoice uses them,
chosen by date."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, ValidationFailed
from core.jsonfile import read_json_object
from core.versions import store_version, version_in_effect
from distribution.models import Invoice, PriceGrid
from distribution.pricing import GridInvalid, PriceGridRules, bundled_grids, parse_grid


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

    def uses() -> int:
        return session.execute(select(func.count()).select_from(Invoice)
                               .where(Invoice.price_grid_id == grid.id)).scalar_one()

    return store_version(
        session, PriceGrid, key=grid.id, title=grid.title, effective_from=grid.effective_from,
        effective_to=grid.effective_to, data=data, user_id=user_id, uses=uses,
        locked=lambda used: (f"La grille {grid.id} est déjà utilisée par {used} facture(s) : elle ne peut plus être "
                             "modifiée. Publiez une nouvelle version sous un nouvel identifiant."))


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
    row = version_in_effect(session, PriceGrid, day)
    if row is None:
        raise Conflict(f"Aucune grille de prix solidaires n'est en vigueur le {day:%d/%m/%Y} : "
                       "l'administrateur doit en charger une.")
    return parse_grid(row.data)

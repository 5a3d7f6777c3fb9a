"""Stocktakes: open one (freezing what the records expect in each location), close or reopen a
location, cancel. Counting is ``stocktake_count``; applying the result is ``stocktake_apply``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, insert, literal, select, update
from sqlalchemy.orm import Session, selectinload

from core.clock import utcnow
from core.counters import next_value
from core.errors import Conflict, NotFound, ValidationFailed
from core.unit_of_work import unit_of_work
from inventory.codes import clean_identifier
from inventory.lifecycle import StateGroup
from inventory.models import Device, Location, Site, SparePart
from inventory.stocktake.models import Stocktake, StocktakeExpected, StocktakeLocation
from inventory.stocktake.rules import LocationCountStatus, StocktakeStatus

NOTE_CHARS = 2000
MAX_LOCATIONS = 2000


def stocktake_reference(year: int, number: int) -> str:
    return f"INV-{year}-{number:04d}"


def _site(session: Session, site: int | str | None) -> Site:
    if site is None or (isinstance(site, str) and not site.strip()):
        raise ValidationFailed({"site": ["Site obligatoire : choisissez l'atelier ou l'entrepôt à inventorier."]})
    if isinstance(site, int) and not isinstance(site, bool):
        found = session.get(Site, site)
    elif isinstance(site, str):
        found = session.execute(select(Site).where(Site.code == clean_identifier(site))).scalar_one_or_none()
    else:
        raise ValidationFailed({"site": ["Site : numéro ou code du site attendu."]})
    if found is None:
        raise ValidationFailed({"site": [f"Site « {site} » inconnu."]})
    return found


def _locations(session: Session, site: Site, codes: list[str] | None) -> tuple[bool, list[Location]]:
    """(whole site?, the locations to count) — every active location of the site when no code is
    given. Raises ValidationFailed naming ``locations``."""
    if codes is not None and not isinstance(codes, list | tuple):
        raise ValidationFailed({"locations": ["Emplacements : liste de codes LOC-… attendue."]})
    wanted = [clean_identifier(c) for c in codes or [] if isinstance(c, str) and c.strip()]
    if codes and len(wanted) != len(codes):
        raise ValidationFailed({"locations": ["Emplacements : chaque élément doit être un code LOC-…."]})
    if len(wanted) > MAX_LOCATIONS:
        raise ValidationFailed({"locations": [f"Emplacements : {MAX_LOCATIONS} au plus par inventaire."]})
    if not wanted:
        rows = session.execute(select(Location).where(Location.site_id == site.id, Location.active)
                               .order_by(Location.code)).scalars().all()
        if not rows:
            raise ValidationFailed({"site": [f"Le site {site.code} n'a aucun emplacement actif à inventorier."]})
        return True, list(rows)
    rows = {loc.code: loc for loc in session.execute(select(Location).where(Location.code.in_(wanted))).scalars()}
    problems = []
    for code in dict.fromkeys(wanted):
        loc = rows.get(code)
        if loc is None:
            problems.append(f"{code} inconnu")
        elif loc.site_id != site.id:
            problems.append(f"{code} n'est pas sur le site {site.code}")
        elif not loc.active:
            problems.append(f"{code} est désactivé")
    if problems:
        raise ValidationFailed({"locations": [f"Emplacements refusés : {' ; '.join(problems)}."]})
    return False, [rows[code] for code in dict.fromkeys(wanted)]


def open_stocktake(session: Session, *, site: int | str | None, locations: list[str] | None = None,
                   blind: bool = False, note: str | None = None, user_id: int | None = None,
                   now: datetime | None = None) -> Stocktake:
    """Open a stocktake of ``site`` (all its active locations, or the ``locations`` named) and
    freeze what the records expect in each: the devices still in the workshop's hands (in stock,
    reserved, in repair…; not those found missing by an earlier stocktake) and every spare-part
    line with its quantity. Raises ValidationFailed, or Conflict when a location is already in an
    open stocktake (a location is counted by one stocktake at a time)."""
    now = now or utcnow()
    if not isinstance(blind, bool):
        raise ValidationFailed({"blind": ["Comptage à l'aveugle : oui ou non (true/false) attendu."]})
    if note is not None and (not isinstance(note, str) or len(note) > NOTE_CHARS):
        raise ValidationFailed({"note": [f"Note : texte de {NOTE_CHARS} caractères au plus attendu."]})
    with unit_of_work(session, duplicate="Un de ces emplacements vient d'être mis dans un autre inventaire en cours."):
        site_row = _site(session, site)
        whole, places = _locations(session, site_row, locations)
        ids = [p.id for p in places]
        busy = session.execute(
            select(Location.code, Stocktake.reference)
            .join(StocktakeLocation, StocktakeLocation.location_id == Location.id)
            .join(Stocktake, Stocktake.id == StocktakeLocation.stocktake_id)
            .where(StocktakeLocation.live, Location.id.in_(ids)).order_by(Location.code)).all()
        if busy:
            listed = " ; ".join(f"{code} (inventaire {ref})" for code, ref in busy[:10])
            raise Conflict(f"Déjà dans un inventaire en cours : {listed}. Terminez-le ou annulez-le d'abord.")
        number = next_value(session, f"stocktake:{now.year}")
        stocktake = Stocktake(reference=stocktake_reference(now.year, number), site_id=site_row.id, whole_site=whole,
                              blind=blind, note=(note or "").strip() or None, opened_at=now, opened_by_id=user_id,
                              status=StocktakeStatus.OPEN.value)
        session.add(stocktake)
        session.flush()
        session.add_all(StocktakeLocation(stocktake_id=stocktake.id, location_id=i, live=True,
                                          status=LocationCountStatus.PENDING.value) for i in ids)
        # What the records expect, copied in the database itself (a site may hold thousands).
        session.execute(insert(StocktakeExpected).from_select(
            ["stocktake_id", "location_id", "device_id", "state", "quantity"],
            select(literal(stocktake.id), Device.location_id, Device.id, Device.state, literal(0))
            .where(Device.location_id.in_(ids), Device.state.in_(StateGroup.IN_WORKSHOP),
                   Device.missing_since.is_(None))))
        session.execute(insert(StocktakeExpected).from_select(
            ["stocktake_id", "location_id", "spare_part_id", "quantity"],
            select(literal(stocktake.id), SparePart.location_id, SparePart.id, SparePart.quantity)
            .where(SparePart.location_id.in_(ids))))
    return stocktake


def stocktake_by_id(session: Session, stocktake_id, *, for_update: bool = False) -> Stocktake:
    """The stocktake, or NotFound."""
    if isinstance(stocktake_id, bool) or not isinstance(stocktake_id, int) or not 0 < stocktake_id < 2**31:
        raise NotFound(f"Inventaire n° {stocktake_id} inconnu.")
    stmt = select(Stocktake).where(Stocktake.id == stocktake_id).options(
        selectinload(Stocktake.locations).selectinload(StocktakeLocation.location))
    if for_update:
        stmt = stmt.with_for_update(of=Stocktake)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"Inventaire n° {stocktake_id} inconnu.")
    return found


def _counted_location(stocktake: Stocktake, code: str) -> StocktakeLocation:
    wanted = clean_identifier(code or "")
    for place in stocktake.locations:
        if place.location.code == wanted:
            return place
    raise NotFound(f"L'emplacement « {code} » ne fait pas partie de l'inventaire {stocktake.reference}.")


def _must_be_open(stocktake: Stocktake) -> None:
    if not stocktake.is_open:
        raise Conflict(f"L'inventaire {stocktake.reference} est {stocktake.status_label.lower()} : "
                       "plus rien ne s'y compte.")


def close_location(session: Session, stocktake_id, location_code: str, *, user_id: int | None = None,
                   now: datetime | None = None) -> StocktakeLocation:
    """Close a location's count (what was not counted there is then missing from it). Closing a
    closed location changes nothing. Raises NotFound or Conflict (stocktake no longer open)."""
    with unit_of_work(session):
        stocktake = stocktake_by_id(session, stocktake_id)
        _must_be_open(stocktake)
        place = _counted_location(stocktake, location_code)
        if not place.is_closed:
            mark_closed(place, user_id=user_id, now=now or utcnow())
    return place


def mark_closed(place: StocktakeLocation, *, user_id: int | None, now: datetime) -> None:
    """Close ``place`` (no commit: inside the caller's unit of work)."""
    place.status = LocationCountStatus.CLOSED.value
    place.closed_at = now
    place.closed_by_id = user_id


def reopen_location(session: Session, stocktake_id, location_code: str, *, user_id: int | None = None) -> StocktakeLocation:
    """Open a closed location again, to count it further (what was counted stays)."""
    with unit_of_work(session):
        stocktake = stocktake_by_id(session, stocktake_id)
        _must_be_open(stocktake)
        place = _counted_location(stocktake, location_code)
        if place.is_closed:
            place.status = LocationCountStatus.COUNTING.value
            place.closed_at = None
            place.closed_by_id = None
    return place


def cancel_stocktake(session: Session, stocktake_id, *, reason: str | None, user_id: int | None = None,
                     now: datetime | None = None) -> Stocktake:
    """Cancel an open stocktake: nothing of it is applied, what was counted is kept for the
    record, and its locations are free for another stocktake."""
    reason = (reason or "").strip() if isinstance(reason, str) or reason is None else None
    if reason is None:
        raise ValidationFailed({"reason": ["Motif : texte attendu."]})
    if not reason:
        raise ValidationFailed({"reason": ["Motif obligatoire : dites pourquoi l'inventaire est annulé."]})
    if len(reason) > NOTE_CHARS:
        raise ValidationFailed({"reason": [f"Motif : {NOTE_CHARS} caractères au plus."]})
    with unit_of_work(session):
        stocktake = stocktake_by_id(session, stocktake_id, for_update=True)
        _must_be_open(stocktake)
        stocktake.status = StocktakeStatus.CANCELLED.value
        stocktake.cancel_reason = reason
        end(session, stocktake, user_id=user_id, now=now or utcnow())
    return stocktake


def end(session: Session, stocktake: Stocktake, *, user_id: int | None, now: datetime) -> None:
    """The stocktake is over (applied or cancelled): its locations are free again."""
    stocktake.ended_at = now
    stocktake.ended_by_id = user_id
    session.execute(update(StocktakeLocation).where(
        and_(StocktakeLocation.stocktake_id == stocktake.id, StocktakeLocation.live)).values(live=False))

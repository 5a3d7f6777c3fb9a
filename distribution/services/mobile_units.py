"""Mobile units (issue 20, docs/mobile-tour-design.md § 1.5): Admin creates, renames and retires the
points of sale on the road, each numbering its own invoices F-Mn-AAAA-NNNNN; the « Unités mobiles »
page reads their overview.

A unit's code is the next « M<n> » of the counter ``mobile-unit``: a code is never given twice,
even if a unit row were removed, since a series once printed must never restart. A unit is never
deleted: it is retired, and keeps the last number of each year (``closed_series``).

Concurrency: creating and renaming hold the counter row's lock (PostgreSQL; SQLite's unit of work
holds the write lock), so two Admins cannot give the same name to two active units at once;
retiring locks the unit's row, which a tour's download locks too before taking the unit out."""
from __future__ import annotations

from datetime import datetime

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.clock import utcnow
from core.counters import Counter, next_value
from core.display import local_date
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.schemas import forbidden_text, parse_id
from core.unit_of_work import unit_of_work
from distribution.models import Invoice
from distribution.tour.models import MobileTour, MobileUnit
from distribution.tour.rules import TourStatus
from distribution.tour.units import (
    LAST_CODE,
    NAME_CHARS,
    REASON_CHARS,
    TourOut,
    UnitOverview,
    closed_series,
    series_prefix,
    unit_code,
    year_series,
)

COUNTER = "mobile-unit"
ADMIN_ONLY = "Seul l'administrateur gère les unités mobiles."
NOT_FOUND = "Unité mobile introuvable."
DUPLICATE = ("Enregistrement refusé : une autre unité mobile vient d'être créée avec ce code ou ce nom. "
             "Rechargez la page et vérifiez.")


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(ADMIN_ONLY)


def _clean_name(value) -> str:
    """The name as stored: blanks trimmed and runs of blanks made one space."""
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({"name": ["Nom de l'unité : texte attendu (par exemple « Camion Nord »)."]})
    if forbidden_text(value):
        raise ValidationFailed({"name": ["Nom de l'unité : texte sans caractère nul ni caractère isolé attendu."]})
    name = " ".join((value or "").split())
    if not name:
        raise ValidationFailed({"name": ["Nom de l'unité : obligatoire (par exemple « Camion Nord »)."]})
    if len(name) > NAME_CHARS:
        raise ValidationFailed({"name": [
            f"Nom de l'unité : {NAME_CHARS} caractères au plus ({len(name)} saisis)."]})
    return name


def _clean_reason(value) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({"reason": ["Motif du retrait : texte attendu."]})
    if forbidden_text(value):
        raise ValidationFailed({"reason": ["Motif du retrait : texte sans caractère nul ni caractère isolé attendu."]})
    reason = (value or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [
            "Motif du retrait : obligatoire (par exemple « ordinateur portable remplacé »)."]})
    if len(reason) > REASON_CHARS:
        raise ValidationFailed({"reason": [
            f"Motif du retrait : {REASON_CHARS} caractères au plus ({len(reason)} saisis)."]})
    return reason


def _check_name_free(session: Session, name: str, *, unit_id: int | None = None) -> None:
    """Two active units never share a name (whatever the case): the page and the tour's download
    name a unit to its users. A retired unit's name may be taken again (the van carries on as a
    new unit)."""
    key = name.casefold()
    for other in session.execute(select(MobileUnit).where(MobileUnit.active.is_(True))).scalars():
        if other.id != unit_id and other.name.casefold() == key:
            raise ValidationFailed({"name": [
                f"Nom de l'unité : « {other.name} » est déjà le nom de l'unité active {other.code} ; "
                "choisissez-en un autre."]})


def _lock_names(session: Session) -> None:
    """Serialise the writers of names behind the counter row (``next_value`` locks it too)."""
    session.execute(select(Counter.name).where(Counter.name == COUNTER).with_for_update())


def unit_by_id(session: Session, unit_id, *, for_update: bool = False) -> MobileUnit:
    key = parse_id(unit_id)
    unit = session.get(MobileUnit, key, with_for_update=for_update, populate_existing=for_update) if key else None
    if unit is None:
        raise NotFound(NOT_FOUND)
    return unit


def create_unit(session: Session, actor: Actor, *, name) -> MobileUnit:
    """A new active unit « M<n> » named ``name``. Forbidden unless Admin; ValidationFailed on
    ``name`` (required, 100 characters at most, not the name of another active unit); Conflict once
    M999 is reached. A refused creation gives its number back (the counter is in its transaction)."""
    require_admin(actor)
    name = _clean_name(name)
    with unit_of_work(session, duplicate=DUPLICATE):
        unit = new_unit(session, actor, name)
    return unit


def new_unit(session: Session, actor: Actor, name: str) -> MobileUnit:
    """Add the active unit « M<n> » named ``name`` (already cleaned) in the caller's unit of work,
    which this holds behind the counter row. Conflict once M999 is reached; ValidationFailed when
    another active unit has the name."""
    n = next_value(session, COUNTER)
    if n > LAST_CODE:
        raise Conflict(f"Plus aucun code d'unité libre : les codes M1 à M{LAST_CODE} ont tous été donnés.")
    _check_name_free(session, name)
    unit = MobileUnit(code=unit_code(n), name=name, active=True, created_by_id=actor.id)
    session.add(unit)
    session.flush()
    return unit


def rename_unit(session: Session, actor: Actor, unit_id, *, name) -> MobileUnit:
    """Give an active unit another name; its code and series stay. Forbidden unless Admin;
    NotFound; Conflict for a retired unit; ValidationFailed on ``name`` as for ``create_unit``."""
    require_admin(actor)
    with unit_of_work(session, duplicate=DUPLICATE):
        _lock_names(session)
        unit = unit_by_id(session, unit_id, for_update=True)
        if not unit.active:
            raise Conflict(f"L'unité {unit.code} est retirée depuis le {local_date(unit.retired_at)} : "
                           "son nom ne change plus.")
        cleaned = _clean_name(name)
        _check_name_free(session, cleaned, unit_id=unit.id)
        unit.name = cleaned
    return unit


def _holder_name(user: User | None) -> str:
    if user is None:
        return "—"
    return (user.get_full_name() or "").strip() or user.username


def tour_out(session: Session, unit_id: int) -> MobileTour | None:
    """The tour that has the unit out (at most one: ``uq_mobile_tour_out_unit``)."""
    return session.execute(select(MobileTour).where(MobileTour.mobile_unit_id == unit_id,
                                                    MobileTour.status == TourStatus.OUT.value)).scalar_one_or_none()


def retire_unit(session: Session, actor: Actor, unit_id, *, reason, now: datetime | None = None) -> MobileUnit:
    """Retire a unit for good: it takes no tour any more, its code is never given again, and it
    keeps the last number of each year its invoices reached (``closed_series``, {"2026": 12}).
    Forbidden unless Admin; NotFound; Conflict when already retired or while a tour has it out (the
    device may still be numbering invoices); ValidationFailed on ``reason`` (required)."""
    require_admin(actor)
    with unit_of_work(session):
        unit = unit_by_id(session, unit_id, for_update=True)
        if not unit.active:
            raise Conflict(f"L'unité {unit.code} est déjà retirée depuis le {local_date(unit.retired_at)}.")
        tour = tour_out(session, unit.id)
        if tour is not None:
            raise Conflict(
                f"La série {series_prefix(unit.code)} est sortie avec la tournée {tour.reference} du "
                f"{tour.tour_date.strftime('%d/%m/%Y')} ({_holder_name(tour.holder)}) : attendez son retour et "
                "l'envoi de ses enregistrements, ou déclarez l'appareil perdu, avant de retirer l'unité.")
        close_unit(session, actor, unit, reason=_clean_reason(reason), now=now)
    return unit


def close_unit(session: Session, actor: Actor, unit: MobileUnit, *, reason: str,
               now: datetime | None = None) -> MobileUnit:
    """Retire ``unit`` (its row locked by the caller) in the caller's unit of work: inactive for
    good, with when, by whom and why (``reason``, already cleaned), and ``closed_series``, the last
    number its invoices registered in each Martinique year."""
    series = year_series(unit.code, _series_rows(session, [unit.id]).get(unit.id, []))
    unit.active = False
    unit.retired_at = now or utcnow()
    unit.retired_by_id = actor.id
    unit.retired_reason = reason
    unit.closed_series = closed_series(series)
    return unit


def _series_rows(session: Session, unit_ids: list[int] | None = None) -> dict[int, list[tuple[str, int]]]:
    """For each unit, the highest number and the count of each of its series (« F-M1-2026 »: the
    number without its last six characters), read in one grouped query. Within a series every
    number has the same length, so the highest text is the highest number."""
    series = func.substr(Invoice.number, 1, func.length(Invoice.number) - 6)
    stmt = (select(Invoice.mobile_unit_id, func.max(Invoice.number), func.count())
            .where(Invoice.mobile_unit_id.is_not(None)).group_by(Invoice.mobile_unit_id, series))
    if unit_ids is not None:
        stmt = stmt.where(Invoice.mobile_unit_id.in_(unit_ids))
    rows: dict[int, list[tuple[str, int]]] = {}
    for unit_id, number, count in session.execute(stmt):
        rows.setdefault(unit_id, []).append((number, count))
    return rows


def units_overview(session: Session, unit_ids: list[int] | None = None) -> list[UnitOverview]:
    """Every unit (or those of ``unit_ids``), active ones first, each in the order created: its
    state, the last invoice number and the count of each year, the tour that has it out, and for a
    retired unit when, by whom, why and its closed series. Four queries, whatever the number of
    units."""
    stmt = select(MobileUnit).order_by(MobileUnit.active.desc(), MobileUnit.id)
    if unit_ids is not None:
        stmt = stmt.where(MobileUnit.id.in_(unit_ids))
    units = session.execute(stmt).scalars().all()
    if not units:
        return []
    ids = [u.id for u in units]
    series = _series_rows(session, ids)
    tours = {t.mobile_unit_id: t for t in session.execute(
        select(MobileTour).where(MobileTour.mobile_unit_id.in_(ids), MobileTour.status == TourStatus.OUT.value)
    ).scalars()}
    people = {u.retired_by_id for u in units if u.retired_by_id} | {t.holder_id for t in tours.values()}
    names = {user.id: _holder_name(user) for user in session.execute(
        select(User).where(User.id.in_(people))).scalars()} if people else {}
    overview = []
    for unit in units:
        tour = tours.get(unit.id)
        overview.append(UnitOverview(
            id=unit.id, code=unit.code, name=unit.name, active=unit.active, created_at=unit.created_at,
            series=tuple(year_series(unit.code, series.get(unit.id, []))),
            tour=(TourOut(tour.id, tour.reference, names.get(tour.holder_id, "—"), tour.tour_date, tour.downloaded_at)
                  if tour is not None else None),
            retired_at=unit.retired_at, retired_by=names.get(unit.retired_by_id) if unit.retired_by_id else None,
            retired_reason=unit.retired_reason, closed_series=unit.closed_series))
    return overview


def unit_overview(session: Session, unit_id: int) -> UnitOverview:
    found = units_overview(session, [unit_id])
    if not found:
        raise NotFound(NOT_FOUND)
    return found[0]

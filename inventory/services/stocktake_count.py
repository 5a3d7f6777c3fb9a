"""Counting at the scan station in « Inventaire » mode: scan a location, then everything in it,
then the next location. Each scan is one unit of work and answers at once what it was."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import MARTINIQUE, utcnow
from core.errors import NotFound, ValidationFailed
from core.unit_of_work import unit_of_work
from inventory.codes import normalise_scan
from inventory.lifecycle import State
from inventory.models import Location, SparePart
from inventory.services.devices import find_device_by_code
from inventory.services.stocktakes import mark_closed
from inventory.stocktake.models import (
    COUNTED_PREDICATE,
    Stocktake,
    StocktakeCount,
    StocktakeCounter,
    StocktakeExpected,
    StocktakeLocation,
)
from inventory.stocktake.rules import (
    DEVICE_COUNTED,
    CountOutcome,
    LocationCountStatus,
    QuantityMode,
    classify_device,
    counted_quantity,
)

MAX_QUANTITY = 100_000
REPEAT_WINDOW = timedelta(seconds=2)

# How the station signals each answer (sound and colour): ok, warning, error, info.
LEVELS = {
    CountOutcome.FOUND.value: "ok",
    CountOutcome.PART.value: "ok",
    CountOutcome.MOVED_IN.value: "warning",
    CountOutcome.NOT_ON_SHELF.value: "error",
    CountOutcome.UNKNOWN.value: "error",
    CountOutcome.REPEAT.value: "info",
}


@dataclass
class CountAnswer:
    """What one scan did. ``outcome`` is a CountOutcome value, or ``location`` (a location opened
    or closed for counting), or ``double`` (a scanner's double fire, ignored)."""

    code: str
    outcome: str
    message: str
    level: str = "ok"
    stocktake: Stocktake | None = None
    location: StocktakeLocation | None = None
    counted_here: int = 0                 # devices counted in the current location
    expected_here: int | None = None      # None in a blind count, until the location is closed
    closed: StocktakeLocation | None = None   # a location this scan closed
    part_quantity: int | None = None      # the part line's quantity counted here, after this scan
    details: dict = field(default_factory=dict)


def _when(at: datetime) -> str:
    return at.astimezone(MARTINIQUE).strftime("%H:%M")


def _counter(session: Session, user_id: int) -> StocktakeCounter:
    counter = session.get(StocktakeCounter, user_id, with_for_update=True)
    if counter is None:
        counter = StocktakeCounter(user_id=user_id)
        session.add(counter)
    return counter


def _counted_devices(session: Session, place: StocktakeLocation) -> int:
    return session.execute(select(func.count()).select_from(StocktakeCount).where(
        StocktakeCount.stocktake_id == place.stocktake_id, StocktakeCount.location_id == place.location_id,
        StocktakeCount.outcome.in_(DEVICE_COUNTED))).scalar_one()


def _expected_devices(session: Session, place: StocktakeLocation) -> int:
    return session.execute(select(func.count()).select_from(StocktakeExpected).where(
        StocktakeExpected.stocktake_id == place.stocktake_id, StocktakeExpected.location_id == place.location_id,
        StocktakeExpected.device_id.is_not(None))).scalar_one()


def _with_figures(session: Session, answer: CountAnswer, place: StocktakeLocation) -> CountAnswer:
    answer.location = place
    answer.stocktake = place.stocktake
    answer.counted_here = _counted_devices(session, place)
    if not place.stocktake.blind or place.is_closed:
        answer.expected_here = _expected_devices(session, place)
    return answer


def count(session: Session, raw_code: str, *, user_id: int, quantity: int | None = None,
          now: datetime | None = None, strip_prefixes: tuple[str, ...] = (),
          strip_suffixes: tuple[str, ...] = ()) -> CountAnswer:
    """Count one scanned code for ``user_id``: a location code opens that location of the
    stocktake it belongs to (and closes the one counted before; scanned again, it closes it);
    anything else is counted in the current location. ``quantity`` (typed after an ``SP-…``
    code) sets how many units of that part are in the location. Raises ValidationFailed (empty
    code, bad quantity, no location being counted) or NotFound (a location in no open stocktake)."""
    now = now or utcnow()
    code = normalise_scan(raw_code if isinstance(raw_code, str) else "", strip_prefixes, strip_suffixes)
    if not code:
        raise ValidationFailed({"code": ["Code vide : scannez une étiquette ou tapez un code."]})
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed({"quantity": [f"Quantité : nombre entier de 0 à {MAX_QUANTITY} attendu."]})
        if not code.startswith("SP-"):
            raise ValidationFailed({"quantity": ["Une quantité se tape après le code d'une pièce détachée (SP-…)."]})

    with unit_of_work(session):
        counter = _counter(session, user_id)
        double = (quantity is None and counter.last_code == code and counter.last_scan_at is not None
                  and timedelta(0) <= now - counter.last_scan_at < REPEAT_WINDOW)
        if double:
            answer = CountAnswer(code, "double", f"Lecture en double ignorée : {code} vient d'être scanné.", "info")
            if counter.stocktake_location is not None:
                _with_figures(session, answer, counter.stocktake_location)
            return answer
        counter.last_code, counter.last_scan_at = code, now
        if code.startswith("LOC-"):
            return _scan_location(session, counter, code, user_id, now)
        place = counter.stocktake_location
        if place is None or not place.live:
            counter.stocktake_location = None
            raise ValidationFailed({"code": ["Scannez d'abord l'emplacement à compter (étiquette LOC-…)."]})
        if place.is_closed:
            counter.stocktake_location = None
            who = place.closed_by.username if place.closed_by is not None else "quelqu'un"
            raise ValidationFailed({"code": [
                f"{place.location.code} a été clos par {who} à {_when(place.closed_at)} : scannez l'emplacement "
                "suivant, ou rouvrez celui-ci depuis la page de l'inventaire."]})
        if code.startswith("SP-"):
            answer = _count_part(session, place, code, quantity, user_id, now)
        else:
            answer = _count_device(session, place, code, user_id, now)
        return _with_figures(session, answer, place)


def _scan_location(session: Session, counter: StocktakeCounter, code: str, user_id: int, now: datetime) -> CountAnswer:
    place = session.execute(
        select(StocktakeLocation).join(Location, Location.id == StocktakeLocation.location_id)
        .where(Location.code == code, StocktakeLocation.live)).scalar_one_or_none()
    if place is None:
        if session.execute(select(Location.id).where(Location.code == code)).first() is None:
            raise NotFound(f"Emplacement « {code} » inconnu.")
        raise NotFound(f"L'emplacement {code} n'est dans aucun inventaire en cours : ouvrez d'abord un inventaire.")
    previous = counter.stocktake_location
    closed = None
    if previous is not None and previous.id != place.id and previous.live and not previous.is_closed:
        mark_closed(previous, user_id=user_id, now=now)     # « scan the next location »
        closed = previous
    if previous is not None and previous.id == place.id and not place.is_closed:
        mark_closed(place, user_id=user_id, now=now)         # scanned again: counted
        counter.stocktake_location = None
        answer = CountAnswer(code, "location", f"{code} clos.", "info", closed=place)
        return _with_figures(session, answer, place)
    if place.is_closed:
        counter.stocktake_location = None
        who = place.closed_by.username if place.closed_by is not None else "quelqu'un"
        answer = CountAnswer(code, "location", f"{code} est déjà clos (par {who} à {_when(place.closed_at)}) : "
                             "rouvrez-le depuis la page de l'inventaire pour le recompter.", "error", closed=closed)
        return _with_figures(session, answer, place)
    if place.status == LocationCountStatus.PENDING.value:
        place.status = LocationCountStatus.COUNTING.value
        place.started_at = now
    counter.stocktake_location = place
    stocktake = place.stocktake
    message = (f"Inventaire {stocktake.reference} : comptage de {code} ({place.location.name}). "
               "Scannez tout ce qui s'y trouve, puis l'emplacement suivant.")
    if closed is not None:
        message = f"{closed.location.code} clos. " + message
    answer = CountAnswer(code, "location", message, "ok", closed=closed)
    return _with_figures(session, answer, place)


def _record(session: Session, place: StocktakeLocation, code: str, outcome: str, user_id: int, now: datetime,
            **values) -> int | None:
    """Insert one count row; a device is counted once per stocktake: when a concurrent scan
    counted it first, nothing is inserted and None is returned."""
    row = {"stocktake_id": place.stocktake_id, "location_id": place.location_id, "code": code[:120],
           "outcome": outcome, "counted_at": now, "counted_by_id": user_id, "quantity": 0, **values}
    if outcome not in DEVICE_COUNTED:
        counted = StocktakeCount(**row)
        session.add(counted)
        session.flush()
        return counted.id
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # The partial index's own predicate, as SQL text: PostgreSQL infers the index from it (bound
    # parameters in its place would match no index).
    stmt = insert(StocktakeCount).values(**row).on_conflict_do_nothing(
        index_elements=["stocktake_id", "device_id"], index_where=text(COUNTED_PREDICATE)).returning(StocktakeCount.id)
    return session.execute(stmt).scalar_one_or_none()


def _first_count(session: Session, stocktake_id: int, device_id: int) -> StocktakeCount | None:
    return session.execute(select(StocktakeCount).where(
        StocktakeCount.stocktake_id == stocktake_id, StocktakeCount.device_id == device_id,
        StocktakeCount.outcome.in_(DEVICE_COUNTED))).scalar_one_or_none()


def _repeat(session: Session, place: StocktakeLocation, code: str, device, first: StocktakeCount | None,
            user_id: int, now: datetime) -> CountAnswer:
    _record(session, place, code, CountOutcome.REPEAT.value, user_id, now, device_id=device.id)
    where = f" dans {first.location.code}" if first is not None else ""
    by = f" par {first.counted_by.username}" if first is not None and first.counted_by is not None else ""
    at = f" à {_when(first.counted_at)}" if first is not None else ""
    return CountAnswer(code, CountOutcome.REPEAT.value,
                       f"{device.asset_tag} déjà compté{where}{by}{at} : il n'est pas compté une seconde fois.",
                       LEVELS[CountOutcome.REPEAT.value])


def _count_device(session: Session, place: StocktakeLocation, code: str, user_id: int, now: datetime) -> CountAnswer:
    device = find_device_by_code(session, code)
    if device is None:
        _record(session, place, code, CountOutcome.UNKNOWN.value, user_id, now)
        kind = "étiquette de collecte, pas un appareil" if code.startswith("COL-") else "ni appareil, ni pièce"
        return CountAnswer(code, CountOutcome.UNKNOWN.value,
                           f"Code « {code} » inconnu ({kind}) : noté comme inattendu dans {place.location.code}.",
                           LEVELS[CountOutcome.UNKNOWN.value])
    stocktake_id = place.stocktake_id
    first = _first_count(session, stocktake_id, device.id)
    if first is not None:
        return _repeat(session, place, code, device, first, user_id, now)
    expected = session.execute(select(StocktakeExpected.location_id).where(
        StocktakeExpected.stocktake_id == stocktake_id, StocktakeExpected.device_id == device.id)).scalar()
    if expected is None and device.missing_since is not None:
        expected = device.location_id        # found again: where the records last had it
    outcome = classify_device(state=device.state, expected_location=expected, here=place.location_id)
    inserted = _record(session, place, code, outcome, user_id, now, device_id=device.id,
                       recorded_location_id=device.location_id, recorded_state=device.state,
                       device_version=device.version)
    if inserted is None:                     # a colleague counted it at the same moment
        return _repeat(session, place, code, device, _first_count(session, stocktake_id, device.id), user_id, now)
    tag = f"{device.asset_tag} — {device.brand} {device.model}"
    again = " Retrouvé : il était marqué manquant." if device.missing_since is not None else ""
    if outcome == CountOutcome.NOT_ON_SHELF.value:
        message = (f"{tag} : à l'état « {State.label_of(device.state)} », il ne devrait pas être en rayon. "
                   "Mettez-le de côté et signalez-le.")
    elif place.stocktake.blind:
        message = f"{tag} compté.{again}"
    elif outcome == CountOutcome.FOUND.value:
        message = f"{tag} : trouvé ici.{again}"
    else:
        where = device.location.code if device.location is not None else "aucun emplacement"
        message = f"{tag} : trouvé ici, enregistré dans {where}.{again}"
    answer = CountAnswer(code, outcome, message, LEVELS[outcome])
    if place.stocktake.blind and outcome != CountOutcome.NOT_ON_SHELF.value:
        answer.level = "ok"                  # a blind count does not tell what was expected
    answer.details = {"asset_tag": device.asset_tag, "found_again": device.missing_since is not None}
    return answer


def _count_part(session: Session, place: StocktakeLocation, code: str, quantity: int | None, user_id: int,
                now: datetime) -> CountAnswer:
    digits = code[3:]
    part = session.get(SparePart, int(digits)) if digits.isdigit() and len(digits) <= 9 else None
    if part is None:
        _record(session, place, code, CountOutcome.UNKNOWN.value, user_id, now)
        return CountAnswer(code, CountOutcome.UNKNOWN.value,
                           f"Pièce « {code} » inconnue : notée comme inattendue dans {place.location.code}.",
                           LEVELS[CountOutcome.UNKNOWN.value])
    mode = QuantityMode.ADD.value if quantity is None else QuantityMode.SET.value
    _record(session, place, code, CountOutcome.PART.value, user_id, now, spare_part_id=part.id,
            quantity=1 if quantity is None else quantity, mode=mode)
    rows = session.execute(select(StocktakeCount.mode, StocktakeCount.quantity).where(
        StocktakeCount.stocktake_id == place.stocktake_id, StocktakeCount.location_id == place.location_id,
        StocktakeCount.spare_part_id == part.id, StocktakeCount.outcome == CountOutcome.PART.value)
        .order_by(StocktakeCount.id)).all()
    total = counted_quantity([tuple(r) for r in rows])
    elsewhere = "" if part.location_id == place.location_id else f" (enregistrée dans {part.location.code})"
    how = "saisie" if quantity is not None else "+1"
    answer = CountAnswer(code, CountOutcome.PART.value,
                         f"{part.description}{elsewhere} : {total} compté{'s' if total > 1 else ''} ici ({how}). "
                         "Tapez une quantité pour la corriger, ou scannez l'unité suivante.",
                         LEVELS[CountOutcome.PART.value], part_quantity=total)
    answer.details = {"spare_part": code, "description": part.description}
    return answer

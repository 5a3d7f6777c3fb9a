"""What a tour sends back (issue 20, docs/mobile-tour-design.md § 3): a batch of actions recorded
offline, each with an idempotency key and its place in the tour's order.

Each action is one unit of work, in order. The tour's row is locked first, so two copies of the
same batch sent at once are applied one after the other: the second finds every key stored and
answers « repeat ». An action whose effects no longer hold (the session was cancelled, the booking
cancelled, attendance noted differently by someone else, data older than the tour's limit) is
stored as a *conflict* with what to do, and nothing of it is applied; one that can never be
applied (malformed, not of this tour) is stored as *refused*. Either way it advances the tour's
order, and the page keeps it until it is resolved: nothing recorded offline is dropped."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.clock import to_local, utcnow
from core.display import local_date
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.schemas import load
from core.territory import Commune
from core.unit_of_work import BUSY, CONCURRENT_CHANGE, unit_of_work
from distribution.access import is_stock_manager
from distribution.models import Booking, Invoice, WorkshopSession
from distribution.services import tour_handover
from distribution.services.invoicing import invoice_by_number
from distribution.services.tours import require_holder, tour_by_id
from distribution.tour.closure import closure_ticket
from distribution.tour.models import MobileTour, MobileTourSession, TourAction, WorkshopWalkIn
from distribution.tour.rules import CLOCK_TOLERANCE_MINUTES, SETTLED, ActionKind, ActionOutcome, Held, TourStatus
from distribution.tour.schemas import AttendanceData, CloseData, ResolveIn, SyncIn, WalkInData
from distribution.vocabulary import BookingStatus
from eligibility.identity import InvalidPhone, normalise_phone

APPLIED, CONFLICT, REFUSED = ActionOutcome.APPLIED.value, ActionOutcome.CONFLICT.value, ActionOutcome.REFUSED.value
RESOLVED, DISMISSED = ActionOutcome.RESOLVED.value, ActionOutcome.DISMISSED.value
OUT_OF_ORDER, RETRY = "out_of_order", "retry"
# What a unit of work raises on contention (core.unit_of_work): worth sending again, never a conflict.
TRANSIENT = (CONCURRENT_CHANGE, BUSY)
KEY_REUSED = "Clé déjà utilisée pour un autre contenu : cet enregistrement n'a pas été pris en compte."
LATE = "Enregistré après l'expiration des données de la tournée."
EARLY = ("Enregistré avant le téléchargement de la tournée, d'après l'horloge de l'appareil : cette horloge "
         "était fausse.")
LATE_TODO = "Vérifiez l'enregistrement, puis Appliquer ou Classer."


@dataclass(frozen=True)
class Context:
    session: Session
    actor: Actor
    tour: MobileTour
    recorded_at: datetime
    force: bool = False          # « Appliquer » on a conflict: the stale-data and earlier-entry checks give way


def payload_sha256(action: dict) -> str:
    """The fingerprint of what an action says, over the JSON as sent (sorted keys, no spaces)."""
    what = {k: action.get(k) for k in ("seq", "kind", "recorded_at", "data")}
    return hashlib.sha256(json.dumps(what, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                     default=str).encode()).hexdigest()


def _person(household) -> str:
    return f"{household.first_name or ''} {household.last_name or household.reference}".strip()


def _user(user) -> str:
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username


def _stop(ctx: Context, session_id: int) -> WorkshopSession:
    """A session of the tour that has not been cancelled since it left."""
    in_tour = ctx.session.get(MobileTourSession, (ctx.tour.id, session_id))
    workshop = ctx.session.get(WorkshopSession, session_id, with_for_update=True, populate_existing=True)
    if in_tour is None or workshop is None:
        raise ValidationFailed({"session_id": [f"L'atelier n° {session_id} n'est pas une étape de cette tournée."]})
    if workshop.cancelled_at is not None:
        raise Held(f"L'atelier du {local_date(workshop.starts_at)} à {workshop.commune.name} a été annulé le "
                   f"{local_date(workshop.cancelled_at)}.",
                   "S'il a bien eu lieu, faites-le rétablir par l'administrateur puis Appliquer ; sinon Classer.")
    return workshop


def _out_of_time(ctx: Context) -> str | None:
    """Why the moment an action says it was recorded cannot be right for this tour, or None: after
    the data's limit, or before the download (the device's clock was wrong)."""
    if ctx.force:
        return None
    tolerance = timedelta(minutes=CLOCK_TOLERANCE_MINUTES)
    if ctx.recorded_at > ctx.tour.valid_until + tolerance:
        return LATE
    if ctx.recorded_at < ctx.tour.downloaded_at - tolerance:
        return EARLY
    return None


def _not_late(ctx: Context) -> None:
    why = _out_of_time(ctx)
    if why:
        raise Held(why, LATE_TODO)


def _attendance(ctx: Context, data: dict) -> dict:
    d = load(AttendanceData(), data)
    if d["satisfaction"] is not None and not d["attended"]:
        raise ValidationFailed({"satisfaction": ["La satisfaction se note seulement pour un participant présent."]})
    booking = ctx.session.get(Booking, d["booking_id"])
    if booking is None:
        raise ValidationFailed({"booking_id": [f"Inscription n° {d['booking_id']} introuvable."]})
    if ctx.session.get(MobileTourSession, (ctx.tour.id, booking.session_id)) is None:
        raise ValidationFailed({"booking_id": [f"L'inscription n° {booking.id} n'est pas celle d'un atelier de cette "
                                               "tournée."]})
    # The session's row, then the booking's, as the office locks them (cancelling, marking).
    _stop(ctx, booking.session_id)
    ctx.session.refresh(booking, with_for_update=True)
    _not_late(ctx)
    wanted = BookingStatus.ATTENDED.value if d["attended"] else BookingStatus.NO_SHOW.value
    person = _person(booking.household)
    if booking.status == BookingStatus.CANCELLED.value:
        if ctx.force:          # « Appliquer »: the booking stays cancelled; who came is a walk-in
            return _cancelled_booking_applied(ctx, booking, d)
        raise Held(f"L'inscription de {person} a été annulée le {local_date(booking.cancelled_at)}.",
                   "Appliquer enregistre la personne comme participant sans inscription ; sinon Classer.")
    already = booking.status in (BookingStatus.ATTENDED.value, BookingStatus.NO_SHOW.value)
    changed = (booking.status, booking.satisfaction) != (wanted, d["satisfaction"])
    if already and changed and booking.attendance_by_id != ctx.actor.id and not ctx.force:
        who = ctx.session.get(User, booking.attendance_by_id) if booking.attendance_by_id else None
        raise Held(f"Présence de {person} déjà notée « {booking.status_label} » le {local_date(booking.attendance_at)}"
                   + (f" par {_user(who)}" if who is not None else "") + ".",
                   "Appliquer remplace la saisie précédente ; Classer la garde.")
    booking.status, booking.queue_number = wanted, None
    booking.satisfaction = d["satisfaction"] if d["attended"] else None
    booking.attendance_at, booking.attendance_by_id = ctx.recorded_at, ctx.actor.id
    return {"booking_id": booking.id, "status": booking.status}


def _cancelled_booking_applied(ctx: Context, booking: Booking, d: dict) -> dict:
    """« Appliquer » on the attendance of a booking cancelled meanwhile: a person present is
    recorded as a walk-in of the session (the booking keeps its cancellation, and its seat stays
    with whoever took it); an absence changes nothing."""
    if not d["attended"]:
        return {"booking_id": booking.id, "status": booking.status}
    household = booking.household
    walk_in = WorkshopWalkIn(session_id=booking.session_id, tour_id=ctx.tour.id, last_name=household.last_name,
                             first_name=household.first_name, commune_insee=household.commune_insee,
                             phone=household.phone, satisfaction=d["satisfaction"], recorded_at=ctx.recorded_at,
                             recorded_by_id=ctx.actor.id)
    ctx.session.add(walk_in)
    ctx.session.flush()
    return {"booking_id": booking.id, "status": booking.status, "walk_in_id": walk_in.id}


def _walk_in(ctx: Context, data: dict) -> dict:
    d = load(WalkInData(), data)
    if not d["last_name"].strip():
        raise ValidationFailed({"last_name": ["Nom du participant attendu (des espaces seuls ne suffisent pas)."]})
    workshop = _stop(ctx, d["session_id"])
    _not_late(ctx)
    if ctx.session.get(Commune, d["commune_insee"]) is None:
        raise ValidationFailed({"commune_insee": ["Code INSEE d'une des 34 communes de Martinique attendu."]})
    phone = None
    if d["phone"]:
        try:
            phone = normalise_phone(d["phone"])
        except InvalidPhone as exc:
            raise ValidationFailed({"phone": [exc.message]}) from None
    walk_in = WorkshopWalkIn(session_id=workshop.id, tour_id=ctx.tour.id, last_name=d["last_name"].strip(),
                             first_name=(d["first_name"] or "").strip() or None, commune_insee=d["commune_insee"],
                             phone=phone, satisfaction=d["satisfaction"], recorded_at=ctx.recorded_at,
                             recorded_by_id=ctx.actor.id)
    ctx.session.add(walk_in)
    ctx.session.flush()
    return {"walk_in_id": walk_in.id}


def _handover(ctx: Context, data: dict) -> dict:
    if ctx.tour.unit is None:
        raise ValidationFailed({"kind": ["Une remise en tournée suppose une unité mobile (série de factures)."]})
    invoice, reservation = tour_handover.register(ctx.session, ctx.tour, ctx.actor.id, data)
    why = _out_of_time(ctx)
    if why:
        raise Held(f"{why} La facture {invoice.number} est enregistrée.", LATE_TODO)
    return tour_handover.apply_effects(ctx.session, ctx.tour, ctx.actor.id, invoice, reservation, data,
                                       ctx.recorded_at)


def _held_handover(session: Session, tour: MobileTour, user_id: int | None, data: dict) -> dict:
    """A handover kept as a conflict: its invoice, issued and paid, is registered alone."""
    invoice, _ = tour_handover.register(session, tour, user_id, data)
    return {"invoice": invoice.number}


def _resolve_handover(ctx: Context, action: TourAction, apply: bool) -> dict | None:
    invoice = invoice_by_number(ctx.session, action.result["invoice"])
    if apply:
        return tour_handover.apply_effects(ctx.session, ctx.tour, ctx.actor.id, invoice, invoice.reservation,
                                           action.payload["data"], ctx.recorded_at, force=True)
    if not invoice.credit_notes:
        raise Conflict(f"Émettez d'abord un avoir sur la facture {invoice.number} (l'appareil n'a pas été remis), "
                       "puis classez l'enregistrement.")
    return action.result


def _close(ctx: Context, data: dict) -> dict:
    """End the tour: its unit is free again, and the closing ticket sums up what it invoiced."""
    d = load(CloseData(), data)
    tour = ctx.tour
    invoices = ctx.session.execute(select(Invoice).where(Invoice.tour_id == tour.id)
                                   .order_by(Invoice.unit_position)).scalars().all()
    if tour.status != TourStatus.LOST.value:        # a lost device's late closure keeps it « lost »
        tour.status = TourStatus.CLOSED.value
    tour.closed_at, tour.closed_by_id = ctx.recorded_at, ctx.actor.id
    tour.closure = {**closure_ticket(reference=tour.reference, unit=tour.unit.code if tour.unit else None,
                                     closed_at=to_local(ctx.recorded_at).isoformat(timespec="seconds"),
                                     actions=tour.last_seq + 1, invoices=invoices), "note": d["note"]}
    return {"status": tour.status, "invoices": tour.closure["invoices"], "sha256": tour.closure["sha256"]}


APPLY: dict[str, Callable[[Context, dict], dict]] = {
    ActionKind.ATTENDANCE.value: _attendance,
    ActionKind.WALK_IN.value: _walk_in,
    ActionKind.HANDOVER.value: _handover,
    ActionKind.CLOSE.value: _close,
}


def action_json(action: TourAction, *, repeat: bool = False) -> dict:
    return {"key": action.client_key, "seq": action.seq, "kind": action.kind, "outcome": action.outcome,
            "outcome_label": action.outcome_label, "message": action.message, "what_to_do": action.what_to_do,
            "result": action.result, "repeat": repeat}


def _unstored(raw: dict, outcome: str, message: str, **extra) -> dict:
    return {"key": raw.get("key"), "seq": raw.get("seq"), "kind": raw.get("kind"), "outcome": outcome,
            "message": message, "what_to_do": None, "result": None, "repeat": False, **extra}


def _locked_tour(session: Session, tour_id: int) -> MobileTour:
    return session.get(MobileTour, tour_id, with_for_update=True, populate_existing=True)


def _already(session: Session, tour: MobileTour, raw: dict, digest: str) -> dict | None:
    """The answer to an action seen before or out of order, else None (apply it)."""
    stored = session.execute(select(TourAction).where(TourAction.client_key == raw["key"])).scalar_one_or_none()
    if stored is not None:
        if stored.tour_id != tour.id or stored.payload_sha256 != digest:
            if raw["seq"] == tour.last_seq + 1:
                # Its place in the order is passed (the key is another record's, so it cannot be
                # stored): without this, every later record would wait for it, and the tour stall.
                tour.last_seq = raw["seq"]
            return _unstored(raw, REFUSED, KEY_REUSED)
        return action_json(stored, repeat=True)
    if raw["seq"] <= tour.last_seq:
        return _unstored(raw, REFUSED, f"Le numéro d'ordre {raw['seq']} est déjà celui d'un autre enregistrement "
                                       "de cette tournée : cet enregistrement n'a pas été pris en compte.")
    if raw["seq"] > tour.last_seq + 1:
        return _unstored(raw, "out_of_order", f"Enregistrement n° {tour.last_seq + 1} attendu d'abord.",
                         expected=tour.last_seq + 1)
    return None


def _store(session: Session, actor: Actor, tour: MobileTour, raw: dict, action: dict, digest: str, outcome: str,
           *, message=None, what_to_do=None, result=None, now: datetime) -> TourAction:
    stored = TourAction(tour_id=tour.id, client_key=raw["key"], seq=raw["seq"], kind=action["kind"], payload=raw,
                        payload_sha256=digest, recorded_at=action["recorded_at"], received_at=now,
                        received_by_id=actor.id, outcome=outcome, message=message, what_to_do=what_to_do,
                        result=result)
    session.add(stored)
    tour.last_seq = raw["seq"]
    session.flush()
    return stored


def _one(session: Session, actor: Actor, tour_id: int, raw: dict, action: dict, now: datetime) -> dict:
    digest = payload_sha256(raw)
    try:
        with unit_of_work(session):
            tour = _locked_tour(session, tour_id)
            answer = _already(session, tour, raw, digest)
            if answer is not None:
                return answer
            if tour.status == TourStatus.CLOSED.value:
                raise ValidationFailed({"kind": ["La tournée est terminée : cet enregistrement vient après sa clôture."]})
            result = APPLY[action["kind"]](Context(session, actor, tour, action["recorded_at"]), action["data"])
            return action_json(_store(session, actor, tour, raw, action, digest, APPLIED, result=result, now=now))
    except (Conflict, NotFound) as exc:
        if exc.message in TRANSIENT:       # a moment's contention, not the state of things: send it again
            return _unstored(raw, RETRY, exc.message)
        outcome, message = CONFLICT, exc.message
        what_to_do = getattr(exc, "what_to_do", None) or "Vérifiez la situation à l'atelier, puis Appliquer ou Classer."
    except (ValidationFailed, Forbidden) as exc:
        outcome, message, what_to_do = REFUSED, exc.message, "Ne supprimez rien : contactez l'administrateur."
    try:
        return _keep(session, actor, tour_id, raw, action, digest, outcome, message, what_to_do, now)
    except ValidationFailed as exc:     # the held handover's invoice itself cannot be registered
        return _keep(session, actor, tour_id, raw, action, digest, REFUSED, exc.message,
                     "Ne supprimez rien : contactez l'administrateur.", now)


def _keep(session: Session, actor: Actor, tour_id: int, raw: dict, action: dict, digest: str, outcome: str,
          message: str, what_to_do: str, now: datetime) -> dict:
    """Store an action whose effects are not applied, with what to do (one unit of work). A
    handover's invoice is registered with it: it was issued and paid."""
    with unit_of_work(session):
        tour = _locked_tour(session, tour_id)
        answer = _already(session, tour, raw, digest)
        if answer is not None:
            return answer
        result = None
        if outcome == CONFLICT and action["kind"] == ActionKind.HANDOVER.value:
            result = _held_handover(session, tour, actor.id, action["data"])
        return action_json(_store(session, actor, tour, raw, action, digest, outcome, message=message,
                                  what_to_do=what_to_do, result=result, now=now))


def apply_batch(session: Session, actor: Actor, tour_id, body, *, now: datetime | None = None) -> dict:
    """Apply a batch sent by the tour's browser, in order. Returns ``{"results", "last_seq"}``; a
    result is ``out_of_order`` when an earlier action is missing (the page sends again from the
    first one not acknowledged), ``retry`` when the database was busy or a row changed under it
    for a moment (nothing stored: the page sends it again later), and the batch stops there."""
    data = load(SyncIn(), body)
    tour = tour_by_id(session, actor, tour_id)
    require_holder(tour, actor, data["device_key"])
    now = now or utcnow()
    pairs = sorted(zip(body["actions"], data["actions"]), key=lambda pair: pair[1]["seq"])
    results = []
    for raw, action in pairs:
        result = _one(session, actor, tour.id, {**raw, "key": raw["key"].lower()}, action, now)
        results.append(result)
        if result["outcome"] in (OUT_OF_ORDER, RETRY):
            break
    session.expire_all()
    return {"results": results, "last_seq": session.get(MobileTour, tour.id).last_seq}


def open_actions(session: Session, actor: Actor, tour_id) -> list[TourAction]:
    """The actions of a tour still to resolve (conflicts and refusals), in order."""
    tour = tour_by_id(session, actor, tour_id)
    return session.execute(select(TourAction).where(TourAction.tour_id == tour.id,
                                                    TourAction.outcome.not_in(SETTLED))
                           .order_by(TourAction.seq)).scalars().all()


def actions_of(session: Session, actor: Actor, tour_id) -> list[TourAction]:
    tour = tour_by_id(session, actor, tour_id)
    return session.execute(select(TourAction).where(TourAction.tour_id == tour.id)
                           .order_by(TourAction.seq)).scalars().all()


def resolve(session: Session, actor: Actor, tour_id, key: str, body, *, now: datetime | None = None) -> TourAction:
    """Settle a conflict or a refusal (stock managers and Admin): « apply » runs the action again,
    its stale-data and earlier-entry checks giving way (a cancelled session must be restored
    first); « dismiss » keeps it on record without effect. A refused action is settled by Admin only."""
    d = load(ResolveIn(), body)
    if not is_stock_manager(actor):
        raise Forbidden("Seuls l'atelier (technicien) et l'administrateur régularisent une tournée.")
    now = now or utcnow()
    with unit_of_work(session):
        tour = tour_by_id(session, actor, tour_id, for_update=True)
        action = session.execute(select(TourAction).where(TourAction.tour_id == tour.id,
                                                          TourAction.client_key == str(key).lower())
                                 ).scalar_one_or_none()
        if action is None:
            raise NotFound("Enregistrement de tournée introuvable.")
        if action.outcome in SETTLED:
            raise Conflict(f"Cet enregistrement est déjà {action.outcome_label.lower()}.")
        if action.outcome == REFUSED and not actor.is_admin:
            raise Forbidden("Seul l'administrateur régularise un enregistrement refusé.")
        ctx = Context(session, actor, tour, action.recorded_at, force=True)
        apply = d["decision"] == "apply"
        if action.kind == ActionKind.HANDOVER.value and action.outcome == CONFLICT:
            action.result = _resolve_handover(ctx, action, apply)
        elif apply:
            action.result = APPLY[action.kind](ctx, action.payload["data"])
        action.outcome = RESOLVED if apply else DISMISSED
        action.resolved_at, action.resolved_by_id, action.resolution_note = now, actor.id, d["note"]
    return action

"""The device lifecycle as plain Python: states, the transition table and the guards.

No database and no Flask here. The services feed the guards with ``DeviceFacts`` and write
whatever the guards allow; the guards return a French reason when they refuse.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.vocabulary import Labelled
from inventory.vocabulary import ErasureLevel, ErasureResult, MediumKind, Station


class State(Labelled):
    RECEIVED = ("received", "Réceptionné")
    WIPING = ("wiping", "Effacement")
    REPAIR = ("repair", "Réparation")
    GRADING = ("grading", "Contrôle qualité")
    IN_STOCK = ("in_stock", "En stock")
    RESERVED = ("reserved", "Réservé")
    DISTRIBUTED = ("distributed", "Remis au foyer")
    PARTS = ("parts", "Pièces détachées")
    RECYCLED = ("recycled", "Recyclé")


S = State

# Left the workshop: handed over to a household, or recycled.
_LEFT_WORKSHOP = (S.DISTRIBUTED.value, S.RECYCLED.value)


class StateGroup:
    """Named groups of states (InvenTree's ``StockStatusGroups``), used wherever the code asks
    "is this device …?". They hold the values, so that both ``device.state in StateGroup.X`` and
    ``Device.state.in_(StateGroup.X)`` work."""
    # Gone from the workshop: nothing more is recorded on it there (no erasure, no put-away).
    LEFT_WORKSHOP = _LEFT_WORKSHOP
    # In the workshop's hands, in lifecycle order: stock, work in progress, parts.
    IN_WORKSHOP = tuple(s.value for s in State if s.value not in _LEFT_WORKSHOP)
    # The stages a device goes through before a household gets it, in order.
    STAGES = tuple(s.value for s in (S.RECEIVED, S.WIPING, S.REPAIR, S.GRADING, S.IN_STOCK, S.RESERVED))
    # The end of a device that will not be handed over: dismantled for parts, or recycled.
    END_OF_LIFE = (S.PARTS.value, S.RECYCLED.value)

TRANSITIONS: dict[State, tuple[State, ...]] = {
    S.RECEIVED: (S.WIPING, S.REPAIR, S.GRADING, S.PARTS, S.RECYCLED),
    S.WIPING: (S.REPAIR, S.GRADING, S.PARTS, S.RECYCLED),
    S.REPAIR: (S.GRADING, S.PARTS, S.RECYCLED),
    S.GRADING: (S.IN_STOCK, S.REPAIR, S.PARTS, S.RECYCLED),
    S.IN_STOCK: (S.RESERVED, S.REPAIR, S.PARTS, S.RECYCLED),
    S.RESERVED: (S.DISTRIBUTED, S.IN_STOCK),
    S.DISTRIBUTED: (S.REPAIR,),  # a return under the legal conformity guarantee
    S.PARTS: (S.RECYCLED,),
    S.RECYCLED: (),
}

# Where each scan-station mode sends a scanned device (reception only shows it).
STATION_TARGETS: dict[Station, State | None] = {
    Station.RECEPTION: None,
    Station.WIPING: S.WIPING,
    Station.REPAIR: S.REPAIR,
    Station.GRADING: S.GRADING,
    Station.STOCK: S.IN_STOCK,
}

# Leaving the workshop's data-bearing path: these need every medium sanitised.
_NEEDS_SANITISED_MEDIA_FROM_ANYWHERE = frozenset({S.PARTS, S.RECYCLED})


@dataclass(frozen=True)
class ErasureFacts:
    level: str
    result: str
    verified: bool


@dataclass(frozen=True)
class MediumFacts:
    kind: str
    serial_number: str | None
    erasures: tuple[ErasureFacts, ...] = ()
    fitted: bool = False  # installed by the workshop: it never held the donor's data

    @property
    def sanitised(self) -> bool:
        """True once the medium has a passing, verified erasure, or a passing destruction."""
        return any(medium_record_sanitises(e.level, e.result, e.verified) for e in self.erasures)

    @property
    def safe(self) -> bool:
        """Holds no donor data: sanitised, or fitted by the workshop."""
        return self.fitted or self.sanitised

    def describe(self) -> str:
        kind = MediumKind.label_of(self.kind)
        return f"{kind} n° {self.serial_number}" if self.serial_number else f"{kind} (sans numéro)"


@dataclass(frozen=True)
class DeviceFacts:
    state: State
    media: tuple[MediumFacts, ...] = ()
    grade: str | None = None


@dataclass(frozen=True)
class TransitionContext:
    """Who is asking. ``handover`` is set only by the handover service, the one path allowed to
    move a device to ``distributed``; ``reservation`` only by the reservation services, the one
    path in and out of ``reserved`` (a reservation record holds the device and expires)."""

    handover: bool = False
    reservation: bool = False


def medium_record_sanitises(level: str, result: str, verified: bool) -> bool:
    """Does one erasure record make its medium safe? A passing record counts when verified,
    or when it is a physical destruction (nothing is left to verify). A pass with warnings
    counts only when a verification found the medium clean; a destruction with warnings does
    not count (the medium may not be destroyed)."""
    if result == ErasureResult.PASS:
        return verified or level == ErasureLevel.DESTROY
    if result == ErasureResult.PASS_WITH_WARNINGS:
        return verified and level != ErasureLevel.DESTROY
    return False


def _quote(state: State) -> str:
    return f"« {state.label} »"


def refusal(facts: DeviceFacts, target: State | str, context: TransitionContext = TransitionContext()) -> str | None:
    """Return why ``facts.state → target`` is refused, in French, or None when it is allowed."""
    target = State(target)
    current = facts.state
    if target == current:
        return f"L'appareil est déjà à l'état {_quote(current)}."
    if target not in TRANSITIONS[current]:
        if not TRANSITIONS[current]:
            return f"Un appareil à l'état {_quote(current)} ne change plus d'état."
        return (
            f"Un appareil à l'état {_quote(current)} ne peut pas passer à {_quote(target)}. "
            f"États possibles : {', '.join(_quote(s) for s in TRANSITIONS[current])}."
        )

    if current == S.RECEIVED and target in (S.REPAIR, S.GRADING) and facts.media:
        count = len(facts.media)
        supports = "support de données" if count == 1 else "supports de données"
        return (
            f"Cet appareil porte {count} {supports} : il doit d'abord passer par "
            f"{_quote(S.WIPING)}."
        )

    leaving_wiping = current == S.WIPING and target in (S.REPAIR, S.GRADING)
    if leaving_wiping or target in _NEEDS_SANITISED_MEDIA_FROM_ANYWHERE:
        pending = [m for m in facts.media if not m.safe]
        if pending:
            listed = " ; ".join(m.describe() for m in pending)
            return (
                "Les données ne quittent jamais l'atelier : chaque support doit avoir un "
                "effacement réussi et vérifié, ou une destruction. "
                f"En attente : {listed}."
            )

    if target == S.IN_STOCK and not facts.grade:
        return "L'appareil doit recevoir une note (A, B ou C) au contrôle qualité avant d'entrer en stock."

    if S.RESERVED in (current, target) and target != S.DISTRIBUTED and not context.reservation:
        return (
            "La réservation se fait uniquement depuis la liste d'attente des demandes validées "
            "(et se libère par l'annulation ou l'expiration de la réservation)."
        )

    if target == S.DISTRIBUTED and not context.handover:
        return (
            "La remise au foyer se fait uniquement par l'opération de remise "
            "(réservation, facture et atelier), pas par un simple changement d'état."
        )
    return None


def allowed_targets(facts: DeviceFacts, context: TransitionContext = TransitionContext()) -> list[State]:
    """The next states the guards accept right now, in table order."""
    return [t for t in TRANSITIONS[facts.state] if refusal(facts, t, context) is None]

"""Where each storage medium stands with its data: sanitised, destroyed, failed, pending, or
fitted by the workshop. Used by the collection page, the certificates and the "reconditionné"
status. Pure functions over loaded objects."""
from __future__ import annotations

from inventory.lifecycle import medium_record_sanitises
from inventory.models import ErasureRecord, StorageMedium
from core.vocabulary import Labelled
from inventory.vocabulary import ErasureLevel, MediumOrigin


class MediumState(Labelled):
    SANITISED = ("sanitised", "Effacé")
    DESTROYED = ("destroyed", "Détruit")
    FAILED = ("failed", "Échec : à refaire ou à détruire")
    PENDING = ("pending", "À effacer")
    FITTED = ("fitted", "Posé à l'atelier (sans données du donateur)")


def covering_record(medium: StorageMedium) -> ErasureRecord | None:
    """The record that makes the medium safe (a destruction first, else the latest passing
    verified erasure), or None."""
    qualifying = [e for e in medium.erasures if medium_record_sanitises(e.level, e.result, e.verified)]
    if not qualifying:
        return None
    destructions = [e for e in qualifying if e.level == ErasureLevel.DESTROY]
    return (destructions or qualifying)[-1]


def medium_state(medium: StorageMedium) -> MediumState:
    if medium.origin == MediumOrigin.FITTED.value:
        return MediumState.FITTED
    record = covering_record(medium)
    if record is not None:
        return MediumState.DESTROYED if record.level == ErasureLevel.DESTROY else MediumState.SANITISED
    if medium.erasures:     # records, and none of them makes the medium safe
        return MediumState.FAILED
    return MediumState.PENDING


def is_safe(medium: StorageMedium) -> bool:
    return medium_state(medium) in (MediumState.SANITISED, MediumState.DESTROYED, MediumState.FITTED)

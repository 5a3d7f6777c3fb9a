"""The tour's vocabularies and limits as plain Python (no database, no Flask)."""
from __future__ import annotations

from core.errors import Conflict
from core.vocabulary import Labelled

# How old a tour's data may be before the page refuses to start (and the server treats what was
# recorded later as a conflict): the evening before a 7:00 start is fine, far less than the hold.
TOUR_MAX_AGE_HOURS = 24
# How many actions one sync request carries at most: progress is shown between batches.
TOUR_SYNC_BATCH = 50
# A device clock may run a little fast: an action recorded this long after the limit still counts.
CLOCK_TOLERANCE_MINUTES = 10


class TourStatus(Labelled):
    OUT = ("out", "En tournée")
    CLOSED = ("closed", "Terminée")
    LOST = ("lost", "Appareil perdu ou réinitialisé")


class ActionKind(Labelled):
    ATTENDANCE = ("attendance", "Présence")
    WALK_IN = ("walk_in", "Participant sans inscription")
    HANDOVER = ("handover", "Remise d'appareil")
    CLOSE = ("close", "Clôture de la tournée")


class ActionOutcome(Labelled):
    """What the server made of an action sent by a tour. The last two end a conflict or a refusal."""

    APPLIED = ("applied", "Enregistré")
    CONFLICT = ("conflict", "À régulariser")
    REFUSED = ("refused", "Refusé")
    RESOLVED = ("resolved", "Régularisé")
    DISMISSED = ("dismissed", "Classé")


# An action in one of these needs nothing more; the page may forget it.
SETTLED = (ActionOutcome.APPLIED.value, ActionOutcome.RESOLVED.value, ActionOutcome.DISMISSED.value)


class Held(Conflict):
    """An action whose effects no longer hold on the server: kept as a conflict, with what to do."""

    def __init__(self, message: str, what_to_do: str) -> None:
        super().__init__(message)
        self.what_to_do = what_to_do

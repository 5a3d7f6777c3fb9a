"""The income audit log as people read it: each recorded change (``AuditEntry.changes``, written by
the services in English keys and plain values) as a French label and French text.

- amounts « 1 250,00 € », proofs and statuses by their French label, a request as « n° 12 »,
  yes/no as « Oui » / « Non », nothing as « — »;
- members « Demandeur né le 14/07/1979 », « Enfant de 12 ans », joined in words;
- a change recorded as ``[before, after]`` as « before → after ».

Pure: no database, no Flask; ``describe_changes`` is what the audit page shows."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from core.display import words
from core.money import euros
from eligibility.vocabulary import ProofKind, Relationship, RequestStatus

NONE = "—"
ARROW = " → "

# Every key the services write (eligibility.services: households.income_snapshot, requests,
# export), in the order the page lists them.
FIELD_LABELS = {
    "monthly_resources": "Ressources mensuelles",
    "resources_proof": "Justificatif des ressources",
    "benefits": "Prestations",
    "members": "Membres du foyer",
    "request": "Demande",
    "status": "Statut de la demande",
    "tier": "Palier",
    "overridden": "Décision automatique écartée",
    "note": "Justification",
    "format": "Format de l'export",
}
# Fields whose single value is a list (a change of them is a pair of lists).
LIST_FIELDS = frozenset({"benefits", "members"})


def in_words(items: list[str]) -> str:
    """« A », « A et B », « A, B et C » (``core.display.words``); « — » for none."""
    return words([item for item in items if item])


def _money(value) -> str:
    try:
        return euros(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def member_text(value) -> str:
    """``head:1979-07-14`` → « Demandeur né le 14/07/1979 »; ``child:12 ans`` → « Enfant de 12 ans »."""
    relation, _, rest = str(value).partition(":")
    who = Relationship.label_of(relation) or NONE
    rest = rest.strip()
    try:
        born = date.fromisoformat(rest)
    except ValueError:
        born = None
    if born is not None:
        # « personne » is feminine: « Autre personne du foyer née le … ».
        return f"{who} {'née' if relation == Relationship.OTHER.value else 'né'} le {born:%d/%m/%Y}"
    if rest:
        return f"{who} de {rest}"
    return who


def value_text(field: str, value) -> str:
    """One recorded value of ``field`` as French text."""
    if value is None or value == "" or value == []:
        return NONE
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (list, tuple)) and field not in LIST_FIELDS:
        return in_words([value_text(field, v) for v in value])
    if field in LIST_FIELDS and not isinstance(value, (list, tuple)):
        value = [value]
    if field == "monthly_resources":
        return _money(value)
    if field == "resources_proof":
        return str(ProofKind.label_of(value))
    if field == "status":
        return str(RequestStatus.label_of(value))
    if field == "members":
        return in_words([member_text(m) for m in value])
    if field == "benefits":
        return in_words([str(b) for b in value])
    if field == "request":
        return f"n° {value}"
    if field == "format":
        return str(value).upper()
    return str(value)


def _is_change(field: str, value) -> bool:
    """Whether ``value`` is a ``[before, after]`` pair (the services record changes so)."""
    if not isinstance(value, list) or len(value) != 2:
        return False
    if field in LIST_FIELDS:
        return all(v is None or isinstance(v, list) for v in value)
    return True


def describe_changes(changes: dict | None) -> list[tuple[str, str]]:
    """(French label, French text) of each recorded field, the known ones in ``FIELD_LABELS``
    order; a change as « avant → après ». A key no service writes keeps its name, so that nothing
    recorded is hidden from the log's reader."""
    changes = changes or {}
    keys = [k for k in FIELD_LABELS if k in changes] + [k for k in changes if k not in FIELD_LABELS]
    described = []
    for key in keys:
        value = changes[key]
        if _is_change(key, value):
            text = value_text(key, value[0]) + ARROW + value_text(key, value[1])
        else:
            text = value_text(key, value)
        described.append((FIELD_LABELS.get(key, key), text))
    return described

"""The tour API's input schemas: strict, with French messages and field names."""
from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import MESSAGES, BoundedAwareDateTime, StrictSchema, day, integer, one_of, row_id, string, text
from distribution.tour.rules import TOUR_SYNC_BATCH, ActionKind

FIELD_LABELS = {
    "unit": "unité mobile", "date": "date de la tournée", "session_ids": "ateliers",
    "reservation_ids": "réservations", "device_key": "clé de l'appareil", "actions": "enregistrements",
    "key": "clé", "seq": "numéro d'ordre", "kind": "type", "recorded_at": "heure d'enregistrement",
    "data": "contenu", "booking_id": "inscription", "attended": "présent", "satisfaction": "satisfaction",
    "session_id": "atelier", "last_name": "nom", "first_name": "prénom", "commune_insee": "commune",
    "phone": "téléphone", "note": "note", "decision": "décision", "format": "format",
}
MAX_STOPS = 12
MAX_LOADS = 60
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DEVICE_KEY = string(required=True, validate=validate.Regexp(
    UUID, error="Identifiant de l'appareil attendu (UUID, 36 caractères)."))


class TourInput(StrictSchema):
    field_labels = FIELD_LABELS


def _ids(maximum: int, what: str, **kw) -> fields.List:
    return fields.List(row_id(), validate=validate.Length(max=maximum, error=f"{maximum} {what} au plus."),
                       error_messages={"invalid": f"Liste de numéros de {what} attendue."}, **kw)


class TourDownloadIn(TourInput):
    unit = string(load_default=None, allow_none=True,
                  validate=validate.Regexp(r"^M[1-9]\d{0,2}$", error="Code d'unité mobile attendu (M1, M2…)."))
    date = day(required=True)
    session_ids = _ids(MAX_STOPS, "ateliers", load_default=list)
    reservation_ids = _ids(MAX_LOADS, "réservations", load_default=None, allow_none=True)
    device_key = DEVICE_KEY


class ActionIn(TourInput):
    """One action recorded offline: its idempotency key, its place in the tour's order, what it is
    and when the device's clock says it was recorded. ``data`` is checked by kind when applied:
    a malformed one is kept as « Refusé », never dropped."""
    key = string(required=True, validate=validate.Regexp(UUID, error="Clé d'enregistrement attendue (UUID)."))
    seq = integer(1, 1_000_000, required=True)
    kind = string(required=True, validate=one_of(ActionKind.values(), "Type d'enregistrement"))
    recorded_at = BoundedAwareDateTime(required=True, error_messages=MESSAGES["datetime"])
    data = fields.Dict(required=True, error_messages={**MESSAGES["nested"], "invalid": "Objet attendu."})


class SyncIn(TourInput):
    device_key = DEVICE_KEY
    format = integer(1, 1, required=True, message="Format 1 attendu : mettez la page à jour.")
    actions = fields.List(fields.Nested(ActionIn), required=True,
                          validate=validate.Length(min=1, max=TOUR_SYNC_BATCH,
                                                   error=f"De 1 à {TOUR_SYNC_BATCH} enregistrements par envoi."),
                          error_messages=MESSAGES["list"])


class AttendanceData(TourInput):
    booking_id = row_id(required=True)
    attended = fields.Boolean(required=True, truthy={True}, falsy={False}, error_messages=MESSAGES["bool"])
    satisfaction = integer(1, 5, "Note de satisfaction de 1 à 5 attendue.", load_default=None, allow_none=True)


class WalkInData(TourInput):
    session_id = row_id(required=True)
    last_name = text(100, required=True)
    first_name = text(100, load_default=None, allow_none=True)
    commune_insee = string(required=True, validate=validate.Regexp(r"^972\d\d$", error="Code INSEE d'une commune de Martinique (972xx) attendu."))
    phone = text(30, load_default=None, allow_none=True)
    satisfaction = integer(1, 5, "Note de satisfaction de 1 à 5 attendue.", load_default=None, allow_none=True)


class CloseData(TourInput):
    note = text(500, load_default=None, allow_none=True)


class ResolveIn(TourInput):
    decision = string(required=True, validate=one_of(["apply", "dismiss"], "Décision"))
    note = text(500, load_default=None, allow_none=True)

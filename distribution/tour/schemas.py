"""The tour API's input schemas: strict, with French messages and field names."""
from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import StrictSchema, day, row_id, string

FIELD_LABELS = {
    "unit": "unité mobile", "date": "date de la tournée", "session_ids": "ateliers",
    "reservation_ids": "réservations", "device_key": "clé de l'appareil",
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

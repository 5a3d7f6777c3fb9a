"""The tour API's input schemas: strict, with French messages and field names."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import fields, validate

from core.schemas import (
    MESSAGES,
    BoundedAwareDateTime,
    BoundedDecimal,
    StrictSchema,
    day,
    integer,
    one_of,
    row_id,
    string,
    text,
)
from distribution.tour.rules import TOUR_SYNC_BATCH, ActionKind
from distribution.vocabulary import InternetAccess, PaymentMethod

FIELD_LABELS = {
    "unit": "unité mobile", "date": "date de la tournée", "session_ids": "ateliers",
    "reservation_ids": "réservations", "device_key": "clé de l'appareil", "actions": "enregistrements",
    "key": "clé", "seq": "numéro d'ordre", "kind": "type", "recorded_at": "heure d'enregistrement",
    "data": "contenu", "booking_id": "inscription", "attended": "présent", "satisfaction": "satisfaction",
    "session_id": "atelier", "last_name": "nom", "first_name": "prénom", "commune_insee": "commune",
    "phone": "téléphone", "note": "note", "decision": "décision", "format": "format",
    "reservation_id": "réservation", "payments": "paiements", "method": "moyen de paiement", "amount": "montant",
    "accessories": "accessoires", "code": "accessoire", "quantity": "quantité", "internet_access": "accès à internet",
    "internet_offer_referred": "orientation vers une offre sociale", "invoice": "facture", "number": "numéro",
    "issued_at": "date d'émission", "unit_position": "position dans la chaîne de l'unité",
    "unit_previous_hash": "empreinte précédente", "unit_hash": "empreinte", "workshop": "atelier", "content": "contenu",
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


class OptionsIn(TourInput):
    date = day(required=True)


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
    actions = fields.List(fields.Nested(ActionIn, error_messages=MESSAGES["nested"]), required=True,
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


HEX64 = validate.Regexp(r"^[0-9a-f]{64}$", error="Empreinte SHA-256 attendue (64 caractères hexadécimaux).")


class PaymentIn(TourInput):
    method = string(required=True, validate=one_of(PaymentMethod.values(), "Moyen de paiement"))
    amount = BoundedDecimal(Decimal("0.01"), Decimal("99999.99"), places=2, required=True,
                            message="Montant de 0,01 à 99 999,99 € attendu.")


class AccessoryIn(TourInput):
    code = string(required=True, validate=validate.Length(min=1, max=40, error="Code d'accessoire attendu."))
    quantity = integer(1, 10, required=True)


class InvoiceIn(TourInput):
    """The invoice as the device numbered, hashed and printed it."""
    number = string(required=True, validate=validate.Length(min=1, max=20, error="Numéro de facture attendu."))
    issued_at = BoundedAwareDateTime(required=True, error_messages=MESSAGES["datetime"])
    unit_position = integer(1, 1_000_000_000, required=True)
    unit_previous_hash = string(required=True, validate=HEX64)
    unit_hash = string(required=True, validate=HEX64)
    workshop = fields.Dict(load_default=None, allow_none=True, error_messages={"invalid": "Objet attendu."})
    content = fields.Dict(load_default=None, allow_none=True, error_messages={"invalid": "Objet attendu."})


class HandoverData(TourInput):
    reservation_id = row_id(required=True)
    payments = fields.List(fields.Nested(PaymentIn, error_messages=MESSAGES["nested"]), required=True,
                           validate=validate.Length(min=1, max=5, error="De 1 à 5 paiements attendus."),
                           error_messages=MESSAGES["list"])
    accessories = fields.List(fields.Nested(AccessoryIn, error_messages=MESSAGES["nested"]), load_default=list,
                              validate=validate.Length(max=10, error="10 accessoires au plus."),
                              error_messages=MESSAGES["list"])
    session_id = row_id(load_default=None, allow_none=True)
    internet_access = string(load_default=None, allow_none=True,
                             validate=one_of(InternetAccess.values(), "Accès à internet"))
    internet_offer_referred = fields.Boolean(load_default=False, truthy={True}, falsy={False},
                                             error_messages=MESSAGES["bool"])
    invoice = fields.Nested(InvoiceIn, required=True, error_messages=MESSAGES["nested"])

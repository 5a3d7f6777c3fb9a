"""Marshmallow schemas of the handover API, with French messages naming the field."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import ValidationError, fields, validate, validates_schema

from core.clock import MARTINIQUE
from core.errors import ValidationFailed
from distribution.vocabulary import InternetAccess, PaymentMethod, VenueKind, WorkshopTopic
from inventory.schemas import _MSG, FIELD_LABELS, StrictSchema, _one_of, _text, load  # noqa: F401

FIELD_LABELS.update({
    "request_id": "demande", "asset_tag": "numéro d'inventaire", "payment_method": "moyen de paiement",
    "payments": "paiements", "accessories": "accessoires", "workshop_session_id": "atelier",
    "internet_access": "accès à internet", "internet_offer_referred": "orientation vers une offre sociale internet",
    "topic": "thème", "starts_at": "début", "ends_at": "fin", "venue_kind": "type de lieu",
    "venue_name": "lieu", "capacity": "capacité", "facilitator": "animateur", "attended": "présent",
    "satisfaction": "satisfaction", "reason": "motif", "return_device": "retour de l'appareil", "lines": "lignes",
})


class MartiniqueDateTime(fields.DateTime):
    """ISO 8601; a time without an offset is Martinique time. Loaded as aware UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=MARTINIQUE)
        return moment.astimezone(timezone.utc)


def _moment(required: bool = True) -> MartiniqueDateTime:
    return MartiniqueDateTime(required=required, error_messages={
        **_MSG["datetime"], "invalid": "Date et heure ISO 8601 attendues (par exemple 2026-12-05T09:00, heure de Martinique)."})


class ReservationIn(StrictSchema):
    request_id = fields.Integer(strict=True, required=True, error_messages=_MSG["int"])
    asset_tag = _text(20, required=True)


class PaymentIn(StrictSchema):
    method = fields.String(required=True, validate=_one_of(PaymentMethod.values(), "Moyen de paiement"),
                           error_messages=_MSG["str"])
    amount = fields.Decimal(required=True, allow_nan=False, as_string=True, error_messages=_MSG["dec"])


class AccessoryIn(StrictSchema):
    code = _text(30, required=True)
    quantity = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 10, error="Quantité de 1 à 10."),
                              error_messages=_MSG["int"])


class AccessoryField(fields.Field):
    """An accessory as its code ("charger") or as {"code", "quantity"}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return AccessoryIn().load(value)
        raise ValidationError("Code d'accessoire ou objet {code, quantity} attendu.")


class HandoverIn(StrictSchema):
    payment_method = fields.String(validate=_one_of(PaymentMethod.values(), "Moyen de paiement"),
                                   error_messages=_MSG["str"])
    payments = fields.List(fields.Nested(PaymentIn, error_messages=_MSG["nested"]), error_messages=_MSG["list"])
    accessories = fields.List(AccessoryField(), load_default=list, error_messages=_MSG["list"])
    workshop_session_id = fields.Integer(strict=True, allow_none=True, error_messages=_MSG["int"])
    internet_access = fields.String(allow_none=True, validate=_one_of(InternetAccess.values(), "Accès à internet"),
                                    error_messages=_MSG["str"])
    internet_offer_referred = fields.Boolean(load_default=False, error_messages=_MSG["bool"])

    @validates_schema
    def _payment(self, data, **kwargs):
        if not data.get("payment_method") and not data.get("payments"):
            raise ValidationError(f"Moyen de paiement attendu : {', '.join(PaymentMethod.values())}.", "payment_method")


class WorkshopIn(StrictSchema):
    topic = fields.String(required=True, validate=_one_of(WorkshopTopic.values(), "Thème"), error_messages=_MSG["str"])
    starts_at = _moment()
    ends_at = _moment()
    commune_insee = _text(5, required=True)
    venue_kind = fields.String(required=True, validate=_one_of(VenueKind.values(), "Type de lieu"),
                               error_messages=_MSG["str"])
    venue_name = _text(200, required=True)
    address = _text(300, allow_none=True)
    capacity = fields.Integer(strict=True, load_default=8,
                              validate=validate.Range(1, 200, error="Capacité de 1 à 200 places attendue."),
                              error_messages=_MSG["int"])
    facilitator = _text(100, allow_none=True)   # the Animateur's user name
    notes = _text(2000, allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("L'heure de fin doit suivre l'heure de début.", "ends_at")


class BookingIn(StrictSchema):
    household_id = fields.Integer(strict=True, required=True, error_messages=_MSG["int"])


class AttendanceIn(StrictSchema):
    attended = fields.Boolean(required=True, error_messages=_MSG["bool"])
    satisfaction = fields.Integer(strict=True, allow_none=True, error_messages=_MSG["int"],
                                  validate=validate.Range(1, 5, error="Note de satisfaction de 1 à 5 attendue."))


class CreditNoteIn(StrictSchema):
    reason = _text(1000, required=True)
    lines = fields.List(fields.Integer(strict=True, error_messages=_MSG["int"]), error_messages=_MSG["list"])
    return_device = fields.Boolean(load_default=False, error_messages=_MSG["bool"])


def parse_moment(value: str | None, field: str = "from") -> datetime | None:
    """A query-string date or date-time (Martinique time when no offset), as aware UTC, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed({field: ["Date AAAA-MM-JJ ou date et heure ISO 8601 attendue."]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MARTINIQUE)
    return moment.astimezone(timezone.utc)

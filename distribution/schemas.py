"""Marshmallow schemas of the handover API, with French messages naming the field."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from core.clock import MARTINIQUE
from core.errors import ValidationFailed
from distribution.vocabulary import InternetAccess, PaymentMethod, VenueKind, WorkshopTopic
from core.schemas import (
    EARLIEST_DAY,
    LATEST_DAY,
    MAX_ID,
    MESSAGES,
    MOMENT_RANGE,
    BoundedDecimal,
    StrictSchema,
    forbidden_text,
    integer,
    one_of,
    row_id,
    string,
    text,
)

FIELD_LABELS = {
    "request_id": "demande", "asset_tag": "numéro d'inventaire", "payment_method": "moyen de paiement",
    "payments": "paiements", "accessories": "accessoires", "workshop_session_id": "atelier",
    "internet_access": "accès à internet", "internet_offer_referred": "orientation vers une offre sociale internet",
    "topic": "thème", "starts_at": "début", "ends_at": "fin", "venue_kind": "type de lieu",
    "venue_name": "lieu", "capacity": "capacité", "facilitator": "animateur", "attended": "présent",
    "satisfaction": "satisfaction", "reason": "motif", "return_device": "retour de l'appareil", "lines": "lignes",
    "method": "moyen de paiement", "commune_insee": "code INSEE de la commune", "address": "adresse", "household_id": "foyer",
}


INTERNET_ACCESS_REQUIRED = "Indiquez l'accès à internet du foyer."


class DistributionInput(StrictSchema):
    """Base of the distribution input schemas: strict, with their French field names."""
    field_labels = FIELD_LABELS



WITHOUT_OFFSET = "Heure de Martinique sans décalage attendue (par exemple 2026-12-05T09:00, sans « Z » ni « -04:00 »)."


class MartiniqueDateTime(fields.DateTime):
    """ISO 8601 in Martinique time, written without an offset (as the README says: a time the
    workshop reads on its wall clock). Loaded as aware UTC. A time with an offset is refused: it
    would say two different things when the offset is not Martinique's."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            raise ValidationError(WITHOUT_OFFSET)
        if not EARLIEST_DAY.year <= moment.year <= LATEST_DAY.year:
            raise ValidationError(MOMENT_RANGE)
        return moment.replace(tzinfo=MARTINIQUE).astimezone(timezone.utc)


def _moment(required: bool = True) -> MartiniqueDateTime:
    return MartiniqueDateTime(required=required, error_messages={
        **MESSAGES["datetime"], "invalid": "Date et heure ISO 8601 attendues (par exemple 2026-12-05T09:00, heure de Martinique)."})


class ReservationIn(DistributionInput):
    request_id = row_id(required=True)
    asset_tag = text(20, required=True)


MAX_AMOUNT = Decimal("9999999999.99")   # Numeric(12, 2), as every amount is stored


class PaymentIn(DistributionInput):
    method = string(required=True, validate=one_of(PaymentMethod.values(), "Moyen de paiement"),
                           error_messages=MESSAGES["str"])
    amount = BoundedDecimal(-MAX_AMOUNT, MAX_AMOUNT, places=2, required=True, as_string=True,
                            message="Montant de 9 999 999 999,99 € au plus attendu.")


class AccessoryIn(DistributionInput):
    code = text(30, required=True)
    quantity = integer(1, 10, "Quantité de 1 à 10.", load_default=1)


class AccessoryField(fields.Field):
    """An accessory as its code ("charger") or as {"code", "quantity"}."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if forbidden_text(value) or len(value) > 30:
                raise ValidationError("Code d'accessoire de 30 caractères au plus attendu (texte sans caractère nul).")
            return value
        if isinstance(value, dict):
            return AccessoryIn().load(value)
        raise ValidationError("Code d'accessoire ou objet {code, quantity} attendu.")


class HandoverIn(DistributionInput):
    payment_method = string(validate=one_of(PaymentMethod.values(), "Moyen de paiement"),
                                   error_messages=MESSAGES["str"])
    payments = fields.List(fields.Nested(PaymentIn, error_messages=MESSAGES["nested"]), error_messages=MESSAGES["list"])
    accessories = fields.List(AccessoryField(), load_default=list, error_messages=MESSAGES["list"])
    workshop_session_id = row_id(allow_none=True)
    # Required of every handover entered, on the form as through the API. The service still takes
    # none: the handovers recorded before the rule have none, and the internet-access rate leaves them out.
    internet_access = string(required=True, validate=one_of(InternetAccess.values(), "Accès à internet"),
                                    error_messages={**MESSAGES["str"], "required": INTERNET_ACCESS_REQUIRED,
                                                    "null": INTERNET_ACCESS_REQUIRED})
    internet_offer_referred = fields.Boolean(load_default=False, error_messages=MESSAGES["bool"])

    @validates_schema
    def _payment(self, data, **kwargs):
        if not data.get("payment_method") and not data.get("payments"):
            raise ValidationError(f"Moyen de paiement attendu : {', '.join(PaymentMethod.values())}.", "payment_method")


class WorkshopIn(DistributionInput):
    topic = string(required=True, validate=one_of(WorkshopTopic.values(), "Thème"), error_messages=MESSAGES["str"])
    starts_at = _moment()
    ends_at = _moment()
    commune_insee = text(5, required=True)
    venue_kind = string(required=True, validate=one_of(VenueKind.values(), "Type de lieu"),
                               error_messages=MESSAGES["str"])
    venue_name = text(200, required=True)
    address = text(300, allow_none=True)
    capacity = integer(1, 200, "Capacité de 1 à 200 places attendue.", load_default=8)
    facilitator = text(100, allow_none=True)   # the Animateur's user name
    notes = text(2000, allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("L'heure de fin doit suivre l'heure de début.", "ends_at")


class BookingIn(DistributionInput):
    household_id = row_id(required=True)


class AttendanceIn(DistributionInput):
    attended = fields.Boolean(required=True, error_messages=MESSAGES["bool"])
    satisfaction = integer(1, 5, "Note de satisfaction de 1 à 5 attendue.", allow_none=True)


class WorkshopCancelIn(DistributionInput):
    reason = text(1000, required=True)


class CreditNoteIn(DistributionInput):
    reason = text(1000, required=True)
    lines = fields.List(integer(1, MAX_ID, "Numéro de ligne (nombre entier positif) attendu."),
                        validate=validate.Length(max=100, error="100 lignes au plus."), error_messages=MESSAGES["list"])
    return_device = fields.Boolean(load_default=False, error_messages=MESSAGES["bool"])


def parse_moment(value: str | None, field: str = "from") -> datetime | None:
    """A query-string date or date-time (Martinique time when no offset), as aware UTC, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed({field: ["Date AAAA-MM-JJ ou date et heure ISO 8601 attendue."]}) from None
    if not EARLIEST_DAY.year <= moment.year <= LATEST_DAY.year:
        raise ValidationFailed({field: [MOMENT_RANGE]})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MARTINIQUE)
    return moment.astimezone(timezone.utc)

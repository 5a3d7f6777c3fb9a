"""Marshmallow schemas of the inventory API: ``load`` validates input, ``dump`` shapes output.

Every message is French and names what is expected; ``FIELD_LABELS`` gives each field the
French name used in messages that summarise several errors.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from core.errors import ValidationFailed
from core.schemas import (
    COMMON_MESSAGES,
    MAX_BIGINT,
    MAX_INT,
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
from inventory.lifecycle import State
from core.vocabulary import Category
from inventory.vocabulary import (
    Destination,
    ErasureLevel,
    ErasureResult,
    ErasureTechnique,
    Grade,
    MediumKind,
    Station,
)

FIELD_LABELS = {
    "donor": "donateur",
    "collected_on": "date de collecte",
    "site": "site",
    "declared_count": "nombre d'appareils annoncé",
    "weight_kg": "poids (kg)",
    "notes": "notes",
    "collection": "collecte",
    "category": "catégorie",
    "brand": "marque",
    "model": "modèle",
    "serial_number": "numéro de série",
    "imei": "IMEI",
    "specs": "caractéristiques",
    "cpu": "processeur",
    "ram_gb": "mémoire vive (Go)",
    "storage_summary": "stockage",
    "screen_in": "écran (pouces)",
    "os": "système",
    "os_licence_key": "clé de licence du système",
    "storage": "supports de données",
    "kind": "type",
    "manufacturer": "fabricant",
    "capacity_gb": "capacité (Go)",
    "location": "emplacement",
    "to": "état demandé",
    "note": "note",
    "version": "version",
    "medium_serial": "numéro de série du support",
    "level": "niveau",
    "technique": "technique",
    "tool": "outil",
    "method": "méthode de l'outil",
    "tool_version": "version de l'outil",
    "passes": "passes",
    "verification_method": "méthode de vérification",
    "hpa_dco": "état HPA/DCO",
    "bytes_erased": "octets effacés",
    "sanitised_by": "effacé par",
    "sanitised_by_role": "fonction de la personne qui a effacé",
    "verified_by": "vérifié par",
    "verified_by_role": "fonction de la personne qui a vérifié",
    "destination": "destination",
    "size_bytes": "taille (octets)",
    "device_name": "nom du périphérique",
    "bus": "bus",
    "asset_tag": "numéro d'inventaire",
    "started_at": "début",
    "ended_at": "fin",
    "result": "résultat",
    "verified": "vérifié",
    "grade": "note",
    "checklist": "grille de contrôle",
    "cosmetic": "état esthétique",
    "code": "code",
    "station": "poste",
    "_schema": "données",
}

def _count(**kw) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=[validate.Range(min=0, error="Nombre positif ou nul attendu."),
                  validate.Range(max=MAX_INT, error=f"Nombre entier de {MAX_INT} au plus attendu.")],
        error_messages=MESSAGES["int"],
        **kw,
    )


def _id(**kw) -> fields.Integer:
    return row_id(**kw)


def _positive(max_value: int, allow_zero: bool = True, *, places: int, **kw) -> BoundedDecimal:
    """A number from 0 to ``max_value``, kept to the ``places`` decimals of its column."""
    return BoundedDecimal(
        0, max_value, places=places, minimum_inclusive=allow_zero, allow_none=True,
        message=f"Nombre {'positif ou nul' if allow_zero else 'strictement positif'} et au plus {max_value} attendu.",
        **kw,
    )


class InventoryInput(StrictSchema):
    """Base of the workshop's input schemas: strict, with the workshop's French field names."""
    field_labels = FIELD_LABELS


class CollectionIn(InventoryInput):
    donor = _id(required=True)
    collected_on = day(required=True)
    site = _id(required=True)
    declared_count = _count(load_default=0)
    weight_kg = _positive(100000, places=2)
    notes = text(4000, allow_none=True)


class SpecsIn(InventoryInput):
    cpu = text(120, allow_none=True)
    ram_gb = _positive(4096, places=1)
    storage_summary = text(120, allow_none=True)
    screen_in = _positive(120, allow_zero=False, places=1)
    os = text(80, allow_none=True)


class MediumIn(InventoryInput):
    kind = string(required=True, validate=one_of(MediumKind.values(), "Type de support"), error_messages=MESSAGES["str"])
    manufacturer = text(80, allow_none=True)
    model = text(120, allow_none=True)
    serial_number = text(100, allow_none=True)
    capacity_gb = _positive(1_000_000, allow_zero=False, places=1)


class DeviceIn(InventoryInput):
    collection = _id(required=True)
    category = string(required=True, validate=one_of(Category.values(), "Catégorie"), error_messages=MESSAGES["str"])
    brand = text(80, required=True)
    model = text(120, required=True)
    serial_number = text(100, required=True)
    imei = string(allow_none=True, error_messages=MESSAGES["str"])
    specs = fields.Nested(SpecsIn, load_default=dict, error_messages=MESSAGES["nested"])
    weight_kg = _positive(1000, places=3)
    location = text(40, allow_none=True)
    storage = fields.List(
        fields.Nested(MediumIn, error_messages=MESSAGES["nested"]),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=16, error="16 supports au plus."),
        error_messages=MESSAGES["list"],
    )


class DeviceEditIn(InventoryInput):
    """What the device sheet lets the workshop correct: its description. Its identity (category,
    serial number, IMEI), its media and its state have their own use cases."""
    brand = text(80, required=True)
    model = text(120, required=True)
    cpu = text(120, allow_none=True)
    ram_gb = _positive(4096, places=1)
    storage_summary = text(120, allow_none=True)
    screen_in = _positive(120, allow_zero=False, places=1)
    os = text(80, allow_none=True)
    os_licence_key = text(120, allow_none=True)
    weight_kg = _positive(1000, places=3)


class CollectionEditIn(InventoryInput):
    """What may be corrected on an open collection: the donor's announced count, the weight and
    the notes (the donor, site and date make its reference)."""
    declared_count = _count(required=True)
    weight_kg = _positive(100000, places=2)
    notes = text(4000, allow_none=True)


class TransitionIn(InventoryInput):
    to = string(required=True, error_messages=MESSAGES["str"])
    note = text(2000, allow_none=True)
    location = text(40, allow_none=True)
    version = integer(0, MAX_INT, allow_none=True)


class ErasureIn(InventoryInput):
    medium_serial = text(100, allow_none=True)
    level = string(required=True, validate=one_of(ErasureLevel.values(), "Niveau"), error_messages=MESSAGES["str"])
    technique = string(required=True, validate=one_of(ErasureTechnique.values(), "Technique"), error_messages=MESSAGES["str"])
    method = text(80, allow_none=True)
    tool = text(120, allow_none=True)
    tool_version = text(40, allow_none=True)
    passes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1000, error="Nombre de passes de 0 à 1000 attendu."), error_messages=MESSAGES["int"])
    verification_method = text(120, allow_none=True)
    hpa_dco = text(120, allow_none=True)
    bytes_erased = integer(0, MAX_BIGINT, "Nombre d'octets positif ou nul (au plus 2⁶³ − 1) attendu.", allow_none=True)
    sanitised_by = text(120, allow_none=True)
    sanitised_by_role = text(80, allow_none=True)
    verified_by = text(120, allow_none=True)
    verified_by_role = text(80, allow_none=True)
    destination = string(allow_none=True, validate=one_of(Destination.values(), "Destination"), error_messages=MESSAGES["str"])
    started_at = BoundedAwareDateTime(allow_none=True, error_messages=MESSAGES["datetime"])
    ended_at = BoundedAwareDateTime(allow_none=True, error_messages=MESSAGES["datetime"])
    result = string(required=True, validate=one_of(ErasureResult.values(), "Résultat"), error_messages=MESSAGES["str"])
    verified = fields.Boolean(required=True, error_messages=MESSAGES["bool"])

    @validates_schema
    def _time_order(self, data, **kwargs):
        start, end = data.get("started_at"), data.get("ended_at")
        if start and end and end < start:
            raise ValidationError("La fin doit suivre le début.", field_name="ended_at")


class ReportDriveIn(ErasureIn):
    """One drive of an imported report: the erasure fields plus the drive's identity. The
    optional ``asset_tag`` says which device the station believes the drive came from."""

    class Meta:
        unknown = RAISE
        exclude = ("medium_serial",)

    # Optional: a USB bridge may hide the serial; such a drive waits for a technician.
    serial_number = text(100, allow_none=True)
    device_name = text(40, allow_none=True)
    model = text(120, allow_none=True)
    manufacturer = text(80, allow_none=True)
    capacity_gb = _positive(1_000_000, allow_zero=False, places=1)
    size_bytes = integer(1, MAX_BIGINT, "Taille en octets positive (au plus 2⁶³ − 1) attendue.", allow_none=True)
    bus = text(20, allow_none=True)
    asset_tag = text(20, allow_none=True)


class GradingIn(InventoryInput):
    """A quality control: every checklist item's value and the cosmetic state. ``grade`` may
    only lower the computed grade (with a note); a grade without a checklist is refused."""

    checklist = fields.Dict(keys=string(), required=True,
                            error_messages={**COMMON_MESSAGES, "invalid": "Objet attendu : {{clé de l'élément : valeur}}."})
    cosmetic = string(required=True, validate=one_of(Grade.values(), "État esthétique"), error_messages=MESSAGES["str"])
    grade = string(allow_none=True, validate=one_of(Grade.values(), "Note"), error_messages=MESSAGES["str"])
    note = text(2000, allow_none=True)


class ScanIn(InventoryInput):
    code = string(
        required=True,
        validate=validate.Length(min=1, max=200, error="Code de 1 à 200 caractères attendu."),
        error_messages=MESSAGES["str"],
    )
    station = string(
        allow_none=True, validate=one_of(Station.values(), "Poste"), error_messages=MESSAGES["str"]
    )


class LooseQuery(Schema):
    class Meta:
        unknown = EXCLUDE


def state_value(raw: str) -> State:
    """The ``State`` named by ``raw``, or ValidationFailed listing the known states."""
    try:
        return State(raw)
    except ValueError:
        raise ValidationFailed(
            {"to": [f"État inconnu « {raw} » : états connus : {', '.join(State.values())}."]}
        ) from None

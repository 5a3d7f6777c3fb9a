"""Marshmallow schemas of the inventory API: ``load`` validates input, ``dump`` shapes output.

Every message is French and names what is expected; ``FIELD_LABELS`` gives each field the
French name used in messages that summarise several errors.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from core.errors import ValidationFailed
from inventory.lifecycle import State
from inventory.vocabulary import (
    Category,
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

_COMMON = {
    "required": "Champ obligatoire.",
    "null": "Ce champ ne peut pas être vide.",
}
_MSG = {
    "str": {**_COMMON, "invalid": "Texte attendu."},
    "int": {**_COMMON, "invalid": "Nombre entier attendu.", "too_large": "Nombre trop grand."},
    "dec": {
        **_COMMON,
        "invalid": "Nombre attendu (par exemple 2.5).",
        "special": "Nombre attendu (par exemple 2.5).",
    },
    "date": {**_COMMON, "invalid": "Date attendue au format AAAA-MM-JJ.", "format": "Date attendue au format AAAA-MM-JJ."},
    "datetime": {
        **_COMMON,
        "invalid": "Date et heure attendues au format ISO 8601 (AAAA-MM-JJTHH:MM:SS±HH:MM).",
        "invalid_awareness": "Précisez le fuseau horaire (par exemple 2026-03-01T09:30:00-04:00).",
        "format": "Date et heure attendues au format ISO 8601.",
    },
    "bool": {**_COMMON, "invalid": "Valeur vrai/faux attendue (true ou false)."},
    "list": {**_COMMON, "invalid": "Liste attendue."},
    "nested": {**_COMMON, "type": "Objet attendu."},
}


def _one_of(choices: list[str], what: str) -> validate.OneOf:
    return validate.OneOf(choices, error=f"{what} inconnu(e) : valeurs acceptées : {', '.join(choices)}.")


def _text(max_len: int, required: bool = False, **kw) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(
            min=1 if required else 0,
            max=max_len,
            error=f"Texte de {1 if required else 0} à {max_len} caractères attendu.",
        ),
        error_messages=_MSG["str"],
        **kw,
    )


def _count(**kw) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=0, error="Nombre positif ou nul attendu."),
        error_messages=_MSG["int"],
        **kw,
    )


def _id(**kw) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, error="Identifiant (nombre entier positif) attendu."),
        error_messages=_MSG["int"],
        **kw,
    )


def _positive(max_value: float, allow_zero: bool = True, **kw) -> fields.Decimal:
    return fields.Decimal(
        allow_nan=False,
        validate=validate.Range(
            min=0,
            max=max_value,
            min_inclusive=allow_zero,
            error=f"Nombre {'positif ou nul' if allow_zero else 'strictement positif'} et au plus {max_value} attendu.",
        ),
        error_messages=_MSG["dec"],
        allow_none=True,
        **kw,
    )


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "Champ inconnu.",
        "type": "Objet JSON attendu.",
    }


class CollectionIn(StrictSchema):
    donor = _id(required=True)
    collected_on = fields.Date(required=True, error_messages=_MSG["date"])
    site = _id(required=True)
    declared_count = _count(load_default=0)
    weight_kg = _positive(100000)
    notes = _text(4000, allow_none=True)


class SpecsIn(StrictSchema):
    cpu = _text(120, allow_none=True)
    ram_gb = _positive(4096)
    storage_summary = _text(120, allow_none=True)
    screen_in = _positive(120, allow_zero=False)
    os = _text(80, allow_none=True)


class MediumIn(StrictSchema):
    kind = fields.String(required=True, validate=_one_of(MediumKind.values(), "Type de support"), error_messages=_MSG["str"])
    manufacturer = _text(80, allow_none=True)
    model = _text(120, allow_none=True)
    serial_number = _text(100, allow_none=True)
    capacity_gb = _positive(1_000_000, allow_zero=False)


class DeviceIn(StrictSchema):
    collection = _id(required=True)
    category = fields.String(required=True, validate=_one_of(Category.values(), "Catégorie"), error_messages=_MSG["str"])
    brand = _text(80, required=True)
    model = _text(120, required=True)
    serial_number = _text(100, required=True)
    imei = fields.String(allow_none=True, error_messages=_MSG["str"])
    specs = fields.Nested(SpecsIn, load_default=dict, error_messages=_MSG["nested"])
    weight_kg = _positive(1000)
    location = _text(40, allow_none=True)
    storage = fields.List(
        fields.Nested(MediumIn, error_messages=_MSG["nested"]),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=16, error="16 supports au plus."),
        error_messages=_MSG["list"],
    )


class TransitionIn(StrictSchema):
    to = fields.String(required=True, error_messages=_MSG["str"])
    note = _text(2000, allow_none=True)
    location = _text(40, allow_none=True)
    version = fields.Integer(strict=True, allow_none=True, error_messages=_MSG["int"])


class ErasureIn(StrictSchema):
    medium_serial = _text(100, allow_none=True)
    level = fields.String(required=True, validate=_one_of(ErasureLevel.values(), "Niveau"), error_messages=_MSG["str"])
    technique = fields.String(required=True, validate=_one_of(ErasureTechnique.values(), "Technique"), error_messages=_MSG["str"])
    method = _text(80, allow_none=True)
    tool = _text(120, allow_none=True)
    tool_version = _text(40, allow_none=True)
    passes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=1000, error="Nombre de passes de 0 à 1000 attendu."), error_messages=_MSG["int"])
    verification_method = _text(120, allow_none=True)
    hpa_dco = _text(120, allow_none=True)
    bytes_erased = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, error="Nombre d'octets positif ou nul attendu."), error_messages=_MSG["int"])
    sanitised_by = _text(120, allow_none=True)
    sanitised_by_role = _text(80, allow_none=True)
    verified_by = _text(120, allow_none=True)
    verified_by_role = _text(80, allow_none=True)
    destination = fields.String(allow_none=True, validate=_one_of(Destination.values(), "Destination"), error_messages=_MSG["str"])
    started_at = fields.AwareDateTime(allow_none=True, error_messages=_MSG["datetime"])
    ended_at = fields.AwareDateTime(allow_none=True, error_messages=_MSG["datetime"])
    result = fields.String(required=True, validate=_one_of(ErasureResult.values(), "Résultat"), error_messages=_MSG["str"])
    verified = fields.Boolean(required=True, error_messages=_MSG["bool"])

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
    serial_number = _text(100, allow_none=True)
    device_name = _text(40, allow_none=True)
    model = _text(120, allow_none=True)
    manufacturer = _text(80, allow_none=True)
    capacity_gb = _positive(1_000_000, allow_zero=False)
    size_bytes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, error="Taille en octets positive attendue."), error_messages=_MSG["int"])
    bus = _text(20, allow_none=True)
    asset_tag = _text(20, allow_none=True)


class GradingIn(StrictSchema):
    """A quality control: every checklist item's value and the cosmetic state. ``grade`` may
    only lower the computed grade (with a note); a grade without a checklist is refused."""

    checklist = fields.Dict(keys=fields.String(), required=True,
                            error_messages={**_COMMON, "invalid": "Objet attendu : {clé de l'élément : valeur}."})
    cosmetic = fields.String(required=True, validate=_one_of(Grade.values(), "État esthétique"), error_messages=_MSG["str"])
    grade = fields.String(allow_none=True, validate=_one_of(Grade.values(), "Note"), error_messages=_MSG["str"])
    note = _text(2000, allow_none=True)


class ScanIn(StrictSchema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Code de 1 à 200 caractères attendu."),
        error_messages=_MSG["str"],
    )
    station = fields.String(
        allow_none=True, validate=_one_of(Station.values(), "Poste"), error_messages=_MSG["str"]
    )


class LooseQuery(Schema):
    class Meta:
        unknown = EXCLUDE


def load(schema: Schema, data) -> dict:
    """Validate ``data`` with ``schema``; raise ``ValidationFailed`` with French messages."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(_flatten(exc.messages), message=_summary(exc.messages)) from None


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        flat[prefix or "_schema"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = [str(m) for m in value]
    return flat


def _label(path: str) -> str:
    last = [p for p in path.split(".") if not p.isdigit()]
    label = FIELD_LABELS.get(last[-1], last[-1]) if last else path
    return f"{label} ({path})" if path != "_schema" else "données"


def _summary(messages) -> str:
    parts = [f"{_label(path)} : {' '.join(msgs)}" for path, msgs in _flatten(messages).items()]
    return "Données refusées. " + " ; ".join(parts)


def state_value(raw: str) -> State:
    """The ``State`` named by ``raw``, or ValidationFailed listing the known states."""
    try:
        return State(raw)
    except ValueError:
        raise ValidationFailed(
            {"to": [f"État inconnu « {raw} » : états connus : {', '.join(State.values())}."]}
        ) from None

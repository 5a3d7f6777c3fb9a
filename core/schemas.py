"""What every domain's input schemas share: French error messages for each kind of field, the
field builders that use them, a schema base that refuses unknown fields, and ``load``, which
turns marshmallow's errors into a ``ValidationFailed`` whose summary names each field in French.

Each domain gives its schemas their French field names through ``field_labels`` (a class
attribute of its input base), so that a message says « date de collecte (collected_on) : … ».
"""
from __future__ import annotations

from typing import ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core.errors import ValidationFailed

COMMON_MESSAGES = {
    "required": "Champ obligatoire.",
    "null": "Ce champ ne peut pas être vide.",
}
MESSAGES = {
    "str": {**COMMON_MESSAGES, "invalid": "Texte attendu."},
    "int": {**COMMON_MESSAGES, "invalid": "Nombre entier attendu.", "too_large": "Nombre trop grand."},
    "dec": {
        **COMMON_MESSAGES,
        "invalid": "Nombre attendu (par exemple 2.5).",
        "special": "Nombre attendu (par exemple 2.5).",
    },
    "date": {**COMMON_MESSAGES, "invalid": "Date attendue au format AAAA-MM-JJ.", "format": "Date attendue au format AAAA-MM-JJ."},
    "datetime": {
        **COMMON_MESSAGES,
        "invalid": "Date et heure attendues au format ISO 8601 (AAAA-MM-JJTHH:MM:SS±HH:MM).",
        "invalid_awareness": "Précisez le fuseau horaire (par exemple 2026-03-01T09:30:00-04:00).",
        "format": "Date et heure attendues au format ISO 8601.",
    },
    "bool": {**COMMON_MESSAGES, "invalid": "Valeur vrai/faux attendue (true ou false)."},
    "list": {**COMMON_MESSAGES, "invalid": "Liste attendue."},
    "nested": {**COMMON_MESSAGES, "type": "Objet attendu."},
}


def one_of(choices: list[str], what: str) -> validate.OneOf:
    return validate.OneOf(choices, error=f"{what} inconnu(e) : valeurs acceptées : {', '.join(choices)}.")


def text(max_len: int, required: bool = False, **kw) -> fields.String:
    """A string of at most ``max_len`` characters (at least one when required)."""
    return fields.String(
        required=required,
        validate=validate.Length(
            min=1 if required else 0,
            max=max_len,
            error=f"Texte de {1 if required else 0} à {max_len} caractères attendu.",
        ),
        error_messages=MESSAGES["str"],
        **kw,
    )


class StrictSchema(Schema):
    """An input schema that refuses unknown fields. ``field_labels`` maps a field name to the
    French name used in the summary of a refusal."""

    field_labels: ClassVar[dict[str, str]] = {}

    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "Champ inconnu.",
        "type": "Objet JSON attendu.",
    }


def load(schema: Schema, data) -> dict:
    """Validate ``data`` with ``schema``; raise ``ValidationFailed`` with French messages."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        labels = getattr(schema, "field_labels", {})
        raise ValidationFailed(flatten(exc.messages), message=summary(exc.messages, labels)) from None


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"members.0.age": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        flat[prefix or "_schema"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = [str(m) for m in value]
    return flat


def field_label(path: str, labels: dict[str, str]) -> str:
    """« nom français (path) »: the label of the path's last named part."""
    last = [p for p in path.split(".") if not p.isdigit()]
    label = labels.get(last[-1], last[-1]) if last else path
    return f"{label} ({path})" if path != "_schema" else "données"


def summary(messages, labels: dict[str, str]) -> str:
    parts = [f"{field_label(path, labels)} : {' '.join(msgs)}" for path, msgs in flatten(messages).items()]
    return "Données refusées. " + " ; ".join(parts)

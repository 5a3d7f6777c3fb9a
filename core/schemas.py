"""What every domain's input schemas share: French error messages for each kind of field, the
field builders that use them, a schema base that refuses unknown fields, and ``load``, which
turns marshmallow's errors into a ``ValidationFailed`` whose summary names each field in French.

Each domain gives its schemas their French field names through ``field_labels`` (a class
attribute of its input base), so that a message says « date de collecte (collected_on) : … ».
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core.errors import ValidationFailed

# What the databases hold, the same on both engines: ids are PostgreSQL INTEGER (SQLite would take
# more, and answer differently); dates stay where every conversion (Martinique time, UTC, the next
# day) is a valid date.
MAX_ID = 2_147_483_647
MAX_INT = 2_147_483_647
MAX_BIGINT = 9_223_372_036_854_775_807
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)
FORBIDDEN_TEXT = "Texte sans caractère nul (\\u0000) ni caractère Unicode isolé (\\ud800…\\udfff) attendu."
ID_EXPECTED = f"Identifiant (nombre entier de 1 à {MAX_ID}) attendu."
DAY_RANGE = "Date entre le 01/01/1900 et le 31/12/2100 attendue."
MOMENT_RANGE = "Date et heure entre le 01/01/1900 et le 31/12/2100 attendues."


def forbidden_text(value) -> bool:
    """A NUL character (refused by PostgreSQL) or a lone surrogate (not Unicode text: no database
    can store it) in ``value``."""
    if not isinstance(value, str):
        return False
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_id(value) -> int | None:
    """``value`` (a path segment, a form or query value, a number) as a row id, or None when it
    is not a whole number from 1 to ``MAX_ID`` written in ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    text_value = str(value).strip() if value is not None else ""
    if not text_value.isascii() or not text_value.isdigit() or len(text_value) > 10:
        return None
    number = int(text_value)
    return number if 1 <= number <= MAX_ID else None

COMMON_MESSAGES = {
    "required": "Champ obligatoire.",
    "null": "Ce champ ne peut pas être vide.",
}
MESSAGES = {
    "str": {**COMMON_MESSAGES, "invalid": "Texte attendu.", "forbidden": FORBIDDEN_TEXT},
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


class Text(fields.String):
    """A string that a database can store: no NUL character, no lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        if forbidden_text(loaded):
            raise self.make_error("forbidden")
        return loaded


def string(**kw) -> Text:
    """A ``Text`` field with the French messages (for choices and free codes alike)."""
    kw.setdefault("error_messages", MESSAGES["str"])
    return Text(**kw)


def text(max_len: int, required: bool = False, **kw) -> fields.String:
    """A string of at most ``max_len`` characters (at least one when required)."""
    return Text(
        required=required,
        validate=validate.Length(
            min=1 if required else 0,
            max=max_len,
            error=f"Texte de {1 if required else 0} à {max_len} caractères attendu.",
        ),
        error_messages=MESSAGES["str"],
        **kw,
    )


def integer(minimum: int, maximum: int, message: str | None = None, **kw) -> fields.Integer:
    """A whole number (a JSON number, never a string) from ``minimum`` to ``maximum``."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=minimum, max=maximum,
                                error=message or f"Nombre entier de {minimum} à {maximum} attendu."),
        error_messages=MESSAGES["int"],
        **kw,
    )


def row_id(**kw) -> fields.Integer:
    """The id of a row: a whole number from 1 to ``MAX_ID``."""
    return integer(1, MAX_ID, ID_EXPECTED, **kw)


class BoundedDecimal(fields.Decimal):
    """A decimal number from ``minimum`` to ``maximum`` (what its ``Numeric`` column holds, or
    less), rounded to ``places`` decimals once known to fit. The bounds are checked before any
    rounding (a huge number is "too large", not "invalid") and shown as numbers in OpenAPI."""

    def __init__(self, minimum: Decimal | int, maximum: Decimal | int, *, places: int, message: str,
                 minimum_inclusive: bool = True, **kw) -> None:
        self.minimum, self.maximum = Decimal(minimum), Decimal(maximum)
        self.minimum_inclusive, self.range_message, self.scale = minimum_inclusive, message, places
        kw.setdefault("error_messages", MESSAGES["dec"])
        metadata = {**kw.pop("metadata", {}), "minimum": float(minimum), "maximum": float(maximum)}
        if not minimum_inclusive:
            metadata["exclusiveMinimum"] = True
        super().__init__(allow_nan=False, metadata=metadata, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        low_ok = number >= self.minimum if self.minimum_inclusive else number > self.minimum
        if not low_ok or number > self.maximum:
            raise ValidationError(self.range_message)
        try:
            return number.quantize(Decimal(1).scaleb(-self.scale))
        except InvalidOperation:   # pragma: no cover - bounded above, so it fits
            raise ValidationError(self.range_message) from None


def day(**kw) -> fields.Date:
    """A date (AAAA-MM-JJ) from 1900 to 2100."""
    return fields.Date(validate=validate.Range(min=EARLIEST_DAY, max=LATEST_DAY, error=DAY_RANGE),
                       error_messages=MESSAGES["date"], **kw)


class BoundedAwareDateTime(fields.AwareDateTime):
    """An ISO 8601 date and time with its offset, from 1900 to 2100 (as aware UTC)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DAY.year <= moment.year <= LATEST_DAY.year:
            raise ValidationError(MOMENT_RANGE)
        return moment.astimezone(timezone.utc)


def moment_in_range(moment: datetime) -> bool:
    return EARLIEST_DAY.year <= moment.year <= LATEST_DAY.year


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

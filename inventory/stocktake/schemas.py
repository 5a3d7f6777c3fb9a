"""The stocktake API's input schemas: strict, with French messages and field names."""
from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import MESSAGES, StrictSchema, integer, string, text
from inventory.services.stocktake_count import MAX_QUANTITY
from inventory.services.stocktakes import MAX_LOCATIONS, NOTE_CHARS

FIELD_LABELS = {
    "site": "Site", "locations": "Emplacements", "blind": "Comptage à l'aveugle", "note": "Note",
    "code": "Code", "quantity": "Quantité", "reason": "Motif",
}


class StocktakeInput(StrictSchema):
    field_labels = FIELD_LABELS


class SiteField(fields.Field):
    """A site by its code (« LAM ») or its number."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.make_error("invalid")
        if isinstance(value, str) and (not value.strip() or len(value) > 120):
            raise self.make_error("invalid")
        return value

    default_error_messages = {"invalid": "Code du site (par exemple LAM) ou son numéro attendu.",
                              "required": "Champ obligatoire.", "null": "Valeur obligatoire."}


class StocktakeIn(StocktakeInput):
    site = SiteField(required=True)
    locations = fields.List(string(validate=validate.Length(min=1, max=40, error="Code LOC-… attendu.")),
                            load_default=None, allow_none=True,
                            validate=validate.Length(max=MAX_LOCATIONS,
                                                     error=f"{MAX_LOCATIONS} emplacements au plus."),
                            error_messages={"invalid": "Liste de codes LOC-… attendue."})
    blind = fields.Boolean(load_default=False, truthy={True}, falsy={False},
                           error_messages=MESSAGES["bool"])
    note = text(NOTE_CHARS, load_default=None, allow_none=True)


class CountIn(StocktakeInput):
    code = string(required=True, validate=validate.Length(min=1, max=200, error="Code de 1 à 200 caractères attendu."))
    quantity = integer(0, MAX_QUANTITY, load_default=None, allow_none=True)


class CancelIn(StocktakeInput):
    reason = text(NOTE_CHARS, required=True)

"""The mobile units API's input schemas: strict (an unknown field is refused), with French messages
and field names. Only the shape is checked here; what a name or a reason must be is the service's
rule (``distribution.services.mobile_units``), the same for the page and the API."""
from __future__ import annotations

from core.schemas import StrictSchema, string

FIELD_LABELS = {"name": "nom de l'unité", "reason": "motif du retrait"}


class UnitInput(StrictSchema):
    field_labels = FIELD_LABELS


class MobileUnitIn(UnitInput):
    name = string(required=True, metadata={"description": "Nom de l'unité (100 caractères au plus), par exemple "
                                                          "« Camion Nord »", "maxLength": 100})


class RetireUnitIn(UnitInput):
    reason = string(required=True, metadata={"description": "Motif du retrait (2000 caractères au plus)",
                                             "maxLength": 2000})

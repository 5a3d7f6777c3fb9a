"""Mobile units (issue 20): ``/api/v1/mobile-units`` — list them, create one, retire one. Admin
only (resource « MobileUnits »); the rules are in ``distribution.services.mobile_units``."""
from __future__ import annotations

from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import ID, JsonApi, domain_endpoint
from app.extensions import db
from core.schemas import load
from distribution.services.mobile_units import create_unit, retire_unit, unit_overview, units_overview
from distribution.tour.unit_schemas import MobileUnitIn, RetireUnitIn
from distribution.tour.units import unit_json

_UNIT_IN, _RETIRE_IN = MobileUnitIn(), RetireUnitIn()


class MobileUnitApi(JsonApi):
    resource_name = "mobile-units"
    class_permission_name = "MobileUnits"
    openapi_spec_tag = "Unités mobiles"
    openapi_spec_component_schemas = (MobileUnitIn, RetireUnitIn)

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list(self):
        """The mobile units.
        ---
        get:
          summary: Unités mobiles, les actives d'abord, chacune avec sa série de factures
          description: >
            Pour chaque unité : son état (active, en tournée, retirée), le dernier numéro de facture
            et le nombre de factures de chaque année, la tournée qui l'a sortie, et pour une unité
            retirée quand, par qui, pourquoi et sa série close.
          responses:
            200: {description: "{result: [unité…], count}"}
            401: {description: authentification requise}
            403: {description: réservé à l'administrateur}
        """
        units = units_overview(db.session)
        return self.response(200, result=[unit_json(u) for u in units], count=len(units))

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def create(self):
        """Create a mobile unit.
        ---
        post:
          summary: Ajouter une unité mobile (code M1, M2… jamais réutilisé)
          description: >
            L'unité reçoit le code suivant (M1, M2…), jamais donné à une autre, même retirée :
            elle numérote ses factures dans sa propre série F-Mn-AAAA-NNNNN.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/MobileUnitIn'}
          responses:
            201: {description: "{result: unité}"}
            400: {description: corps JSON absent ou mal formé}
            401: {description: authentification requise}
            403: {description: réservé à l'administrateur}
            409: {description: "plus aucun code libre, ou création simultanée"}
            422: {description: "nom absent, trop long, ou déjà celui d'une unité active"}
        """
        data = load(_UNIT_IN, self.json_body())
        unit = create_unit(db.session, self.actor(), name=data["name"])
        return self.response(201, result=unit_json(unit_overview(db.session, unit.id)))

    @expose(f"/<{ID}:unit_id>/retire", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def retire(self, unit_id: int):
        """Retire a mobile unit.
        ---
        post:
          summary: Retirer une unité mobile (définitif)
          description: >
            L'unité ne part plus en tournée et son code n'est jamais redonné ; elle garde le dernier
            numéro de facture de chaque année (closed_series, par exemple 12 pour 2026). Refusé tant
            qu'une tournée l'a sortie.
          parameters:
            - {in: path, name: unit_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/RetireUnitIn'}
          responses:
            200: {description: "{result: unité}"}
            400: {description: corps JSON absent ou mal formé}
            401: {description: authentification requise}
            403: {description: réservé à l'administrateur}
            404: {description: unité inconnue}
            409: {description: "unité déjà retirée, ou sortie avec une tournée"}
            422: {description: motif absent ou trop long}
        """
        data = load(_RETIRE_IN, self.json_body())
        unit = retire_unit(db.session, self.actor(), unit_id, reason=data["reason"])
        return self.response(200, result=unit_json(unit_overview(db.session, unit.id)))

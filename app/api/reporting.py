"""Programme indicators as JSON, scoped by role: Admin everything, Agent EPCI their EPCI,
Partenaire their own organisation's donations."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import JsonApi, domain_endpoint
from app.extensions import db
from core.actor import actor_of
from reporting.filters import scoped
from reporting.indicators import indicators
from reporting.queries import filters_from_args


class IndicatorApi(JsonApi):
    resource_name = "indicators"
    class_permission_name = "Indicators"
    openapi_spec_tag = "Indicateurs"
    base_permissions = ["can_read"]

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self):
        """The programme's indicators for a period.
        ---
        get:
          summary: Indicateurs du programme sur une période (comptes d'événements de la période)
          parameters:
            - {in: query, name: from, schema: {type: string, format: date}}
            - {in: query, name: to, schema: {type: string, format: date}}
            - {in: query, name: epci, schema: {type: string}, description: "CACEM, CAP Nord ou Espace Sud"}
            - {in: query, name: donor, schema: {type: integer}, description: organisation donatrice}
            - {in: query, name: category, schema: {type: string}}
          responses:
            200: {description: les indicateurs}
            403: {description: autre EPCI ou autre donateur que le vôtre}
            422: {description: paramètre invalide}
        """
        actor = actor_of(self.current_user())
        filters = scoped(filters_from_args(db.session, request.args), actor)
        return self.answer(200, indicators(db.session, filters))

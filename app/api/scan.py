"""``POST /api/v1/scan``: the scan station's hot path (a plain endpoint calling one service)."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import JsonApi, domain_endpoint
from app.extensions import db
from inventory.representations import scan_outcome_json
from core.schemas import load
from inventory.schemas import ScanIn
from inventory.services.scan import ScanSettings, scan

RECENT_EVENTS = 5
# Built once: a schema's construction costs more than the load of a scan's two fields.
_SCAN_IN = ScanIn()


def scan_settings() -> ScanSettings:
    config = current_app.config
    return ScanSettings(
        repeat_window=timedelta(seconds=config["SCAN_REPEAT_WINDOW_SECONDS"]),
        putaway_idle=timedelta(minutes=config["SCAN_PUTAWAY_IDLE_MINUTES"]),
        strip_prefixes=tuple(config.get("SCAN_STRIP_PREFIXES", ())),
        strip_suffixes=tuple(config.get("SCAN_STRIP_SUFFIXES", ())),
    )


class ScanApi(JsonApi):
    resource_name = "scan"
    class_permission_name = "Scan"
    openapi_spec_tag = "Poste de scan"
    openapi_spec_component_schemas = (ScanIn,)

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Handle one scan.
        ---
        post:
          summary: Scanner un code (appareil, emplacement LOC-… ou collecte COL-…)
          description: >
            Avec un poste (wiping, repair, grading, stock), applique la transition du poste
            quand le cycle de vie l'autorise. Après un emplacement, chaque appareil scanné y
            est rangé quel que soit le poste ; la transition du poste l'accompagne là où le
            cycle de vie l'autorise, et le message dit l'état gardé sinon. Une relecture du
            même code en moins de 2 s est ignorée.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ScanIn'}
          responses:
            200: {description: "{kind, <objet>, allowed, applied, message, level, repeat}"}
            404: {description: code inconnu}
            409: {description: modification concurrente du même appareil}
            422: {description: code vide ou poste inconnu}
        """
        data = load(_SCAN_IN, self.json_body())
        outcome = scan(db.session, data["code"], user_id=self.current_user_id(),
                       station=data.get("station"), settings=scan_settings(), recent_events=RECENT_EVENTS)
        return self.answer(200, scan_outcome_json(outcome))

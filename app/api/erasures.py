"""Wiping reports: ``POST /api/v1/erasures/import`` and the review queue."""
from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import ID, BadBody, JsonApi, domain_endpoint
from app.extensions import db
from app.station_tokens import allow_station_token, current_station
from core.errors import ValidationFailed
from core.uploads import REPORT_LIMITS, limits_from_config
from core.schemas import MAX_ID, parse_id
from inventory.representations import erasure_import_json, imported_drive_json
from inventory.services.erasure_import import (
    assign_imported_drive,
    dismiss_imported_drive,
    import_erasure_report,
    review_queue,
)


class ErasureApi(JsonApi):
    resource_name = "erasures"
    class_permission_name = "Erasures"
    openapi_spec_tag = "Effacements"

    @expose("/import", methods=["POST"])
    @allow_station_token
    @permission_name("write")
    @domain_endpoint
    def import_report(self):
        """Import a wiping report.
        ---
        post:
          summary: Importer un rapport d'effacement (journal nwipe/ShredOS, ou rapport JSON/CSV générique)
          description: >
            Chaque disque est rapproché d'un support par son numéro de série. Un disque sans
            support, avec plusieurs, ou en contradiction avec le rapport attend dans la file de
            revue. Un même fichier importé deux fois n'écrit rien la seconde fois.
            Accepte aussi un jeton de poste (Authorization: Bearer rkst_…), enregistré comme
            opérateur le nom du jeton, rôle « Jeton de poste ».
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    collection: {type: integer, description: "collecte attendue (facultatif)"}
          responses:
            201: {description: "{result: {matched, queued, duplicates, drives: [...]}}"}
            200: {description: rapport déjà importé (tous les disques comptés en doublons)}
            400: {description: pas de fichier}
            413: {description: "corps de requête au-delà de MAX_CONTENT_LENGTH (2 Mio)"}
            422: {description: "rapport illisible, tronqué, invalide ou hors limites (disques, lignes, imbrication) : rien n'est importé"}
        """
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadBody("Fichier attendu dans le champ « file » (multipart/form-data).")
        collection = request.form.get("collection") or None
        if collection is not None and parse_id(collection) is None:
            raise ValidationFailed({"collection": [f"Identifiant de collecte (nombre entier de 1 à {MAX_ID}) attendu."]})
        # A station token acts as its station, recorded by name (no user id): app.station_tokens.
        station = current_station()
        if station is not None:
            user_id, operator, role = None, station.operator_name, station.operator_role
        else:
            user_id, operator, role = self.current_user_id(), self.current_user_name(), self.current_user_role()
        outcome = import_erasure_report(
            db.session, upload.read(), filename=upload.filename, user_id=user_id,
            operator_name=operator, operator_role=role,
            collection_id=parse_id(collection) if collection else None,
            limits=limits_from_config(current_app.config, REPORT_LIMITS, "ERASURE_REPORT"),
        )
        return self.response(200 if outcome.duplicates else 201, result=erasure_import_json(outcome))

    @expose("/queue", methods=["GET"])
    @protect()
    @permission_name("read")
    def queue(self):
        """Drives waiting for review.
        ---
        get:
          summary: File de revue des disques importés sans support certain
          responses:
            200: {description: "{result: [...], count: n}"}
        """
        rows = [imported_drive_json(d) for d in review_queue(db.session)]
        return self.response(200, result=rows, count=len(rows))

    @expose(f"/queue/<{ID}:drive_id>/assign", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def assign(self, drive_id: int):
        """Assign a queued drive to a medium.
        ---
        post:
          summary: Rattacher un disque de la file à un support d'un appareil
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    asset_tag: {type: string}
                    medium: {type: integer}
                    note: {type: string}
          parameters:
            - {in: path, name: drive_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: le disque rattaché}
            404: {description: disque ou appareil inconnu}
            409: {description: "disque déjà traité, ou appareil sorti de l'atelier"}
            422: {description: support d'un autre appareil ou d'un autre numéro de série}
        """
        body = self.json_body()
        tag, medium = body.get("asset_tag"), body.get("medium")
        errors = {}
        if not isinstance(tag, str) or not tag.strip():
            errors["asset_tag"] = ["Numéro d'inventaire de l'appareil attendu."]
        if parse_id(medium) is None or not isinstance(medium, int):
            errors["medium"] = [f"Identifiant du support (nombre entier de 1 à {MAX_ID}) attendu."]
        note = body.get("note")
        if note is not None and not isinstance(note, str):
            errors["note"] = ["Texte attendu."]
        if errors:
            raise ValidationFailed(errors)
        drive = assign_imported_drive(db.session, drive_id, asset_tag=tag, medium_id=medium,
                                      user_id=self.current_user_id(), operator_name=self.current_user_name(),
                                      operator_role=self.current_user_role(), note=note)
        return self.response(200, result={"id": drive.id, "status": drive.status, "erasure": drive.erasure_id})

    @expose(f"/queue/<{ID}:drive_id>/dismiss", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def dismiss(self, drive_id: int):
        """Dismiss a queued drive, with the reason.
        ---
        post:
          summary: Écarter un disque de la file (avec la raison)
          parameters:
            - {in: path, name: drive_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: le disque écarté}
            409: {description: disque déjà traité}
            422: {description: raison manquante}
        """
        body = self.json_body()
        note = body.get("note")
        if note is not None and not isinstance(note, str):
            raise ValidationFailed({"note": ["Raison (texte) attendue."]})
        drive = dismiss_imported_drive(db.session, drive_id, note=note or "",
                                       user_id=self.current_user_id())
        return self.response(200, result={"id": drive.id, "status": drive.status})

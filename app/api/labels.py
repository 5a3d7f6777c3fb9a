"""``/api/v1/labels``: labels as PDF or ZPL, or sent to a station's printer."""
from __future__ import annotations

from flask import Response, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import JsonApi, domain_endpoint
from app.extensions import db
from app.label_printing import print_labels, render_labels
from core.errors import ValidationFailed
from labels.errors import LabelError


def _start() -> int:
    raw = request.args.get("start", "1")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        raise ValidationFailed({"start": ["Position de départ (nombre entier à partir de 1) attendue."]})
    return int(raw)


class LabelApi(JsonApi):
    resource_name = "labels"
    class_permission_name = "Labels"
    openapi_spec_tag = "Étiquettes"

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self):
        """Labels as PDF or ZPL.
        ---
        get:
          summary: Étiquettes en PDF (ou en ZPL avec output=zpl)
          parameters:
          - {in: query, name: kind, schema: {type: string, enum: [device, location, collection, spare_part]}}
          - {in: query, name: tags, schema: {type: string}, description: "numéros d'inventaire séparés par des virgules (kind=device)"}
          - {in: query, name: codes, schema: {type: string}, description: "codes LOC-…, COL-… ou SP-… séparés par des virgules"}
          - {in: query, name: format, schema: {type: string}, description: "roll-62x29, avery-l7160…"}
          - {in: query, name: start, schema: {type: integer}, description: "position de départ sur la planche"}
          - {in: query, name: output, schema: {type: string, enum: [pdf, zpl]}}
          - {in: query, name: dpi, schema: {type: integer, enum: [203, 300]}}
          - {in: query, name: station, schema: {type: string}, description: "poste d'impression (calage, format par défaut)"}
          responses:
            200: {description: le PDF ou le texte ZPL}
            404: {description: code inconnu}
            422: {description: "format inconnu, position hors de la planche, sélection vide…"}
        """
        args = request.args
        kind = args.get("kind", "device")
        codes = args.get("tags") if kind == "device" else args.get("codes")
        dpi = args.get("dpi")
        if dpi is not None and dpi not in ("203", "300"):
            raise ValidationFailed({"dpi": ["Résolution de 203 ou 300 dpi attendue."]})
        rendered = render_labels(db.session, kind=kind, codes=codes or args.get("codes") or "", format_id=args.get("format"),
                                 start=_start(), output=args.get("output", "pdf"), station=args.get("station"),
                                 dpi=int(dpi) if dpi else None)
        return Response(rendered.content, mimetype=rendered.mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'})

    @expose("/print", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def print_(self):
        """Send labels to a station's network printer.
        ---
        post:
          summary: Envoyer des étiquettes à l'imprimante réseau d'un poste (ZPL, TCP 9100)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    kind: {type: string}
                    codes: {type: string}
                    station: {type: string}
                    format: {type: string}
          responses:
            200: {description: "{result: {sent: n}}"}
            422: {description: données refusées}
            502: {description: imprimante injoignable (délai de 5 s)}
        """
        body = self.json_body()
        errors = {key: ["Texte attendu."] for key in ("kind", "codes", "station", "format")
                  if body.get(key) is not None and not isinstance(body[key], str)}
        if errors:
            raise ValidationFailed(errors)
        try:
            sent = print_labels(db.session, kind=str(body.get("kind", "device")), codes=body.get("codes") or "",
                                station=str(body.get("station") or ""), format_id=body.get("format"))
        except LabelError as exc:
            return self.response(502, message=exc.message)
        return self.response(200, result={"sent": sent})

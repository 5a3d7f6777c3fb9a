"""Stocktakes (inventaires), issue 19: ``/api/v1/stocktakes`` — open one, count at the scan
station in « Inventaire » mode, close or reopen a location, read the result, apply it, cancel."""
from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import ID, JsonApi, domain_endpoint
from app.extensions import db
from core.errors import ValidationFailed
from core.schemas import load
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktake_count import count
from inventory.services.stocktakes import (
    cancel_stocktake,
    close_location,
    open_stocktake,
    reopen_location,
    stocktake_by_id,
)
from inventory.stocktake.representations import apply_report_json, count_answer_json, counted_location_json, stocktake_json
from inventory.stocktake.rules import StocktakeStatus
from inventory.stocktake.schemas import CancelIn, CountIn, StocktakeIn
from reporting.stocktakes import result_json, stocktake_page, stocktake_result

_STOCKTAKE_IN, _COUNT_IN, _CANCEL_IN = StocktakeIn(), CountIn(), CancelIn()
LOCATION = "string(maxlength=40)"


class StocktakeApi(JsonApi):
    resource_name = "stocktakes"
    class_permission_name = "Stocktakes"
    openapi_spec_tag = "Inventaires"
    openapi_spec_component_schemas = (StocktakeIn, CountIn, CancelIn)

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list(self):
        """The stocktakes, newest first.
        ---
        get:
          summary: Inventaires, du plus récent au plus ancien (50 par page)
          parameters:
            - {in: query, name: status, schema: {type: string, enum: [open, applied, cancelled]}}
            - {in: query, name: page, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: "{result: [...], count, page, pages}"}
            422: {description: statut ou page invalide}
        """
        status = request.args.get("status") or None
        if status and status not in StocktakeStatus.values():
            raise ValidationFailed({"status": [
                f"Statut inconnu : valeurs acceptées : {', '.join(StocktakeStatus.values())}."]})
        number = request.args.get("page") or "1"
        if not (number.isascii() and number.isdecimal() and len(number) <= 9):
            raise ValidationFailed({"page": ["Numéro de page : nombre entier attendu."]})
        page = stocktake_page(db.session, status=status, number=int(number))
        return self.response(200, result=[stocktake_json(s, with_locations=False) for s in page.rows],
                             count=page.count, page=page.number, pages=page.pages)

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def open(self):
        """Open a stocktake.
        ---
        post:
          summary: Ouvrir un inventaire d'un site, ou de certains de ses emplacements
          description: >
            Fige ce que les fiches attendent dans chaque emplacement à cet instant : les appareils
            encore à l'atelier (en stock, réservés, en réparation…) et les pièces détachées avec leur
            quantité. Un emplacement n'est que dans un inventaire en cours à la fois.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/StocktakeIn'}
          responses:
            201: {description: "{result: inventaire, avec ses emplacements}"}
            409: {description: un emplacement est déjà dans un inventaire en cours}
            422: {description: "site, emplacements, note ou comptage à l'aveugle invalides"}
        """
        data = load(_STOCKTAKE_IN, self.json_body())
        stocktake = open_stocktake(db.session, site=data["site"], locations=data["locations"], blind=data["blind"],
                                   note=data["note"], user_id=self.current_user_id())
        return self.response(201, result=stocktake_json(stocktake))

    @expose("/scan", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def scan(self):
        """Count one scanned code.
        ---
        post:
          summary: Compter un code scanné (mode « Inventaire » du poste de scan)
          description: >
            Un code LOC-… ouvre le comptage de cet emplacement (et clôt celui compté avant) ; scanné
            à nouveau, il le clôt. Tout autre code est compté dans l'emplacement en cours : trouvé ici,
            trouvé ici mais enregistré ailleurs, code inconnu, déjà compté (jamais compté deux fois),
            ou appareil qui ne devrait pas être en rayon. Après une pièce SP-…, « quantity » remplace
            la quantité comptée. Une relecture du même code en moins de 2 s est ignorée.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CountIn'}
          responses:
            200: {description: "{outcome, level, message, stocktake, location, counted_here, expected_here, closed, part_quantity, asks_quantity}"}
            404: {description: emplacement inconnu ou dans aucun inventaire en cours}
            422: {description: "code vide, quantité invalide, aucun emplacement en cours de comptage"}
        """
        data = load(_COUNT_IN, self.json_body())
        config = current_app.config
        answer = count(db.session, data["code"], user_id=self.current_user_id(), quantity=data["quantity"],
                       strip_prefixes=tuple(config.get("SCAN_STRIP_PREFIXES", ())),
                       strip_suffixes=tuple(config.get("SCAN_STRIP_SUFFIXES", ())))
        return self.answer(200, count_answer_json(answer))

    @expose(f"/<{ID}:stocktake_id>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, stocktake_id: int):
        """One stocktake.
        ---
        get:
          summary: Un inventaire et l'état de ses emplacements
          parameters:
            - {in: path, name: stocktake_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: "{result: inventaire}"}
            404: {description: inventaire inconnu}
        """
        return self.response(200, result=stocktake_json(stocktake_by_id(db.session, stocktake_id)))

    @expose(f"/<{ID}:stocktake_id>/result", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def result(self, stocktake_id: int):
        """The result.
        ---
        get:
          summary: Résultat d'un inventaire, par emplacement et au total
          description: >
            Attendus, trouvés, entrés (trouvés ici, enregistrés ailleurs), sortis, inattendus,
            manquants et exactitude (trouvés à leur place ÷ attendus) ; les appareils et pièces
            derrière chaque chiffre ; la valeur de référence des appareils manquants (grille en
            vigueur à l'ouverture). En comptage à l'aveugle, attendus et manquants restent nuls tant
            que l'emplacement n'est pas clos.
          parameters:
            - {in: path, name: stocktake_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: "{result: {locations, total, moved_in, missing, not_on_shelf, unknown, parts, missing_value, adjustments…}}"}
            404: {description: inventaire inconnu}
        """
        return self.response(200, result=result_json(stocktake_result(db.session, stocktake_id)))

    @expose(f"/<{ID}:stocktake_id>/locations/<{LOCATION}:code>/close", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def close(self, stocktake_id: int, code: str):
        """Close a location.
        ---
        post:
          summary: Clore le comptage d'un emplacement (ce qui n'y a pas été compté y manque)
          parameters:
            - {in: path, name: stocktake_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
            - {in: path, name: code, required: true, schema: {type: string, maxLength: 40}}
          responses:
            200: {description: "{result: emplacement}"}
            404: {description: inventaire ou emplacement inconnu}
            409: {description: inventaire appliqué ou annulé}
        """
        place = close_location(db.session, stocktake_id, code, user_id=self.current_user_id())
        return self.response(200, result=counted_location_json(place))

    @expose(f"/<{ID}:stocktake_id>/locations/<{LOCATION}:code>/reopen", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def reopen(self, stocktake_id: int, code: str):
        """Reopen a location.
        ---
        post:
          summary: Rouvrir un emplacement clos pour le recompter (ce qui a été compté reste)
          parameters:
            - {in: path, name: stocktake_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
            - {in: path, name: code, required: true, schema: {type: string, maxLength: 40}}
          responses:
            200: {description: "{result: emplacement}"}
            404: {description: inventaire ou emplacement inconnu}
            409: {description: inventaire appliqué ou annulé}
        """
        place = reopen_location(db.session, stocktake_id, code, user_id=self.current_user_id())
        return self.response(200, result=counted_location_json(place))

    @expose(f"/<{ID}:stocktake_id>/apply", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def apply(self, stocktake_id: int):
        """Apply the result.
        ---
        post:
          summary: Appliquer le résultat (une seule fois)
          description: >
            Un événement de déplacement pour chaque appareil trouvé ailleurs, les quantités de pièces
            corrigées, chaque appareil manquant marqué manquant (hors rapprochement et réservation
            jusqu'à ce qu'un scan le retrouve). Un appareil modifié depuis son comptage, ou vu depuis
            l'ouverture, est un conflit laissé tel quel. Appliquer à nouveau ne change rien.
          parameters:
            - {in: path, name: stocktake_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: "{result: {moves, missing, parts, found_again, conflicts, already_applied}, message}"}
            404: {description: inventaire inconnu}
            409: {description: "emplacements pas encore clos, ou inventaire annulé"}
        """
        report = apply_stocktake(db.session, stocktake_id, user_id=self.current_user_id())
        if report.already_applied:
            message = f"L'inventaire {report.reference} était déjà appliqué : rien n'a changé."
        else:
            message = (f"Inventaire {report.reference} appliqué : {report.moves} déplacement(s), "
                       f"{report.missing} manquant(s), {report.parts} correction(s) de pièces, "
                       f"{len(report.conflicts)} conflit(s).")
        return self.response(200, result=apply_report_json(report), message=message)

    @expose(f"/<{ID}:stocktake_id>/cancel", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def cancel(self, stocktake_id: int):
        """Cancel.
        ---
        post:
          summary: Annuler un inventaire en cours (rien n'est appliqué ; ses emplacements sont libérés)
          parameters:
            - {in: path, name: stocktake_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CancelIn'}
          responses:
            200: {description: "{result: inventaire}"}
            404: {description: inventaire inconnu}
            409: {description: inventaire déjà appliqué ou annulé}
            422: {description: motif manquant}
        """
        data = load(_CANCEL_IN, self.json_body())
        stocktake = cancel_stocktake(db.session, stocktake_id, reason=data["reason"], user_id=self.current_user_id())
        return self.response(200, result=stocktake_json(stocktake))

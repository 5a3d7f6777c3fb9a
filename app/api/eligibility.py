"""Eligibility API: the stateless check, households (row-scoped, reads audited), requests and
the agent's decision. Another EPCI's household answers 404, as if it did not exist."""
from __future__ import annotations

from flask import Response, current_app, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import ID, JsonApi, domain_endpoint
from app.extensions import db
from core.errors import ValidationFailed
from distribution.services.export import household_handover
from core.actor import actor_of
from eligibility.access import household_for, request_for, visible_households, visible_requests
from eligibility.export_pdf import render_household_export
from eligibility.models import Household
from eligibility.representations import household_json, request_json
from core.schemas import load
from eligibility.schemas import CheckIn, DecisionIn, HouseholdIn, RequestIn
from eligibility.services.export import export_household
from eligibility.services.households import check, create_household, read_household
from eligibility.services.requests import create_request, decide_request, queue
from eligibility.vocabulary import RequestStatus


SEARCH_MAX = 200     # a household search (q): longer than any reference or name


class EligibilityApi(JsonApi):
    resource_name = "eligibility"
    class_permission_name = "Eligibility check"
    openapi_spec_tag = "Éligibilité"
    openapi_spec_component_schemas = (CheckIn,)

    @expose("/check", methods=["POST"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def check(self):
        """Simulate the eligibility decision (nothing is stored).
        ---
        post:
          summary: Simuler la décision d'éligibilité d'un foyer (rien n'est enregistré)
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CheckIn'}
          responses:
            200: {description: "{eligible, tier, consumption_units, resources_per_uc, epci, rule_set, reasons}"}
            422: {description: "données invalides (message en français, par champ)"}
        """
        data = load(CheckIn(), self.json_body())
        return self.answer(200, check(db.session, data).as_dict())


class HouseholdApi(JsonApi):
    resource_name = "households"
    class_permission_name = "Households"
    openapi_spec_tag = "Foyers"
    openapi_spec_component_schemas = (HouseholdIn,)

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Enter a household.
        ---
        post:
          summary: Enregistrer un foyer (référence FOY-AAAA-NNNNN)
          description: >
            Les doublons possibles (même nom et date de naissance, ou même téléphone, dans
            tout EPCI) sont signalés dans « warnings » sans rien révéler de plus.
            Avec confirm_duplicate à false, un doublon possible arrête l’enregistrement (409).
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/HouseholdIn'}
          responses:
            201: {description: "{id, reference, warnings}"}
            409: {description: doublon possible (confirm_duplicate false)}
            422: {description: données invalides}
        """
        data = load(HouseholdIn(), self.json_body())
        household, warnings = create_household(db.session, actor_of(self.current_user()), data)
        return self.answer(201, {"id": household.id, "reference": household.reference, "warnings": warnings})

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list(self):
        """List the households the caller may see (no income data).
        ---
        get:
          summary: Foyers visibles (sans les ressources)
          parameters:
            - {in: query, name: q, schema: {type: string, maxLength: 200}, description: "référence ou nom (contient ; % et _ sont des lettres)"}
          responses:
            200: {description: "{result: [{id, reference, last_name, first_name, commune, epci}], count}"}
            422: {description: recherche de plus de 200 caractères}
        """
        stmt = visible_households(actor_of(self.current_user())).order_by(Household.id.desc()).limit(200)
        query = (request.args.get("q") or "").strip()
        if len(query) > SEARCH_MAX:
            # No reference or name is longer; SQLite refuses a LIKE pattern over 50,000 bytes.
            raise ValidationFailed({"q": [f"Recherche : {SEARCH_MAX} caractères au plus."]})
        if query:
            # % and _ are letters here, not wildcards.
            stmt = stmt.where(Household.reference.icontains(query, autoescape=True)
                              | Household.last_name.icontains(query, autoescape=True))
        rows = db.session.execute(stmt).scalars().all()
        result = [{"id": h.id, "reference": h.reference, "last_name": h.last_name, "first_name": h.first_name,
                   "commune": h.commune.name, "epci": h.commune.epci.short_name} for h in rows]
        return self.response(200, result=result, count=len(result))

    @expose(f"/<{ID}:household_id>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, household_id):
        """One household, with its income data (the read is audited).
        ---
        get:
          summary: Un foyer, avec ses ressources (consultation tracée)
          parameters:
            - {in: path, name: household_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: le foyer}
            404: {description: inconnu ou hors de votre périmètre}
        """
        household = read_household(db.session, actor_of(self.current_user()), household_id)
        return self.answer(200, household_json(household))

    @expose(f"/<{ID}:household_id>/export", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def export(self, household_id):
        """Right of access: everything held about the household.
        ---
        get:
          summary: Droit d'accès — toutes les données du foyer (JSON, ou PDF avec ?format=pdf)
          parameters:
            - {in: path, name: household_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: JSON ou PDF}
            404: {description: inconnu ou hors de votre périmètre}
        """
        actor = actor_of(self.current_user())
        household = household_for(db.session, actor, household_id)
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "pdf"):
            raise ValidationFailed({"format": ["Format json ou pdf attendu."]})
        data, display = export_household(db.session, actor, household, fmt)
        data["handover"], display["handover"] = household_handover(db.session, household)
        if fmt == "json":
            return self.answer(200, data)
        pdf = render_household_export(display, current_app.config["PROGRAMME_NAME"])
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="donnees-{household.reference}.pdf"'})


class RequestApi(JsonApi):
    resource_name = "requests"
    class_permission_name = "Requests"
    openapi_spec_tag = "Demandes"
    openapi_spec_component_schemas = (RequestIn, DecisionIn)
    base_permissions = ["can_read", "can_write", "can_decide"]

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Create a request for a device.
        ---
        post:
          summary: Déposer une demande d'équipement pour un foyer (statut submitted + décision automatique)
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/RequestIn'}
          responses:
            201: {description: "la demande, avec « preview »"}
            404: {description: foyer inconnu ou hors de votre périmètre}
            409: {description: "demande déjà en cours, ou foyer équipé dans cette catégorie depuis moins de 24 mois"}
            422: {description: données invalides}
        """
        data = load(RequestIn(), self.json_body())
        actor = actor_of(self.current_user())
        household = household_for(db.session, actor, data["household_id"])
        item = create_request(db.session, actor, household, data["category"],
                              reequip_months=current_app.config["ELIGIBILITY_REEQUIP_MONTHS"])
        return self.answer(201, request_json(item))

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list(self):
        """The queue: requests the caller may see, oldest first.
        ---
        get:
          summary: File des demandes visibles, les plus anciennes d'abord
          parameters:
            - {in: query, name: status, schema: {type: string, enum: [submitted, pending_documents, validated, refused, equipped]}}
          responses:
            200: {description: "{result: [...], count}"}
        """
        status = request.args.get("status") or None
        if status and status not in RequestStatus.values():
            raise ValidationFailed({"status": [f"Statut inconnu : valeurs acceptées : {', '.join(RequestStatus.values())}."]})
        rows = queue(db.session, visible_requests(actor_of(self.current_user())), status)
        return self.response(200, result=[request_json(r) for r in rows], count=len(rows))

    @expose(f"/<{ID}:request_id>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, request_id):
        """One request.
        ---
        get:
          summary: Une demande
          parameters:
            - {in: path, name: request_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: la demande}
            404: {description: inconnue ou hors de votre périmètre}
        """
        return self.answer(200, request_json(request_for(db.session, actor_of(self.current_user()), request_id)))

    @expose(f"/<{ID}:request_id>/decision", methods=["POST"])
    @protect()
    @permission_name("decide")
    @domain_endpoint
    def decision(self, request_id):
        """An EPCI agent's decision.
        ---
        post:
          summary: Statuer sur une demande (validate, refuse, ask_documents)
          parameters:
            - {in: path, name: request_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/DecisionIn'}
          responses:
            200: {description: la demande après décision}
            403: {description: "règle des quatre yeux, ou agent d'un autre EPCI"}
            404: {description: inconnue ou hors de votre périmètre}
            409: {description: demande déjà tranchée}
            422: {description: justification ou palier manquant}
        """
        data = load(DecisionIn(), self.json_body())
        actor = actor_of(self.current_user())
        item = request_for(db.session, actor, request_id)
        config = current_app.config
        decide_request(db.session, actor, item, data["action"], justification=data.get("justification"),
                       tier=data.get("tier"), validity_months=config["ELIGIBILITY_VALIDITY_MONTHS"],
                       reequip_months=config["ELIGIBILITY_REEQUIP_MONTHS"])
        return self.answer(200, request_json(item))

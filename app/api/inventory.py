"""Inventory endpoints: organisations, sites, collections and devices."""
from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect

from app.api.base import ID, JsonApi, domain_endpoint
from app.api.certificates import certificate_json, issue_collection_certificate, issue_device_certificate
from app.certificates import pdf_response
from app.extensions import db
from core.errors import ValidationFailed
from inventory import queries
from inventory.representations import (
    collection_json,
    device_json,
    erasure_json,
    event_json,
    organisation_json,
    site_json,
)
from core.schemas import load
from inventory.schemas import CollectionIn, DeviceIn, ErasureIn, GradingIn, TransitionIn
from inventory.services.certificates import issued_collection_certificate, issued_device_certificate
from inventory.services.collections import create_collection
from inventory.services.common import device_by_tag
from inventory.services.devices import register_device
from inventory.services.erasures import record_erasure
from inventory.services.grading import grade_device, is_refurbished, latest_result, template_items
from inventory.services.transitions import allowed_for, transition
from core.vocabulary import OrganisationKind


def device_with_allowed(device) -> dict:
    """The device, with the next states its guards accept right now, its "reconditionné"
    status, and the OS licence key for those who may edit devices (Admin, Technicien)."""
    may_edit = current_app.appbuilder.sm.has_access("can_write", "Devices")
    data = device_json(device, with_licence_key=may_edit)
    data["allowed"] = allowed_for(device)
    data["refurbished"] = is_refurbished(device, latest_result(db.session, device.id))
    return data


class OrganisationApi(JsonApi):
    resource_name = "organisations"
    class_permission_name = "Organisations"
    openapi_spec_tag = "Référentiel"

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list_organisations(self):
        """Organisations, optionally of one kind.
        ---
        get:
          summary: Liste des organisations (donateurs, ateliers, prescripteurs…)
          parameters:
          - in: query
            name: kind
            schema: {type: string, enum: [donor, workshop, referrer, funder, digital_point]}
          responses:
            200: {description: "{result: [...], count: n}"}
            422: {description: type inconnu}
        """
        kind = request.args.get("kind")
        if kind and kind not in OrganisationKind.values():
            raise ValidationFailed({"kind": [f"Type inconnu : valeurs acceptées : {', '.join(OrganisationKind.values())}."]})
        rows = [organisation_json(o) for o in queries.organisations(db.session, kind)]
        return self.response(200, result=rows, count=len(rows))


class SiteApi(JsonApi):
    resource_name = "sites"
    class_permission_name = "Sites"
    openapi_spec_tag = "Référentiel"

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    def list_sites(self):
        """Sites with their locations.
        ---
        get:
          summary: Sites de l'atelier, chacun avec ses emplacements (codes LOC-…)
          responses:
            200: {description: "{result: [...], count: n}"}
        """
        rows = [site_json(s) for s in queries.sites(db.session)]
        return self.response(200, result=rows, count=len(rows))


class CollectionApi(JsonApi):
    resource_name = "collections"
    class_permission_name = "Collections"
    openapi_spec_tag = "Collectes"
    openapi_spec_component_schemas = (CollectionIn,)

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Open a collection.
        ---
        post:
          summary: Ouvrir une collecte (lot d'un donateur), numérotée COL-AAAA-NNNN
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CollectionIn'}
          responses:
            201: {description: "la collecte créée, avec id et reference"}
            400: {description: JSON mal formé}
            422: {description: données refusées (message et erreurs par champ)}
        """
        data = load(CollectionIn(), self.json_body())
        collection = create_collection(db.session, **data, user_id=self.current_user_id())
        return self.response(201, result=collection_json(collection, registered=0))

    @expose(f"/<{ID}:pk>/certificate", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def issue_certificate(self, pk: int):
        """Issue the collection's certificate of data sanitisation.
        ---
        post:
          summary: Émettre le certificat d'effacement de toute la collecte (numéro CERT-AAAA-NNNNN)
          description: >
            Les mêmes effacements redonnent le même certificat (200, aucun nouveau numéro).
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            201: {description: "{result: {number, kind, issued_at, sha256, pdf_url}}"}
            200: {description: le certificat déjà émis pour les mêmes effacements}
            404: {description: collecte inconnue}
            409: {description: "supports pas encore effacés : {message, missing: [...]}"}
        """
        certificate, new = issue_collection_certificate(db.session, pk, self.current_user_id())
        url = f"/api/v1/collections/{pk}/certificate.pdf"
        return self.response(201 if new else 200, result=certificate_json(certificate, url))

    @expose(f"/<{ID}:pk>/certificate.pdf", methods=["GET"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def certificate(self, pk: int):
        """The collection's certificate of data sanitisation, as issued (never issues one).
        ---
        get:
          summary: Le dernier certificat d'effacement émis pour la collecte (PDF)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: le PDF ; en-têtes X-Certificate-Number et X-Certificate-SHA256}
            404: {description: "collecte inconnue, ou aucun certificat émis"}
        """
        return pdf_response(issued_collection_certificate(db.session, pk))

    @expose(f"/<{ID}:pk>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, pk: int):
        """A collection with its registered count.
        ---
        get:
          summary: Une collecte, avec le nombre d'appareils annoncé et enregistré
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: la collecte}
            404: {description: collecte inconnue}
        """
        from inventory.models import Collection

        collection = db.session.get(Collection, pk)
        if collection is None:
            return self.response(404, message=f"Collecte n° {pk} inconnue.")
        return self.response(200, result=collection_json(collection, collection.registered_count))


class DeviceApi(JsonApi):
    resource_name = "devices"
    class_permission_name = "Devices"
    openapi_spec_tag = "Appareils"
    openapi_spec_component_schemas = (DeviceIn, TransitionIn, ErasureIn, GradingIn)

    def _tag_settings(self) -> dict:
        return {"tag_prefix": current_app.config["ASSET_TAG_PREFIX"],
                "tag_digits": current_app.config["ASSET_TAG_DIGITS"]}

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Register a device.
        ---
        post:
          summary: Enregistrer un appareil reçu (état « received », numéro RK-…)
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/DeviceIn'}
          responses:
            201: {description: "l'appareil, avec asset_tag et state"}
            409: {description: numéro de série ou IMEI déjà enregistré}
            422: {description: données refusées}
        """
        data = load(DeviceIn(), self.json_body())
        device = register_device(db.session, data, user_id=self.current_user_id(), **self._tag_settings())
        return self.response(201, result=device_json(device))

    @expose("/<string:asset_tag>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, asset_tag: str):
        """A device with its storage media and erasure records.
        ---
        get:
          summary: Un appareil, avec ses supports de données et leurs effacements
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          responses:
            200: {description: l'appareil}
            404: {description: numéro d'inventaire inconnu}
        """
        return self.response(200, result=device_with_allowed(device_by_tag(db.session, asset_tag)))

    @expose("/<string:asset_tag>/certificate", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def issue_certificate(self, asset_tag: str):
        """Issue the device's certificate of data sanitisation.
        ---
        post:
          summary: Émettre le certificat d'effacement d'un appareil (numéro CERT-AAAA-NNNNN)
          description: >
            Les mêmes effacements redonnent le même certificat (200, aucun nouveau numéro).
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          responses:
            201: {description: "{result: {number, kind, issued_at, sha256, pdf_url}}"}
            200: {description: le certificat déjà émis pour les mêmes effacements}
            404: {description: numéro d'inventaire inconnu}
            409: {description: "supports pas encore effacés : {message, missing: [...]}"}
        """
        certificate, new = issue_device_certificate(db.session, asset_tag, self.current_user_id())
        url = f"/api/v1/devices/{certificate.device.asset_tag}/certificate.pdf"
        return self.response(201 if new else 200, result=certificate_json(certificate, url))

    @expose("/<string:asset_tag>/certificate.pdf", methods=["GET"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def certificate(self, asset_tag: str):
        """The device's certificate of data sanitisation, as issued (never issues one).
        ---
        get:
          summary: Le dernier certificat d'effacement émis pour un appareil (PDF)
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          responses:
            200: {description: le PDF ; en-têtes X-Certificate-Number et X-Certificate-SHA256}
            404: {description: "numéro d'inventaire inconnu, ou aucun certificat émis"}
        """
        return pdf_response(issued_device_certificate(db.session, asset_tag))

    @expose("/<string:asset_tag>/history", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def history(self, asset_tag: str):
        """The device's events, oldest first.
        ---
        get:
          summary: Historique d'un appareil (du plus ancien au plus récent)
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          responses:
            200: {description: "{result: [...], count: n}"}
            404: {description: numéro d'inventaire inconnu}
        """
        device = device_by_tag(db.session, asset_tag, with_media=False)
        events = [event_json(e) for e in queries.history(db.session, device.id)]
        return self.response(200, result=events, count=len(events))

    @expose("/<string:asset_tag>/transition", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post_transition(self, asset_tag: str):
        """Change the device's state.
        ---
        post:
          summary: Faire passer un appareil à un autre état du cycle de vie
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/TransitionIn'}
          responses:
            200: {description: l'appareil après la transition}
            404: {description: numéro d'inventaire inconnu}
            409: {description: "transition refusée : {message, allowed}, ou modification concurrente"}
            422: {description: état inconnu}
        """
        data = load(TransitionIn(), self.json_body())
        device = transition(db.session, asset_tag, data["to"], user_id=self.current_user_id(),
                            note=data.get("note"), location=data.get("location"),
                            version=data.get("version"))
        return self.response(200, result=device_with_allowed(device))

    @expose("/<string:asset_tag>/erasures", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post_erasure(self, asset_tag: str):
        """Record the sanitisation of one storage medium.
        ---
        post:
          summary: Enregistrer l'effacement (ou la destruction) d'un support de données
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ErasureIn'}
          responses:
            201: {description: l'enregistrement d'effacement}
            404: {description: numéro d'inventaire inconnu}
            409: {description: l'appareil a quitté l'atelier}
            422: {description: données refusées}
        """
        data = load(ErasureIn(), self.json_body())
        record = record_erasure(db.session, asset_tag, data, user_id=self.current_user_id(),
                                operator_name=self.current_user_name(), operator_role=self.current_user_role())
        return self.response(201, result=erasure_json(record))

    @expose("/<string:asset_tag>/grading", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post_grading(self, asset_tag: str):
        """Quality control by checklist.
        ---
        post:
          summary: Contrôle qualité d'un appareil par sa grille (note calculée)
          description: >
            Un échec n'est pas une erreur : grade vaut null, failing liste les éléments en
            échec, et l'appareil repart en réparation. La note calculée peut être abaissée
            (avec une remarque), jamais relevée.
          parameters:
          - {in: path, name: asset_tag, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/GradingIn'}
          responses:
            200: {description: "{result: {grade, computed_grade, failing: [...], refurbished, device}}"}
            404: {description: numéro d'inventaire inconnu}
            409: {description: l'appareil n'est pas au contrôle qualité}
            422: {description: "élément manquant ou invalide, note sans grille, note relevée"}
        """
        data = load(GradingIn(), self.json_body())
        result = grade_device(db.session, asset_tag, checklist=data["checklist"], cosmetic=data["cosmetic"],
                              grade=data.get("grade"), note=data.get("note"), user_id=self.current_user_id())
        device = result.device
        labels = {i["key"]: i["label"] for i in result.items}
        return self.response(200, result={
            "grade": result.grade, "computed_grade": result.computed_grade,
            "failing": [{"key": key, "label": labels[key]} for key in result.failing],
            "refurbished": is_refurbished(device, result),
            "device": device_with_allowed(device),
        })


class ChecklistApi(JsonApi):
    resource_name = "checklists"
    class_permission_name = "Checklists"
    openapi_spec_tag = "Contrôle qualité"

    @expose("/<string:category>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, category: str):
        """A category's checklist.
        ---
        get:
          summary: Grille de contrôle d'une catégorie (clé, libellé, type, seuil)
          parameters:
          - {in: path, name: category, required: true, schema: {type: string}}
          responses:
            200: {description: "{result: {category, items: [{key, label, kind, threshold?}]}}"}
            404: {description: catégorie inconnue}
        """
        items = template_items(db.session, category)
        return self.response(200, result={"category": category, "items": [i.as_dict() for i in items]})

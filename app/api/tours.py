"""The mobile workshop's tours (« Tournée », issue 20): ``/api/v1/tours`` — download a day's stops,
the sync preflight, send a batch of offline records, list what is left to resolve, resolve it; for
the office, the list of tours and the declaration of a lost or reset device (Admin). Thin: the
rules are in ``distribution.services.tours``, ``tour_sync``, ``tour_office`` and ``tour_lost``."""
from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect
from flask_wtf.csrf import generate_csrf

from app.api.base import ID, JsonApi, domain_endpoint
from app.extensions import db
from core.paging import page_number
from core.schemas import load
from distribution.services.tour_lost import LostIn, declare_lost
from distribution.services.tour_office import tour_page
from distribution.services.tour_sync import action_json, actions_of, apply_batch, open_actions, resolve
from distribution.services.tours import Programme, download_tour, tour_by_id, tour_options
from distribution.settings import settings_from
from distribution.tour.models import MobileTour
from distribution.tour.schemas import ActionIn, OptionsIn, ResolveIn, SyncIn, TourDownloadIn

_DOWNLOAD_IN, _OPTIONS_IN, _LOST_IN = TourDownloadIn(), OptionsIn(), LostIn()
KEY = "string(minlength=36, maxlength=36)"


def tour_json(tour: MobileTour, open_count: int | None = None) -> dict:
    holder = tour.holder
    body = {"id": tour.id, "reference": tour.reference, "status": tour.status, "status_label": tour.status_label,
            "unit": tour.unit.code if tour.unit is not None else None, "date": tour.tour_date.isoformat(),
            "downloaded_at": tour.downloaded_at.isoformat(), "valid_until": tour.valid_until.isoformat(),
            "last_seq": tour.last_seq, "holder": f"{holder.first_name} {holder.last_name}".strip()}
    if open_count is not None:
        body["open_conflicts"] = open_count
    return body


class TourApi(JsonApi):
    resource_name = "tours"
    class_permission_name = "Tours"
    openapi_spec_tag = "Tournées"
    openapi_spec_component_schemas = (TourDownloadIn, SyncIn, ActionIn, ResolveIn)

    @expose("/options", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def options(self):
        """What may be downloaded for a day.
        ---
        get:
          summary: Ateliers du jour, unités mobiles et réservations proposés avant un téléchargement
          parameters:
            - {in: query, name: date, required: true, schema: {type: string, format: date}}
          responses:
            200: {description: "{result: {sessions, units, reservations}}"}
            422: {description: date invalide}
        """
        data = load(_OPTIONS_IN, {"date": request.args.get("date", "")})
        return self.response(200, result=tour_options(db.session, self.actor(), data["date"]))

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def download(self):
        """Download a tour.
        ---
        post:
          summary: Télécharger une tournée avant de partir (ateliers du jour, appareils à remettre)
          description: >
            Les ateliers choisis avec leurs inscrits (noms et téléphones seulement, jamais de revenus) ;
            avec une unité mobile (atelier, administrateur), les appareils réservés à remettre, la grille
            de prix en vigueur et l'état de la série de factures de l'unité. Les données valent 24 heures.
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/TourDownloadIn'}
          responses:
            201: {description: "{result: tournée, snapshot}"}
            403: {description: un animateur demande une unité ou des appareils}
            409: {description: "unité déjà sortie ou retirée, atelier annulé, appareil déjà chargé"}
            422: {description: "date, ateliers, réservations, unité ou clé invalides"}
        """
        data = load(_DOWNLOAD_IN, self.json_body())
        config = current_app.config
        tour = download_tour(db.session, self.actor(), tour_date=data["date"], session_ids=data["session_ids"],
                             device_key=data["device_key"], settings=settings_from(config),
                             programme=Programme(config["PROGRAMME_NAME"], config.get("PROGRAMME_CONTACT")),
                             unit=data["unit"], reservation_ids=data["reservation_ids"])
        return self.response(201, result=tour_json(tour, 0), snapshot=tour.snapshot)

    @expose(f"/<{ID}:tour_id>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, tour_id: int):
        """A tour's state: the sync preflight.
        ---
        get:
          summary: État d'une tournée avant l'envoi (et un jeton CSRF frais)
          parameters:
            - {in: path, name: tour_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: "{result: tournée avec open_conflicts, csrf_token}"}
            404: {description: tournée inconnue ou d'un autre animateur}
        """
        actor = self.actor()
        tour = tour_by_id(db.session, actor, tour_id)
        return self.response(200, result=tour_json(tour, len(open_actions(db.session, actor, tour.id))),
                             csrf_token=generate_csrf())

    @expose(f"/<{ID}:tour_id>/sync", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def sync(self, tour_id: int):
        """Send a batch of offline records.
        ---
        post:
          summary: Envoyer les enregistrements faits hors ligne (50 au plus par envoi, dans l'ordre)
          description: >
            Chaque enregistrement porte une clé unique : renvoyer le même lot ne change rien (« repeat »).
            Le serveur applique ce qui tient encore et garde le reste « à régulariser » avec ce qu'il faut
            faire, ou « refusé » ; rien n'est perdu.
          parameters:
            - {in: path, name: tour_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/SyncIn'}
          responses:
            200: {description: "{results: [{key, seq, outcome, message, what_to_do, result, repeat}], last_seq}"}
            403: {description: tournée d'un autre compte}
            404: {description: tournée inconnue}
            409: {description: tournée téléchargée sur un autre appareil}
            422: {description: lot mal formé}
        """
        answer = apply_batch(db.session, self.actor(), tour_id, self.json_body())
        return self.answer(200, answer)

    @expose(f"/<{ID}:tour_id>/actions", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def actions(self, tour_id: int):
        """A tour's records as received.
        ---
        get:
          summary: Les enregistrements reçus d'une tournée (ceux à régulariser avec ?open=1)
          parameters:
            - {in: path, name: tour_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
            - {in: query, name: open, schema: {type: string, enum: ["1"]}}
          responses:
            200: {description: "{result: [{key, seq, outcome, message, what_to_do, result}]}"}
            404: {description: tournée inconnue}
        """
        only_open = request.args.get("open") == "1"
        rows = (open_actions if only_open else actions_of)(db.session, self.actor(), tour_id)
        return self.response(200, result=[action_json(a) for a in rows])

    @expose(f"/<{ID}:tour_id>/actions/<{KEY}:action_key>/resolve", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def resolve(self, tour_id: int, action_key: str):
        """Resolve a record left to settle.
        ---
        post:
          summary: Régulariser un enregistrement (appliquer ou classer)
          parameters:
            - {in: path, name: tour_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
            - {in: path, name: action_key, required: true, schema: {type: string, minLength: 36, maxLength: 36}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ResolveIn'}
          responses:
            200: {description: "{result: enregistrement}"}
            403: {description: "rôle insuffisant (un refus se régularise par l'administrateur)"}
            404: {description: tournée ou enregistrement inconnus}
            409: {description: "déjà réglé, ou ce qui l'empêchait tient toujours"}
            422: {description: décision invalide}
        """
        action = resolve(db.session, self.actor(), tour_id, action_key, self.json_body())
        return self.response(200, result=action_json(action))


class TourOfficeApi(JsonApi):
    """The office's side of the tours (resource « Tour office »: Technicien and Admin; the
    Animateur is refused): the list of tours, and declaring a device lost (« declare_lost »:
    Admin). Same ``/api/v1/tours`` prefix as the page's API."""

    resource_name = "tours"
    class_permission_name = "Tour office"
    base_permissions = ["can_read", "can_declare_lost"]
    openapi_spec_tag = "Tournées (bureau)"
    openapi_spec_component_schemas = (LostIn,)

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list(self):
        """The tours, for the office.
        ---
        get:
          summary: Les tournées, la plus récente d'abord, avec les enregistrements reçus et ceux à régulariser
          description: >
            Réservé à l'atelier (technicien) et à l'administrateur. Avec open=1, seulement les tournées
            dont un enregistrement reste à régulariser (conflit ou refus). 50 tournées par page.
          parameters:
            - {in: query, name: open, schema: {type: string, enum: ["1"]}}
            - {in: query, name: page, schema: {type: integer, minimum: 1}}
          responses:
            200: {description: "{result: [tournée avec received, open_conflicts], count, page, pages}"}
            401: {description: authentification requise}
            403: {description: "réservé à l'atelier (technicien) et à l'administrateur"}
        """
        page = tour_page(db.session, self.actor(), open_only=request.args.get("open") == "1",
                         number=page_number(request.args.get("page")))
        return self.response(200, result=[dict(tour_json(row.tour, row.open), received=row.received)
                                          for row in page.rows],
                             count=page.count, page=page.number, pages=page.pages)

    @expose(f"/<{ID}:tour_id>/lost", methods=["POST"])
    @protect()
    @permission_name("declare_lost")
    @domain_endpoint
    def lost(self, tour_id: int):
        """Declare a tour's device lost or reset.
        ---
        post:
          summary: Déclarer l'appareil d'une tournée perdu ou réinitialisé (administrateur)
          description: >
            La tournée passe « Appareil perdu ou réinitialisé » ; son unité mobile est retirée et sa
            série close au dernier numéro enregistré de chaque année (closed_series) ; une nouvelle
            unité du même nom, au code suivant, reprend le camion avec une nouvelle série. Les
            réservations chargées restent en cours. Si l'appareil réapparaît, il peut encore envoyer
            ses enregistrements.
          parameters:
            - {in: path, name: tour_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/LostIn'}
          responses:
            200: {description: "{result: tournée, retired_unit: code, unit: {code, name}}"}
            400: {description: corps JSON absent ou mal formé}
            401: {description: authentification requise}
            403: {description: réservé à l'administrateur}
            404: {description: tournée inconnue}
            409: {description: "tournée terminée ou déjà déclarée perdue"}
            422: {description: motif absent ou trop long}
        """
        data = load(_LOST_IN, self.json_body())
        lost = declare_lost(db.session, self.actor(), tour_id, reason=data["reason"])
        unit = lost.unit
        return self.response(200, result=dict(tour_json(lost.tour), lost_reason=lost.tour.lost_reason),
                             retired_unit=lost.retired.code if lost.retired is not None else None,
                             unit={"code": unit.code, "name": unit.name} if unit is not None else None)

"""Hardware snapshots: ``POST /api/v1/snapshots`` (issue 17).

The body is the snapshot as the boot tool posts it: eReuse workbench-script (current or legacy
mode), which cannot add a field, names the collection in the query (``?collection=``); Rekonekt's
collector may name it in the body (``collection``). The answer carries ``dhid``, ``url`` and
``public_url`` as eReuse DeviceHub's did, so that workbench-script in legacy mode prints the
asset tag and a QR code of the device sheet. A device just registered gets its label printed on
the workshop's reception print station when one is set (``label`` in the answer).
"""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name

from app.api.base import JsonApi, domain_endpoint
from app.extensions import db
from app.label_printing import label_at_reception
from app.station_tokens import allow_station_token, current_station
from core.actor import actor_of
from core.clock import MARTINIQUE
from inventory.models import DeviceSnapshot
from inventory.representations import device_json
from inventory.services.snapshots import COMPLETED, QUEUED, REGISTERED, UNCHANGED, receive_snapshot


def _to_replace(record: DeviceSnapshot) -> str:
    disks = [f"{d.get('serial_number') or d.get('model') or 'disque'} ({', '.join(d.get('replacement_reasons') or [])})"
             for d in record.disks if d.get("needs_replacement")]
    return f" Disque à remplacer : {' ; '.join(disks)}." if disks else ""


def _message(record: DeviceSnapshot, outcome: str) -> str:
    device = record.device
    tag = device.asset_tag if device is not None else None
    if outcome == REGISTERED:
        text = f"Appareil enregistré sous le numéro d'inventaire {tag}."
    elif outcome == COMPLETED:
        text = f"Appareil {tag} déjà enregistré : sa fiche a été complétée."
    elif outcome == UNCHANGED and record.reason:
        text = record.reason
    elif outcome == UNCHANGED:
        text = f"Appareil {tag} déjà enregistré : rien à compléter."
    elif device is None:
        text = f"En attente d'un technicien : {record.reason}"
    else:
        received = record.received_at.astimezone(MARTINIQUE).strftime("%d/%m/%Y à %H:%M")
        text = f"Instantané déjà reçu le {received} (appareil {tag}) : rien n'a changé."
    return text + _to_replace(record)


class SnapshotApi(JsonApi):
    resource_name = "snapshots"
    class_permission_name = "Snapshots"
    openapi_spec_tag = "Instantanés matériels"

    @expose("", methods=["POST"])
    @allow_station_token
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Receive a hardware snapshot.
        ---
        post:
          summary: Recevoir l'instantané matériel d'un ordinateur démarré sur une clé USB
          description: >
            Formats acceptés : snapshot eReuse workbench-script (et son mode legacy), snapshot du
            collecteur Rekonekt (docs/snapshot-format.md). L'appareil est reconnu par le numéro de
            série du système : connu, sa fiche est complétée (champs vides seulement, disques
            manquants ajoutés, un support effacé n'est jamais modifié) ; inconnu, il est enregistré
            dans la collecte indiquée (?collection= ou champ « collection »), sinon il attend un
            technicien. Le même snapshot (même uuid ou même contenu) envoyé deux fois ne change rien.
            Accepte un jeton de poste (Authorization: Bearer rkst_…).
          parameters:
            - {in: query, name: collection, required: false, schema: {type: string},
               description: "référence (COL-AAAA-NNNN) ou numéro de la collecte d'un appareil inconnu"}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object}
          responses:
            201: {description: "appareil enregistré : {asset_tag, status, message, device, dhid, url, public_url, label}.
              Son étiquette est imprimée aussitôt au poste d'impression de la réception, s'il est réglé (page
              Postes d'impression). label = {printed_on, message} : printed_on est le nom du poste qui l'a imprimée
              (null sinon) ; message dit en français « Étiquette imprimée au poste … » ou pourquoi elle ne l'est pas
              (aucun poste réglé, poste disparu ou sans imprimante, imprimante injoignable) ; le message de la
              réponse se termine par cette phrase. Une imprimante éteinte n'empêche pas l'enregistrement : 201."}
            200: {description: "appareil complété, inchangé, ou snapshot déjà reçu : aucune étiquette imprimée, pas de label"}
            202: {description: "appareil en attente d'un technicien : {status: queued, message}"}
            400: {description: "corps JSON absent ou mal formé"}
            401: {description: "authentification requise, ou jeton de poste inconnu ou révoqué"}
            403: {description: "rôle sans droit d'envoi"}
            413: {description: "corps de requête au-delà de MAX_CONTENT_LENGTH (2 Mio)"}
            422: {description: "snapshot refusé (pas de numéro de série du système, sortie smartctl illisible, collecte inconnue…) : rien n'est enregistré"}
        """
        data = self.json_body()
        station = current_station()
        if station is not None:
            actor, token_id = station.actor, station.token_id
        else:
            actor, token_id = actor_of(self.current_user()), None
        record, outcome = receive_snapshot(
            db.session, actor, data, request.args.get("collection"), station_token_id=token_id,
            tag_prefix=current_app.config["ASSET_TAG_PREFIX"], tag_digits=current_app.config["ASSET_TAG_DIGITS"])
        body = {"status": outcome, "message": _message(record, outcome),
                "uuid": record.uuid,
                "ignored": [f"disque n° {i['position']} : {i['message']}" for i in record.ignored]}
        device = record.device
        if device is None:
            return self.answer(202, {**body, "status": QUEUED})
        url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("DeviceView.show", pk=device.id)
        body.update(asset_tag=device.asset_tag, dhid=device.asset_tag, url=url, public_url=url,
                    device=device_json(device))
        if outcome != REGISTERED:
            return self.answer(200, body)
        # Registered (and committed) only now: its label, once, whatever becomes of the printing.
        label = label_at_reception(db.session, device.asset_tag)
        body.update(label={"printed_on": label.printed_on, "message": label.message},
                    message=f"{body['message']} {label.message}")
        return self.answer(201, body)

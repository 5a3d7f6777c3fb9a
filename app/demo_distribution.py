"""Demo handover data, through the services: upcoming onboarding workshops in each EPCI (at the
workshop, at points numériques, at mobile-workshop stops), households validated by Admin, their
handovers with invoices and one reservation in progress, and certificates for the demo partner."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.clock import MARTINIQUE, local_today
from distribution.services.handover import handover
from distribution.services.reservations import matching_devices, reserve, waiting_list
from distribution.services.workshops import create_session
from distribution.settings import settings_from
from core.actor import actor_of
from eligibility.models import Household, Request
from eligibility.services.requests import decide_request

# (days from today, hour, topic, venue kind, venue name, address, commune INSEE)
_SESSIONS = [
    (3, 9, "computer", "site", "Atelier du Lamentin", "Zone de Manhity", "97213"),
    (4, 14, "smartphone", "digital_point", "Médiathèque du Lamentin (point numérique)", "Rue Schœlcher", "97213"),
    (6, 9, "tablet", "digital_point", "Maison de quartier de Dillon (point numérique)", "Dillon", "97209"),
    (8, 14, "online_services", "digital_point", "France Services de Fort-de-France", "Boulevard du Général de Gaulle", "97209"),
    (5, 9, "computer", "digital_point", "Espace numérique du Robert (point numérique)", "Bourg", "97222"),
    (9, 14, "smartphone", "mobile_stop", "Atelier mobile — place de Basse-Pointe", "Place de la mairie", "97203"),
    (12, 9, "tablet", "mobile_stop", "Atelier mobile — bourg du Lorrain", "Bourg", "97214"),
    (7, 9, "computer", "digital_point", "Cyberbase du Marin (point numérique)", "Bourg", "97217"),
    (10, 14, "smartphone", "mobile_stop", "Atelier mobile — front de mer du Diamant", "Front de mer", "97206"),
    (14, 9, "tablet", "site", "Entrepôt de Rivière-Salée — salle de formation", "Zone de Petit-Bourg", "97221"),
]

# Households entered by someone else, validated by Admin (four-eyes), who then wait for a device.
_TO_VALIDATE = ["Jean-Baptiste", "Ursulet", "Télèphe"]


def load_demo_distribution(app, users: dict) -> None:
    from app.extensions import db

    session = db.session
    tech, admin = actor_of(users["technicien"]), actor_of(users["admin"])
    today = local_today()
    for days, hour, topic, kind, name, address, commune in _SESSIONS:
        start = datetime.combine(today + timedelta(days=days), datetime.min.time(), MARTINIQUE).replace(hour=hour)
        create_session(session, tech, {
            "topic": topic, "starts_at": start, "ends_at": start + timedelta(hours=2), "venue_kind": kind,
            "venue_name": name, "address": address, "commune_insee": commune, "capacity": 8,
            "facilitator": users["animateur"].username, "notes": None})
    for last_name in _TO_VALIDATE:
        item = session.execute(select(Request).join(Request.household)
                               .where(Household.last_name == last_name)).scalars().first()
        if item is not None and item.status == "submitted":
            decide_request(session, admin, item, "validate")

    settings = settings_from(app.config)
    waiting = [entry for entry in waiting_list(session, settings.priority_weights)
               if matching_devices(session, entry.request, limit=1)]
    # Every waiting household with a device in stock receives it, except the last, whose device
    # stays reserved.
    access = ["mobile", "broadband", "none", "mobile"]
    for index, entry in enumerate(waiting):
        device = matching_devices(session, entry.request, limit=1)[0].device
        reservation = reserve(session, tech, entry.request.id, device.asset_tag)
        if index < len(waiting) - 1:
            handover(session, tech, reservation.id, settings, payment_method="cash",
                     accessories=["charger"] if index % 2 == 0 else [], internet_access=access[index % len(access)],
                     internet_offer_referred=index % 2 == 0)
    _certificates_for_the_partner(session, users["partenaire"])


def _certificates_for_the_partner(session, partner) -> None:
    """Certificates of sanitisation for the sanitised devices of the demo partner's collections,
    so the partner's dashboard has some to download."""
    from app.certificates import base_url, programme
    from core.errors import DomainError
    from inventory.models import Collection, Device
    from inventory.services.certificates import device_certificate

    tags = session.execute(select(Device.asset_tag).join(Collection, Collection.id == Device.collection_id)
                           .where(Collection.donor_id == partner.organisation_id,
                                  Device.state.in_(("grading", "in_stock", "reserved", "distributed")))
                           .order_by(Device.asset_tag).limit(5)).scalars().all()
    for tag in tags:
        try:
            device_certificate(session, tag, programme=programme(), base_url=base_url())
        except DomainError:
            session.rollback()   # a device whose media need no certificate (fitted by the workshop)

"""Demo handovers, through the distribution services: households equipped in the last weeks
(each booked at its handover on the onboarding workshop it then attended), two equipped today,
one device reserved today, and certificates for the demo partner. The other validated
households stay on the waiting list, with devices of their category in stock."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.clock import clock_set_to
from distribution.services.handover import handover
from distribution.services.reservations import matching_devices, reserve
from distribution.settings import DistributionSettings
from eligibility.models import Request

# (household, session booked at the handover — None: the first proposed with a free seat,
#  payment, accessories, internet access at home, referred to an internet offer)
HANDOVERS_PAST = [   # (days ago, hour) first
    ((27, 10), "Jean-Baptiste", "lamentin-computer", "cash", ["charger"], "mobile", True),
    ((24, 10), "Ravelin", "lamentin-computer", "card", ["bag"], "broadband", False),
    ((18, 10), "Ursulet", "robert-tablet", "cheque", [], "none", True),
    ((16, 11), "Joachim", "robert-tablet", "cash", ["charger"], "mobile", False),
    ((11, 10), "Moutoussamy", "vauclin-smartphone", "voucher", ["sim_adapter"], "mobile", True),
    ((10, 15), "Fanfant", "vauclin-smartphone", "cash", [], "broadband", False),
]
HANDOVERS_TODAY = [
    ("Rosine", None, "cash", ["charger"], "broadband", False),
    ("Lordinot", None, "card", [], "none", True),
]
# Reserved today, to be handed over (or released) by the Technicien.
RESERVED_TODAY = ["Télèphe"]


def device_in_stock_before(session: Session, item: Request, moment: datetime) -> str:
    """The asset tag of the best matching device that was already in stock at ``moment``: a
    past reservation cannot take a device that reached the shelf after it."""
    for match in matching_devices(session, item, limit=200):
        if match.device.updated_at < moment:
            return match.device.asset_tag
    raise LookupError(f"Aucun appareil « {item.category} » en stock avant le {moment:%d/%m/%Y} pour la démonstration.")


def equip(session: Session, tech: Actor, item: Request, settings: DistributionSettings, moment: datetime, *,
          workshop_session_id: int | None, payment: str, accessories: list, internet_access: str,
          referred: bool) -> None:
    """Reserve a device for the request and hand it over, as the Technicien does at the counter."""
    reservation = reserve(session, tech, item.id, device_in_stock_before(session, item, moment),
                          hold_days=settings.reservation_days, now=moment)
    with clock_set_to(moment + timedelta(minutes=25)) as later:   # the household signs, pays, leaves
        handover(session, tech, reservation.id, settings, payment_method=payment, accessories=accessories,
                 workshop_session_id=workshop_session_id, internet_access=internet_access,
                 internet_offer_referred=referred, now=later)


def hold(session: Session, tech: Actor, item: Request, settings: DistributionSettings, moment: datetime) -> None:
    reserve(session, tech, item.id, device_in_stock_before(session, item, moment),
            hold_days=settings.reservation_days, now=moment)


def certificates_for_the_partner(session: Session, partner) -> None:
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

"""What the tour tests share: a household of Macouba with a device reserved for it, and a tour
taken out for a stop (issue 20). Plain functions, not fixtures: each test module says what it
sets up."""
from __future__ import annotations

from datetime import timedelta

from core.clock import to_local
from distribution.models import Reservation
from distribution.services.reservations import reserve
from distribution.services.tours import Programme, download_tour
from eligibility.services.requests import create_request, decide_request
from tests.helpers import actor, make_household, settings_for, stock_device

MACOUBA = "97215"


def reserved_in_macouba(app, session, shop, last_name: str, phone: str, category: str = "laptop") -> Reservation:
    """A household of Macouba (Rose ``last_name``), its request validated by Admin, a device of the
    test workshop reserved for it by the technicien."""
    household = make_household(app, session, "prescripteur", commune_insee=MACOUBA, last_name=last_name,
                               first_name="Rose", phone=phone)
    item = decide_request(session, actor(app, "admin"), create_request(session, actor(app, "prescripteur"),
                                                                       household, category), "validate")
    return reserve(session, actor(app, "technicien"), item.id, stock_device(session, shop, category).asset_tag)


def take_out(app, session, workshop, *, key: str, unit: str | None = "M1", username: str = "technicien", **kw):
    """The tour of ``workshop``'s day, downloaded three hours before it starts."""
    return download_tour(session, actor(app, username), tour_date=to_local(workshop.starts_at).date(),
                         session_ids=[workshop.id], device_key=key, settings=settings_for(app),
                         programme=Programme("Rekonekt", None), unit=unit,
                         now=workshop.starts_at - timedelta(hours=3), **kw)

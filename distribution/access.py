"""Who may do what in the handover, on top of the role grants checked by the views and APIs.

| Role                     | Handover                                                           |
|--------------------------|--------------------------------------------------------------------|
| Admin, Technicien        | waiting list, reservations, handover, invoices, workshop sessions  |
| Agent EPCI, Prescripteur | book the households they may see on a workshop                     |
| Animateur                | the sessions they facilitate: participants' names and attendance  |
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.actor import ANIMATEUR, TECHNICIEN, Actor
from core.schemas import parse_id
from core.errors import Forbidden, NotFound
from eligibility.access import household_for
from eligibility.models import Household



def is_stock_manager(actor: Actor) -> bool:
    return actor.is_admin or TECHNICIEN in actor.roles


def is_animateur(actor: Actor) -> bool:
    return ANIMATEUR in actor.roles


def require_stock_manager(actor: Actor) -> None:
    if not is_stock_manager(actor):
        raise Forbidden("Seuls l'atelier (technicien) et l'administrateur gèrent les réservations et les remises.")


def bookable_household(session: Session, actor: Actor, household_id) -> Household:
    """A household the actor may book on a workshop (else NotFound, as for any hidden household)."""
    if is_stock_manager(actor):
        key = parse_id(household_id)
        household = session.get(Household, key) if key is not None else None
        if household is None or household.anonymised_at is not None:
            raise NotFound("Foyer introuvable.")
        return household
    if actor.is_agent or actor.is_prescripteur:
        return household_for(session, actor, household_id)
    raise Forbidden("Votre rôle ne permet pas d'inscrire un foyer à un atelier.")

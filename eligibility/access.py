"""Who sees which households: the row-level rule, applied by every list, page, API, export and
search. A household outside the actor's scope is "not found" (404), so its existence never leaks.

| Role          | Households                                              |
|---------------|---------------------------------------------------------|
| Admin         | all                                                     |
| Agent EPCI    | those living in the communes of the agent's own EPCI    |
| Prescripteur  | those they referred                                     |
| anyone else   | none                                                    |
"""
from __future__ import annotations

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.errors import NotFound
from core.schemas import parse_id
from core.territory import Commune
from eligibility.models import Household, Request

HOUSEHOLD_NOT_FOUND = "Foyer introuvable."
REQUEST_NOT_FOUND = "Demande introuvable."


def scope(stmt: Select, actor: Actor) -> Select:
    """``stmt`` (selecting from Household, or joined to it) restricted to the actor's households."""
    if actor.is_admin:
        return stmt
    clauses = []
    if actor.is_agent:
        clauses.append(Household.commune_insee.in_(
            select(Commune.insee_code).where(Commune.epci_id == actor.epci_id).scalar_subquery()))
    if actor.is_prescripteur and actor.id is not None:
        clauses.append(Household.referrer_user_id == actor.id)
    if not clauses:
        return stmt.where(false())
    return stmt.where(or_(*clauses))


def can_see(actor: Actor, household: Household) -> bool:
    if actor.is_admin:
        return True
    if actor.is_agent and household.commune is not None and household.commune.epci_id == actor.epci_id:
        return True
    return actor.is_prescripteur and actor.id is not None and household.referrer_user_id == actor.id


def can_decide(actor: Actor, household: Household) -> bool:
    """Validating, refusing or asking for documents: an agent of the household's EPCI, or Admin."""
    return actor.is_admin or (actor.is_agent and household.commune.epci_id == actor.epci_id)


def visible_households(actor: Actor) -> Select:
    return scope(select(Household), actor)


def visible_requests(actor: Actor) -> Select:
    return scope(select(Request).join(Request.household), actor)


def household_for(session: Session, actor: Actor, household_id) -> Household:
    """The household if the actor may see it; NotFound otherwise (whether or not it exists)."""
    key = parse_id(household_id)   # beyond a database integer, no household can exist
    household = session.get(Household, key) if key is not None else None
    if household is None or not can_see(actor, household):
        raise NotFound(HOUSEHOLD_NOT_FOUND)
    return household


def request_for(session: Session, actor: Actor, request_id) -> Request:
    key = parse_id(request_id)
    item = session.get(Request, key) if key is not None else None
    if item is None or not can_see(actor, item.household):
        raise NotFound(REQUEST_NOT_FOUND)
    return item

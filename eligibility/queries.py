"""Read-side queries of the eligibility lists (no writes): pages of households and of requests,
scoped by ``eligibility.access``, each page read in a fixed number of statements whatever its
rows show (the commune, the EPCI, the requests, the decision)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from core.actor import Actor
from core.paging import Page, page_of
from core.territory import Commune
from eligibility.access import visible_households, visible_requests
from eligibility.models import AuditEntry, Decision, Household, Request

HOUSEHOLDS_PER_PAGE = 50
REQUESTS_PER_PAGE = 50
AUDIT_PER_PAGE = 100


def household_page(session: Session, actor: Actor, *, search: str | None = None, number: int | str = 1,
                   size: int | None = None) -> Page:
    """The households the actor may see, newest first, whose reference or head's name contains
    ``search``; each with its commune, EPCI and requests (three statements and a count)."""
    stmt = visible_households(actor).options(
        joinedload(Household.commune).joinedload(Commune.epci),
        selectinload(Household.requests).load_only(Request.household_id, Request.category, Request.status))
    if search:
        # « % » and « _ » are letters a person typed, not wildcards.
        stmt = stmt.where(Household.reference.icontains(search, autoescape=True)
                          | Household.last_name.icontains(search, autoescape=True))
    return page_of(session, stmt, [Household.id.desc()], number, size or HOUSEHOLDS_PER_PAGE)


def request_page(session: Session, actor: Actor, *, status: str | None = None, number: int | str = 1,
                 size: int | None = None) -> Page:
    """The requests the actor may see, oldest first, of one status (all when None); each with
    its household and commune and the verdict of its decision (or of its automatic preview)."""
    verdict = (Decision.eligible, Decision.tier)
    stmt = visible_requests(actor).options(
        contains_eager(Request.household).joinedload(Household.commune),
        joinedload(Request.decision).load_only(*verdict), joinedload(Request.preview).load_only(*verdict))
    if status:
        stmt = stmt.where(Request.status == status)
    count = None
    if actor.is_admin:     # every request is Admin's: counted without joining 100,000 households
        counted = select(func.count()).select_from(Request)
        count = session.execute(counted.where(Request.status == status) if status else counted).scalar_one()
    return page_of(session, stmt, [Request.created_at.asc(), Request.id.asc()], number, size or REQUESTS_PER_PAGE,
                   count=count)


def audit_page(session: Session, *, reference: str | None = None, number: int | str = 1,
               size: int | None = None) -> Page:
    """The income audit log, newest first, of one household (its reference) or of all."""
    stmt = select(AuditEntry)
    if reference:
        stmt = stmt.where(AuditEntry.household_reference == reference)
    return page_of(session, stmt, [AuditEntry.id.desc()], number, size or AUDIT_PER_PAGE)

"""Helpers shared by the eligibility services."""
from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.territory import Commune, Epci
from core.actor import Actor
from eligibility.models import AuditEntry, Household
from eligibility.vocabulary import AuditAction


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def territory(session: Session) -> dict[str, str]:
    """INSEE code → EPCI short name, for the 34 communes of Martinique."""
    return dict(session.execute(select(Commune.insee_code, Epci.short_name).join(Commune.epci)).all())


def audit(session: Session, action: AuditAction, household: Household | None, actor: Actor,
          changes: dict | None = None) -> None:
    """Append one entry to the income audit log, in the caller's transaction."""
    session.add(AuditEntry(user_id=actor.id, username=actor.name, action=action.value,
                           household_id=household.id if household is not None else None,
                           household_reference=household.reference if household is not None else None,
                           changes=changes or {}))

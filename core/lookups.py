"""Suggestions for the fields that name a shared-kernel record by its code or name (the
autocomplete of search forms): organisations, communes, EPCI. Read-only."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.organisations import Organisation
from core.territory import Commune, Epci

SUGGESTIONS = 10


def organisation_suggestions(session: Session, text: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(name, label) of the organisations whose name or SIRET holds ``text``."""
    named = Organisation.name.icontains(text, autoescape=True) | Organisation.siret.contains(text, autoescape=True)
    rows = session.execute(select(Organisation.name, Organisation.siret).where(named)
                           .order_by(Organisation.name).limit(limit))
    return [(name, f"{name} (SIRET {siret})" if siret else name) for name, siret in rows]


def commune_suggestions(session: Session, text: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(INSEE code, label) of the communes whose name or INSEE code holds ``text``."""
    named = Commune.name.icontains(text, autoescape=True) | Commune.insee_code.contains(text, autoescape=True)
    rows = session.execute(select(Commune.insee_code, Commune.name).where(named).order_by(Commune.name).limit(limit))
    return [(insee, f"{name} ({insee})") for insee, name in rows]


def epci_suggestions(session: Session, text: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(short name, label) of the EPCI whose short or official name holds ``text``."""
    named = Epci.short_name.icontains(text, autoescape=True) | Epci.official_name.icontains(text, autoescape=True)
    rows = session.execute(select(Epci.short_name, Epci.official_name).where(named)
                           .order_by(Epci.short_name).limit(limit))
    return [(short, f"{short} — {official}") for short, official in rows]

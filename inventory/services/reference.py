"""Organisations, sites and locations: created through here so that SIRET and codes are
checked the same way from every entry point (UI forms, demo data, CLI)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.territory import Commune
from inventory.codes import clean_identifier, siret_problem
from core.organisations import Organisation
from inventory.models import Location, Site
from core.unit_of_work import unit_of_work
from core.vocabulary import OrganisationKind
from inventory.vocabulary import LocationKind, SiteKind


def check_organisation(session: Session, *, kind: str, name: str, siret: str | None,
                       commune_insee: str | None, exclude_id: int | None = None) -> dict:
    """Validate an organisation's fields; return them cleaned, or raise ValidationFailed."""
    errors: dict[str, list[str]] = {}
    if kind not in OrganisationKind.values():
        errors["kind"] = [f"Type inconnu : valeurs acceptées : {', '.join(OrganisationKind.values())}."]
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Nom obligatoire."]
    siret = re.sub(r"\s", "", siret or "") or None
    if siret:
        problem = siret_problem(siret)
        if problem:
            errors["siret"] = [f"SIRET invalide : {problem}"]
        else:
            clash = session.execute(
                select(Organisation).where(Organisation.siret == siret, Organisation.id != (exclude_id or 0))
            ).scalar_one_or_none()
            if clash:
                errors["siret"] = [f"Ce SIRET est déjà celui de « {clash.name} »."]
    if commune_insee and session.get(Commune, commune_insee) is None:
        errors["commune"] = [f"Commune inconnue (code INSEE {commune_insee}) : une des 34 communes de Martinique attendue."]
    if errors:
        raise ValidationFailed(errors)
    return {"kind": kind, "name": name, "siret": siret, "commune_insee": commune_insee or None}


def create_organisation(session: Session, *, kind: str, name: str, siret: str | None = None,
                        commune_insee: str | None = None) -> Organisation:
    with unit_of_work(session):
        org = Organisation(**check_organisation(session, kind=kind, name=name, siret=siret,
                                                commune_insee=commune_insee))
        session.add(org)
    return org


def update_organisation(session: Session, organisation_id: int, *, kind: str, name: str,
                        siret: str | None = None, commune_insee: str | None = None) -> Organisation:
    """Correct an organisation, checked as at its creation. Raises NotFound, ValidationFailed."""
    with unit_of_work(session):
        org = session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound(f"Organisation n° {organisation_id} introuvable.")
        cleaned = check_organisation(session, kind=kind, name=name, siret=siret, commune_insee=commune_insee,
                                     exclude_id=org.id)
        for field, value in cleaned.items():
            setattr(org, field, value)
    return org


def _site_errors(session: Session, *, name: str | None, kind: str, commune_insee: str | None,
                 organisation_id: int | None) -> dict[str, list[str]]:
    """What is wrong with a site's fields other than its code."""
    errors: dict[str, list[str]] = {}
    if kind not in SiteKind.values():
        errors["kind"] = [f"Type inconnu : valeurs acceptées : {', '.join(SiteKind.values())}."]
    if not (name or "").strip():
        errors["name"] = ["Nom obligatoire."]
    if commune_insee and session.get(Commune, commune_insee) is None:
        errors["commune"] = [f"Commune inconnue (code INSEE {commune_insee})."]
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        errors["organisation"] = [f"Organisation n° {organisation_id} inconnue."]
    return errors


def check_site(session: Session, *, code: str | None, name: str | None, kind: str,
               commune_insee: str | None, organisation_id: int | None = None) -> dict:
    """Validate a new site's fields; return its code and name cleaned, or raise ValidationFailed.
    The code, 2 to 10 letters or digits stored in capitals without blanks (" la m " is LAM), goes
    into its locations' codes (LOC-LAM-A01)."""
    code = "".join((code or "").split()).upper()
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[A-Z0-9]{2,10}", code):
        errors["code"] = ["Code court de 2 à 10 lettres ou chiffres attendu (par exemple LAM)."]
    elif session.execute(select(Site).where(Site.code == code)).scalar_one_or_none():
        errors["code"] = [f"Le code de site {code} existe déjà."]
    errors.update(_site_errors(session, name=name, kind=kind, commune_insee=commune_insee,
                               organisation_id=organisation_id))
    if errors:
        raise ValidationFailed(errors)
    return {"code": code, "name": name.strip()}


def create_site(session: Session, *, code: str, name: str, kind: str = SiteKind.WORKSHOP.value,
                address: str | None = None, commune_insee: str | None = None,
                organisation_id: int | None = None) -> Site:
    cleaned = check_site(session, code=code, name=name, kind=kind, commune_insee=commune_insee,
                         organisation_id=organisation_id)
    with unit_of_work(session):
        site = Site(**cleaned, kind=kind, address=address, commune_insee=commune_insee,
                    organisation_id=organisation_id)
        session.add(site)
    return site


def update_site(session: Session, site_id: int, *, name: str, kind: str, address: str | None = None,
                commune_insee: str | None = None, organisation_id: int | None = None) -> Site:
    """Correct a site's name, kind, address, commune and organisation; its code, which is in
    every one of its locations' codes, stays. Raises NotFound, ValidationFailed."""
    with unit_of_work(session):
        site = session.get(Site, site_id)
        if site is None:
            raise NotFound(f"Site n° {site_id} introuvable.")
        errors = _site_errors(session, name=name, kind=kind, commune_insee=commune_insee,
                              organisation_id=organisation_id)
        if errors:
            raise ValidationFailed(errors)
        site.name, site.kind = name.strip(), kind
        site.address = (address or "").strip() or None
        site.commune_insee, site.organisation_id = commune_insee or None, organisation_id
    return site


def location_code(site: Site, label: str) -> str:
    """``LOC-<site code>-<label>``, e.g. LOC-LAM-A01."""
    return f"LOC-{site.code}-{clean_identifier(label)}"


def create_location(session: Session, *, site_id: int, label: str, name: str | None = None,
                    kind: str = LocationKind.BIN.value) -> Location:
    """Create a bin or shelf; its code is derived from the site and the short label."""
    site = session.get(Site, site_id)
    errors: dict[str, list[str]] = {}
    label = clean_identifier(label or "")
    if site is None:
        errors["site"] = ["Site inconnu."]
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{0,19}", label):
        errors["label"] = ["Repère de 1 à 20 lettres, chiffres ou tirets attendu (par exemple A01)."]
    if kind not in LocationKind.values():
        errors["kind"] = [f"Type inconnu : valeurs acceptées : {', '.join(LocationKind.values())}."]
    if not errors:
        code = location_code(site, label)
        if session.execute(select(Location).where(Location.code == code)).scalar_one_or_none():
            errors["label"] = [f"L'emplacement {code} existe déjà."]
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        location = Location(site=site, code=code, name=(name or "").strip() or label, kind=kind)
        session.add(location)
    return location


def update_location(session: Session, location_id: int, *, name: str | None, kind: str, active: bool) -> Location:
    """Rename a location, change its kind, or (de)activate it; its code stays (it is on its label).
    Raises NotFound, ValidationFailed."""
    with unit_of_work(session):
        location = session.get(Location, location_id)
        if location is None:
            raise NotFound(f"Emplacement n° {location_id} introuvable.")
        if kind not in LocationKind.values():
            raise ValidationFailed({"kind": [f"Type inconnu : valeurs acceptées : {', '.join(LocationKind.values())}."]})
        location.name = (name or "").strip() or location.code.removeprefix(location_code(location.site, ""))
        location.kind, location.active = kind, bool(active)
    return location

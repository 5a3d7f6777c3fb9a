"""Collections: a donor's batch, numbered COL-YYYY-NNNN."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from core.counters import next_value
from core.errors import NotFound, ValidationFailed
from core.organisations import Organisation
from inventory.models import Collection, Site
from core.unit_of_work import unit_of_work
from core.vocabulary import OrganisationKind


def collection_reference(year: int, number: int) -> str:
    return f"COL-{year}-{number:04d}"


def create_collection(session: Session, *, donor: int, collected_on: date, site: int,
                      declared_count: int = 0, weight_kg: Decimal | None = None,
                      notes: str | None = None, user_id: int | None = None) -> Collection:
    """Open a collection for a donor organisation. Numbers are per year of collection,
    gapless, and unique even under concurrent creation. Raises ValidationFailed."""
    errors: dict[str, list[str]] = {}
    donor_org = session.get(Organisation, donor)
    if donor_org is None:
        errors["donor"] = [f"Donateur : organisation n° {donor} inconnue."]
    elif donor_org.kind != OrganisationKind.DONOR.value:
        errors["donor"] = [f"« {donor_org.name} » n'est pas un donateur (type : {donor_org.kind_label})."]
    site_obj = session.get(Site, site)
    if site_obj is None:
        errors["site"] = [f"Site n° {site} inconnu."]
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work(session):
        number = next_value(session, f"collection:{collected_on.year}")
        collection = Collection(
            reference=collection_reference(collected_on.year, number),
            donor=donor_org,
            collected_on=collected_on,
            site=site_obj,
            declared_count=declared_count,
            weight_kg=weight_kg,
            notes=(notes or "").strip() or None,
            created_by_id=user_id,
        )
        session.add(collection)
    return collection


def update_collection(session: Session, collection_id: int, data: dict) -> Collection:
    """Correct a collection's announced count, weight and notes; ``data`` comes from
    ``CollectionEditIn``. Raises NotFound."""
    with unit_of_work(session):
        collection = session.get(Collection, collection_id)
        if collection is None:
            raise NotFound(f"Collecte n° {collection_id} introuvable.")
        collection.declared_count = data["declared_count"]
        collection.weight_kg = data.get("weight_kg")
        collection.notes = (data.get("notes") or "").strip() or None
    return collection

"""Reading the filters a user typed (query string or form) against the reference data."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.territory import Epci
from core.organisations import Organisation
from reporting.filters import Filters, build_filters, parse_day


def filters_from_args(session: Session, args) -> Filters:
    """``from``, ``to`` (AAAA-MM-JJ), ``epci`` (short name or id), ``donor`` (id), ``category``."""
    epci_id = None
    if args.get("epci"):
        value = args["epci"].strip()
        epci_id = session.execute(select(Epci.id).where(
            (func.lower(Epci.short_name) == value.lower()) | (Epci.id == (int(value) if value.isdigit() else -1))
        )).scalar_one_or_none()
        if epci_id is None:
            raise ValidationFailed({"epci": ["EPCI inconnu : CACEM, CAP Nord ou Espace Sud."]})
    donor_id = None
    if args.get("donor"):
        value = args["donor"].strip()
        donor_id = int(value) if value.isdigit() else None
        if donor_id is None or session.get(Organisation, donor_id) is None:
            raise ValidationFailed({"donor": ["Identifiant d'organisation donatrice attendu."]})
    return build_filters(start=parse_day(args.get("from"), "from"), end=parse_day(args.get("to"), "to"),
                         epci_id=epci_id, donor_id=donor_id, category=(args.get("category") or "").strip() or None)

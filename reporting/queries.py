"""Reading the filters a user typed (query string, form or command line) against the reference
data. Every id is checked here, not at the web edge: an EPCI or a donor that is not written as an
id a database holds (``"²"``, twenty digits) or that no row has is a ValidationFailed naming the
filter, on both engines alike."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import ValidationFailed
from core.organisations import Organisation
from core.schemas import forbidden_text, parse_id
from core.territory import Epci
from core.vocabulary import OrganisationKind
from reporting.donor import donor_name
from reporting.filters import Filters, build_filters, parse_day

EPCI_UNKNOWN = "EPCI inconnu : CACEM, CAP Nord ou Espace Sud."
DONOR_EXPECTED = "Identifiant d'organisation donatrice attendu."


def epci_id_of(session: Session, value: str | int) -> int:
    """The id of the EPCI named by its short name (any case) or its id; ValidationFailed on
    ``epci`` otherwise."""
    text = str(value).strip()
    number = parse_id(value)
    if number is not None:
        found = session.get(Epci, number)
        epci_id = found.id if found is not None else None
    elif text and not forbidden_text(text):
        epci_id = session.execute(select(Epci.id).where(func.lower(Epci.short_name) == text.lower())
                                  ).scalar_one_or_none()
    else:
        epci_id = None
    if epci_id is None:
        raise ValidationFailed({"epci": [EPCI_UNKNOWN]})
    return epci_id


def donor_id_of(session: Session, value: str | int) -> int:
    """The id of the organisation ``value`` names (its id); ValidationFailed on ``donor`` otherwise."""
    donor_id = parse_id(value)
    if donor_id is None or session.get(Organisation, donor_id) is None:
        raise ValidationFailed({"donor": [DONOR_EXPECTED]})
    return donor_id


def checked_filters(session: Session, f: Filters) -> Filters:
    """``f`` once its EPCI and donor ids are known rows (and its category a known one), for
    filters built in code rather than read from what a user typed; ValidationFailed naming the
    filter otherwise."""
    if f.epci_id is not None:
        epci_id_of(session, f.epci_id)
    if f.donor_id is not None:
        donor_id_of(session, f.donor_id)
    build_filters(start=f.start, end=f.end, category=f.category)
    return f


def filters_from_args(session: Session, args) -> Filters:
    """``from``, ``to`` (AAAA-MM-JJ), ``epci`` (short name or id), ``donor`` (id), ``category``;
    ValidationFailed naming the first filter refused."""
    epci = (args.get("epci") or "").strip()
    donor = (args.get("donor") or "").strip()
    return build_filters(start=parse_day(args.get("from"), "from"), end=parse_day(args.get("to"), "to"),
                         epci_id=epci_id_of(session, epci) if epci else None,
                         donor_id=donor_id_of(session, donor) if donor else None,
                         category=(args.get("category") or "").strip() or None)


def scope_label(session: Session, f: Filters) -> str:
    """What the figures cover, in French: a donor, an EPCI or the whole programme."""
    if f.donor_id is not None:
        return f"Donateur : {donor_name(session, f.donor_id)}"
    if f.epci_id is not None:
        epci = session.get(Epci, f.epci_id)
        return f"EPCI : {epci.short_name if epci else '—'}"
    return "Tout le programme"


def epci_choices(session: Session) -> list[Epci]:
    """The EPCIs a filter may name, by short name."""
    return list(session.execute(select(Epci).order_by(Epci.short_name)).scalars())


def donor_choices(session: Session) -> list[Organisation]:
    """The donor organisations a filter may name, by name."""
    return list(session.execute(select(Organisation).where(Organisation.kind == OrganisationKind.DONOR.value)
                                .order_by(Organisation.name)).scalars())

"""What became of a donor's devices: received, sanitised (with their certificates), reused,
recycled, still in the workshop; distributed per EPCI and per commune; each collection with its
outcomes. Never a household's identity: only communes and counts."""
from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.clock import to_local
from core.territory import Commune, Epci
from distribution.models import Invoice
from eligibility.models import Household
from inventory.lifecycle import State, StateGroup
from core.organisations import Organisation
from inventory.models import Certificate, Collection, Device, DeviceEvent
from reporting.filters import Filters
from reporting.records import counted_event
from reporting.tables import Table



def donor_tables(session: Session, f: Filters) -> list[Table]:
    """The donor's own tables (``f.donor_id`` is set). Devices of collections received in the period."""
    in_period = and_(Collection.collected_on >= f.start, Collection.collected_on <= f.end,
                     Collection.donor_id == f.donor_id)
    category = [Device.category == f.category] if f.category else []
    sanitised = select(DeviceEvent.device_id).where(counted_event("sanitised")).distinct().scalar_subquery()
    per_collection = session.execute(
        select(Collection.id, Collection.reference, Collection.collected_on, func.count(Device.id),
               func.sum(case((Device.id.in_(sanitised), 1), else_=0)),
               func.sum(case((Device.state == State.DISTRIBUTED.value, 1), else_=0)),
               func.sum(case((Device.state.in_(StateGroup.END_OF_LIFE), 1), else_=0)))
        .select_from(Collection).outerjoin(Device, and_(Device.collection_id == Collection.id, *category))
        .where(in_period).group_by(Collection.id, Collection.reference, Collection.collected_on)
        .order_by(Collection.collected_on, Collection.id)).all()
    certificates = dict(session.execute(
        select(Certificate.collection_id, func.max(Certificate.number))
        .where(Certificate.kind == "collection", Certificate.donor_id == f.donor_id)
        .group_by(Certificate.collection_id)).all())
    device_certificates = dict(session.execute(
        select(Certificate.collection_id, func.count()).where(Certificate.kind == "device",
                                                              Certificate.donor_id == f.donor_id)
        .group_by(Certificate.collection_id)).all())
    collections = [[ref, on.strftime("%d/%m/%Y"), int(n), int(s or 0), int(d or 0), int(r or 0),
                    int(n) - int(d or 0) - int(r or 0), certificates.get(cid) or "—", device_certificates.get(cid, 0)]
                   for cid, ref, on, n, s, d, r in per_collection]
    received = sum(r[2] for r in collections)
    totals = [["Appareils reçus", received], ["Données effacées", sum(r[3] for r in collections)],
              ["Réemployés (remis à des foyers)", sum(r[4] for r in collections)],
              ["Recyclés ou démontés pour pièces", sum(r[5] for r in collections)],
              ["Encore à l'atelier", sum(r[6] for r in collections)]]
    by_commune = session.execute(
        select(Epci.short_name, Commune.name, func.count())
        .select_from(Invoice).join(Device, Device.id == Invoice.device_id)
        .join(Collection, Collection.id == Device.collection_id)
        .join(Household, Household.id == Invoice.household_id)
        .join(Commune, Commune.insee_code == Household.commune_insee).join(Epci, Epci.id == Commune.epci_id)
        .where(in_period, *category).group_by(Epci.short_name, Commune.name)
        .order_by(Epci.short_name, Commune.name)).all()
    device_certs = session.execute(
        select(Certificate.number, Device.asset_tag, Collection.reference, Certificate.issued_at)
        .join(Device, Device.id == Certificate.device_id).join(Collection, Collection.id == Certificate.collection_id)
        .where(Certificate.kind == "device", in_period, *category).order_by(Certificate.number)).all()
    by_epci: dict[str, int] = {}
    for epci, _name, n in by_commune:
        by_epci[epci] = by_epci.get(epci, 0) + n
    return [
        Table("donor_totals", "Ce que sont devenus vos appareils", ["Devenir", "Appareils"], totals,
              {"kind": "bar", "items": [(label, n) for label, n in totals[1:]]}, sheet="Devenir de vos appareils"),
        Table("donor_epci", "Appareils remis par EPCI", ["EPCI", "Appareils remis"],
              [[e, n] for e, n in sorted(by_epci.items())], {"kind": "bar", "items": sorted(by_epci.items())}),
        Table("donor_communes", "Appareils remis par commune", ["EPCI", "Commune", "Appareils remis"],
              [[e, c, n] for e, c, n in by_commune]),
        Table("donor_collections", "Vos collectes", ["Collecte", "Date", "Appareils", "Effacés", "Remis", "Recyclés",
                                                     "À l'atelier", "Certificat de collecte", "Certificats par appareil"],
              collections, links=frozenset({7})),
        Table("donor_certificates", "Certificats d'effacement de vos appareils",
              ["Certificat", "Appareil", "Collecte", "Émis le"],
              [[number, tag, ref, to_local(at).strftime("%d/%m/%Y")] for number, tag, ref, at in device_certs],
              links=frozenset({0}), sheet="Certificats d'effacement"),
    ]


def donor_name(session: Session, donor_id: int) -> str:
    organisation = session.get(Organisation, donor_id)
    return organisation.name if organisation else "—"


def certificate_for_donor(session: Session, donor_id: int | None, number: str) -> Certificate | None:
    """A certificate of one of the donor's collections or devices (None otherwise); with no donor
    (Admin without a donor filter), any certificate of that number."""
    stmt = select(Certificate).where(Certificate.number == number.strip().upper())
    if donor_id is not None:
        stmt = stmt.where(Certificate.donor_id == donor_id)
    return session.execute(stmt).scalar_one_or_none()

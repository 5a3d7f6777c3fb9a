"""What each kind of label says, built from the workshop's objects for the ``labels`` renderer."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.clock import to_local
from core.numbers import decimal_text
from core.errors import NotFound, ValidationFailed
from inventory.codes import clean_identifier
from inventory.models import Certificate, Collection, Device, Location, SparePart, StorageMedium
from inventory.sanitisation import covering_record, is_safe
from core.vocabulary import Category
from inventory.vocabulary import MediumOrigin, PartType
from labels.data import LabelData

KINDS = ("device", "location", "collection", "spare_part")
MAX_LABELS = 2000


def spare_part_code(part: SparePart) -> str:
    return f"SP-{part.id:06d}"


def device_label(device: Device) -> LabelData:
    specs = " · ".join(filter(None, [
        device.cpu,
        f"{decimal_text(device.ram_gb)} Go" if device.ram_gb else None,
        device.storage_summary,
    ]))
    lines = [specs] if specs else []
    tail = []
    if device.grade:
        tail.append(f"Note {device.grade}")
    donated = [m for m in device.media if m.origin != MediumOrigin.FITTED.value]
    if donated and all(is_safe(m) for m in device.media):
        last = max((covering_record(m).ended_at or covering_record(m).recorded_at) for m in donated)
        tail.append(f"Données effacées le {to_local(last).strftime('%d/%m/%Y')}")
    if tail:
        lines.append(" · ".join(tail))
    return LabelData(device.asset_tag, f"{Category.label_of(device.category)} — {device.brand} {device.model}", tuple(lines))


def location_label(location: Location) -> LabelData:
    return LabelData(location.code, lines=(f"{location.name} — {location.site.name}",), large_code=True)


def collection_label(collection: Collection, verify_base_url: str | None, certificate: Certificate | None) -> LabelData:
    url = f"{verify_base_url.rstrip('/')}/verify/{certificate.verification_code}" if certificate and verify_base_url else None
    return LabelData(collection.reference, collection.donor.name,
                     (f"Collectée le {collection.collected_on.strftime('%d/%m/%Y')}",), url=url)


def spare_part_label(part: SparePart) -> LabelData:
    return LabelData(spare_part_code(part), f"{PartType.label_of(part.part_type)} — {part.description}",
                     tuple(filter(None, [part.compatible_models])))


def _split(codes: str | list[str]) -> list[str]:
    if isinstance(codes, str):
        codes = codes.replace(";", ",").replace("\n", ",").split(",")
    return [clean_identifier(c) for c in codes if c and c.strip()]


def build_labels(session: Session, kind: str, codes: str | list[str], *, verify_base_url: str | None = None) -> list[LabelData]:
    """The labels for ``codes`` (asset tags, LOC-…, COL-… or SP-… codes), in the given order.
    Raises ValidationFailed (unknown kind, empty selection, too many) or NotFound (an unknown
    code, named)."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": [f"Type d'étiquette inconnu « {kind} » : valeurs acceptées : {', '.join(KINDS)}."]})
    wanted = _split(codes)
    if not wanted:
        raise ValidationFailed({"codes": ["Sélection vide : indiquez au moins un code à imprimer."]})
    if len(wanted) > MAX_LABELS:
        raise ValidationFailed({"codes": [f"{MAX_LABELS} étiquettes au plus par impression."]})
    if kind == "device":
        rows = session.execute(select(Device).where(Device.asset_tag.in_(wanted))
                               .options(selectinload(Device.media).selectinload(StorageMedium.erasures))).scalars()
        found = {d.asset_tag: device_label(d) for d in rows}
        noun = "appareil"
    elif kind == "location":
        rows = session.execute(select(Location).where(Location.code.in_(wanted)).options(joinedload(Location.site))).scalars()
        found = {loc.code: location_label(loc) for loc in rows}
        noun = "emplacement"
    elif kind == "collection":
        rows = list(session.execute(select(Collection).where(Collection.reference.in_(wanted))
                                    .options(joinedload(Collection.donor))).scalars())
        certificates = {c.collection_id: c for c in session.execute(
            select(Certificate).where(Certificate.kind == "collection", Certificate.collection_id.in_([r.id for r in rows]))
            .order_by(Certificate.id)).scalars()}
        found = {c.reference: collection_label(c, verify_base_url, certificates.get(c.id)) for c in rows}
        noun = "collecte"
    else:
        ids = [int(code[3:]) for code in wanted if code.startswith("SP-") and code[3:].isdecimal() and len(code) <= 12]
        rows = session.execute(select(SparePart).where(SparePart.id.in_(ids))).scalars()
        found = {spare_part_code(p): spare_part_label(p) for p in rows}
        noun = "pièce"
    missing = [code for code in wanted if code not in found]
    if missing:
        raise NotFound(f"Code inconnu pour une étiquette de type {noun} : {', '.join(missing)}.")
    return [found[code] for code in wanted]

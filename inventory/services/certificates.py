"""Issuing certificates of data sanitisation, fetching the issued ones (never issuing), and verifying them.

A certificate covers the media that came with the donated devices (not those fitted by the
workshop). It is issued only when every one of them is sanitised or destroyed; otherwise the
refusal lists what is missing. The PDF and its SHA-256 are stored at issue. Asking again while
the same records cover the same media returns the same certificate (no new number).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.clock import to_local, utcnow
from core.counters import next_value
from core.numbers import decimal_text
from core.errors import Conflict, NotFound
from inventory.certificate_pdf import CertificateData, MediumRow, Programme, render_certificate
from inventory.models import Certificate, Collection, Device, ErasureRecord, StorageMedium
from inventory.sanitisation import MediumState, covering_record, medium_state
from core.unit_of_work import unit_of_work
from inventory.services.common import device_by_tag
from core.vocabulary import Category
from inventory.vocabulary import (
    Destination,
    ErasureLevel,
    ErasureResult,
    ErasureTechnique,
    MediumKind,
    MediumOrigin,
)

# Crockford's base 32: no I, L, O, U, so a code read aloud or typed is not mistaken.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class CertificateRefused(Conflict):
    """Some media are not sanitised yet; ``missing`` lists them."""

    def __init__(self, message: str, missing: list[dict]) -> None:
        super().__init__(message, missing=missing)
        self.missing = missing


def new_verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    """What a person may type: lower case, spaces, O for 0, I/L for 1."""
    cleaned = "".join(code.split()).upper().replace("-", "").replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i:i + 4] for i in range(0, len(cleaned), 4))


def mask_serial(serial: str | None) -> str:
    """All but the last 4 characters hidden: enough for a donor to recognise a disk."""
    if not serial:
        return "—"
    return "•" * max(len(serial) - 4, 0) + serial[-4:]


def _local(moment: datetime | None) -> str:
    local = to_local(moment)
    return local.strftime("%d/%m/%Y %H:%M") if local else ""


def _person(name: str | None, role: str | None) -> str:
    if not name:
        return "—"
    return f"{name} ({role})" if role else name


def _row(medium: StorageMedium, record: ErasureRecord) -> MediumRow:
    technique = ErasureTechnique.label_of(record.technique)
    if record.method:
        technique += f" ({record.method})"
    tool = " ".join(filter(None, [record.tool, record.tool_version])) or "—"
    if record.passes:
        tool += f", {record.passes} passe(s)"
    if record.level == ErasureLevel.DESTROY:
        verification = "Destruction physique"
    else:
        verification = (record.verification_method or "Vérification") + (" : conforme" if record.verified else " : non faite")
    capacity = f"{decimal_text(medium.capacity_gb)} Go" if medium.capacity_gb else "—"
    return MediumRow(
        asset_tag=medium.device.asset_tag,
        kind=MediumKind.label_of(medium.kind),
        maker_model=" ".join(filter(None, [medium.manufacturer, medium.model])) or "—",
        serial_number=medium.serial_number or "(sans numéro)",
        capacity=capacity,
        level=ErasureLevel.label_of(record.level),
        technique=technique,
        tool=tool,
        verification=verification,
        result=ErasureResult.label_of(record.result),
        date=_local(record.ended_at or record.recorded_at),
        sanitised_by=_person(record.sanitised_by, record.sanitised_by_role),
        verified_by=_person(record.verified_by, record.verified_by_role),
        destination=Destination.label_of(record.destination) or "—",
    )


def _covered(media: list[StorageMedium]) -> tuple[list[tuple[StorageMedium, ErasureRecord]], list[dict]]:
    covered, missing = [], []
    for medium in media:
        if medium.origin == MediumOrigin.FITTED.value:
            continue
        record = covering_record(medium)
        if record is None:
            state = medium_state(medium)
            missing.append({"asset_tag": medium.device.asset_tag, "medium": medium.id, "kind": medium.kind,
                            "serial_number": medium.serial_number, "state": state.value, "state_label": state.label})
        else:
            covered.append((medium, record))
    return covered, missing


def _refusal(missing: list[dict]) -> CertificateRefused:
    listed = " ; ".join(f"{m['asset_tag']} : {MediumKind.label_of(m['kind'])} {m['serial_number'] or '(sans numéro)'} "
                        f"— {m['state_label'].lower()}" for m in missing)
    return CertificateRefused(f"Certificat impossible : {len(missing)} support(s) pas encore effacé(s) ni détruit(s). {listed}.", missing)


def _fingerprint(covered: list[tuple[StorageMedium, ErasureRecord]]) -> str:
    key = ";".join(f"{m.id}:{r.id}" for m, r in sorted(covered, key=lambda pair: pair[0].id))
    return hashlib.sha256(key.encode()).hexdigest()


def _summary(cert_kind: str, number: str, issued_at: datetime, donor: str, collection: Collection,
             device: Device | None, covered: list[tuple[StorageMedium, ErasureRecord]]) -> dict:
    """What ``/verify`` shows: no personal data (no operator names), serials masked."""
    states = [medium_state(m) for m, _ in covered]
    return {
        "number": number, "kind": cert_kind, "issued_at": issued_at.isoformat(), "donor": donor,
        "collection": collection.reference, "device": device.asset_tag if device else None,
        "media_count": len(covered),
        "sanitised_count": sum(1 for s in states if s == MediumState.SANITISED),
        "destroyed_count": sum(1 for s in states if s == MediumState.DESTROYED),
        "media": [{"device": m.device.asset_tag, "kind": m.kind, "serial": mask_serial(m.serial_number),
                   "level": r.level, "result": r.result, "date": (r.ended_at or r.recorded_at).isoformat()}
                  for m, r in covered],
    }


def _issue(session: Session, *, cert_kind: str, collection: Collection, device: Device | None,
           media: list[StorageMedium], subject: str, programme: Programme, base_url: str,
           user_id: int | None, now: datetime) -> tuple[Certificate, bool]:
    """(certificate, newly issued): the one already issued for the same records, or a new one."""
    covered, missing = _covered(media)
    if missing:
        raise _refusal(missing)
    if not covered:
        raise Conflict("Aucun support de données donné à certifier : rien à effacer ici.")
    fingerprint = _fingerprint(covered)
    existing = session.execute(
        select(Certificate).where(Certificate.kind == cert_kind, Certificate.collection_id == collection.id,
                                  Certificate.device_id == (device.id if device else None),
                                  Certificate.fingerprint == fingerprint)
        .order_by(Certificate.id.desc())
    ).scalars().first()
    if existing is not None:
        return existing, False
    with unit_of_work(session):
        year = to_local(now).year
        number = f"CERT-{year}-{next_value(session, f'certificate:{year}'):05d}"
        code = new_verification_code()
        donor = collection.donor.name
        data = CertificateData(
            programme=programme, number=number, issued_on=_local(now), donor=donor,
            collection=f"{collection.reference} du {collection.collected_on.strftime('%d/%m/%Y')}",
            verification_code=code, verify_url=f"{base_url.rstrip('/')}/verify/{code}", subject=subject,
            rows=[_row(m, r) for m, r in covered],
            sanitised_by=sorted({_person(r.sanitised_by, r.sanitised_by_role) for _, r in covered if r.sanitised_by}),
            verified_by=sorted({_person(r.verified_by, r.verified_by_role) for _, r in covered if r.verified_by}),
        )
        pdf = render_certificate(data)
        certificate = Certificate(
            number=number, kind=cert_kind, device=device, collection=collection, donor_id=collection.donor_id,
            verification_code=code, fingerprint=fingerprint, pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            summary=_summary(cert_kind, number, now, donor, collection, device, covered),
            issued_at=now, issued_by_id=user_id,
        )
        session.add(certificate)
    return certificate, True


def issue_device_certificate(session: Session, asset_tag: str, *, programme: Programme, base_url: str,
                             user_id: int | None = None, now: datetime | None = None) -> tuple[Certificate, bool]:
    """(the certificate of one device, newly issued): the same records give back the same
    certificate, with no new number. Raises NotFound, CertificateRefused (409, with the missing
    media) or Conflict (no donated medium)."""
    device = device_by_tag(session, asset_tag)
    subject = (f"Appareil {device.asset_tag} — {Category.label_of(device.category)} {device.brand} {device.model}"
               + (f" (n° de série {device.serial_number})" if device.serial_number else ""))
    return _issue(session, cert_kind="device", collection=device.collection, device=device, media=list(device.media),
                  subject=subject, programme=programme, base_url=base_url, user_id=user_id, now=now or utcnow())


def device_certificate(session: Session, asset_tag: str, *, programme: Programme, base_url: str,
                       user_id: int | None = None, now: datetime | None = None) -> Certificate:
    """The certificate of one device (see ``issue_device_certificate``)."""
    return issue_device_certificate(session, asset_tag, programme=programme, base_url=base_url,
                                    user_id=user_id, now=now)[0]


def collection_certificate(session: Session, collection_id: int, *, programme: Programme, base_url: str,
                           user_id: int | None = None, now: datetime | None = None) -> Certificate:
    """The summary certificate of a whole collection (see ``issue_collection_certificate``)."""
    return issue_collection_certificate(session, collection_id, programme=programme, base_url=base_url,
                                        user_id=user_id, now=now)[0]


def issue_collection_certificate(session: Session, collection_id: int, *, programme: Programme, base_url: str,
                                 user_id: int | None = None,
                                 now: datetime | None = None) -> tuple[Certificate, bool]:
    """(the summary certificate of a whole collection — every medium of its devices —, newly
    issued). Raises NotFound, CertificateRefused or Conflict, as for a device."""
    collection = session.execute(
        select(Collection).where(Collection.id == collection_id).options(joinedload(Collection.donor))
    ).scalar_one_or_none()
    if collection is None:
        raise NotFound(f"Collecte n° {collection_id} inconnue.")
    media = list(session.execute(
        select(StorageMedium).join(Device).where(Device.collection_id == collection_id)
        .options(joinedload(StorageMedium.device), selectinload(StorageMedium.erasures))
        .order_by(Device.asset_tag, StorageMedium.id)
    ).scalars())
    devices = len({m.device_id for m in media})
    subject = f"Collecte {collection.reference} : {devices} appareil(s), {len(media)} support(s) de données"
    return _issue(session, cert_kind="collection", collection=collection, device=None, media=media, subject=subject,
                  programme=programme, base_url=base_url, user_id=user_id, now=now or utcnow())


def _latest(session: Session, **where) -> Certificate | None:
    stmt = select(Certificate).filter_by(**where).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def issued_device_certificate(session: Session, asset_tag: str) -> Certificate:
    """The device's latest issued certificate, never issuing one; NotFound (French) when the
    device is unknown or none was issued."""
    device = device_by_tag(session, asset_tag, with_media=False)
    certificate = _latest(session, kind="device", device_id=device.id)
    if certificate is None:
        raise NotFound(f"Aucun certificat d'effacement n'a encore été émis pour l'appareil {device.asset_tag} : "
                       "émettez-le d'abord (bouton « Certificat d'effacement (PDF) » de la fiche, ou POST …/certificate).")
    return certificate


def issued_collection_certificate(session: Session, collection_id: int) -> Certificate:
    """The collection's latest issued summary certificate, never issuing one; NotFound (French)
    when the collection is unknown or none was issued."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"Collecte n° {collection_id} inconnue.")
    certificate = _latest(session, kind="collection", collection_id=collection.id, device_id=None)
    if certificate is None:
        raise NotFound(f"Aucun certificat d'effacement n'a encore été émis pour la collecte {collection.reference} : "
                       "émettez-le d'abord (bouton « Certificat d'effacement de la collecte (PDF) » de sa fiche, ou POST …/certificate).")
    return certificate


@dataclass
class Verification:
    certificate: Certificate | None
    genuine: bool
    hash_matches: bool | None   # None when no file or hash was given


def verify(session: Session, code: str, *, pdf: bytes | None = None, sha256: str | None = None) -> Verification:
    """Look a certificate up by its code; with a file (or its SHA-256), say whether it is the
    very file that was issued."""
    certificate = session.execute(
        select(Certificate).where(Certificate.verification_code == normalise_code(code))
        .options(joinedload(Certificate.donor))
    ).scalar_one_or_none()
    if certificate is None:
        return Verification(None, False, None)
    given = hashlib.sha256(pdf).hexdigest() if pdf is not None else (sha256 or "").strip().lower() or None
    return Verification(certificate, True, None if given is None else given == certificate.pdf_sha256)

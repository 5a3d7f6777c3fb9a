"""Certificates of data sanitisation at the web edge: issuing is a POST (it consumes a number),
fetching an issued one is a GET that never issues (an unissued one answers 404). Shared by the
API (``/api/v1/devices/<tag>/certificate``, ``/api/v1/collections/<id>/certificate``) and the pages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import NotFound
from inventory.models import Certificate, Collection
from inventory.services.certificates import collection_certificate, device_certificate
from inventory.services.common import device_by_tag

from app.certificates import base_url, programme


def _latest(session: Session, **where) -> Certificate | None:
    stmt = select(Certificate).filter_by(**where).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def issued_device_certificate(session: Session, asset_tag: str) -> Certificate:
    """The device's latest issued certificate; NotFound (French) when none was issued."""
    device = device_by_tag(session, asset_tag, with_media=False)
    certificate = _latest(session, kind="device", device_id=device.id)
    if certificate is None:
        raise NotFound(f"Aucun certificat d'effacement n'a encore été émis pour l'appareil {device.asset_tag} : "
                       "émettez-le d'abord (bouton « Émettre le certificat », ou POST …/certificate).")
    return certificate


def issued_collection_certificate(session: Session, collection_id: int) -> Certificate:
    """The collection's latest issued summary certificate; NotFound (French) when none was issued."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"Collecte n° {collection_id} inconnue.")
    certificate = _latest(session, kind="collection", collection_id=collection.id, device_id=None)
    if certificate is None:
        raise NotFound(f"Aucun certificat d'effacement n'a encore été émis pour la collecte {collection.reference} : "
                       "émettez-le d'abord (bouton « Émettre le certificat », ou POST …/certificate).")
    return certificate


def issue_device_certificate(session: Session, asset_tag: str, user_id: int | None) -> tuple[Certificate, bool]:
    """(certificate, newly issued). The same records give back the same certificate, no new number."""
    now = utcnow()
    certificate = device_certificate(session, asset_tag, programme=programme(), base_url=base_url(),
                                     user_id=user_id, now=now)
    return certificate, _is_new(certificate, now)


def issue_collection_certificate(session: Session, collection_id: int, user_id: int | None) -> tuple[Certificate, bool]:
    now = utcnow()
    certificate = collection_certificate(session, collection_id, programme=programme(), base_url=base_url(),
                                         user_id=user_id, now=now)
    return certificate, _is_new(certificate, now)


def _is_new(certificate: Certificate, now: datetime) -> bool:
    issued = certificate.issued_at
    return issued is not None and issued.replace(tzinfo=None) == now.replace(tzinfo=None)


def certificate_json(certificate: Certificate, pdf_url: str) -> dict:
    return {"number": certificate.number, "kind": certificate.kind, "issued_at": certificate.issued_at.isoformat(),
            "sha256": certificate.pdf_sha256, "pdf_url": pdf_url}

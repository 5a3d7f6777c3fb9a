"""Certificates of data sanitisation at the web edge: issuing is a POST (it consumes a number),
fetching an issued one is a GET that never issues (an unissued one answers 404). Shared by the
API (``/api/v1/devices/<tag>/certificate``, ``/api/v1/collections/<id>/certificate``) and the pages.
The lookups (``issued_device_certificate``…) and the issuing are inventory services; here only the programme's identity from the
configuration is added, and the answer serialised."""
from __future__ import annotations

from typing import TYPE_CHECKING

from inventory.services import certificates as service

from app.certificates import base_url, programme

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from inventory.models import Certificate


def issue_device_certificate(session: Session, asset_tag: str, user_id: int | None) -> tuple[Certificate, bool]:
    """(certificate, newly issued). The same records give back the same certificate, no new number."""
    return service.issue_device_certificate(session, asset_tag, programme=programme(), base_url=base_url(),
                                            user_id=user_id)


def issue_collection_certificate(session: Session, collection_id: int, user_id: int | None) -> tuple[Certificate, bool]:
    """(certificate, newly issued), for a collection's summary certificate."""
    return service.issue_collection_certificate(session, collection_id, programme=programme(), base_url=base_url(),
                                                user_id=user_id)


def certificate_json(certificate: Certificate, pdf_url: str) -> dict:
    return {"number": certificate.number, "kind": certificate.kind, "issued_at": certificate.issued_at.isoformat(),
            "sha256": certificate.pdf_sha256, "pdf_url": pdf_url}

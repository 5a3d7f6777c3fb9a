"""The workshop domain as JSON: devices, media, erasures, collections, locations, the scan
station's answer, wiping-report imports and the public certificate check. Pure functions of
loaded objects: no query, no request context.

Plain functions rather than marshmallow dump schemas: they sit on the scan station's hot path,
and the shape is simple. Times are ISO 8601 in UTC; numbers are JSON numbers.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from inventory.lifecycle import State, medium_record_sanitises
from core.organisations import Organisation
from inventory.models import Collection, Device, ErasureRecord, ImportedDrive, Location, Site, StorageMedium
from core.vocabulary import Category

if TYPE_CHECKING:
    from inventory.services.certificates import Verification
    from inventory.services.erasure_import import ImportOutcome
    from inventory.services.scan import ScanOutcome


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def location_json(location: Location | None) -> dict | None:
    if location is None:
        return None
    return {"id": location.id, "code": location.code, "name": location.name, "kind": location.kind,
            "site": location.site_id, "active": location.active}


def organisation_json(org: Organisation) -> dict:
    return {"id": org.id, "kind": org.kind, "kind_label": org.kind_label, "name": org.name,
            "siret": org.siret, "commune": org.commune_insee}


def site_json(site: Site) -> dict:
    return {"id": site.id, "code": site.code, "name": site.name, "kind": site.kind,
            "address": site.address, "commune": site.commune_insee,
            "locations": [location_json(loc) for loc in site.locations]}


def collection_json(collection: Collection, registered: int | None = None) -> dict:
    data = {
        "id": collection.id,
        "reference": collection.reference,
        "donor": {"id": collection.donor_id, "name": collection.donor.name},
        "collected_on": collection.collected_on.isoformat(),
        "site": collection.site_id,
        "declared_count": collection.declared_count,
        "weight_kg": _num(collection.weight_kg),
        "notes": collection.notes,
        "created_at": _iso(collection.created_at),
    }
    if registered is not None:
        data["registered_count"] = registered
    return data


def erasure_json(record: ErasureRecord) -> dict:
    return {
        "id": record.id, "level": record.level, "technique": record.technique, "method": record.method,
        "tool": record.tool, "tool_version": record.tool_version, "passes": record.passes,
        "verification_method": record.verification_method, "hpa_dco": record.hpa_dco,
        "bytes_erased": record.bytes_erased,
        "sanitised_by": record.sanitised_by, "sanitised_by_role": record.sanitised_by_role,
        "verified_by": record.verified_by, "verified_by_role": record.verified_by_role,
        "destination": record.destination, "source": record.source,
        "started_at": _iso(record.started_at), "ended_at": _iso(record.ended_at),
        "result": record.result, "verified": record.verified, "recorded_at": _iso(record.recorded_at),
    }


def medium_json(medium: StorageMedium, with_erasures: bool = True) -> dict:
    data = {
        "id": medium.id, "kind": medium.kind, "manufacturer": medium.manufacturer, "model": medium.model,
        "serial_number": medium.serial_number, "capacity_gb": _num(medium.capacity_gb), "origin": medium.origin,
        "sanitised": any(medium_record_sanitises(e.level, e.result, e.verified) for e in medium.erasures),
        "needs_replacement": medium.needs_replacement,   # « disque à remplacer » (hardware snapshot)
    }
    if with_erasures:
        data["erasures"] = [erasure_json(e) for e in medium.erasures]
    return data


def device_json(device: Device, *, with_media: bool = True, with_licence_key: bool = False) -> dict:
    data = {
        "id": device.id,
        "asset_tag": device.asset_tag,
        "category": device.category,
        "category_label": Category.label_of(device.category),
        "brand": device.brand,
        "model": device.model,
        "serial_number": device.serial_number,
        "imei": device.imei,
        "specs": {
            "cpu": device.cpu, "ram_gb": _num(device.ram_gb), "storage_summary": device.storage_summary,
            "screen_in": _num(device.screen_in), "os": device.os,
        },
        "weight_kg": _num(device.weight_kg),
        "collection": {"id": device.collection_id, "reference": device.collection.reference},
        "location": location_json(device.location),
        "state": device.state,
        "state_label": State.label_of(device.state),
        "grade": device.grade,
        "version": device.version,
        "created_at": _iso(device.created_at),
        "updated_at": _iso(device.updated_at),
    }
    if with_media:
        data["storage"] = [medium_json(m) for m in device.media]
    if with_licence_key:
        data["os_licence_key"] = device.os_licence_key
    return data


def event_json(event) -> dict:
    """One history row (see ``inventory.queries.history``)."""
    return {
        "id": event.id,
        "kind": event.kind,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "to_label": State.label_of(event.to_state),
        "at": _iso(event.at),
        "user": event.user,
        "location": event.location,
        "station": event.station,
        "note": event.note,
    }


def scan_outcome_json(outcome: ScanOutcome) -> dict:
    """The scan answer: what was scanned, what happened, what can happen next."""
    if outcome.kind == "device":
        obj = device_json(outcome.obj)
        obj["events"] = [event_json(e) for e in outcome.events]
    elif outcome.kind == "location":
        obj = location_json(outcome.obj)
    else:
        obj = collection_json(outcome.obj, outcome.registered)
    return {
        "code": outcome.code,
        "kind": outcome.kind,
        outcome.kind: obj,
        "allowed": outcome.allowed,
        "applied": outcome.applied,
        "moved_to": outcome.moved_to.code if outcome.moved_to else None,
        "putaway": location_json(outcome.putaway),
        "repeat": outcome.repeat,
        "level": outcome.level,
        "message": outcome.message,
    }


def erasure_import_json(outcome: ImportOutcome) -> dict:
    """What an imported wiping report gave: each drive matched, queued for review or refused."""
    return {
        "report": outcome.report_id,
        "format": outcome.format,
        "matched": outcome.matched,
        "queued": outcome.queued,
        "duplicates": outcome.duplicates,
        "drives": [
            {"position": line.position, "serial_number": line.serial_number, "model": line.model,
             "result": line.result, "status": line.status, "reason": line.reason, "asset_tag": line.asset_tag}
            for line in outcome.lines
        ],
    }


def imported_drive_json(drive: ImportedDrive) -> dict:
    """A drive of a report waiting in the review queue."""
    return {
        "id": drive.id, "serial_number": drive.serial_number, "model": drive.model, "result": drive.result,
        "reason": drive.reason, "report": drive.report_id, "filename": drive.report.filename,
        "imported_at": drive.report.imported_at.isoformat(), "details": drive.details,
    }


def verification_json(result: Verification) -> dict:
    """The public answer about a certificate: genuine or not, its summary (no personal data), its hash."""
    certificate = result.certificate
    body = {"genuine": result.genuine}
    if certificate is not None:
        body.update({"certificate": certificate.summary, "sha256": certificate.pdf_sha256})
    if result.hash_matches is not None:
        body["hash_matches"] = result.hash_matches
    return body

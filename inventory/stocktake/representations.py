"""The stocktake API's answers as JSON: values in English keys and ISO times for programs (the
French text is in ``message`` and the ``*_label`` keys)."""
from __future__ import annotations

from datetime import datetime, timezone

from inventory.services.stocktake_apply import ApplyReport
from inventory.services.stocktake_count import CountAnswer
from inventory.stocktake.models import Stocktake, StocktakeLocation


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def counted_location_json(place: StocktakeLocation | None) -> dict | None:
    if place is None:
        return None
    return {"code": place.location.code, "name": place.location.name, "status": place.status,
            "status_label": place.status_label, "started_at": _iso(place.started_at),
            "closed_at": _iso(place.closed_at),
            "closed_by": place.closed_by.username if place.closed_by is not None else None}


def stocktake_json(stocktake: Stocktake, *, with_locations: bool = True) -> dict:
    body = {
        "id": stocktake.id, "reference": stocktake.reference, "site": stocktake.site.code,
        "site_name": stocktake.site.name, "whole_site": stocktake.whole_site, "blind": stocktake.blind,
        "status": stocktake.status, "status_label": stocktake.status_label, "note": stocktake.note,
        "opened_at": _iso(stocktake.opened_at),
        "opened_by": stocktake.opened_by.username if stocktake.opened_by is not None else None,
        "ended_at": _iso(stocktake.ended_at),
        "ended_by": stocktake.ended_by.username if stocktake.ended_by is not None else None,
        "cancel_reason": stocktake.cancel_reason,
    }
    if with_locations:
        body["locations"] = [counted_location_json(p) for p in stocktake.locations]
    return body


def count_answer_json(answer: CountAnswer) -> dict:
    """One scan's answer in « Inventaire » mode."""
    stocktake = answer.stocktake
    return {
        "code": answer.code, "outcome": answer.outcome, "level": answer.level, "message": answer.message,
        "stocktake": ({"id": stocktake.id, "reference": stocktake.reference, "blind": stocktake.blind}
                      if stocktake is not None else None),
        "location": counted_location_json(answer.location),
        "counted_here": answer.counted_here, "expected_here": answer.expected_here,
        "closed": counted_location_json(answer.closed),
        "part_quantity": answer.part_quantity,
        "asks_quantity": answer.part_quantity is not None,
        "details": answer.details,
    }


def apply_report_json(report: ApplyReport) -> dict:
    return {"reference": report.reference, "already_applied": report.already_applied, "moves": report.moves,
            "missing": report.missing, "parts": report.parts, "found_again": report.found_again,
            "conflicts": report.conflicts}

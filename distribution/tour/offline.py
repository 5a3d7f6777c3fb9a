"""What the « Tournée » page does offline (app/static/js/tour-chain.js, tour-store.js), written
again in Python: from the download alone, record actions in order with their idempotency keys,
and build a handover's invoice content, number it in the unit's series and chain it
(docs/mobile-tour-design.md § 1.4). The server must rebuild exactly this from its own records.
Used by the demo's tours and the tests; the browser test checks the page itself."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from decimal import Decimal

from core.clock import to_local


def canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class OfflineDevice:
    """The page's series and outbox for one tour."""

    def __init__(self, snapshot: dict) -> None:
        self.snapshot = snapshot
        series = snapshot.get("series") or {}
        self.next_numbers = {int(y): n for y, n in series.get("next_numbers", {}).items()}
        self.position = series.get("next_position")
        self.previous_hash = series.get("previous_hash")
        self.seq = 0

    def action(self, kind: str, data: dict, at: datetime) -> dict:
        self.seq += 1
        return {"key": str(uuid.uuid4()), "seq": self.seq, "kind": kind,
                "recorded_at": to_local(at).isoformat(timespec="seconds"), "data": data}

    def handover(self, reservation_id: int, at: datetime, *, method: str = "cash", accessories=(),
                 session_id: int | None = None, internet_access: str = "mobile") -> dict:
        snap = self.snapshot
        load = next(r for r in snap["reservations"] if r["id"] == reservation_id)
        lines = [dict(load["device_line"], position=1)]
        for position, (code, quantity) in enumerate(accessories, start=2):
            accessory = next(a for a in snap["accessories"] if a["code"] == code)
            lines.append({"position": position, "kind": code, "description": accessory["label"], "asset_tag": None,
                          "serial_number": None, **accessory["lines"][str(quantity)]})
        cents = lambda key: sum(int(Decimal(l[key]) * 100) for l in lines)   # noqa: E731
        euros = lambda c: f"{Decimal(c) / 100:.2f}"                            # noqa: E731
        total = euros(cents("total_ttc"))
        workshop = None
        if session_id is not None:
            p = next(p for p in load["proposals"] if p["session_id"] == session_id)
            workshop = {"session_id": session_id, "topic": p["topic"], "date": p["date"], "start": p["start"],
                        "end": p["end"], "place": p["place"], "address": p["address"], "commune": p["commune"],
                        "status": "Inscrit", "position": None}
        year = to_local(at).year
        number = self.next_numbers.get(year, 1)
        issued_at = to_local(at).isoformat(timespec="seconds")
        content = {
            "number": f"{snap['series']['prefix']}-{year}-{number:05d}", "issued_at": issued_at,
            "seller": snap["seller"], "buyer_name": load["household"]["buyer_name"],
            "buyer_address": load["household"]["buyer_address"], "household_id": load["household"]["id"],
            "device_id": load["device"]["id"], "reservation_id": reservation_id, "vat_regime": snap["vat_regime"],
            "price_grid_id": snap["price_grid"]["id"], "tier": load["tier"], "total_ttc": total,
            "total_ht": euros(cents("total_ht")), "vat": euros(cents("vat")),
            "reference_value": load["reference_value"],
            "aide_solidaire": euros(int(Decimal(load["reference_value"]) * 100)
                                    - int(Decimal(load["device_line"]["total_ttc"]) * 100)),
            "payments": [{"method": method, "amount": total}], "amount_paid": total, "workshop": workshop,
            "lines": [{k: l[k] for k in ("position", "kind", "description", "asset_tag", "serial_number", "quantity",
                                         "unit_price_ttc", "total_ttc", "total_ht", "vat")} for l in lines],
        }
        unit_hash = hashlib.sha256(canonical(content) + self.previous_hash.encode()).hexdigest()
        data = {"reservation_id": reservation_id, "payments": [{"method": method, "amount": total}],
                "accessories": [{"code": c, "quantity": q} for c, q in accessories], "session_id": session_id,
                "internet_access": internet_access, "internet_offer_referred": False,
                "invoice": {"number": content["number"], "issued_at": issued_at, "unit_position": self.position,
                            "unit_previous_hash": self.previous_hash, "unit_hash": unit_hash, "workshop": workshop,
                            "content": content}}
        self.next_numbers[year] = number + 1
        self.position += 1
        self.previous_hash = unit_hash
        return self.action("handover", data, at)

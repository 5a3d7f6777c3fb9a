"""The closing ticket of a tour (« ticket de clôture », docs/mobile-tour-design.md § 3.6), as plain
Python: what the unit invoiced on the tour — how many invoices, the first and last numbers, the
totals by payment method and overall, the last link of the unit's chain — fingerprinted and
chained to that link, the nearest thing a van has to a cash register's daily closure."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

GENESIS = "0" * 64


def closure_ticket(*, reference: str, unit: str | None, closed_at: str, actions: int, invoices: list) -> dict:
    """``invoices``: the tour's invoices in their unit order, each with ``number``, ``total_ttc``,
    ``payments`` ([{method, amount}]) and ``unit_hash``. ``closed_at``: Martinique ISO time."""
    by_method: dict[str, Decimal] = {}
    for invoice in invoices:
        for payment in invoice.payments:
            by_method[payment["method"]] = by_method.get(payment["method"], Decimal("0.00")) + Decimal(payment["amount"])
    last_hash = invoices[-1].unit_hash if invoices else GENESIS
    ticket = {
        "tour": reference, "unit": unit, "closed_at": closed_at, "actions": actions, "invoices": len(invoices),
        "first_number": invoices[0].number if invoices else None,
        "last_number": invoices[-1].number if invoices else None,
        "total_ttc": f"{sum((i.total_ttc for i in invoices), Decimal('0.00')):.2f}",
        "by_payment_method": {method: f"{amount:.2f}" for method, amount in sorted(by_method.items())},
        "last_unit_hash": last_hash,
    }
    text = json.dumps(ticket, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    ticket["sha256"] = hashlib.sha256((text + last_hash).encode()).hexdigest()
    return ticket

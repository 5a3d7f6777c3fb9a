"""Invoices and credit notes: gapless numbers F-YYYY-NNNNN and AV-YYYY-NNNNN (per calendar year in
Martinique time), assigned inside the issuing transaction from counter rows locked until it
ends, so a failed issue consumes no number; a SHA-256 chain over their content; verification.

Numbers and chain positions come from ``core.counters`` (a locked row, never a sequence). An
invoice issued offline by a mobile unit (``services/mobile_invoicing.py``) is numbered in the
unit's series F-Mn-YYYY-NNNNN and chained per unit (``unit_hash``); its main ``content_hash``
covers that unit link too, so rewriting it breaks both chains (docs/mobile-tour-design.md § 1.3)."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from core.clock import to_local, utcnow
from core.counters import next_value
from core.errors import Conflict, NotFound, ValidationFailed
from distribution.numbering import CREDIT_NOTE, INVOICE, document_number, parse_number
from distribution.access import require_stock_manager
from distribution.amounts import line_amounts, totals
from distribution.models import CreditNote, Invoice, InvoiceLine
from distribution.tour.models import MobileUnit
from core.actor import Actor
from eligibility.services.requests import mark_returned
from inventory.lifecycle import State
from core.unit_of_work import unit_of_work
from inventory.services.transitions import apply_transition

GENESIS = "0" * 64


def _plain(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def canonical(content: dict) -> bytes:
    """The bytes hashed for a document: sorted keys, amounts as 2-decimal strings."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain).encode()


def chain_hash(content: dict, previous_hash: str) -> str:
    return hashlib.sha256(canonical(content) + previous_hash.encode()).hexdigest()


def unit_content(invoice: Invoice) -> dict:
    """Everything an invoice states, as hashed: what a mobile unit's device hashes into its
    ``unit_hash``, and, for an office invoice, all that its ``content_hash`` covers."""
    return {
        "number": invoice.number, "issued_at": to_local(invoice.issued_at).isoformat(timespec="seconds"),
        "seller": invoice.seller, "buyer_name": invoice.buyer_name, "buyer_address": invoice.buyer_address,
        "household_id": invoice.household_id, "device_id": invoice.device_id,
        "reservation_id": invoice.reservation_id, "vat_regime": invoice.vat_regime,
        "price_grid_id": invoice.price_grid_id, "tier": invoice.tier,
        "total_ttc": invoice.total_ttc, "total_ht": invoice.total_ht, "vat": invoice.vat,
        "reference_value": invoice.reference_value, "aide_solidaire": invoice.aide_solidaire,
        "payments": invoice.payments, "amount_paid": invoice.amount_paid, "workshop": invoice.workshop,
        "lines": [{"position": l.position, "kind": l.kind, "description": l.description, "asset_tag": l.asset_tag,
                   "serial_number": l.serial_number, "quantity": l.quantity, "unit_price_ttc": l.unit_price_ttc,
                   "total_ttc": l.total_ttc, "total_ht": l.total_ht, "vat": l.vat} for l in invoice.lines],
    }


def invoice_content(invoice: Invoice) -> dict:
    """What the main chain's ``content_hash`` covers: ``unit_content``, plus for an invoice of a
    mobile unit its link in the unit's chain (``"unit"``). Office invoices have no ``"unit"`` key,
    so they hash exactly as before mobile units existed."""
    content = unit_content(invoice)
    if invoice.mobile_unit_id is not None:
        content["unit"] = {"code": _unit_code(invoice), "position": invoice.unit_position,
                           "previous_hash": invoice.unit_previous_hash, "hash": invoice.unit_hash}
    return content


def _unit_code(invoice: Invoice) -> str:
    """The code of the invoice's mobile unit, read from its row (so that moving an invoice to
    another unit changes its main hash too). The invoice must be in a session."""
    session = object_session(invoice)
    unit = session.get(MobileUnit, invoice.mobile_unit_id) if session is not None else None
    if unit is None:
        raise ValueError(f"unité mobile {invoice.mobile_unit_id} introuvable pour la facture {invoice.number}")
    return unit.code


def credit_note_content(note: CreditNote, invoice: Invoice | None = None) -> dict:
    return {"number": note.number, "issued_at": to_local(note.issued_at).isoformat(timespec="seconds"),
            "invoice_number": (invoice or note.invoice).number, "reason": note.reason, "device_returned": note.device_returned,
            "lines": note.lines, "total_ttc": note.total_ttc, "total_ht": note.total_ht, "vat": note.vat}


@dataclass(frozen=True)
class LineIn:
    kind: str
    description: str
    unit_price_ttc: Decimal
    quantity: int = 1
    asset_tag: str | None = None
    serial_number: str | None = None


def _previous_hash(session: Session, model, position: int) -> str:
    if position == 1:
        return GENESIS
    previous = session.execute(select(model.content_hash).where(model.chain_position == position - 1)).scalar_one()
    return previous


def draft_invoice(*, reservation, household, device, lines: list[LineIn], payments: list[dict], vat_regime: str,
                  seller: dict, buyer_name: str, buyer_address: str | None, price_grid_id: str, tier: int,
                  reference_value: Decimal, workshop: dict | None, booking_id: int | None, user_id: int | None,
                  issued_at: datetime) -> Invoice:
    """An invoice with its lines and amounts (VAT by line, totals, aide solidaire), neither
    numbered nor chained nor added to the session: the office and the mobile units share it."""
    amounts = [line_amounts(l.unit_price_ttc, l.quantity, vat_regime) for l in lines]
    total = totals(amounts)
    paid = sum((Decimal(str(p["amount"])) for p in payments), Decimal("0.00"))
    device_price = next(a.total_ttc for l, a in zip(lines, amounts) if l.kind == "device")
    invoice = Invoice(
        issued_at=issued_at, issued_by_id=user_id, reservation_id=reservation.id, household_id=household.id,
        device_id=device.id, booking_id=booking_id, seller=seller, buyer_name=buyer_name,
        buyer_address=buyer_address, vat_regime=vat_regime, price_grid_id=price_grid_id, tier=tier,
        total_ttc=total.total_ttc, total_ht=total.total_ht, vat=total.vat, reference_value=reference_value,
        aide_solidaire=reference_value - device_price, payments=payments, amount_paid=paid, workshop=workshop)
    invoice.lines = [InvoiceLine(position=i, kind=l.kind, description=l.description, asset_tag=l.asset_tag,
                                 serial_number=l.serial_number, quantity=a.quantity, unit_price_ttc=a.unit_price_ttc,
                                 total_ttc=a.total_ttc, total_ht=a.total_ht, vat=a.vat)
                     for i, (l, a) in enumerate(zip(lines, amounts), start=1)]
    return invoice


def issue_invoice(session: Session, *, reservation, household, device, lines: list[LineIn], payments: list[dict],
                  vat_regime: str, seller: dict, buyer_name: str, buyer_address: str | None, price_grid_id: str,
                  tier: int, reference_value: Decimal, workshop: dict | None, booking_id: int | None,
                  user_id: int | None, now: datetime) -> Invoice:
    """Write an office invoice in the caller's transaction (no commit), numbered in the office's
    series F-YYYY-NNNNN (never a unit's). The number is taken last, once everything else is known
    to be valid."""
    invoice = draft_invoice(
        reservation=reservation, household=household, device=device, lines=lines, payments=payments,
        vat_regime=vat_regime, seller=seller, buyer_name=buyer_name, buyer_address=buyer_address,
        price_grid_id=price_grid_id, tier=tier, reference_value=reference_value, workshop=workshop,
        booking_id=booking_id, user_id=user_id, issued_at=now)
    # Chain first, then the year's series: every issuer takes the two locks in the same order.
    invoice.chain_position = next_value(session, "invoice-chain")
    year = to_local(now).year
    invoice.number = document_number(INVOICE, year, next_value(session, f"invoice-{year}"))
    anchor_invoice(session, invoice)
    return invoice


def anchor_invoice(session: Session, invoice: Invoice) -> None:
    """Link an invoice that holds its ``chain_position`` (and its unit link, if any) to the main
    chain's previous invoice, hash it and add it to the session."""
    invoice.previous_hash = _previous_hash(session, Invoice, invoice.chain_position)
    session.add(invoice)
    with session.no_autoflush:      # the hash is computed before the row may be written
        invoice.content_hash = chain_hash(invoice_content(invoice), invoice.previous_hash)


def latest_invoices(session: Session, limit: int = 200) -> list[Invoice]:
    return session.execute(select(Invoice).order_by(Invoice.chain_position.desc()).limit(limit)).scalars().all()


def invoice_by_number(session: Session, number: str) -> Invoice:
    invoice = session.execute(select(Invoice).where(Invoice.number == (number or "").strip().upper())).scalar_one_or_none()
    if invoice is None:
        raise NotFound(f"Facture « {number} » introuvable.")
    return invoice


def credited_positions(invoice: Invoice) -> set[int]:
    return {line["position"] for note in invoice.credit_notes for line in note.lines}


def issue_credit_note(session: Session, actor: Actor, number: str, *, reason: str, positions: list[int] | None = None,
                      return_device: bool = False, now: datetime | None = None) -> CreditNote:
    """An avoir on some lines of an invoice (all by default), citing its number and date. With
    ``return_device``, the device line must be credited and the device goes back to ``repair``."""
    require_stock_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Motif de l'avoir attendu (retour, erreur de facturation…)."]})
    now = now or utcnow()
    with unit_of_work(session):
        invoice = invoice_by_number(session, number)
        already = credited_positions(invoice)
        wanted = set(positions) if positions else {l.position for l in invoice.lines} - already
        unknown = wanted - {l.position for l in invoice.lines}
        if unknown:
            raise ValidationFailed({"lines": [f"Lignes inconnues sur la facture : {sorted(unknown)}."]})
        if not wanted or wanted & already:
            raise Conflict(f"Ces lignes de la facture {invoice.number} ont déjà fait l'objet d'un avoir.")
        lines = [l for l in invoice.lines if l.position in wanted]
        if return_device and not any(l.kind == "device" for l in lines):
            raise ValidationFailed({"return_device": ["Le retour de l'appareil suppose d'avoir aussi sa ligne."]})
        note = CreditNote(
            invoice_id=invoice.id, issued_at=now, issued_by_id=actor.id, reason=reason, device_returned=return_device,
            lines=[{"position": l.position, "description": l.description, "asset_tag": l.asset_tag,
                    "serial_number": l.serial_number, "quantity": l.quantity,
                    "unit_price_ttc": f"{l.unit_price_ttc:.2f}", "total_ttc": f"{l.total_ttc:.2f}",
                    "total_ht": f"{l.total_ht:.2f}", "vat": f"{l.vat:.2f}"} for l in lines],
            total_ttc=sum((l.total_ttc for l in lines), Decimal("0.00")),
            total_ht=sum((l.total_ht for l in lines), Decimal("0.00")),
            vat=sum((l.vat for l in lines), Decimal("0.00")))
        if return_device:
            device = invoice.device
            if device.state != State.DISTRIBUTED.value:
                raise Conflict(f"L'appareil {device.asset_tag} n'est plus chez le foyer ({device.state_label}).")
            apply_transition(session, device, State.REPAIR, user_id=actor.id, now=now,
                             note=f"Retour du foyer (avoir sur la facture {invoice.number}) : {reason}")
            mark_returned(session, invoice.reservation.request)
        note.chain_position = next_value(session, "credit-note-chain")
        year = to_local(now).year
        note.number = document_number(CREDIT_NOTE, year, next_value(session, f"credit-note-{year}"))
        note.previous_hash = _previous_hash(session, CreditNote, note.chain_position)
        note.content_hash = chain_hash(credit_note_content(note, invoice), note.previous_hash)
        session.add(note)
        session.flush()
        session.expire(invoice, ["credit_notes"])
    return note


def verify_chain(session: Session) -> list[str]:
    """Every break in the invoice and credit-note chains, in French (empty when all is sound): in
    the main chains, a missing position, a previous hash that does not match, content changed since
    issue; in each mobile unit's chain, the same by ``unit_position``; in each series (F-YYYY,
    F-Mn-YYYY, AV-YYYY), a gap or a duplicate."""
    # populate_existing: read what the database holds now, not objects cached in the session.
    invoices = session.execute(select(Invoice).order_by(Invoice.chain_position)
                               .execution_options(populate_existing=True)).scalars().all()
    notes = session.execute(select(CreditNote).order_by(CreditNote.chain_position)
                            .execution_options(populate_existing=True)).scalars().all()
    units = dict(session.execute(select(MobileUnit.id, MobileUnit.code)).all())
    return (_main_chain_problems(invoices, "Facture", invoice_content, INVOICE)
            + _unit_chain_problems(invoices, units)
            + _main_chain_problems(notes, "Avoir", credit_note_content, CREDIT_NOTE))


_SERIES_FORMS = {INVOICE: "F-AAAA-NNNNN ou F-Mn-AAAA-NNNNN", CREDIT_NOTE: "AV-AAAA-NNNNN"}


def _main_chain_problems(docs, label: str, content_of, prefix: str) -> list[str]:
    problems, series = [], {}
    previous, expected_position = GENESIS, 1
    for doc in docs:
        if doc.chain_position != expected_position:
            problems.append(f"{label} {doc.number} : position {doc.chain_position} dans la chaîne, "
                            f"{expected_position} attendue (document manquant).")
        if doc.previous_hash != previous:
            problems.append(f"{label} {doc.number} : l'empreinte du document précédent ne correspond pas.")
        if chain_hash(content_of(doc), doc.previous_hash) != doc.content_hash:
            problems.append(f"{label} {doc.number} : contenu modifié depuis l'émission (empreinte différente).")
        parsed = parse_number(doc.number)
        if parsed is None or parsed.prefix != prefix:
            problems.append(f"{label} {doc.number} : numéro hors de toute série ({_SERIES_FORMS[prefix]} attendu).")
        else:
            series.setdefault(parsed.series, []).append(parsed.number)
        previous, expected_position = doc.content_hash, doc.chain_position + 1
    for name, numbers in series.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            problems.append(f"Numérotation {name} : trous ou doublons ({len(numbers)} documents ; "
                            f"{_gaps_and_duplicates(numbers)}).")
    return problems


def _gaps_and_duplicates(numbers: list[int]) -> str:
    """« manquantes : 00002, 00005 à 00007 ; en double : 00003 »."""
    counts = Counter(numbers)
    missing = [n for n in range(1, max(numbers) + 1) if n not in counts]
    doubled = sorted(n for n, count in counts.items() if count > 1)
    parts = []
    if missing:
        parts.append(f"manquante{'s' if len(missing) > 1 else ''} : {_ranges(missing)}")
    if doubled:
        parts.append(f"en double : {_ranges(doubled)}")
    return " ; ".join(parts)


def _ranges(numbers: list[int]) -> str:
    """Sorted numbers as « 00002, 00005 à 00007 »."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]:05d}" if len(r) == 1 else f"{r[0]:05d} à {r[-1]:05d}" for r in runs)


def _unit_chain_problems(invoices: list[Invoice], units: dict[int, str]) -> list[str]:
    """Each mobile unit's chain read by ``unit_position``: continuous from 1, each invoice linked
    to the previous one's ``unit_hash``, each ``unit_hash`` recomputed from the invoice, each
    number in the unit's own series. An office invoice never carries a unit's number."""
    problems, chains = [], {}
    for invoice in invoices:
        if invoice.mobile_unit_id is not None:
            chains.setdefault(invoice.mobile_unit_id, []).append(invoice)
            continue
        parsed = parse_number(invoice.number)
        if parsed is not None and parsed.unit is not None:
            problems.append(f"Facture {invoice.number} : numéro de la série de l'unité mobile {parsed.unit} "
                            "sur une facture sans unité mobile.")
    for unit_id in sorted(chains, key=lambda key: (len(units[key]), units[key])):
        code = units[unit_id]
        previous, expected = GENESIS, 1
        for invoice in sorted(chains[unit_id], key=lambda i: (i.unit_position is None, i.unit_position or 0)):
            number, position = invoice.number, invoice.unit_position
            if position != expected:
                why = "facture manquante" if position is not None and position > expected else "position en double"
                problems.append(f"Facture {number} : position {position if position is not None else 'absente'} "
                                f"dans la chaîne de l'unité {code}, {expected} attendue ({why}).")
            if invoice.unit_previous_hash != previous:
                problems.append(f"Facture {number} : l'empreinte de la facture précédente de l'unité {code} "
                                "ne correspond pas.")
            if (invoice.unit_hash is None or invoice.unit_previous_hash is None
                    or chain_hash(unit_content(invoice), invoice.unit_previous_hash) != invoice.unit_hash):
                problems.append(f"Facture {number} : contenu modifié depuis l'émission sur l'unité {code} "
                                "(empreinte de l'unité différente).")
            parsed = parse_number(number)
            if parsed is not None and parsed.unit != code:
                problems.append(f"Facture {number} : numéro hors de la série de l'unité {code} "
                                f"(F-{code}-AAAA-NNNNN attendu).")
            previous, expected = invoice.unit_hash, (position if position is not None else expected) + 1
    return problems

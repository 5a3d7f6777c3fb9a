"""The hash chain of invoices and credit notes: what each hash covers, and why rewriting one
document is caught even when its own hash is recomputed (every later hash would have to be
rewritten too)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from distribution.models import IMMUTABLE_TABLES
from distribution.services.invoicing import (
    GENESIS,
    canonical,
    chain_hash,
    invoice_content,
    issue_credit_note,
    unit_content,
    verify_chain,
)
from tests.distribution.test_handover import handed_over
from tests.helpers import actor

CONTENT = {"number": "F-2026-00001", "total_ttc": Decimal("90.00"), "buyer_name": "Éloïse",
           "issued_at": datetime(2026, 12, 1, 14, 30, tzinfo=timezone.utc), "lines": [{"position": 1}]}


def test_the_canonical_form_is_sorted_compact_json_with_amounts_to_the_cent():
    assert canonical(CONTENT) == (
        '{"buyer_name":"Éloïse","issued_at":"2026-12-01T14:30:00+00:00","lines":[{"position":1}],'
        '"number":"F-2026-00001","total_ttc":"90.00"}').encode()


def test_a_hash_covers_the_content_followed_by_the_previous_hash():
    previous = hashlib.sha256(b"the previous document").hexdigest()
    expected = hashlib.sha256(canonical(CONTENT) + previous.encode()).hexdigest()
    assert chain_hash(CONTENT, previous) == expected
    # Another previous hash, or another content, gives another hash.
    assert chain_hash(CONTENT, GENESIS) != expected
    assert chain_hash({**CONTENT, "total_ttc": Decimal("90.01")}, previous) != expected
    assert GENESIS == "0" * 64


def _behind_the_triggers(session):
    """Allow UPDATE and DELETE on the immutable tables for this transaction (what a forger with
    database access would do). The tables are emptied, and SQLite's triggers put back, after each
    test (tests/conftest.py)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for table in IMMUTABLE_TABLES:
            session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))


def test_rewriting_an_invoice_and_its_hash_breaks_the_next_one(app, session, shop):
    """A forger changes the first invoice, recomputes its hash and relinks the second invoice to
    it: the second invoice's own hash, which covered the old link, no longer matches."""
    first, second, third = handed_over(app, session, shop, 3)
    forged = {**invoice_content(first), "buyer_name": "Falsifié"}
    new_hash = chain_hash(forged, first.previous_hash)
    ids = (first.id, second.id)
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET buyer_name = 'Falsifié', content_hash = :h WHERE id = :id"),
                    {"h": new_hash, "id": ids[0]})
    session.execute(text("UPDATE invoice SET previous_hash = :h WHERE id = :id"), {"h": new_hash, "id": ids[1]})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {second.number} : contenu modifié depuis l'émission (empreinte différente)."]


def test_an_invoice_relinked_to_another_predecessor_is_caught(app, session, shop):
    first, second, third = handed_over(app, session, shop, 3)
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET previous_hash = :h WHERE id = :id"),
                    {"h": first.content_hash, "id": third.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {third.number} : l'empreinte du document précédent ne correspond pas.",
        f"Facture {third.number} : contenu modifié depuis l'émission (empreinte différente)."]


@pytest.mark.parametrize("count", [1, 2])
def test_each_issued_document_hashes_its_content_after_its_predecessor(app, session, shop, count):
    invoices = handed_over(app, session, shop, count)
    previous = GENESIS
    for invoice in invoices:
        assert invoice.previous_hash == previous
        assert invoice.content_hash == hashlib.sha256(
            json.dumps(invoice_content(invoice), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                       default=lambda v: f"{v:.2f}" if isinstance(v, Decimal) else v.isoformat()).encode()
            + previous.encode()).hexdigest()
        previous = invoice.content_hash
    note = issue_credit_note(session, actor(app, "technicien"), invoices[-1].number, reason="Erreur de saisie.")
    assert note.previous_hash == GENESIS and note.chain_position == 1
    assert verify_chain(session) == []


def test_what_an_invoice_hashes_never_changes():
    """The stored hashes of issued invoices are checked against this very function: renaming a
    key, dropping a field or changing a format would make every invoice already issued fail
    verification. The content and its hash are written out here by hand."""
    from distribution.models import Invoice, InvoiceLine

    invoice = Invoice(
        number="F-2026-00042", issued_at=datetime(2026, 12, 1, 18, 5, 9, tzinfo=timezone.utc),
        seller={"name": "Asso"}, buyer_name="Éloïse Jean-Baptiste", buyer_address="12 rue Schœlcher",
        household_id=7, device_id=9, reservation_id=11, vat_regime="standard", price_grid_id="PG-2026.1", tier=2,
        total_ttc=Decimal("100.00"), total_ht=Decimal("92.17"), vat=Decimal("7.83"),
        reference_value=Decimal("280.00"), aide_solidaire=Decimal("190.00"),
        payments=[{"method": "cash", "amount": "100.00"}], amount_paid=Decimal("100.00"),
        workshop={"session_id": 3}, lines=[
            InvoiceLine(position=1, kind="device", description="Ordinateur portable Dell", asset_tag="RK-000009",
                        serial_number="SN1", quantity=1, unit_price_ttc=Decimal("90.00"), total_ttc=Decimal("90.00"),
                        total_ht=Decimal("82.95"), vat=Decimal("7.05")),
            InvoiceLine(position=2, kind="charger", description="Chargeur", asset_tag=None, serial_number=None,
                        quantity=1, unit_price_ttc=Decimal("10.00"), total_ttc=Decimal("10.00"),
                        total_ht=Decimal("9.22"), vat=Decimal("0.78"))])
    text = (
        '{"aide_solidaire":"190.00","amount_paid":"100.00","buyer_address":"12 rue Schœlcher",'
        '"buyer_name":"Éloïse Jean-Baptiste","device_id":9,"household_id":7,"issued_at":"2026-12-01T14:05:09-04:00",'
        '"lines":[{"asset_tag":"RK-000009","description":"Ordinateur portable Dell","kind":"device","position":1,'
        '"quantity":1,"serial_number":"SN1","total_ht":"82.95","total_ttc":"90.00","unit_price_ttc":"90.00",'
        '"vat":"7.05"},{"asset_tag":null,"description":"Chargeur","kind":"charger","position":2,"quantity":1,'
        '"serial_number":null,"total_ht":"9.22","total_ttc":"10.00","unit_price_ttc":"10.00","vat":"0.78"}],'
        '"number":"F-2026-00042","payments":[{"amount":"100.00","method":"cash"}],"price_grid_id":"PG-2026.1",'
        '"reference_value":"280.00","reservation_id":11,"seller":{"name":"Asso"},"tier":2,"total_ht":"92.17",'
        '"total_ttc":"100.00","vat":"7.83","vat_regime":"standard","workshop":{"session_id":3}}')
    assert canonical(invoice_content(invoice)).decode() == text
    # An office invoice has no unit link: what a mobile unit's device would hash is the same text.
    assert canonical(unit_content(invoice)).decode() == text
    previous = "a" * 64
    assert chain_hash(invoice_content(invoice), previous) == hashlib.sha256((text + previous).encode()).hexdigest()


def test_what_a_credit_note_hashes_never_changes():
    from distribution.models import CreditNote, Invoice
    from distribution.services.invoicing import credit_note_content

    note = CreditNote(number="AV-2026-00003", issued_at=datetime(2026, 12, 2, 4, 0, tzinfo=timezone.utc),
                      reason="Retour.", device_returned=True, lines=[{"position": 1}], total_ttc=Decimal("90.00"),
                      total_ht=Decimal("82.95"), vat=Decimal("7.05"))
    text = ('{"device_returned":true,"invoice_number":"F-2026-00042","issued_at":"2026-12-02T00:00:00-04:00",'
            '"lines":[{"position":1}],"number":"AV-2026-00003","reason":"Retour.","total_ht":"82.95",'
            '"total_ttc":"90.00","vat":"7.05"}')
    assert canonical(credit_note_content(note, Invoice(number="F-2026-00042"))).decode() == text


def test_a_missing_invoice_and_a_gap_in_the_numbers_are_reported(app, session, shop):
    first, second, third = handed_over(app, session, shop, 3)
    year = first.number.split("-")[1]
    _behind_the_triggers(session)
    session.execute(text("DELETE FROM invoice_line WHERE invoice_id = :id"), {"id": second.id})
    session.execute(text("DELETE FROM invoice WHERE id = :id"), {"id": second.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {third.number} : position 3 dans la chaîne, 2 attendue (document manquant).",
        f"Facture {third.number} : l'empreinte du document précédent ne correspond pas.",
        f"Numérotation F-{year} : trous ou doublons (2 documents ; manquante : 00002).",
    ]


def test_a_renumbered_invoice_and_a_changed_credit_note_are_reported(app, session, shop):
    first, second = handed_over(app, session, shop, 2)
    note = issue_credit_note(session, actor(app, "technicien"), first.number, reason="Erreur.")
    year = first.number.split("-")[1]
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET number = :n WHERE id = :id"), {"n": f"F-{year}-00009", "id": second.id})
    session.execute(text("UPDATE credit_note SET reason = 'Autre' WHERE id = :id"), {"id": note.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture F-{year}-00009 : contenu modifié depuis l'émission (empreinte différente).",
        f"Numérotation F-{year} : trous ou doublons (2 documents ; manquantes : 00002 à 00008).",
        f"Avoir {note.number} : contenu modifié depuis l'émission (empreinte différente).",
    ]


def test_the_chain_is_read_in_its_order_not_the_rows(app, session, shop):
    """Positions swapped behind the triggers' back: read in chain order, each document's
    predecessor no longer matches."""
    first, second = handed_over(app, session, shop, 2)
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET chain_position = chain_position + 10"))
    session.execute(text("UPDATE invoice SET chain_position = 1 WHERE id = :id"), {"id": second.id})
    session.execute(text("UPDATE invoice SET chain_position = 2 WHERE id = :id"), {"id": first.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {second.number} : l'empreinte du document précédent ne correspond pas.",
        f"Facture {first.number} : l'empreinte du document précédent ne correspond pas.",
    ]


def test_the_latest_invoices_come_first(app, session, shop, users):
    from distribution.services.invoicing import latest_invoices

    invoices = handed_over(app, session, shop, 3)
    assert [i.number for i in latest_invoices(session, limit=2)] == [invoices[2].number, invoices[1].number]
    assert [i.number for i in latest_invoices(session)] == [i.number for i in reversed(invoices)]
    assert {i.issued_by_id for i in invoices} == {users["technicien"]}
    assert invoices[0].buyer_address == "12 rue Schœlcher, 97232 Le Lamentin"


def test_a_gap_in_the_credit_note_series_is_reported(app, session, shop):
    first, second = handed_over(app, session, shop, 2)
    notes = [issue_credit_note(session, actor(app, "technicien"), i.number, reason="Erreur.") for i in (first, second)]
    year = notes[0].number.split("-")[1]
    _behind_the_triggers(session)
    session.execute(text("UPDATE credit_note SET number = :n WHERE id = :id"), {"n": f"AV-{year}-00007", "id": notes[1].id})
    session.commit()
    assert verify_chain(session) == [
        f"Avoir AV-{year}-00007 : contenu modifié depuis l'émission (empreinte différente).",
        f"Numérotation AV-{year} : trous ou doublons (2 documents ; manquantes : 00002 à 00006).",
    ]


def test_a_number_outside_every_series_is_reported_not_a_crash(app, session, shop):
    """A number the series cannot read (rewritten behind the triggers) is named; before, the chain
    check split it on « - » and failed with a ValueError."""
    first, second = handed_over(app, session, shop, 2)
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET number = 'F-2026-X' WHERE id = :id"), {"id": second.id})
    session.commit()
    problems = verify_chain(session)
    assert "Facture F-2026-X : numéro hors de toute série (F-AAAA-NNNNN ou F-Mn-AAAA-NNNNN attendu)." in problems

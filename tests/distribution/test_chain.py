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

from distribution.models import immutability_triggers
from distribution.services.invoicing import GENESIS, canonical, chain_hash, invoice_content, issue_credit_note, verify_chain
from tests.distribution.test_handover import handed_over, shop  # noqa: F401  (fixture)
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
    """Allow UPDATE on the immutable tables for this transaction (what a forger with database
    access would do)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        session.execute(text("DROP TRIGGER invoice_no_update"))


def _restore_triggers(session):
    if session.get_bind().dialect.name != "postgresql":
        session.execute(text(immutability_triggers("sqlite", "invoice")[0]))
        session.commit()


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
    _restore_triggers(session)


def test_an_invoice_relinked_to_another_predecessor_is_caught(app, session, shop):
    first, second, third = handed_over(app, session, shop, 3)
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET previous_hash = :h WHERE id = :id"),
                    {"h": first.content_hash, "id": third.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {third.number} : l'empreinte du document précédent ne correspond pas.",
        f"Facture {third.number} : contenu modifié depuis l'émission (empreinte différente)."]
    _restore_triggers(session)


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

"""Credit notes (avoirs) in full: what one holds and hashes, partial credits, and every refusal."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from distribution.services.invoicing import (
    GENESIS,
    chain_hash,
    credit_note_content,
    credited_positions,
    invoice_by_number,
    issue_credit_note,
    verify_chain,
)
from tests.helpers import actor

WHEN = datetime(2026, 12, 4, 18, 45, 12, tzinfo=timezone.utc)


@pytest.fixture
def invoice(app, session, shop):
    """An invoice with two lines: the laptop and a charger."""
    from distribution.services.handover import handover
    from tests.distribution.test_handover import reserved
    from tests.helpers import make_session, settings_for

    make_session(app, session)
    reservation = reserved(app, session, shop)
    return handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="cash",
                    accessories=["charger"]).invoice


def test_a_credit_note_on_one_line_holds_and_hashes_what_it_says(app, session, invoice, users):
    charger = next(line for line in invoice.lines if line.kind != "device")
    device_line = next(line for line in invoice.lines if line.kind == "device")
    assert (device_line.asset_tag, device_line.serial_number) == (invoice.device.asset_tag, invoice.device.serial_number)
    note = issue_credit_note(session, actor(app, "technicien"), invoice.number.lower(), reason="  Chargeur absent. ",
                             positions=[charger.position], now=WHEN)
    assert (note.number, note.chain_position, note.previous_hash) == ("AV-2026-00001", 1, GENESIS)
    assert (note.reason, note.device_returned, note.issued_by_id, note.issued_at) == (
        "Chargeur absent.", False, users["technicien"], WHEN)
    assert note.lines == [{"position": charger.position, "description": charger.description, "asset_tag": None,
                           "serial_number": None, "quantity": 1, "unit_price_ttc": "10.00", "total_ttc": "10.00",
                           "total_ht": "10.00", "vat": "0.00"}]
    assert (note.total_ttc, note.total_ht, note.vat) == (Decimal("10.00"), Decimal("10.00"), Decimal("0.00"))
    assert credit_note_content(note) == {
        "number": "AV-2026-00001", "issued_at": "2026-12-04T14:45:12-04:00", "invoice_number": invoice.number,
        "reason": "Chargeur absent.", "device_returned": False, "lines": note.lines,
        "total_ttc": Decimal("10.00"), "total_ht": Decimal("10.00"), "vat": Decimal("0.00")}
    assert note.content_hash == chain_hash(credit_note_content(note), GENESIS)
    assert invoice.device.state == "distributed"          # no return: the household keeps the device
    assert credited_positions(invoice_by_number(session, invoice.number)) == {charger.position}
    # The rest of the invoice can still be credited, by default everything not yet credited.
    rest = issue_credit_note(session, actor(app, "admin"), invoice.number, reason="Retour complet.", return_device=True)
    assert [line["position"] for line in rest.lines] == [1] and rest.previous_hash == note.content_hash
    assert rest.issued_by_id == users["admin"] and rest.device_returned is True
    from inventory.queries import history

    back = history(session, invoice.device.id)[-1]
    assert (back.kind, back.from_state, back.to_state, back.user, back.note) == (
        "transition", "distributed", "repair", "admin", f"Retour du foyer (avoir sur la facture {invoice.number}) : "
        "Retour complet.")
    assert invoice.reservation.request.status == "validated" and invoice.reservation.request.equipped_at is None
    assert verify_chain(session) == []


@pytest.mark.parametrize("kwargs,field,message", [
    ({"reason": None}, "reason", "Motif de l'avoir attendu (retour, erreur de facturation…)."),
    ({"reason": "x", "positions": [1, 7, 9]}, "lines", "Lignes inconnues sur la facture : [7, 9]."),
    ({"reason": "x", "positions": [2], "return_device": True}, "return_device",
     "Le retour de l'appareil suppose d'avoir aussi sa ligne."),
])
def test_refusals_name_the_field(app, session, invoice, kwargs, field, message):
    with pytest.raises(ValidationFailed) as refused:
        issue_credit_note(session, actor(app, "technicien"), invoice.number, **kwargs)
    assert refused.value.errors == {field: [message]}
    assert invoice_by_number(session, invoice.number).credit_notes == []


def test_other_refusals(app, session, invoice):
    tech = actor(app, "technicien")
    with pytest.raises(Forbidden):
        issue_credit_note(session, actor(app, "agent.cacem"), invoice.number, reason="x")
    with pytest.raises(NotFound) as unknown:
        issue_credit_note(session, tech, "F-1999-00001", reason="x")
    assert unknown.value.message == "Facture « F-1999-00001 » introuvable."
    issue_credit_note(session, tech, invoice.number, reason="Erreur.", positions=[1])
    with pytest.raises(Conflict) as twice:
        issue_credit_note(session, tech, invoice.number, reason="Encore.", positions=[1, 2])
    assert twice.value.message == f"Ces lignes de la facture {invoice.number} ont déjà fait l'objet d'un avoir."
    # The device line credited without a return: the device stays with the household, and a
    # later return can no longer credit it.
    assert invoice.device.state == "distributed"
    issue_credit_note(session, tech, invoice.number, reason="Le reste.")
    with pytest.raises(Conflict):
        issue_credit_note(session, tech, invoice.number, reason="Plus rien.")


def test_a_device_no_longer_with_the_household_cannot_be_returned(app, session, invoice):
    from inventory.services.transitions import transition

    transition(session, invoice.device.asset_tag, "repair")      # brought back outside a credit note
    with pytest.raises(Conflict) as refused:
        issue_credit_note(session, actor(app, "technicien"), invoice.number, reason="Retour.", return_device=True)
    assert refused.value.message == (f"L'appareil {invoice.device.asset_tag} n'est plus chez le foyer "
                                      "(Réparation).")
    assert invoice_by_number(session, invoice.number).credit_notes == []

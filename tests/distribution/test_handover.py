"""The handover services on a real database: waiting list, reservation, invoice under each VAT
regime, all-or-nothing handover, credit notes, immutability and the hash chain, release of
expired reservations."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from core.clock import to_local, utcnow
from core.counters import Counter
from core.errors import Conflict, Forbidden, ValidationFailed
from distribution.documents.invoice_pdf import render_invoice
from distribution.models import ImmutableRecord, Invoice, InvoiceLine, Reservation
from distribution.representations import invoice_document
from distribution.services import handover as handover_module
from distribution.services.handover import handover
from distribution.services.invoicing import issue_credit_note, verify_chain
from distribution.services.reservations import matching_devices, release, release_expired, reserve, waiting_list
from inventory.models import Device
from inventory.services.reference import create_site
from tests.helpers import (
    actor,
    make_session,
    settings_for,
    stock_device,
    validated_request,
)

WEIGHTS = {"senior": 3, "disability": 3, "young_isolated": 2, "student": 1}


def reserved(app, session, shop, category="laptop", grade="B", **household):
    item = validated_request(app, session, category, **household)
    device = stock_device(session, shop, category, grade)
    return reserve(session, actor(app, "technicien"), item.id, device.asset_tag)


def test_the_waiting_list_puts_priority_situations_first_then_the_oldest_validation(app, session):
    plain = validated_request(app, session, phone="0696 00 00 01")
    senior = validated_request(app, session, situations=["senior"], phone="0696 00 00 02", last_name="Ancien")
    student = validated_request(app, session, situations=["student"], phone="0696 00 00 03", last_name="Élève")
    later_plain = validated_request(app, session, phone="0696 00 00 04", last_name="Tardif")
    order = [w.request.id for w in waiting_list(session, WEIGHTS)]
    assert order == [senior.id, student.id, plain.id, later_plain.id]
    # A weight of zero removes the priority.
    assert [w.request.id for w in waiting_list(session, {**WEIGHTS, "senior": 0})][:2] == [student.id, plain.id]


def test_matching_devices_same_category_graded_nearest_site_first(app, session, shop):
    item = validated_request(app, session)        # Le Lamentin (CACEM)
    far_site = create_site(session, code="MAR", name="Atelier Sud", kind="workshop", commune_insee="97217")
    near = stock_device(session, shop, "laptop", "C")
    far = stock_device(session, shop, "laptop", "A")
    session.execute(update(Device).where(Device.id == far.id).values(location_id=None))
    far.collection.site_id = far_site.id
    session.commit()
    stock_device(session, shop, "tablet", "A")    # another category: never proposed
    matches = matching_devices(session, item)
    assert [(m.device.asset_tag, m.proximity) for m in matches] == [(near.asset_tag, 0), (far.asset_tag, 2)]


def test_reserve_moves_the_device_and_refuses_a_second_device_or_a_taken_device(app, session, shop):
    item = validated_request(app, session)
    device = stock_device(session, shop)
    other = stock_device(session, shop)
    tech = actor(app, "technicien")
    reservation = reserve(session, tech, item.id, device.asset_tag)
    assert device.state == "reserved" and reservation.status == "active"
    assert reservation.expires_at - reservation.reserved_at == timedelta(days=14)
    with pytest.raises(Conflict, match="déjà un appareil réservé"):
        reserve(session, tech, item.id, other.asset_tag)
    second = validated_request(app, session, phone="0696 99 99 99", last_name="Autre")
    with pytest.raises(Conflict, match="n'est pas en stock"):
        reserve(session, tech, second.id, device.asset_tag)
    assert [w.request.id for w in waiting_list(session, WEIGHTS)] == [second.id]
    with pytest.raises(Forbidden):
        reserve(session, actor(app, "agent.cacem"), second.id, other.asset_tag)


def test_reserve_refuses_a_request_not_validated_and_a_device_of_another_category(app, session, shop):
    from eligibility.services.requests import create_request
    from tests.helpers import make_household

    household = make_household(app, session)
    submitted = create_request(session, actor(app, "prescripteur"), household, "laptop")
    tablet = stock_device(session, shop, "tablet")
    with pytest.raises(Conflict, match="n'est pas une demande validée"):
        reserve(session, actor(app, "technicien"), submitted.id, tablet.asset_tag)
    item = validated_request(app, session, phone="0696 11 11 11", last_name="Autre")
    with pytest.raises(Conflict, match="catégorie"):
        reserve(session, actor(app, "technicien"), item.id, tablet.asset_tag)
    assert tablet.state == "in_stock"


def test_release_and_expiry_put_the_device_back_in_stock(app, session, shop):
    first = reserved(app, session, shop)
    release(session, actor(app, "technicien"), first.id, reason="Le foyer a renoncé.")
    assert first.status == "released" and first.device.state == "in_stock"
    second = reserved(app, session, shop, phone="0696 22 22 22", last_name="Second")
    assert release_expired(session, now=utcnow() + timedelta(days=13)) == []
    expired = release_expired(session, now=utcnow() + timedelta(days=15))
    assert [r.id for r in expired] == [second.id]
    assert second.status == "expired" and second.device.state == "in_stock"
    assert second.request.status == "validated"   # back on the waiting list


@pytest.mark.parametrize("regime, ht, vat, mention", [
    ("franchise", "100.00", "0.00", "franchise"),
    ("margin", "100.00", "0.00", "margin"),
    ("standard", "92.17", "7.83", "standard"),
])
def test_handover_invoice_amounts_under_each_vat_regime(app, session, shop, regime, ht, vat, mention):
    reservation = reserved(app, session, shop, grade="A", monthly_resources="2100.50")   # tier 2: 90 €
    make_session(app, session)
    result = handover(session, actor(app, "technicien"), reservation.id, settings_for(app, VAT_REGIME=regime),
                      payment_method="cash", accessories=["charger"], internet_access="mobile")
    invoice = result.invoice
    assert invoice.vat_regime == regime and invoice.tier == 2
    assert [(l.kind, l.unit_price_ttc) for l in invoice.lines] == [("device", Decimal("90.00")),
                                                                  ("charger", Decimal("10.00"))]
    assert invoice.total_ttc == Decimal("100.00")
    assert invoice.total_ht == Decimal(ht) and invoice.vat == Decimal(vat)
    if regime == "standard":
        # 90 / 1.085 = 82.949… → 82.95 ; 10 / 1.085 = 9.216… → 9.22 ; VAT = price − HT per line.
        assert [(l.total_ht, l.vat) for l in invoice.lines] == [(Decimal("82.95"), Decimal("7.05")),
                                                               (Decimal("9.22"), Decimal("0.78"))]
    assert invoice.reference_value == Decimal("350.00") and invoice.aide_solidaire == Decimal("260.00")
    assert invoice.amount_paid == Decimal("100.00") and invoice.payments == [{"method": "cash", "amount": "100.00"}]
    assert invoice.number == f"F-{to_local(invoice.issued_at).year}-00001"
    session.expire_all()
    reservation = session.get(Reservation, reservation.id)
    assert reservation.status == "handed_over" and reservation.internet_access == "mobile"
    assert reservation.device.state == "distributed"
    assert reservation.request.status == "equipped" and reservation.request.equipped_at is not None
    assert result.booking.status == "booked" and result.booking.household_id == reservation.request.household_id
    # The PDF of the stored invoice carries the regime's mention and amounts.
    text = " ".join(" ".join(page.extract_text().split()) for page in
                    PdfReader(io.BytesIO(render_invoice(invoice_document(invoice)))).pages).replace("\u00a0", " ")
    expected = {"franchise": ["TVA non applicable, art. 293 B du CGI", "Total 100,00 €"],
                "margin": ["Régime particulier – Biens d'occasion", "Total 100,00 €"],
                "standard": ["Total HT 92,17 €", "TVA (8,5 %) 7,83 €", "Total TTC 100,00 €"]}[mention]
    for fragment in expected + [invoice.number, "Valeur de référence", "260,00 €", "L217-3", "Espèces"]:
        assert fragment in text, fragment


def test_handover_books_the_nearest_session_with_a_free_seat(app, session, shop):
    reservation = reserved(app, session, shop)          # household in Le Lamentin (CACEM)
    elsewhere = make_session(app, session, commune="97209", days=2)      # Fort-de-France, CACEM, sooner
    same_commune_full = make_session(app, session, commune="97213", days=3, capacity=1)
    same_commune = make_session(app, session, commune="97213", days=5)
    make_session(app, session, commune="97213", topic="smartphone", days=1)   # another topic
    other = validated_request(app, session, phone="0696 33 33 33", last_name="Voisin")
    from distribution.services.workshops import book
    book(session, actor(app, "technicien"), same_commune_full.id, other.household_id)
    result = handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="card")
    assert result.booking.session_id == same_commune.id
    assert result.invoice.workshop["session_id"] == same_commune.id
    assert elsewhere.id != same_commune.id


def test_handover_is_all_or_nothing_when_the_booking_fails(app, session, shop, monkeypatch):
    reservation = reserved(app, session, shop)
    workshop = make_session(app, session)

    def broken(*args, **kwargs):
        raise Conflict("Panne simulée de la réservation d'atelier.")

    monkeypatch.setattr(handover_module, "book_seat", broken)
    with pytest.raises(Conflict, match="Panne simulée"):
        handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="cash",
                 workshop_session_id=workshop.id)
    session.expire_all()
    assert session.execute(select(Invoice)).first() is None
    assert all(c.value == 0 for c in session.execute(select(Counter).where(Counter.name.like("invoice%"))).scalars())
    reservation = session.get(Reservation, reservation.id)
    assert reservation.status == "active" and reservation.device.state == "reserved"
    assert reservation.request.status == "validated"
    monkeypatch.undo()
    result = handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="cash",
                      workshop_session_id=workshop.id)
    assert result.invoice.number.endswith("-00001")   # the failed attempt consumed no number


def test_handover_refuses_bad_payments_and_unknown_accessories_writing_nothing(app, session, shop):
    reservation = reserved(app, session, shop)
    make_session(app, session)
    tech = actor(app, "technicien")
    with pytest.raises(ValidationFailed) as refused:
        handover(session, tech, reservation.id, settings_for(app), payment_method="bitcoin")
    assert list(refused.value.errors) == ["payment_method"]
    with pytest.raises(ValidationFailed) as refused:
        handover(session, tech, reservation.id, settings_for(app), payments=[{"method": "cash", "amount": "10"}])
    assert "doivent égaler le total" in refused.value.errors["payments"][0]
    assert "\u00a0€)" in refused.value.errors["payments"][0] and ".00" not in refused.value.errors["payments"][0]
    with pytest.raises(ValidationFailed) as refused:
        handover(session, tech, reservation.id, settings_for(app), payment_method="cash", accessories=["jetpack"])
    assert "Accessoire inconnu" in refused.value.errors["accessories"][0]
    assert session.execute(select(Invoice)).first() is None and reservation.device.state == "reserved"
    # A split payment that adds up is accepted.
    result = handover(session, tech, reservation.id, settings_for(app),
                      payments=[{"method": "cash", "amount": "20"}, {"method": "voucher", "amount": "30"}])
    assert result.invoice.amount_paid == Decimal("50.00")   # laptop B, tier 1


def test_handover_without_any_session_is_refused(app, session, shop):
    reservation = reserved(app, session, shop)
    with pytest.raises(Conflict, match="Aucun atelier"):
        handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="cash")
    assert reservation.device.state == "reserved"


def handed_over(app, session, shop, n: int):
    make_session(app, session, capacity=50)
    invoices = []
    for i in range(n):
        reservation = reserved(app, session, shop, phone=f"0696 40 00 {i:02d}", last_name=f"Foyer{i}")
        invoices.append(handover(session, actor(app, "technicien"), reservation.id, settings_for(app),
                                 payment_method="cash").invoice)
    return invoices


def test_invoices_are_numbered_without_gaps_and_chained(app, session, shop):
    invoices = handed_over(app, session, shop, 3)
    year = invoices[0].number.split("-")[1]
    assert [i.number for i in invoices] == [f"F-{year}-0000{n}" for n in (1, 2, 3)]
    assert invoices[0].previous_hash == "0" * 64
    assert invoices[1].previous_hash == invoices[0].content_hash
    assert verify_chain(session) == []


def test_an_issued_invoice_cannot_be_changed_by_the_orm_or_by_sql(app, session, shop):
    invoice = handed_over(app, session, shop, 1)[0]
    invoice.buyer_name = "Quelqu'un d'autre"
    with pytest.raises(ImmutableRecord):
        session.flush()
    session.rollback()
    line = session.execute(select(InvoiceLine)).scalars().first()
    session.delete(line)
    with pytest.raises(ImmutableRecord):
        session.flush()
    session.rollback()
    for statement in ("UPDATE invoice SET total_ttc = 1, total_ht = 1, vat = 0", "DELETE FROM invoice_line"):
        with pytest.raises(DatabaseError, match="immuable"):
            session.execute(text(statement))
        session.rollback()


def test_verify_reports_content_changed_behind_the_triggers_back(app, session, shop):
    invoices = handed_over(app, session, shop, 2)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        session.execute(text("DROP TRIGGER invoice_no_update"))
    session.execute(text("UPDATE invoice SET buyer_name = 'Falsifié' WHERE id = :id"), {"id": invoices[0].id})
    session.commit()
    problems = verify_chain(session)
    assert problems == [f"Facture {invoices[0].number} : contenu modifié depuis l'émission (empreinte différente)."]
    if dialect != "postgresql":
        from distribution.models import immutability_triggers
        session.execute(text("UPDATE invoice SET buyer_name = buyer_name"))   # no trigger yet: harmless
        session.execute(text(immutability_triggers("sqlite", "invoice")[0]))
        session.commit()


def test_a_credit_note_cites_the_invoice_and_a_return_sends_the_device_to_repair(app, session, shop):
    invoice = handed_over(app, session, shop, 1)[0]
    tech = actor(app, "technicien")
    with pytest.raises(ValidationFailed):
        issue_credit_note(session, tech, invoice.number, reason=" ")
    note = issue_credit_note(session, tech, invoice.number, reason="Écran défectueux, retour sous garantie.",
                             return_device=True)
    year = invoice.number.split("-")[1]
    assert note.number == f"AV-{year}-00001" and note.invoice.number == invoice.number
    assert note.total_ttc == invoice.total_ttc and note.device_returned
    assert invoice.device.state == "repair"
    # The household gave the device back: its request waits for another device.
    request = invoice.reservation.request
    assert request.status == "validated" and request.equipped_at is None
    assert [w.request.id for w in waiting_list(session, WEIGHTS)] == [request.id]
    with pytest.raises(Conflict, match="déjà fait l'objet d'un avoir"):
        issue_credit_note(session, tech, invoice.number, reason="Encore")
    assert verify_chain(session) == []
    with pytest.raises(DatabaseError, match="immuable"):
        session.execute(text("UPDATE credit_note SET reason = 'x'"))
    session.rollback()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["distribution", *args])


def test_cli_release_expired_and_verify_invoices(app, session, shop, monkeypatch):
    reservation = reserved(app, session, shop)
    session.execute(update(Reservation).where(Reservation.id == reservation.id)
                    .values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    result = cli(app, "release-expired")
    assert result.exit_code == 0 and "1 réservation(s) expirée(s) libérée(s)." in result.output
    assert reservation.device.asset_tag in result.output
    session.expire_all()
    assert session.get(Reservation, reservation.id).status == "expired"
    assert "0 réservation(s)" in cli(app, "release-expired").output

    handed_over(app, session, shop, 2)
    result = cli(app, "verify-invoices")
    assert result.exit_code == 0 and "Chaîne des factures et avoirs intacte" in result.output
    # A chain whose first invoice was tampered with behind the triggers' back is reported.
    monkeypatch.setattr("distribution.services.invoicing.invoice_content",
                        lambda invoice: {"number": invoice.number, "forged": invoice.number.endswith("1")})
    result = cli(app, "verify-invoices")
    assert result.exit_code == 1 and "contenu modifié depuis l'émission" in result.output


def test_cli_load_grid_refuses_changing_a_grid_already_invoiced(app, session, shop, tmp_path):
    import json

    from distribution.pricing import bundled_grids

    handed_over(app, session, shop, 1)
    data = bundled_grids()[0]
    data["accessories"][0]["price"] = "12"
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = cli(app, "load-grid", str(path))
    assert result.exit_code == 1 and "déjà utilisée par 1 facture(s)" in result.output
    path.write_text("{", encoding="utf-8")
    assert "Fichier JSON illisible" in cli(app, "load-grid", str(path)).output

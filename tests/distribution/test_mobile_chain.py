"""Invoices issued offline by a mobile unit (docs/mobile-tour-design.md §§ 1.3–1.5, 3.4, 3.5): the
unit's chain as a device computes it and its anchor in the main chain, written out by hand; each
check of register_mobile_invoice with its French refusal, nothing written; what verify_chain, the
closed-series notes and ``flask distribution verify-invoices`` say of unit chains and series.

Mobile units and tours are rows made here (their services come later); the « device » is the
``Van`` below, which numbers and hashes as the page will."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select, text

from core.clock import local_today, to_local, utcnow
from core.counters import Counter
from core.errors import ValidationFailed
from core.money import euros
from core.unit_of_work import unit_of_work
from distribution.documents.invoice_pdf import render_invoice
from distribution.models import Invoice, InvoiceLine
from distribution.numbering import parse_number
from distribution.representations import invoice_document
from distribution.services.grids import grid_in_effect
from distribution.services.handover import handover
from distribution.services.invoicing import (
    GENESIS,
    LineIn,
    canonical,
    chain_hash,
    draft_invoice,
    invoice_content,
    unit_content,
    verify_chain,
)
from distribution.services.mobile_invoicing import (
    MobileInvoiceRefused,
    content_differences,
    register_mobile_invoice,
    series_notes,
)
from distribution.tour.models import MobileTour, MobileUnit
from tests.distribution.test_chain import _behind_the_triggers
from tests.distribution.test_documents import text_of
from tests.distribution.test_handover import cli, handed_over, reserved
from tests.concurrency import one_winner
from tests.helpers import actor, make_session, settings_for

SELLER = {"name": "Association Rekonekt", "address": "1 rue de la République, 97200 Fort-de-France",
          "siret": "12345678900012"}
BUYER = "Éloïse Jean-Baptiste"
ADDRESS = "12 rue Schœlcher, 97232 Le Lamentin"
WORKSHOP = {"topic": "ordinateur", "place": "Atelier mobile — bourg de Macouba", "status": "Inscrit"}
_households = count(1)


def make_unit(session, code: str, name: str = "Camion Nord") -> MobileUnit:
    unit = MobileUnit(code=code, name=name, active=True)
    session.add(unit)
    session.commit()
    return unit


def make_tour(session, unit: MobileUnit, holder_id: int, n: int) -> MobileTour:
    now = utcnow()
    tour = MobileTour(reference=f"TRN-2026-{n:04d}", mobile_unit_id=unit.id, holder_id=holder_id,
                      device_key=str(uuid.uuid4()), tour_date=to_local(now).date(), downloaded_at=now,
                      valid_until=now + timedelta(hours=24), snapshot={}, snapshot_sha256="0" * 64)
    session.add(tour)
    session.commit()
    return tour


def sale_fields(app, session, shop, price: str = "70.00") -> dict:
    """The invoice fields of a sale of a newly reserved device (what the tour's snapshot gives)."""
    i = next(_households)
    reservation = reserved(app, session, shop, phone=f"0696 41 {i // 100:02d} {i % 100:02d}", last_name=f"Mobile{i}")
    return dict(
        reservation=reservation, household=reservation.request.household, device=reservation.device,
        lines=[LineIn(kind="device", description="Ordinateur portable — reconditionné", unit_price_ttc=Decimal(price),
                      asset_tag=reservation.device.asset_tag, serial_number=f"SN-{i}")],
        payments=[{"method": "cash", "amount": price}], vat_regime="franchise", seller=SELLER, buyer_name=BUYER,
        buyer_address=ADDRESS, price_grid_id=grid_in_effect(session, local_today()).id, tier=1,
        reference_value=Decimal("280.00"), workshop=WORKSHOP, booking_id=None, user_id=actor(app, "technicien").id)


class Van:
    """A mobile unit's device: it numbers each invoice next in the unit's series of its year,
    hashes it after the unit's previous invoice and remembers where it stands."""

    def __init__(self, unit: MobileUnit, tour: MobileTour) -> None:
        self.unit, self.tour = unit, tour
        self.next_number: dict[int, int] = {}
        self.position, self.previous = 1, GENESIS

    def sell(self, app, session, shop, issued_at: datetime, **overrides) -> dict:
        """The arguments of register_mobile_invoice for a sale at ``issued_at``, as the device sends them."""
        fields = sale_fields(app, session, shop)
        year = to_local(issued_at).year
        number = f"F-{self.unit.code}-{year}-{self.next_number.get(year, 1):05d}"
        draft = draft_invoice(**fields, issued_at=issued_at)
        draft.number = number
        content = json.loads(canonical(unit_content(draft)))
        args = dict(unit=self.unit, tour=self.tour, number=number, issued_at=issued_at, unit_position=self.position,
                    unit_previous_hash=self.previous, unit_hash=chain_hash(content, self.previous),
                    claimed_content=content, **fields)
        args.update(overrides)
        return args

    def register(self, session, args: dict) -> Invoice:
        with unit_of_work(session):
            invoice = register_mobile_invoice(session, **args)
        parsed = parse_number(invoice.number)
        self.next_number[parsed.year] = parsed.number + 1
        self.position, self.previous = invoice.unit_position + 1, invoice.unit_hash
        return invoice

    def sales(self, app, session, shop, times: list[datetime]) -> list[Invoice]:
        return [self.register(session, self.sell(app, session, shop, moment)) for moment in times]


@pytest.fixture
def vans(app, session, shop, users):
    """Units M1 and M2, each with a tour out, and their devices."""
    units = [make_unit(session, "M1"), make_unit(session, "M2", "Camion Sud")]
    return [Van(unit, make_tour(session, unit, users["technicien"], n)) for n, unit in enumerate(units, start=1)]


_BASE = utcnow().replace(second=0, microsecond=0) - timedelta(hours=3)


def a_while_ago(minutes: int = 0, seconds: int = 0) -> datetime:
    """A moment a few hours before the tests started, on a whole minute (so that times print as
    the messages say, whenever the clock turns a minute during a test)."""
    return _BASE + timedelta(minutes=minutes, seconds=seconds)


def _counts(session) -> tuple:
    return (session.scalar(select(func.count()).select_from(Invoice)),
            session.scalar(select(func.count()).select_from(InvoiceLine)),
            session.scalar(select(Counter.value).where(Counter.name == "invoice-chain")))


# --- The unit's chain and its anchor --------------------------------------------------------------

def test_a_unit_hash_and_its_anchor_written_out_by_hand_equal_the_stored_ones(app, session, shop, vans):
    m1 = vans[0]
    issued_at = a_while_ago()
    invoice = m1.register(session, m1.sell(app, session, shop, issued_at))
    local = to_local(issued_at)
    head = (
        '{"aide_solidaire":"210.00","amount_paid":"70.00","buyer_address":"12 rue Schœlcher, 97232 Le Lamentin",'
        f'"buyer_name":"Éloïse Jean-Baptiste","device_id":{invoice.device_id},"household_id":{invoice.household_id},'
        f'"issued_at":"{local:%Y-%m-%dT%H:%M:%S}-04:00","lines":[{{"asset_tag":"{invoice.lines[0].asset_tag}",'
        '"description":"Ordinateur portable — reconditionné","kind":"device","position":1,"quantity":1,'
        f'"serial_number":"{invoice.lines[0].serial_number}","total_ht":"70.00","total_ttc":"70.00",'
        f'"unit_price_ttc":"70.00","vat":"0.00"}}],"number":"F-M1-{local.year}-00001",'
        f'"payments":[{{"amount":"70.00","method":"cash"}}],"price_grid_id":"{invoice.price_grid_id}",'
        f'"reference_value":"280.00","reservation_id":{invoice.reservation_id},"seller":{{"address":'
        '"1 rue de la République, 97200 Fort-de-France","name":"Association Rekonekt","siret":"12345678900012"},'
        '"tier":1,"total_ht":"70.00","total_ttc":"70.00"')
    tail = (',"vat":"0.00","vat_regime":"franchise","workshop":{"place":"Atelier mobile — bourg de Macouba",'
            '"status":"Inscrit","topic":"ordinateur"}}')
    unit_hash = hashlib.sha256((head + tail + "0" * 64).encode()).hexdigest()
    anchor = f',"unit":{{"code":"M1","hash":"{unit_hash}","position":1,"previous_hash":"{"0" * 64}"}}'
    assert invoice.number == f"F-M1-{local.year}-00001"
    assert (invoice.unit_position, invoice.unit_previous_hash, invoice.unit_hash) == (1, GENESIS, unit_hash)
    assert (invoice.chain_position, invoice.previous_hash) == (1, GENESIS)
    assert invoice.content_hash == hashlib.sha256((head + anchor + tail + "0" * 64).encode()).hexdigest()
    assert invoice.tour_id == m1.tour.id and invoice.mobile_unit_id == m1.unit.id
    # Read back from the database, both chains verify.
    session.expire_all()
    assert verify_chain(session) == []


def test_an_office_invoice_hashes_what_it_states_and_nothing_of_a_unit(app, session, shop):
    invoice = handed_over(app, session, shop, 1)[0]
    assert "unit" not in invoice_content(invoice)
    assert invoice_content(invoice) == unit_content(invoice)
    assert invoice.unit_hash is None and invoice.mobile_unit_id is None
    assert invoice.content_hash == chain_hash(unit_content(invoice), GENESIS)


def test_two_units_and_the_office_interleaved_keep_every_chain_intact(app, session, shop, vans):
    m1, m2 = vans
    make_session(app, session, capacity=50)
    for k, who in enumerate(["office", m1, m1, "office", m2, m1, m2, "office"]):
        if who == "office":
            reservation = reserved(app, session, shop, phone=f"0696 42 00 {k:02d}", last_name=f"Bureau{k}")
            handover(session, actor(app, "technicien"), reservation.id, settings_for(app), payment_method="cash")
        else:
            who.register(session, who.sell(app, session, shop, a_while_ago(minutes=k)))
    invoices = session.execute(select(Invoice).order_by(Invoice.chain_position)).scalars().all()

    def numbered(i, series, n):
        return f"{series}-{to_local(i.issued_at).year}-{n:05d}"
    assert [i.number for i in invoices] == [
        numbered(invoices[0], "F", 1), numbered(invoices[1], "F-M1", 1), numbered(invoices[2], "F-M1", 2),
        numbered(invoices[3], "F", 2), numbered(invoices[4], "F-M2", 1), numbered(invoices[5], "F-M1", 3),
        numbered(invoices[6], "F-M2", 2), numbered(invoices[7], "F", 3)]
    assert [i.chain_position for i in invoices] == list(range(1, 9))
    assert [i.previous_hash for i in invoices] == [GENESIS] + [i.content_hash for i in invoices[:-1]]
    for van in vans:
        chain = [i for i in invoices if i.mobile_unit_id == van.unit.id]
        assert [i.unit_position for i in chain] == list(range(1, len(chain) + 1))
        assert [i.unit_previous_hash for i in chain] == [GENESIS] + [i.unit_hash for i in chain[:-1]]
        assert all(invoice_content(i)["unit"]["code"] == van.unit.code for i in chain)
    assert all(i.unit_hash is None and "unit" not in invoice_content(i) for i in invoices if i.number.count("-") == 2)
    session.expire_all()
    assert verify_chain(session) == []
    assert series_notes(session) == []


# --- Each check of register_mobile_invoice --------------------------------------------------------

def _year() -> int:
    return to_local(a_while_ago(minutes=3)).year


def _local(moment: datetime, fmt: str = "%d/%m/%Y à %H:%M") -> str:
    return f"{to_local(moment):{fmt}}"


HASH_MISMATCH = ("Facture F-M1-{y}-00003 : l'empreinte calculée par l'appareil ne correspond pas à la facture "
                 "reconstituée par le serveur")
REFUSALS = {
    # case: (field, the arguments changed, the message); the sale is the third of M1, at a_while_ago(3).
    "the series of another unit": ("number", lambda a, y, m: {"number": f"F-M2-{y}-00003"},
                                   "Facture F-M2-{y}-00003 : numéro hors de la série de l'unité M1 "
                                   "(F-M1-AAAA-NNNNN attendu)."),
    "the office's series": ("number", lambda a, y, m: {"number": f"F-{y}-00003"},
                            "Facture F-{y}-00003 : numéro hors de la série de l'unité M1 (F-M1-AAAA-NNNNN attendu)."),
    "not a number": ("number", lambda a, y, m: {"number": "F-M1-3"},
                     "Facture F-M1-3 : numéro hors de la série de l'unité M1 (F-M1-AAAA-NNNNN attendu)."),
    "another year": ("number", lambda a, y, m: {"number": f"F-M1-{y + 1}-00001"},
                     "Facture F-M1-{y1}-00001 : l'année du numéro ({y1}) n'est pas celle de l'émission, le {t3} "
                     "heure de la Martinique (série F-M1-{y} attendue)."),
    "a gap": ("number", lambda a, y, m: {"number": f"F-M1-{y}-00004"},
              "Facture F-M1-{y}-00004 : la facture précédente de la série est 00002 (00003 manquante)."),
    "a longer gap": ("number", lambda a, y, m: {"number": f"F-M1-{y}-00006"},
                     "Facture F-M1-{y}-00006 : la facture précédente de la série est 00002 (00003 à 00005 "
                     "manquantes)."),
    "a duplicate": ("number", lambda a, y, m: {"number": f"F-M1-{y}-00002"},
                    "Facture F-M1-{y}-00002 : numéro déjà enregistré (doublon ; la dernière facture de la série "
                    "est 00002)."),
    "a position skipped": ("unit_position", lambda a, y, m: {"unit_position": 4},
                           "Facture F-M1-{y}-00003 : position 4 dans la chaîne de l'unité M1, 3 attendue."),
    "a position repeated": ("unit_position", lambda a, y, m: {"unit_position": 2},
                            "Facture F-M1-{y}-00003 : position 2 dans la chaîne de l'unité M1, 3 attendue."),
    "another previous hash": ("unit_previous_hash", lambda a, y, m: {"unit_previous_hash": m[0].unit_hash},
                              "Facture F-M1-{y}-00003 : l'empreinte précédente transmise n'est pas celle de la "
                              "dernière facture de l'unité M1 (F-M1-{y}-00002)."),
    "earlier than the previous invoice": (
        "issued_at", lambda a, y, m: {"issued_at": a_while_ago(minutes=1)},
        "Facture F-M1-{y}-00003 : émise le {t1}, avant la facture précédente de l'unité M1 (F-M1-{y}-00002, émise "
        "le {t2})."),
    "earlier within the same minute": (
        "issued_at", lambda a, y, m: {"issued_at": a_while_ago(minutes=2, seconds=10)},
        "Facture F-M1-{y}-00003 : émise le {t2s_early}, avant la facture précédente de l'unité M1 (F-M1-{y}-00002, "
        "émise le {t2s})."),
    "content changed, fields named": (
        "unit_hash", lambda a, y, m: _claiming(a, buyer_name="Jean Dupont", total_ttc="75.00"),
        HASH_MISMATCH + " — Nom du client : appareil « Jean Dupont », serveur « Éloïse Jean-Baptiste » ; Total : "
        "appareil {e75}, serveur {e70}."),
    "a wrong hash, content not given": ("unit_hash", lambda a, y, m: {"unit_hash": "f" * 64, "claimed_content": None},
                                        HASH_MISMATCH + "."),
    "a wrong hash of the same content": (
        "unit_hash", lambda a, y, m: {"unit_hash": "f" * 64},
        HASH_MISMATCH + " (contenus identiques : c'est l'empreinte transmise qui est fausse)."),
}


def _claiming(args: dict, **changes) -> dict:
    """What a device sends when it hashed a content other than the server's."""
    claimed = {**args["claimed_content"], **changes}
    return {"claimed_content": claimed, "unit_hash": chain_hash(claimed, args["unit_previous_hash"])}


@pytest.mark.parametrize("case", REFUSALS)
def test_an_invoice_failing_a_check_is_refused_in_french_and_nothing_is_written(app, session, shop, vans, case):
    m1, m2 = vans
    # The two first sales at whole minutes, the second at 2 min 30 s.
    registered = m1.sales(app, session, shop, [a_while_ago(), a_while_ago(minutes=2, seconds=30)])
    field, change, expected = REFUSALS[case]
    args = m1.sell(app, session, shop, a_while_ago(minutes=3))
    y = _year()
    args.update(change(args, y, registered))
    before = _counts(session)
    with pytest.raises(MobileInvoiceRefused) as refused:
        register_mobile_invoice(session, **args)
    assert not session.new and _counts(session) == before     # nothing written, not even a chain position
    session.rollback()
    message = expected.format(
        y=y, y1=y + 1, t3=_local(a_while_ago(minutes=3)), t1=_local(a_while_ago(minutes=1)),
        t2=_local(registered[1].issued_at), t2s=_local(registered[1].issued_at, "%d/%m/%Y à %H:%M:%S"),
        t2s_early=_local(a_while_ago(minutes=2, seconds=10), "%d/%m/%Y à %H:%M:%S"),
        e75=euros(Decimal("75.00")), e70=euros(Decimal("70.00")))
    assert refused.value.message == message
    assert isinstance(refused.value, ValidationFailed) and refused.value.errors == {field: [message]}
    assert _counts(session) == before
    # The device's next sale, as it should be, is registered: no number nor chain position was taken.
    invoice = m1.register(session, m1.sell(app, session, shop, a_while_ago(minutes=4)))
    assert invoice.number == f"F-M1-{to_local(invoice.issued_at).year}-00003" and invoice.chain_position == 3
    assert verify_chain(session) == []


def test_a_tour_of_another_unit_is_refused(app, session, shop, vans):
    m1, m2 = vans
    args = m1.sell(app, session, shop, a_while_ago(), tour=m2.tour)
    with pytest.raises(MobileInvoiceRefused) as refused:
        with unit_of_work(session):
            register_mobile_invoice(session, **args)
    assert refused.value.message == f"Facture {args['number']} : la tournée TRN-2026-0002 n'est pas celle de l'unité M1."
    assert _counts(session)[:2] == (0, 0)


def test_a_time_without_a_time_zone_is_refused(app, session, shop, vans):
    args = vans[0].sell(app, session, shop, a_while_ago())
    args["issued_at"] = args["issued_at"].replace(tzinfo=None)
    with pytest.raises(MobileInvoiceRefused) as refused:
        register_mobile_invoice(session, **args)
    assert refused.value.message == f"Facture {args['number']} : date d'émission sans fuseau horaire."
    assert not session.new


@pytest.mark.concurrency
def test_the_same_number_sent_twice_at_once_is_registered_once(app, session, shop, vans, race):
    """Two syncs carry the unit's next invoice at the same instant (two sales numbered alike): the
    unit's row lock serialises them, and the second reads the first and is refused as a duplicate
    in French, where without the lock both would pass the checks and one would fail on the unique
    number (« doublon » of the unit of work, not the series named)."""
    m1 = vans[0]
    m1.sales(app, session, shop, [a_while_ago(), a_while_ago(minutes=1)])
    sent = [m1.sell(app, session, shop, a_while_ago(minutes=2)) for _ in range(2)]
    rows = {"unit": MobileUnit, "tour": MobileTour}
    plain = [{key: (value.id if key in rows or key in ("reservation", "household", "device") else value)
              for key, value in args.items()} for args in sent]
    session.commit()
    contest = race(2)

    def register(index: int) -> str:
        from app.extensions import db
        from distribution.models import Reservation
        from eligibility.models import Household
        from inventory.models import Device

        models = {**rows, "reservation": Reservation, "household": Household, "device": Device}
        args = {key: (db.session.get(models[key], value) if key in models else value)
                for key, value in plain[index].items()}
        contest.meet_at_start()
        with unit_of_work(db.session):
            contest.meet_at_guard()
            return register_mobile_invoice(db.session, **args).number

    number = one_winner(contest.run(register), MobileInvoiceRefused,
                        f"Facture {sent[0]['number']} : numéro déjà enregistré (doublon ; la dernière facture de la "
                        f"série est {sent[0]['number'][-5:]}).")
    assert number == sent[0]["number"]
    session.expire_all()
    assert _counts(session)[0] == 3 and verify_chain(session) == []


def test_the_first_invoice_of_a_unit_starts_at_00001_and_from_genesis(app, session, shop, vans):
    m1 = vans[0]
    y = _year()
    later = m1.sell(app, session, shop, a_while_ago(minutes=3), number=f"F-M1-{y}-00002")
    with pytest.raises(MobileInvoiceRefused, match=(
            rf"^Facture F-M1-{y}-00002 : aucune facture de la série F-M1-{y} n'est enregistrée "
            r"\(00001 manquante\)\.$")):
        register_mobile_invoice(session, **later)
    session.rollback()
    relinked = m1.sell(app, session, shop, a_while_ago(minutes=3), unit_previous_hash="a" * 64)
    with pytest.raises(MobileInvoiceRefused) as refused:
        register_mobile_invoice(session, **relinked)
    session.rollback()
    assert refused.value.message == (
        f"Facture F-M1-{y}-00001 : l'empreinte précédente transmise n'est pas l'empreinte initiale (64 zéros) "
        "qu'attend la première facture de l'unité M1.")


def test_a_new_year_restarts_the_series_at_1_and_the_unit_chain_continues(app, session, shop, vans):
    m1 = vans[0]
    new_year = datetime(2027, 1, 1, 4, 0, tzinfo=timezone.utc)          # 1 January 2027, midnight in Martinique
    first, second = m1.sales(app, session, shop, [new_year - timedelta(seconds=1), new_year])
    assert (first.number, second.number) == ("F-M1-2026-00001", "F-M1-2027-00001")
    assert (second.unit_position, second.unit_previous_hash) == (2, first.unit_hash)
    assert verify_chain(session) == []


def test_the_differences_are_named_in_french_as_a_user_reads_them():
    server = {"number": "F-M1-2026-00003", "issued_at": "2026-12-10T09:00:00-04:00", "household_id": 7,
              "vat_regime": "franchise", "seller": {"name": "Asso", "siret": "123"}, "total_ttc": Decimal("70.00"),
              "payments": [{"method": "cash", "amount": "70.00"}],
              "lines": [{"position": 1, "description": "Portable", "unit_price_ttc": "70.00", "quantity": 1}],
              "workshop": {"status": "Inscrit", "position": None}}
    claimed = {**server, "issued_at": "2026-12-10T09:05:30-04:00", "household_id": 8, "vat_regime": "margin",
               "seller": {"name": "Asso", "siret": "124"}, "total_ttc": "70.0",
               "payments": [{"method": "card", "amount": "75.00"}],
               "lines": [{"position": 1, "description": "Portable", "unit_price_ttc": "75", "quantity": 1}],
               "workshop": {"status": "En liste d'attente", "position": 2}, "remise": "5.00"}
    assert content_differences(claimed, server) == [
        "Date d'émission : appareil 10/12/2026 à 09:05:30, serveur 10/12/2026 à 09:00:00",
        "Vendeur, SIRET : appareil « 124 », serveur « 123 »",
        "Foyer : appareil n° 8, serveur n° 7",
        "Régime de TVA : appareil Régime de la marge (biens d'occasion), serveur Franchise en base de TVA",
        "Total : appareil « 70.0 », serveur « 70.00 »",
        f"Règlement : appareil Carte bancaire {euros(Decimal('75'))}, serveur Espèces {euros(Decimal('70'))}",
        "Atelier, inscription : appareil « En liste d'attente », serveur « Inscrit »",
        "Atelier, position en liste d'attente : appareil 2, serveur —",
        f"Ligne 1, prix unitaire : appareil {euros(Decimal('75'))}, serveur {euros(Decimal('70'))}",
        "Donnée inattendue « remise » : appareil « 5.00 », serveur —",
    ]
    assert content_differences({**server, "lines": []}, server) == ["Lignes : appareil aucune ligne, serveur 1 ligne"]


def test_a_forged_content_is_named_in_a_bounded_message():
    from distribution.services.mobile_invoicing import _hash_mismatch

    server = {"number": "F-M1-2026-00003", "buyer_name": "Rose Martin"}
    claimed = {**server, "buyer_name": "R" * 100_000, **{f"k{i:02d}": "v" * 5000 for i in range(30)}}
    message = _hash_mismatch("F-M1-2026-00003", server, claimed)
    assert message.startswith("Facture F-M1-2026-00003 : l'empreinte calculée par l'appareil ne correspond pas à la "
                              f"facture reconstituée par le serveur — Nom du client : appareil « {'R' * 79}… », "
                              "serveur « Rose Martin » ; Donnée inattendue « k00 » : appareil « ")
    assert message.endswith(" ; et 19 autres différences.") and len(message) < 2500, len(message)


# --- verify_chain and the CLI -----------------------------------------------------------------

def test_a_forged_mobile_invoice_is_caught_in_both_chains(app, session, shop, vans):
    first, second = vans[0].sales(app, session, shop, [a_while_ago(), a_while_ago(minutes=1)])
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET buyer_name = 'Falsifié' WHERE id = :id"), {"id": first.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {first.number} : contenu modifié depuis l'émission (empreinte différente).",
        f"Facture {first.number} : contenu modifié depuis l'émission sur l'unité M1 (empreinte de l'unité différente).",
    ]


def test_a_forger_rehashing_a_mobile_invoice_breaks_the_next_one_in_both_chains(app, session, shop, vans):
    first, second = vans[0].sales(app, session, shop, [a_while_ago(), a_while_ago(minutes=1)])
    forged_unit = chain_hash({**unit_content(first), "buyer_name": "Falsifié"}, GENESIS)
    content = {**invoice_content(first), "buyer_name": "Falsifié"}
    content["unit"] = {**content["unit"], "hash": forged_unit}
    forged = chain_hash(content, GENESIS)
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET buyer_name = 'Falsifié', unit_hash = :u, content_hash = :h WHERE id = :id"),
                    {"u": forged_unit, "h": forged, "id": first.id})
    session.execute(text("UPDATE invoice SET unit_previous_hash = :u, previous_hash = :h WHERE id = :id"),
                    {"u": forged_unit, "h": forged, "id": second.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {second.number} : contenu modifié depuis l'émission (empreinte différente).",
        f"Facture {second.number} : contenu modifié depuis l'émission sur l'unité M1 (empreinte de l'unité différente).",
    ]


def test_a_mobile_invoice_moved_to_another_unit_is_caught_in_both_chains(app, session, shop, vans):
    m1, m2 = vans
    first, second = m1.sales(app, session, shop, [a_while_ago(), a_while_ago(minutes=1)])
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET mobile_unit_id = :u WHERE id = :id"), {"u": m2.unit.id, "id": second.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture {second.number} : contenu modifié depuis l'émission (empreinte différente).",
        f"Facture {second.number} : position 2 dans la chaîne de l'unité M2, 1 attendue (facture manquante).",
        f"Facture {second.number} : l'empreinte de la facture précédente de l'unité M2 ne correspond pas.",
        f"Facture {second.number} : numéro hors de la série de l'unité M2 (F-M2-AAAA-NNNNN attendu).",
    ]


def _delete(session, invoice: Invoice) -> None:
    _behind_the_triggers(session)
    session.execute(text("DELETE FROM invoice_line WHERE invoice_id = :id"), {"id": invoice.id})
    session.execute(text("DELETE FROM invoice WHERE id = :id"), {"id": invoice.id})
    session.commit()


def test_a_gap_in_a_unit_series_is_reported_in_both_chains_and_the_series(app, session, shop, vans):
    first, second, third = vans[0].sales(app, session, shop, [a_while_ago(minutes=k) for k in range(3)])
    year = to_local(third.issued_at).year
    _delete(session, second)
    assert verify_chain(session) == [
        f"Facture {third.number} : position 3 dans la chaîne, 2 attendue (document manquant).",
        f"Facture {third.number} : l'empreinte du document précédent ne correspond pas.",
        f"Numérotation F-M1-{year} : trous ou doublons (2 documents ; manquante : 00002).",
        f"Facture {third.number} : position 3 dans la chaîne de l'unité M1, 2 attendue (facture manquante).",
        f"Facture {third.number} : l'empreinte de la facture précédente de l'unité M1 ne correspond pas.",
    ]


def test_an_office_invoice_with_a_unit_number_is_reported(app, session, shop):
    invoice = handed_over(app, session, shop, 1)[0]
    year = to_local(invoice.issued_at).year
    _behind_the_triggers(session)
    session.execute(text("UPDATE invoice SET number = :n WHERE id = :id"), {"n": f"F-M1-{year}-00001", "id": invoice.id})
    session.commit()
    assert verify_chain(session) == [
        f"Facture F-M1-{year}-00001 : contenu modifié depuis l'émission (empreinte différente).",
        f"Facture F-M1-{year}-00001 : numéro de la série de l'unité mobile M1 sur une facture sans unité mobile.",
    ]


def _retire(session, unit: MobileUnit, closed: dict, reason: str | None = "appareil perdu, tournée TRN-2026-0042",
            at: datetime = datetime(2026, 12, 13, 2, 0, tzinfo=timezone.utc)) -> None:
    """What declaring the device lost does to its unit (its service comes later)."""
    unit.active, unit.retired_at, unit.retired_reason, unit.closed_series = False, at, reason, closed
    session.commit()


def test_a_retired_unit_s_closed_series_is_a_note_not_a_break(app, session, shop, users):
    m1, m2, m3 = make_unit(session, "M1"), make_unit(session, "M2"), make_unit(session, "M3")
    _retire(session, m1, {"2026": 12})                       # 13 December 2026 at 2:00 UTC: 12/12 in Martinique
    _retire(session, m2, {"2027": 0, "2026": 3}, reason=None)
    assert series_notes(session) == [
        "Série F-M1-2026 close le 12/12/2026 après la facture 00012 (appareil perdu, tournée TRN-2026-0042) : les "
        "factures émises ensuite sur l'appareil n'ont pas été remontées.",
        "Série F-M2-2026 close le 12/12/2026 après la facture 00003 : les factures émises ensuite sur l'appareil "
        "n'ont pas été remontées.",
        "Série F-M2-2027 close le 12/12/2026 avant sa première facture : les factures émises ensuite sur l'appareil "
        "n'ont pas été remontées.",
    ]


def test_a_lost_device_that_syncs_later_continues_its_chain_and_the_note_says_so(app, session, shop, vans):
    m1 = vans[0]
    first = m1.sales(app, session, shop, [a_while_ago()])[0]
    year = to_local(first.issued_at).year
    _retire(session, m1.unit, {str(year): 1}, reason="appareil perdu")
    m1.sales(app, session, shop, [a_while_ago(minutes=1), a_while_ago(minutes=2)])
    assert verify_chain(session) == []
    assert series_notes(session) == [
        f"Série F-M1-{year} close le 12/12/2026 après la facture 00001 (appareil perdu) : l'appareil a remonté "
        "ensuite les factures 00002 à 00003."]


def test_cli_verify_invoices_prints_the_closed_series_and_fails_only_on_a_break(app, session, shop, vans):
    invoices = vans[0].sales(app, session, shop, [a_while_ago(minutes=k) for k in range(3)])
    year = to_local(invoices[-1].issued_at).year
    _retire(session, vans[0].unit, {str(year): 3}, reason="appareil perdu")
    note = (f"Série F-M1-{year} close le 12/12/2026 après la facture 00003 (appareil perdu) : les factures émises "
            "ensuite sur l'appareil n'ont pas été remontées.")
    result = cli(app, "verify-invoices")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        note, "Chaîne des factures et avoirs intacte : numérotation continue, empreintes conformes."]
    _delete(session, invoices[1])
    result = cli(app, "verify-invoices")
    assert result.exit_code == 1
    assert note in result.output
    assert f"Numérotation F-M1-{year} : trous ou doublons (2 documents ; manquante : 00002)." in result.output
    assert "5 anomalie(s) dans la chaîne des factures et avoirs." in result.output


# --- Printing -------------------------------------------------------------------------------

def test_a_mobile_invoice_prints_its_unit_and_the_hash_its_device_printed(app, session, shop, vans):
    invoice = vans[0].sales(app, session, shop, [a_while_ago()])[0]
    data = invoice_document(invoice)
    assert data["content_hash"] == invoice.unit_hash != invoice.content_hash
    assert data["issued_on_tour"] == "Facture émise en tournée — unité M1"
    printed = text_of(render_invoice(data))
    assert "Facture émise en tournée — unité M1" in printed
    assert f"Empreinte SHA-256 : {invoice.unit_hash}" in printed
    office = handed_over(app, session, shop, 1)[0]
    data = invoice_document(office)
    assert data["content_hash"] == office.content_hash and data["issued_on_tour"] is None
    assert "tournée" not in text_of(render_invoice(data))

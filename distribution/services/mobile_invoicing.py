"""Invoices issued offline by a mobile unit (docs/mobile-tour-design.md §§ 1.3–1.5, 3.4): checked
when the tour syncs, then written as sent — numbered in the unit's own series F-Mn-AAAA-NNNNN,
chained per unit by the device (``unit_hash``) — and anchored in the main chain; and the notes
``flask distribution verify-invoices`` prints for the series of retired units.

Lock order: the caller's tour row, then the ``mobile_unit`` row (here), then the
``invoice-chain`` counter. The office takes only counter locks, so no cycle."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local
from core.counters import next_value
from core.display import EMPTY, local_datetime, words
from core.errors import ValidationFailed
from core.money import euros
from distribution.models import Invoice
from distribution.numbering import INVOICE, parse_number
from distribution.services.invoicing import (
    GENESIS,
    LineIn,
    anchor_invoice,
    canonical,
    chain_hash,
    draft_invoice,
    unit_content,
)
from distribution.tour.models import MobileTour, MobileUnit
from distribution.vocabulary import PaymentMethod, VatRegime


class MobileInvoiceRefused(ValidationFailed):
    """An invoice sent by a mobile unit that cannot be registered as it is (§ 3.4); ``message``
    names what is wrong, in French.

    A ``ValidationFailed`` rather than a ``Conflict``: the tour sync stores a conflict as « à
    régulariser » and registers the invoice alone in a second unit of work (§ 3.2), which would
    fail again the same way. Nothing the office does will make the record right: the action is
    « refusé », nothing is written (§ 3.3), and an API answers 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: [message]})
        self.field = field


def register_mobile_invoice(session: Session, *, unit: MobileUnit, tour: MobileTour, number: str,
                            issued_at: datetime, unit_position: int, unit_previous_hash: str, unit_hash: str,
                            claimed_content: dict | None = None, reservation, household, device,
                            lines: list[LineIn], payments: list[dict], vat_regime: str, seller: dict,
                            buyer_name: str, buyer_address: str | None, price_grid_id: str, tier: int,
                            reference_value: Decimal, workshop: dict | None, booking_id: int | None,
                            user_id: int | None) -> Invoice:
    """Write an invoice issued offline by ``unit`` during ``tour``, in the caller's transaction (no
    commit), under the unit's row lock. It keeps the number, position and hashes the device gave
    it, then takes the next ``chain_position`` of the main chain, whose hash also covers the unit
    link. ``claimed_content`` is the content the device hashed: given, a mismatch names the fields.

    Raises ``MobileInvoiceRefused``, before writing anything, when: the tour is not the unit's; the
    number is outside the unit's series or its year is not that of ``issued_at`` in Martinique
    time; the number is not the next one of its series; the position is not the next one of the
    unit's chain; ``unit_previous_hash`` is not the unit's last ``unit_hash`` (``GENESIS`` for its
    first); ``issued_at`` is earlier than the unit's previous invoice; the invoice rebuilt here
    does not hash to ``unit_hash``."""
    unit = session.get(MobileUnit, unit.id, with_for_update=True, populate_existing=True)
    if tour.mobile_unit_id != unit.id:
        raise MobileInvoiceRefused("tour", f"Facture {number} : la tournée {tour.reference} n'est pas celle de "
                                           f"l'unité {unit.code}.")
    if issued_at.tzinfo is None:
        raise MobileInvoiceRefused("issued_at", f"Facture {number} : date d'émission sans fuseau horaire.")
    year = _check_series(number, unit, issued_at)
    _check_next_number(session, number, unit, year)
    previous = session.execute(select(Invoice).where(Invoice.mobile_unit_id == unit.id)
                               .order_by(Invoice.unit_position.desc()).limit(1)).scalar_one_or_none()
    expected_position = previous.unit_position + 1 if previous is not None else 1
    if unit_position != expected_position:
        raise MobileInvoiceRefused("unit_position", f"Facture {number} : position {unit_position} dans la chaîne de "
                                                    f"l'unité {unit.code}, {expected_position} attendue.")
    if previous is None and unit_previous_hash != GENESIS:
        raise MobileInvoiceRefused("unit_previous_hash", (
            f"Facture {number} : l'empreinte précédente transmise n'est pas l'empreinte initiale (64 zéros) "
            f"qu'attend la première facture de l'unité {unit.code}."))
    if previous is not None and unit_previous_hash != previous.unit_hash:
        raise MobileInvoiceRefused("unit_previous_hash", (
            f"Facture {number} : l'empreinte précédente transmise n'est pas celle de la dernière facture de "
            f"l'unité {unit.code} ({previous.number})."))
    if previous is not None and issued_at < previous.issued_at:
        shown, before = _moments(issued_at, previous.issued_at)
        raise MobileInvoiceRefused("issued_at", (
            f"Facture {number} : émise le {shown}, avant la facture précédente de l'unité {unit.code} "
            f"({previous.number}, émise le {before})."))

    invoice = draft_invoice(
        reservation=reservation, household=household, device=device, lines=lines, payments=payments,
        vat_regime=vat_regime, seller=seller, buyer_name=buyer_name, buyer_address=buyer_address,
        price_grid_id=price_grid_id, tier=tier, reference_value=reference_value, workshop=workshop,
        booking_id=booking_id, user_id=user_id, issued_at=issued_at)
    invoice.number = number
    rebuilt = unit_content(invoice)
    if chain_hash(rebuilt, unit_previous_hash) != unit_hash:
        raise MobileInvoiceRefused("unit_hash", _hash_mismatch(number, rebuilt, claimed_content))

    invoice.mobile_unit_id, invoice.tour_id = unit.id, tour.id
    invoice.unit_position, invoice.unit_previous_hash, invoice.unit_hash = unit_position, unit_previous_hash, unit_hash
    invoice.chain_position = next_value(session, "invoice-chain")
    anchor_invoice(session, invoice)
    return invoice


def _check_series(number: str, unit: MobileUnit, issued_at: datetime) -> int:
    """The number's year, once the number is known to be in the unit's series for that year."""
    parsed = parse_number(number)
    if parsed is None or parsed.prefix != INVOICE or parsed.unit != unit.code:
        raise MobileInvoiceRefused("number", f"Facture {number} : numéro hors de la série de l'unité {unit.code} "
                                             f"(F-{unit.code}-AAAA-NNNNN attendu).")
    local = to_local(issued_at)
    if parsed.year != local.year:
        raise MobileInvoiceRefused("number", (
            f"Facture {number} : l'année du numéro ({parsed.year}) n'est pas celle de l'émission, le "
            f"{local:%d/%m/%Y à %H:%M} heure de la Martinique (série F-{unit.code}-{local.year} attendue)."))
    return parsed.year


def _check_next_number(session: Session, number: str, unit: MobileUnit, year: int) -> None:
    """The number follows the last one registered in its series (or is 00001)."""
    wanted = parse_number(number).number
    series = f"{INVOICE}-{unit.code}-{year}"
    last_number = session.execute(select(Invoice.number).where(Invoice.number.like(f"{series}-%"))
                                  .order_by(Invoice.number.desc()).limit(1)).scalar_one_or_none()
    last = parse_number(last_number).number if last_number else 0
    if wanted == last + 1:
        return
    if wanted > last + 1:
        missing = f"{last + 1:05d}" + (f" à {wanted - 1:05d} manquantes" if wanted - 1 > last + 1 else " manquante")
        before = (f"la facture précédente de la série est {last:05d}" if last
                  else f"aucune facture de la série {series} n'est enregistrée")
        raise MobileInvoiceRefused("number", f"Facture {number} : {before} ({missing}).")
    taken = session.execute(select(Invoice.id).where(Invoice.number == number)).first() is not None
    raise MobileInvoiceRefused("number", (
        f"Facture {number} : numéro déjà enregistré (doublon ; la dernière facture de la série est {last:05d})."
        if taken else f"Facture {number} : numéro antérieur à la dernière facture de la série ({last:05d})."))


def _moments(first: datetime, second: datetime) -> tuple[str, str]:
    """Two instants as « 10/12/2026 à 09:00 », to the second when the minutes read the same."""
    fmt = "%d/%m/%Y à %H:%M"
    if local_datetime(first, fmt) == local_datetime(second, fmt):
        fmt += ":%S"
    return local_datetime(first, fmt), local_datetime(second, fmt)


# --- What differs between the content the device hashed and the invoice rebuilt here ---------

FIELDS = {
    "number": "Numéro", "issued_at": "Date d'émission", "seller": "Vendeur", "buyer_name": "Nom du client",
    "buyer_address": "Adresse du client", "household_id": "Foyer", "device_id": "Équipement remis",
    "reservation_id": "Réservation", "vat_regime": "Régime de TVA", "price_grid_id": "Grille de prix",
    "tier": "Tranche", "total_ttc": "Total", "total_ht": "Total HT", "vat": "TVA",
    "reference_value": "Valeur de référence", "aide_solidaire": "Aide solidaire", "payments": "Règlement",
    "amount_paid": "Montant payé", "workshop": "Atelier", "lines": "Lignes",
}
LINE_FIELDS = {
    "position": "position", "kind": "nature", "description": "désignation", "asset_tag": "n° d'inventaire",
    "serial_number": "n° de série", "quantity": "quantité", "unit_price_ttc": "prix unitaire",
    "total_ttc": "total", "total_ht": "total HT", "vat": "TVA",
}
SELLER_FIELDS = {"name": "nom", "legal_form": "forme juridique", "address": "adresse", "siret": "SIRET",
                 "vat_number": "n° de TVA"}
WORKSHOP_FIELDS = {"session_id": "n° de session", "topic": "thème", "date": "date", "start": "début", "end": "fin",
                   "place": "lieu", "address": "adresse", "commune": "commune", "status": "inscription",
                   "position": "position en liste d'attente"}
# A refusal names what differs, not all of a forged content: so many differences, values so long.
MAX_DIFFERENCES = 12
SHOWN_CHARS = 80
MONEY = {"total_ttc", "total_ht", "vat", "reference_value", "aide_solidaire", "amount_paid", "unit_price_ttc"}
IDS = {"household_id", "device_id", "reservation_id", "session_id"}


def _hash_mismatch(number: str, rebuilt: dict, claimed: dict | None) -> str:
    said = (f"Facture {number} : l'empreinte calculée par l'appareil ne correspond pas à la facture "
            "reconstituée par le serveur")
    if claimed is None:
        return said + "."
    differences = content_differences(claimed, rebuilt)
    if not differences:
        return said + " (contenus identiques : c'est l'empreinte transmise qui est fausse)."
    more = len(differences) - MAX_DIFFERENCES
    if more > 0:
        differences = differences[:MAX_DIFFERENCES] + [f"et {more} autre{'s' if more > 1 else ''} "
                                                       f"différence{'s' if more > 1 else ''}"]
    return f"{said} — {' ; '.join(differences)}."


def content_differences(claimed: dict, rebuilt: dict) -> list[str]:
    """Each field where the device's content differs from the server's, in French with both values
    as a user reads them: « Total : appareil 75,00 €, serveur 70,00 € ». Values are compared in
    their hashed form (amounts « 70.00 », times in Martinique time)."""
    device, server = _hashed_form(claimed), _hashed_form(rebuilt)
    if not isinstance(device, dict):
        return [f"Contenu : appareil {_quoted(device)}, serveur une facture"]
    out = []
    for key in list(FIELDS) + sorted(set(device) - set(FIELDS)):
        mine, theirs = device.get(key), server.get(key)
        if mine == theirs:
            continue
        label = FIELDS.get(key) or f"Donnée inattendue {_quoted(key)}"
        if key == "lines" and isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
            for position, (a, b) in enumerate(zip(mine, theirs), start=1):
                out += _sub_differences(f"Ligne {position}", a, b, LINE_FIELDS)
        elif key == "lines":
            out.append(f"{label} : appareil {_count(mine)}, serveur {_count(theirs)}")
        elif key in ("seller", "workshop") and isinstance(mine, dict) and isinstance(theirs, dict):
            out += _sub_differences(label, mine, theirs, SELLER_FIELDS if key == "seller" else WORKSHOP_FIELDS)
        else:
            out.append(f"{label} : {_both(key, mine, theirs)}")
    return out


def _hashed_form(content):
    """The content as the hash reads it: JSON values (amounts as « 70.00 », times as ISO text)."""
    try:
        return json.loads(canonical(content))
    except (TypeError, ValueError):
        return content


def _sub_differences(label: str, mine, theirs, labels: dict) -> list[str]:
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return [f"{label} : appareil {_quoted(mine)}, serveur {_quoted(theirs)}"]
    keys = [k for k in labels if k in mine or k in theirs] + sorted((set(mine) | set(theirs)) - set(labels))
    return [f"{label}, {labels.get(key) or f'donnée {_quoted(key)}'} : {_both(key, mine.get(key), theirs.get(key))}"
            for key in keys if mine.get(key) != theirs.get(key)]


def _both(key: str, mine, theirs) -> str:
    shown_mine, shown_theirs = _shown(key, mine), _shown(key, theirs)
    if shown_mine == shown_theirs:         # « 70.0 » and « 70.00 » read alike, yet hash differently
        shown_mine, shown_theirs = _quoted(mine), _quoted(theirs)
    return f"appareil {shown_mine}, serveur {shown_theirs}"


def _shown(key: str, value) -> str:
    """A value of the content as a user reads it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if key in MONEY:
        return _money(value)
    if key in IDS and isinstance(value, int) and not isinstance(value, bool):
        return f"n° {value}"
    if key == "issued_at" and isinstance(value, str):
        try:
            return local_datetime(datetime.fromisoformat(value), "%d/%m/%Y à %H:%M:%S")
        except (ValueError, OverflowError):      # not a date, or none in Martinique time (year 1 at +14:00)
            return _quoted(value)
    if key == "vat_regime" and isinstance(value, str):
        return VatRegime.label_of(value)
    if key == "payments" and isinstance(value, list):
        return words([_payment(p) for p in value])
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return _quoted(value)
    return str(value) if isinstance(value, int) else _quoted(value)


def _money(value) -> str:
    try:
        return euros(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return _quoted(value)


def _payment(payment) -> str:
    if not isinstance(payment, dict):
        return _quoted(payment)
    method = payment.get("method")
    return f"{PaymentMethod.label_of(method) if isinstance(method, str) else _quoted(method)} " \
           f"{_money(payment.get('amount'))}"


def _count(lines) -> str:
    if not isinstance(lines, list):
        return _quoted(lines)
    if not lines:
        return "aucune ligne"
    return f"{len(lines)} ligne" + ("s" if len(lines) > 1 else "")


def _quoted(value) -> str:
    """A value shown as the device sent it, for what has no better reading."""
    if value is None:
        return EMPTY
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"« {text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + '…'} »"


# --- The series of retired units ------------------------------------------------------------

def series_notes(session: Session) -> list[str]:
    """For each series closed when its unit was retired (device lost or reset, § 1.5), the note
    that justifies its end, in French: « Série F-M1-2026 close le 12/12/2026 après la facture
    00012 (appareil perdu…) : les factures émises ensuite sur l'appareil n'ont pas été
    remontées. », or which were synced later. A note is not a break."""
    units = session.execute(select(MobileUnit).where(MobileUnit.retired_at.is_not(None) | ~MobileUnit.active)
                            .execution_options(populate_existing=True)).scalars().all()
    notes = []
    for unit in sorted(units, key=lambda u: (len(u.code), u.code)):
        closed = unit.closed_series if isinstance(unit.closed_series, dict) else {}
        for year, last in sorted(closed.items(), key=lambda item: str(item[0])):
            series = f"{INVOICE}-{unit.code}-{year}"
            when = f" le {local_datetime(unit.retired_at, '%d/%m/%Y')}" if unit.retired_at else ""
            after = f"après la facture {int(last):05d}" if int(last) else "avant sa première facture"
            why = f" ({unit.retired_reason.strip()})" if (unit.retired_reason or "").strip() else ""
            later = sorted(n for n in _numbers_of(session, series) if n > int(last))
            if later:
                synced = f"{later[0]:05d}" if len(later) == 1 else f"{later[0]:05d} à {later[-1]:05d}"
                notes.append(f"Série {series} close{when} {after}{why} : l'appareil a remonté ensuite "
                             f"{'la facture' if len(later) == 1 else 'les factures'} {synced}.")
            else:
                notes.append(f"Série {series} close{when} {after}{why} : les factures émises ensuite sur "
                             "l'appareil n'ont pas été remontées.")
    return notes


def _numbers_of(session: Session, series: str) -> list[int]:
    numbers = session.execute(select(Invoice.number).where(Invoice.number.like(f"{series}-%"))).scalars()
    return [parsed.number for parsed in map(parse_number, numbers) if parsed is not None]


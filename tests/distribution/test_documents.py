"""The handover documents: invoice, credit note, handover sheet, attendance sheet (PDF text read back
with pypdf: every mandatory mention, A4, type sizes, long content) and the booking's .ics file (parsed
back with icalendar)."""
from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from pypdf import PdfReader

from distribution.documents.attendance_pdf import render_attendance_sheet
from distribution.documents.handover_sheet_pdf import render_handover_sheet
from distribution.documents.ics import booking_ics
from distribution.documents.invoice_pdf import render_credit_note, render_invoice

NBSP, NNBSP = "\u00a0", "\u202f"
PROGRAMME = "Programme Rekonekt Martinique"
CONTACT = "0596 00 00 00 — contact@example.org"
GUARANTEE = "Garantie légale de conformité de deux ans (articles L217-3 et suivants du Code de la consommation)."
DEVICE = "Ordinateur portable Lenovo ThinkPad T480 — note A"
HASH = hashlib.sha256(b"F-2026-00001").hexdigest()
MENTIONS = {"franchise": "TVA non applicable, art. 293 B du CGI", "margin": "Régime particulier – Biens d'occasion",
            "standard": None}
WORKSHOP = {"topic": "ordinateur", "date": "05/12/2026", "start": "09:00", "end": "11:00",
            "place": "Médiathèque du Lamentin (point numérique)", "address": "Rue Ernest Renan",
            "commune": "Le Lamentin", "status": "Inscrit", "position": None}
WAITLISTED = {**WORKSHOP, "status": "En liste d'attente", "position": 3}


def eur(amount: str) -> str:
    """A French amount as the services format it: "1 050,00" → "1 050,00 €" with no-break spaces."""
    return amount.replace(" ", NBSP) + f"{NBSP}€"


def invoice(regime: str = "margin") -> dict:
    standard = regime == "standard"
    return {
        "number": "F-2026-00001", "issued_on": "29/11/2026", "issued_at_time": "14:05",
        "seller": {"name": "Association Rekonekt Martinique", "address": "5 rue Victor Hugo, 97200 Fort-de-France",
                   "siret": "12345678900011", "legal_form": "Association loi 1901", "vat_number": "FR32123456789"},
        "buyer": {"name": "Éloïse Jean-Baptiste", "address": "12 rue Schœlcher, 97232 Le Lamentin"},
        "household_reference": "FOY-2026-00012",
        "lines": [
            {"description": DEVICE, "asset_tag": "RK-000123", "serial_number": "PF1ABCD", "quantity": 1,
             "unit_price": eur("90,00"), "total_ttc": eur("90,00"), "total_ht": eur("82,95" if standard else "90,00"),
             "vat": eur("7,05" if standard else "0,00")},
            {"description": "Souris sans fil", "asset_tag": None, "serial_number": None, "quantity": 2,
             "unit_price": eur("5,00"), "unit_price_ht": eur("4,61" if standard else "5,00"),
             "total_ttc": eur("10,00"), "total_ht": eur("9,22" if standard else "10,00"),
             "vat": eur("0,78" if standard else "0,00")},
        ],
        "vat_regime": regime, "vat_mention": MENTIONS[regime], "vat_rate": f"8,5{NBSP}%" if standard else None,
        "totals": {"total_ht": eur("92,17" if standard else "100,00"), "vat": eur("7,83" if standard else "0,00"),
                   "total_ttc": eur("100,00")},
        "payments": [{"method": "Espèces", "amount": eur("60,00")}, {"method": "Carte bancaire", "amount": eur("40,00")}],
        "amount_paid": eur("100,00"),
        "reference_value": eur("1 050,00"), "aide_solidaire": eur("950,00"),
        "workshop": dict(WORKSHOP), "guarantee": GUARANTEE, "programme_contact": CONTACT, "content_hash": HASH,
    }


def credit_note(regime: str = "margin", device_returned: bool = True) -> dict:
    source = invoice(regime)
    note = {key: source[key] for key in ("seller", "buyer", "lines", "totals", "vat_mention", "vat_rate")}
    return {**note, "number": "AV-2026-00001", "issued_on": "01/12/2026", "invoice_number": "F-2026-00001",
            "invoice_date": "29/11/2026", "reason": "Rétractation du foyer dans le délai de 14 jours.",
            "device_returned": device_returned, "content_hash": HASH}


def handover(workshop: dict | None = WORKSHOP) -> dict:
    return {"programme_name": PROGRAMME, "programme_contact": CONTACT, "household_name": "Éloïse Jean-Baptiste",
            "household_reference": "FOY-2026-00012", "handed_over_on": "29/11/2026",
            "device": {"description": DEVICE, "asset_tag": "RK-000123"}, "accessories": ["Chargeur", "Sacoche"],
            "invoice_number": "F-2026-00001", "workshop": workshop, "guarantee": GUARANTEE}


def session(participants: int = 3, facilitator: str | None = "Marie Dupont") -> dict:
    people = [{"last_name": "Jean-Baptiste", "first_name": "Éloïse"}, {"last_name": "Louis", "first_name": "Paul"},
              {"last_name": "Sainte-Rose", "first_name": "Man Lise"}]
    people += [{"last_name": f"Nom{i}", "first_name": f"Prénom{i}"} for i in range(4, participants + 1)]
    return {"topic": "ordinateur", "date": "05/12/2026", "start": "09:00", "end": "11:00",
            "venue": "Médiathèque du Lamentin (point numérique)", "address": "Rue Ernest Renan",
            "commune": "Le Lamentin", "facilitator": facilitator, "capacity": 8, "participants": people[:participants],
            "programme_name": PROGRAMME}


def booking(**changes) -> dict:
    return {"booking_id": 12, "topic_label": "ordinateur",
            "starts_at": datetime(2026, 12, 5, 13, 0, tzinfo=timezone.utc),
            "ends_at": datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc),
            "venue": "Médiathèque du Lamentin (point numérique)", "address": "Rue Ernest Renan",
            "commune": "Le Lamentin", "status_label": "Inscrit", "programme_name": PROGRAMME,
            "programme_contact": CONTACT, **changes}


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, with non-breaking and narrow no-break spaces as plain spaces."""
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace(NBSP, " ").replace(NNBSP, " ") for page in reader.pages]


def flat(text: str) -> str:
    """Line breaks made by wrapping count as spaces."""
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    return flat(" ".join(pages_of(pdf)))


def sized_text(pdf: bytes) -> list[tuple[float, str]]:
    """(font size, text) of every piece of text drawn."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: found.append((size, flat(text)))
                          if text.strip() else None)
    return found


def assert_a4(pdf: bytes) -> None:
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert abs(float(page.mediabox.width) - 595.28) <= 1 and abs(float(page.mediabox.height) - 841.89) <= 1


# Invoice ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("regime", ["franchise", "margin", "standard"])
def test_invoice_mandatory_mentions(regime):
    pdf = render_invoice(invoice(regime))
    assert_a4(pdf)
    text = text_of(pdf)
    for expected in ("Facture n° F-2026-00001", "29/11/2026 à 14:05", "Association Rekonekt Martinique",
                     "5 rue Victor Hugo, 97200 Fort-de-France", "SIRET : 12345678900011", "Association loi 1901",
                     "N° TVA : FR32123456789", "Éloïse Jean-Baptiste", "12 rue Schœlcher, 97232 Le Lamentin",
                     "FOY-2026-00012", DEVICE, "N° d'inventaire : RK-000123", "N° de série : PF1ABCD", "Souris sans fil",
                     "Espèces 60,00 €", "Carte bancaire 40,00 €", "Montant payé 100,00 €",
                     "Valeur de référence de l'appareil reconditionné 1 050,00 €",
                     "Aide solidaire du programme 950,00 €", "05/12/2026, de 09:00 à 11:00",
                     "Médiathèque du Lamentin (point numérique), Rue Ernest Renan, Le Lamentin", "Atelier de prise en main — ordinateur", "Inscription : Inscrit",
                     GUARANTEE, f"Contact du programme : {CONTACT}", f"Empreinte SHA-256 : {HASH}"):
        assert expected in text, expected
    if regime == "standard":
        # Unit prices excluding VAT (the mouse: 9,22 € for two), each line's VAT, the rate on the totals.
        for expected in ("Prix unitaire HT", f"{DEVICE} N° d'inventaire : RK-000123 N° de série : PF1ABCD 1 82,95 € "
                         "82,95 € 7,05 € 90,00 €", "Souris sans fil 2 4,61 € 9,22 € 0,78 € 10,00 €",
                         "Total HT 92,17 €", "TVA (8,5 %) 7,83 €", "Total TTC 100,00 €"):
            assert expected in text, expected
    else:
        # No VAT amount under the franchise (none is due) nor the margin regime (showing it is forbidden).
        for expected in ("1 90,00 € 90,00 €", "Souris sans fil 2 5,00 € 10,00 €", "Total 100,00 €", MENTIONS[regime]):
            assert expected in text, expected
        assert "Total HT" not in text and "Total TTC" not in text and "TVA (" not in text


def test_invoice_type_sizes():
    sized = sized_text(render_invoice(invoice("standard")))
    small = {text for size, text in sized if size < 11}
    # Only the page footer and the fingerprint are in small type.
    assert small and all(text.startswith(("Facture n° F-2026-00001", "Page ", "Empreinte SHA-256 :")) for text in small)
    start = [text for _, text in sized].index("92,17 €") - 1
    totals = sized[start:start + 6]
    assert [text for _, text in totals] == ["Total HT", "92,17 €", "TVA (8,5 %)", "7,83 €", "Total TTC", "100,00 €"]
    assert min(size for size, _ in totals) >= 13


def test_invoice_without_optional_parts():
    data = invoice("franchise")
    data["seller"]["vat_number"] = None
    data["lines"][0]["serial_number"] = None
    data.update(workshop=None, programme_contact=None, payments=[], issued_at_time=None)
    text = text_of(render_invoice(data))
    assert "Facture n° F-2026-00001" in text and "Émise le 29/11/2026" in text and "Montant payé 100,00 €" in text
    for absent in ("N° TVA", "N° de série", "Atelier de prise en main", "Contact du programme", " à 14:05"):
        assert absent not in text, absent


def test_invoice_waitlisted_workshop():
    data = invoice()
    data["workshop"] = dict(WAITLISTED)
    assert "Inscription : En liste d'attente (position 3)" in text_of(render_invoice(data))


def test_invoice_long_lines_flow_across_pages():
    data = invoice("standard")
    data["lines"] = [{**data["lines"][0], "description": f"Article {i} — " + "description longue d'un appareil " * 6,
                      "asset_tag": f"RK-{i:06d}"} for i in range(1, 41)]
    pdf = render_invoice(data)
    assert_a4(pdf)
    pages = pages_of(pdf)
    assert len(pages) >= 3
    text = flat(" ".join(pages))
    assert "Article 40 —" in text and "RK-000040" in text and "Total TTC 100,00 €" in text
    assert all(f"Empreinte SHA-256 : {HASH}" in page and "Facture n° F-2026-00001" in page for page in pages)


def test_invoice_text_is_never_markup():
    data = invoice()
    data["buyer"]["name"] = "Dupont & Fils <SARL>"
    data["lines"][0]["description"] = "Écran 24\" <b>gras</b> & câble"
    data["reference_value"] = f"1{NNBSP}050,00{NBSP}€"    # Babel's grouping space
    pdf = render_invoice(data)
    raw = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert NNBSP not in raw    # drawn as a no-break space: Helvetica has no glyph for it
    text = text_of(pdf)
    assert "Dupont & Fils <SARL>" in text and "Écran 24\" <b>gras</b> & câble" in text and "1 050,00 €" in text


# Credit note --------------------------------------------------------------------------------------

def test_credit_note_mandatory_mentions():
    pdf = render_credit_note(credit_note())
    assert_a4(pdf)
    text = text_of(pdf)
    for expected in ("Avoir n° AV-2026-00001", "Émis le 01/12/2026", "Avoir sur la facture F-2026-00001 du 29/11/2026",
                     "Motif : Rétractation du foyer dans le délai de 14 jours.", "Appareil repris",
                     "Association Rekonekt Martinique", "SIRET : 12345678900011", "Éloïse Jean-Baptiste",
                     "Montants crédités", DEVICE, "RK-000123", "PF1ABCD", "Souris sans fil 2 5,00 € 10,00 €",
                     "Total 100,00 €", MENTIONS["margin"], f"Empreinte SHA-256 : {HASH}"):
        assert expected in text, expected
    assert "Facture n°" not in text


def test_credit_note_standard_without_returned_device():
    text = text_of(render_credit_note(credit_note("standard", device_returned=False)))
    assert "Appareil repris" not in text
    for expected in ("Souris sans fil 2 4,61 € 9,22 € 0,78 € 10,00 €", "Total HT 92,17 €", "TVA (8,5 %) 7,83 €",
                     "Total TTC 100,00 €"):
        assert expected in text, expected


# Handover sheet -----------------------------------------------------------------------------------

def test_handover_sheet_with_booked_workshop():
    pdf = render_handover_sheet(handover())
    assert_a4(pdf)
    text = text_of(pdf)
    for expected in (PROGRAMME, "Éloïse Jean-Baptiste", "FOY-2026-00012", "29/11/2026", "Votre appareil", DEVICE,
                     "Numéro d'inventaire : RK-000123", "Accessoires fournis", "Chargeur", "Sacoche",
                     "Votre atelier de prise en main", "Thème ordinateur", "Date 05/12/2026", "Heure de 09:00 à 11:00",
                     "Lieu Médiathèque du Lamentin (point numérique)", "Adresse Rue Ernest Renan, Le Lamentin",
                     "Besoin d'aide ?", CONTACT, "garanti 2 ans", GUARANTEE, "facture n° F-2026-00001"):
        assert expected in text, expected
    assert "liste d'attente" not in text


def test_handover_sheet_is_large_print():
    sized = sized_text(render_handover_sheet(handover()))
    assert min(size for size, _ in sized) >= 16
    headings = {text: size for size, text in sized
                if text in ("Votre appareil", "Votre atelier de prise en main", "Besoin d'aide ?")}
    assert len(headings) == 3 and min(headings.values()) >= 22


def test_handover_sheet_waitlisted_or_without_workshop():
    text = text_of(render_handover_sheet(handover(WAITLISTED)))
    assert "liste d'attente" in text and "en position 3" in text and "Nous vous appellerons" in text
    assert "Heure" not in text
    data = handover(None)
    data.update(programme_contact=None, accessories=[])
    text = text_of(render_handover_sheet(data))
    assert "Votre atelier de prise en main" in text and "Nous vous appellerons pour fixer la date" in text
    assert "Aucun accessoire fourni" in text and "Besoin d'aide ?" in text and GUARANTEE in text


# Attendance sheet ---------------------------------------------------------------------------------

def test_attendance_sheet_content():
    pdf = render_attendance_sheet(session())
    assert_a4(pdf)
    text = text_of(pdf)
    for expected in ("Feuille d'émargement", "Atelier de prise en main — ordinateur", "Date 05/12/2026",
                     "Horaire 09:00 – 11:00", "Lieu Médiathèque du Lamentin (point numérique)", "Commune Le Lamentin",
                     "Adresse Rue Ernest Renan", "Animateur Marie Dupont", "Capacité 8 places", "Inscrits 3",
                     "N° Nom Prénom Signature Présent", "1 Jean-Baptiste Éloïse 2 Louis Paul 3 Sainte-Rose Man Lise",
                     "Animateur : Marie Dupont — signature"):
        assert expected in text, expected
    # Blank rows, numbered on, for people who come without a booking.
    assert "Man Lise 4 5 6 7 Animateur :" in text


def test_attendance_sheet_flows_across_pages():
    pages = pages_of(render_attendance_sheet(session(40, facilitator=None)))
    assert len(pages) >= 2
    assert all("Signature" in page and "Page " in page for page in pages)   # header row and footer on every page
    text = flat(" ".join(pages))
    assert "40 Nom40 Prénom40" in text and "Inscrits 40" in text and "Animateur —" in text
    assert "Animateur : ...." in text and "— signature" in text


# Calendar file ------------------------------------------------------------------------------------

def test_booking_ics_round_trip():
    calendar = Calendar.from_ical(booking_ics(booking()))
    assert str(calendar["PRODID"]) == "-//Rekonekt//Ateliers//FR"
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Martinique"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "booking-12@rekonekt"
    assert str(event["SUMMARY"]) == "Atelier de prise en main — ordinateur"
    assert str(event["LOCATION"]) == "Médiathèque du Lamentin (point numérique), Rue Ernest Renan, Le Lamentin"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.hour, end.hour) == (9, 11)    # Martinique local time, UTC−4
    assert start.astimezone(timezone.utc) == datetime(2026, 12, 5, 13, 0, tzinfo=timezone.utc)
    assert end.astimezone(timezone.utc) == datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)
    description = str(event["DESCRIPTION"])
    assert "Le 05/12/2026, de 09:00 à 11:00 (heure de la Martinique)" in description
    assert "Votre inscription : Inscrit." in description and CONTACT in description and PROGRAMME in description
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm.decoded("TRIGGER") == timedelta(days=-1)
    assert "Demain à 09:00" in str(alarm["DESCRIPTION"])


def test_booking_ics_says_nothing_in_english():
    """icalendar writes « This timezone only works from … » into the VTIMEZONE: French instead."""
    data = booking_ics(booking())
    (zone,) = Calendar.from_ical(data).walk("VTIMEZONE")
    assert str(zone["COMMENT"]) == ("Heure de la Martinique (UTC−4, sans heure d'été), décrite pour la période du "
                                    "01/01/2026 au 01/01/2027.")
    text = data.decode("utf-8").replace("\r\n ", "")
    assert "This timezone" not in text and "only works" not in text


def test_booking_ics_optional_parts_and_naive_times():
    event = Calendar.from_ical(booking_ics(booking(address=None, programme_contact=None))).walk("VEVENT")[0]
    assert str(event["LOCATION"]) == "Médiathèque du Lamentin (point numérique), Le Lamentin"
    assert "Contact" not in str(event["DESCRIPTION"])
    with pytest.raises(ValueError):
        booking_ics(booking(starts_at=datetime(2026, 12, 5, 9, 0)))


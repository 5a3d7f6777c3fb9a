"""The invoice ("Facture") and the credit note ("Avoir") as PDFs (reportlab). Pure rendering: a
display-ready dict in (amounts, dates and times already formatted in French), bytes out; no database
and no Flask.

Households keep these documents: A4 portrait, large type (body 11 pt, totals 13 pt), black on white.
VAT amounts appear only under the standard regime; under the franchise and the margin regime the
totals carry the legal mention instead (the margin regime forbids showing the VAT)."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN - 12     # printable width, inside the frame's 6 pt paddings
NONE = "—"
NBSP = "\u00a0"

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=11, leading=14.5, textColor=colors.black, spaceAfter=3)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
AMOUNT = ParagraphStyle("amount", parent=BODY, alignment=TA_RIGHT)
BOLD_AMOUNT = ParagraphStyle("bold_amount", parent=BOLD, alignment=TA_RIGHT)
MENTION = ParagraphStyle("mention", parent=BOLD_AMOUNT, spaceBefore=4)
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=20, leading=25, spaceAfter=4)
HEADING = ParagraphStyle("heading", parent=BOLD, fontSize=14, leading=18, spaceBefore=8, spaceAfter=3, keepWithNext=1)
TOTAL = ParagraphStyle("total", parent=BODY, fontSize=13, leading=17, spaceAfter=0)
TOTAL_AMOUNT = ParagraphStyle("total_amount", parent=TOTAL, alignment=TA_RIGHT)
GRAND_TOTAL = ParagraphStyle("grand_total", parent=TOTAL, fontName="Helvetica-Bold")
GRAND_TOTAL_AMOUNT = ParagraphStyle("grand_total_amount", parent=GRAND_TOTAL, alignment=TA_RIGHT)


def _text(value) -> str:
    """The display text of a value: "—" when there is nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NONE
    return str(value)


def _markup(value) -> str:
    """Plain text as paragraph markup: escaped (so "<" and "&" are text), line breaks kept."""
    # Helvetica has no glyph for U+202F (Babel's French thousands separator): draw it as U+00A0.
    return escape(_text(value)).replace("\u202f", NBSP).replace("\n", "<br/>")


def _p(value, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(_markup(value), style)


def _labelled(label: str, value, style: ParagraphStyle = BODY) -> Paragraph:
    """"Label : value" with the label in bold."""
    return Paragraph(f"<b>{escape(label)} :</b> {_markup(value)}", style)


def _shows_vat(data: dict) -> bool:
    """Whether VAT amounts appear: only under the standard regime (guessed from the rate when the
    regime is not given, as on a credit note)."""
    regime = data.get("vat_regime")
    return regime == "standard" if regime else bool(data.get("vat_rate"))


def _unit_price_ht(line: dict) -> str:
    """The unit price excluding VAT (given by the caller; the line's HT total for one item)."""
    return line.get("unit_price_ht") or line.get("total_ht")


def _parties(data: dict) -> Table:
    """Seller and buyer side by side, with every mention the law asks of each."""
    seller, buyer = data.get("seller") or {}, data.get("buyer") or {}
    left = [_p("Vendeur", BOLD), _p(seller.get("name"), BOLD), _p(seller.get("legal_form")), _p(seller.get("address")),
            _labelled("SIRET", seller.get("siret"))]
    if seller.get("vat_number"):
        left.append(_labelled("N° TVA", seller["vat_number"]))
    right = [_p("Client", BOLD), _p(buyer.get("name"), BOLD), _p(buyer.get("address"))]
    if data.get("household_reference"):
        right.append(_labelled("Dossier", data["household_reference"]))
    table = Table([[left, right]], colWidths=[WIDTH / 2, WIDTH / 2])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (1, 0), (1, 0), 0.8, colors.black),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
        ("LEFTPADDING", (1, 0), (1, 0), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def _designation(line: dict) -> Paragraph:
    text = _markup(line.get("description"))
    if line.get("asset_tag"):
        text += f"<br/>N° d'inventaire : {_markup(line['asset_tag'])}"
    if line.get("serial_number"):
        text += f"<br/>N° de série : {_markup(line['serial_number'])}"
    return Paragraph(text, BODY)


def _lines(data: dict) -> Table:
    """One row per line; long descriptions wrap and a row may break across pages."""
    lines = data.get("lines") or []
    if _shows_vat(data):
        header = ["Désignation", "Qté", "Prix unitaire HT", "Total HT", "TVA", "Total TTC"]
        widths = [0.33, 0.07, 0.15, 0.15, 0.13, 0.17]
        rows = [[_unit_price_ht(line), line.get("total_ht"), line.get("vat"), line.get("total_ttc")] for line in lines]
    else:
        header = ["Désignation", "Qté", "Prix unitaire", "Total"]
        widths = [0.55, 0.09, 0.18, 0.18]
        rows = [[line.get("unit_price"), line.get("total_ttc")] for line in lines]
    body = [[_designation(line), _p(line.get("quantity"), AMOUNT)] + [_p(v, AMOUNT) for v in amounts]
            for line, amounts in zip(lines, rows)]
    table = Table([[_p(h, BOLD) for h in header]] + body, colWidths=[w * WIDTH for w in widths], repeatRows=1,
                  splitInRow=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _totals(data: dict) -> list:
    """The totals block, right-aligned, and the VAT mention when there is one."""
    totals = data.get("totals") or {}
    if _shows_vat(data):
        rate = f" ({data['vat_rate']})" if data.get("vat_rate") else ""
        rows = [("Total HT", totals.get("total_ht"), False), (f"TVA{rate}", totals.get("vat"), False),
                ("Total TTC", totals.get("total_ttc"), True)]
    else:
        rows = [("Total", totals.get("total_ttc"), True)]
    table = Table([[_p(label, GRAND_TOTAL if grand else TOTAL), _p(amount, GRAND_TOTAL_AMOUNT if grand else TOTAL_AMOUNT)]
                   for label, amount, grand in rows], colWidths=[60 * mm, 42 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story = [table]
    if data.get("vat_mention"):
        story.append(_p(data["vat_mention"], MENTION))
    return story


def _facts(rows: list[tuple[str, object]], bold_last: bool = False) -> Table:
    """A two-column table, label and amount, without a header."""
    cells = [[_p(label, BODY), _p(value, AMOUNT)] for label, value in rows]
    if bold_last:
        label, value = rows[-1]
        cells[-1] = [_p(label, BOLD), _p(value, BOLD_AMOUNT)]
    table = Table(cells, colWidths=[WIDTH - 45 * mm, 45 * mm])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _workshop(workshop: dict) -> list:
    place = ", ".join(part for part in (workshop.get("place"), workshop.get("address"), workshop.get("commune")) if part)
    status = _text(workshop.get("status"))
    if workshop.get("position"):
        status += f" (position {workshop['position']})"
    return [
        _p(f"Atelier de prise en main — {_text(workshop.get('topic'))}", HEADING),
        _labelled("Date", f"{_text(workshop.get('date'))}, de {_text(workshop.get('start'))} à {_text(workshop.get('end'))}"),
        _labelled("Lieu", place),
        _labelled("Inscription", status),
    ]


def _render(data: dict, kind: str, story: list) -> bytes:
    """The PDF bytes of ``story``; every page's footer names the document and carries its fingerprint."""
    number, content_hash = _text(data.get("number")), data.get("content_hash")
    seller = (data.get("seller") or {}).get("name") or ""

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 9)
        canvas.drawString(MARGIN, 14 * mm, f"{kind} n° {number}")
        canvas.drawRightString(A4[0] - MARGIN, 14 * mm, f"Page {doc.page}")
        if content_hash:
            canvas.setFont("Helvetica", 7)
            canvas.drawString(MARGIN, 9 * mm, f"Empreinte SHA-256 : {content_hash}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm,
                            bottomMargin=22 * mm, title=f"{kind} n° {number}", author=seller, lang="fr-FR")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render_invoice(data: dict) -> bytes:
    """The PDF bytes of an invoice (A4 portrait; long line lists flow across pages)."""
    story = [
        _p(f"Facture n° {_text(data.get('number'))}", TITLE),
        _p(f"Émise le {_text(data.get('issued_on'))}" + (f" à {data['issued_at_time']}" if data.get("issued_at_time") else "")),
        *([_p(data["issued_on_tour"], BOLD)] if data.get("issued_on_tour") else []),
        _parties(data),
        _p("Articles", HEADING),
        _lines(data),
        *_totals(data),
        _p("Règlement", HEADING),
        _facts([(p.get("method"), p.get("amount")) for p in data.get("payments") or []]
               + [("Montant payé", data.get("amount_paid"))], bold_last=True),
    ]
    if data.get("reference_value") or data.get("aide_solidaire"):
        story += [_p("Votre aide solidaire", HEADING),
                  _facts([("Valeur de référence de l'appareil reconditionné", data.get("reference_value")),
                          ("Aide solidaire du programme", data.get("aide_solidaire"))])]
    if data.get("workshop"):
        story += _workshop(data["workshop"])
    story += [_p("Garantie", HEADING), _p(data.get("guarantee"))]
    if data.get("programme_contact"):
        story.append(_labelled("Contact du programme", data["programme_contact"]))
    return _render(data, "Facture", story)


def render_credit_note(data: dict) -> bytes:
    """The PDF bytes of a credit note: the amounts credited against an earlier invoice."""
    story = [
        _p(f"Avoir n° {_text(data.get('number'))}", TITLE),
        _p(f"Émis le {_text(data.get('issued_on'))}"),
        _p(f"Avoir sur la facture {_text(data.get('invoice_number'))} du {_text(data.get('invoice_date'))}", BOLD),
        _parties(data),
        _labelled("Motif", data.get("reason")),
    ]
    if data.get("device_returned"):
        story.append(_p("Appareil repris : l'appareil a été rendu au programme.", BOLD))
    story += [_p("Montants crédités", HEADING), _lines(data), *_totals(data)]
    return _render(data, "Avoir", story)

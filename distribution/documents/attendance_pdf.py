"""The attendance sheet ("Feuille d'émargement") of a workshop session, as a PDF (reportlab). Pure
rendering: a display-ready dict in (date and times already formatted, in Martinique time), bytes
out; no database and no Flask.

Printed for the facilitator and signed by hand: one tall row per booked participant, a few blank rows
for people who come without a booking, then the facilitator's signature."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN - 12     # printable width, inside the frame's 6 pt paddings
NONE = "—"
BLANK_ROWS = 4
BLANK_LINE = "." * 40

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=12, leading=15, textColor=colors.black)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=20, leading=25, spaceAfter=2)
SUBTITLE = ParagraphStyle("subtitle", parent=BOLD, fontSize=15, leading=19, spaceAfter=6)
SIGNATURE = ParagraphStyle("signature", parent=BOLD, fontSize=13, leading=17, spaceBefore=12)


class _CheckBox(Flowable):
    """An empty square to tick by hand (Helvetica has no ballot-box glyph)."""

    def __init__(self, size: float = 6 * mm):
        super().__init__()
        self.size = size
        self.hAlign = "CENTER"

    def wrap(self, *_):
        return self.size, self.size

    def draw(self):
        self.canv.setLineWidth(1)
        self.canv.rect(0, 0, self.size, self.size)


def _text(value) -> str:
    """The display text of a value: "—" when there is nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NONE
    return str(value)


def _p(value, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text: escaped (so "<" and "&" are text, not markup)."""
    return Paragraph(escape(_text(value)).replace("\u202f", "\u00a0"), style)


def _header(data: dict) -> Table:
    """The session's facts, two label–value pairs a row."""
    capacity = data.get("capacity")
    pairs = [
        ("Date", data.get("date")), ("Horaire", f"{_text(data.get('start'))} – {_text(data.get('end'))}"),
        ("Lieu", data.get("venue")), ("Commune", data.get("commune")),
        ("Adresse", data.get("address")), ("Animateur", data.get("facilitator")),
        ("Capacité", f"{capacity} places" if capacity else None),
        ("Inscrits", len(data.get("participants") or [])),
    ]
    rows = [[_p(pairs[i][0], BOLD), _p(pairs[i][1]), _p(pairs[i + 1][0], BOLD), _p(pairs[i + 1][1])]
            for i in range(0, len(pairs), 2)]
    table = Table(rows, colWidths=[24 * mm, WIDTH / 2 - 24 * mm, 26 * mm, WIDTH / 2 - 26 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    return table


def _participants(participants: list[dict]) -> Table:
    """No, last name, first name, a blank signature cell and a box to tick; the header repeats on every page."""
    header = [_p(h, BOLD) for h in ("N°", "Nom", "Prénom", "Signature", "Présent")]
    rows = [[_p(n), _p(p.get("last_name")), _p(p.get("first_name")), "", _CheckBox()]
            for n, p in enumerate(participants, start=1)]
    rows += [[_p(n), "", "", "", _CheckBox()] for n in range(len(participants) + 1, len(participants) + BLANK_ROWS + 1)]
    widths = [11 * mm, 46 * mm, 40 * mm, WIDTH - 119 * mm, 22 * mm]
    table = Table([header] + rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (-1, 0), (-1, -1), "CENTER"),
        # Tall rows leave room for a handwritten signature.
        ("TOPPADDING", (0, 1), (-1, -1), 10),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 10),
    ]))
    return table


def render_attendance_sheet(data: dict) -> bytes:
    """The PDF bytes of a session's attendance sheet (A4 portrait; long lists flow across pages)."""
    topic, date = _text(data.get("topic")), _text(data.get("date"))
    facilitator = data.get("facilitator") or BLANK_LINE
    story = [
        _p("Feuille d'émargement", TITLE),
        _p(f"Atelier de prise en main — {topic}", SUBTITLE),
        # A sheet printed for a cancelled session says so first (its page hides the link).
        *([_p(data["cancelled"], SUBTITLE)] if data.get("cancelled") else []),
        _header(data),
        Spacer(0, 5 * mm),
        _participants(data.get("participants") or []),
        # Room below the line for the facilitator to sign, on the same page.
        KeepTogether([_p(f"Animateur : {facilitator} — signature :", SIGNATURE), Spacer(0, 20 * mm)]),
    ]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 9)
        canvas.drawString(MARGIN, 9 * mm, f"{_text(data.get('programme_name'))} — feuille d'émargement — {topic} — {date}")
        canvas.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
                            bottomMargin=18 * mm, title=f"Feuille d'émargement — {topic} — {date}",
                            author=_text(data.get("programme_name")), lang="fr-FR")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()

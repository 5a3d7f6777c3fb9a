"""The handover sheet given to the household with its device, as a PDF (reportlab). Pure rendering:
a display-ready dict in (dates and times already formatted, in Martinique time), bytes out; no
database and no Flask.

Many readers are over 60: large print (body 16 pt, headings 22 pt), short sentences, plain words,
black on white. It says what they received, how to get help and when their workshop is."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN - 12     # printable width, inside the frame's 6 pt paddings
NONE = "—"

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=16, leading=21, textColor=colors.black, spaceAfter=5)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
BULLET = ParagraphStyle("bullet", parent=BODY, leftIndent=9 * mm, bulletIndent=2 * mm, bulletFontSize=16, spaceAfter=2)
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=24, leading=30, spaceAfter=6)
NOTE = ParagraphStyle("note", parent=BOLD, spaceBefore=6)
HEADING = ParagraphStyle("heading", parent=BOLD, fontSize=22, leading=27, spaceBefore=12, spaceAfter=6, keepWithNext=1)


def _text(value) -> str:
    """The display text of a value: "—" when there is nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NONE
    return str(value)


def _p(value, style: ParagraphStyle = BODY, bullet: str | None = None) -> Paragraph:
    """A paragraph of plain text: escaped (so "<" and "&" are text, not markup), line breaks kept."""
    # Helvetica has no glyph for U+202F (Babel's French narrow space): draw it as U+00A0.
    text = escape(_text(value)).replace("\u202f", "\u00a0").replace("\n", "<br/>")
    return Paragraph(text, style, bulletText=bullet)


def _facts(rows: list[tuple[str, object]]) -> Table:
    """Label and value, one per row, the label in bold."""
    table = Table([[_p(label, BOLD), _p(value)] for label, value in rows], colWidths=[42 * mm, WIDTH - 42 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _workshop(workshop: dict | None) -> list:
    story = [_p("Votre atelier de prise en main", HEADING)]
    if not workshop:
        return story + [_p("Un atelier vous aidera à bien utiliser votre appareil."),
                        _p("Nous vous appellerons pour fixer la date.", BOLD)]
    topic = _text(workshop.get("topic"))
    if workshop.get("position") is not None or workshop.get("status") == "En liste d'attente":
        position = f", en position {workshop['position']}" if workshop.get("position") is not None else ""
        return story + [
            _p(f"Vous êtes sur la liste d'attente de l'atelier « {topic} » du {_text(workshop.get('date'))}{position}.",
               BOLD),
            _p("Nous vous appellerons dès qu'une place se libère."),
        ]
    address = ", ".join(part for part in (workshop.get("address"), workshop.get("commune")) if part)
    return story + [
        _facts([
            ("Thème", topic),
            ("Date", workshop.get("date")),
            ("Heure", f"de {_text(workshop.get('start'))} à {_text(workshop.get('end'))}"),
            ("Lieu", workshop.get("place")),
            ("Adresse", address),
        ]),
        _p("Venez avec votre appareil et son chargeur.", NOTE),
    ]


def render_handover_sheet(data: dict) -> bytes:
    """The PDF bytes of the household's handover sheet (A4 portrait, large print)."""
    programme = _text(data.get("programme_name"))
    device = data.get("device") or {}
    accessories = data.get("accessories") or []
    story = [
        _p(programme, TITLE),
        _p(f"Fiche de remise pour {_text(data.get('household_name'))}", BOLD),
        _p(f"Dossier {_text(data.get('household_reference'))} — remis le {_text(data.get('handed_over_on'))}"),
        _p("Votre appareil", HEADING),
        _p(device.get("description"), BOLD),
        _p(f"Numéro d'inventaire : {_text(device.get('asset_tag'))} (sur l'étiquette)."),
        _p("Accessoires fournis :" if accessories else "Aucun accessoire fourni.", BOLD),
        *[_p(accessory, BULLET, "•") for accessory in accessories],
        *_workshop(data.get("workshop")),
        _p("Besoin d'aide ?", HEADING),
    ]
    if data.get("programme_contact"):
        story += [_p(f"Appelez ou écrivez à {programme} :"), _p(data["programme_contact"], BOLD)]
    else:
        story.append(_p(f"Adressez-vous à {programme}, là où vous avez reçu votre appareil."))
    story += [
        _p("Votre appareil est garanti 2 ans. S'il tombe en panne ou marche mal, prévenez-nous : "
           "il sera réparé ou remplacé, sans frais pour vous."),
        _p(data.get("guarantee")),
        _p(f"Gardez bien votre facture n° {_text(data.get('invoice_number'))} : elle sera demandée pour la garantie.",
           BOLD),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
                            bottomMargin=14 * mm, title="Votre appareil — fiche de remise", author=programme,
                            lang="fr-FR")
    doc.build(story)
    return buffer.getvalue()

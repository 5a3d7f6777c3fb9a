"""The certificate of data sanitisation as a PDF (reportlab). Pure rendering: data in, bytes
out; no database and no Flask, so a script or a job can render one too."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape


@dataclass
class Programme:
    name: str
    address: str | None = None
    siret: str | None = None
    contact: str | None = None


@dataclass
class MediumRow:
    asset_tag: str
    kind: str                 # French label
    maker_model: str
    serial_number: str
    capacity: str
    level: str                # French label
    technique: str            # French label, with the tool's own method name
    tool: str
    verification: str
    result: str               # French label
    date: str                 # Martinique time
    sanitised_by: str
    verified_by: str
    destination: str


@dataclass
class CertificateData:
    programme: Programme
    number: str
    issued_on: str            # dd/mm/yyyy HH:MM, Martinique time
    donor: str
    collection: str
    verification_code: str
    verify_url: str
    subject: str              # "Appareil RK-000123 — Ordinateur portable Dell Latitude 5490 (n° de série …)" or the collection
    rows: list[MediumRow] = field(default_factory=list)
    sanitised_by: list[str] = field(default_factory=list)   # "name (role)"
    verified_by: list[str] = field(default_factory=list)


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def render_certificate(data: CertificateData) -> bytes:
    """The PDF bytes of one certificate (A4 landscape, the media table spans pages as needed)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
        bottomMargin=14 * mm, title=f"Certificat d'effacement des données {data.number}",
        author=data.programme.name, subject=data.subject,
    )
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontSize=10, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9, alignment=TA_LEFT)
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=18, leading=22, alignment=TA_LEFT, spaceAfter=4)

    def p(text: str, style=body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    programme = data.programme
    identity = "\n".join(filter(None, [
        programme.name, programme.address, f"SIRET {programme.siret}" if programme.siret else None, programme.contact,
    ]))
    facts = [
        [p("Certificat n°"), p(data.number)],
        [p("Date d'émission"), p(data.issued_on)],
        [p("Donateur"), p(data.donor)],
        [p("Collecte"), p(data.collection)],
        [p("Objet"), p(data.subject)],
        [p("Code de vérification"), p(data.verification_code)],
        [p("Vérification en ligne"), p(data.verify_url)],
    ]
    facts_table = Table(facts, colWidths=[42 * mm, 124 * mm])   # within its 170 mm cell: never under the QR code
    facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]))
    header = Table([[p(identity), facts_table, _qr(data.verify_url, 34 * mm)]],
                   colWidths=[62 * mm, 170 * mm, 38 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    story = [
        Paragraph("Certificat d'effacement des données", title),
        p("Attestation de nettoyage des supports de données (sanitisation) selon la norme NIST SP 800-88, "
          "préalable au réemploi des équipements (décret n° 2022-190 relatif au reconditionnement)."),
        Spacer(1, 4 * mm),
        header,
        Spacer(1, 5 * mm),
    ]
    head = ["Appareil", "Support", "Fabricant / modèle", "N° de série", "Capacité", "Niveau", "Technique",
            "Outil", "Vérification", "Résultat", "Date", "Effacé par", "Vérifié par", "Destination"]
    rows = [[p(h, small) for h in head]]
    for r in data.rows:
        rows.append([p(v, small) for v in (
            r.asset_tag, r.kind, r.maker_model, r.serial_number, r.capacity, r.level, r.technique, r.tool,
            r.verification, r.result, r.date, r.sanitised_by, r.verified_by, r.destination)])
    widths = [18, 16, 24, 30, 16, 14, 22, 19, 20, 14, 18, 20, 20, 16]  # 267 mm: within the printable width
    media = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    media.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#7a8a99")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe7ef")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    story += [p(f"Supports de données couverts : {len(data.rows)}"), Spacer(1, 2 * mm), media, Spacer(1, 6 * mm)]

    def people(names: list[str]) -> str:
        return ", ".join(names) if names else "—"

    signatures = Table([
        [p("Effacement réalisé par : " + people(data.sanitised_by)),
         p("Effacement vérifié par : " + people(data.verified_by))],
        [p("Date, lieu et signature :\n\n\n______________________________"),
         p("Date, lieu et signature :\n\n\n______________________________")],
    ], colWidths=[130 * mm, 130 * mm])
    signatures.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [signatures, Spacer(1, 4 * mm),
              p("Ce certificat est vérifiable sans compte à l'adresse indiquée ci-dessus (QR code) : la page "
                "confirme son authenticité et donne l'empreinte SHA-256 du fichier émis.", small)]
    doc.build(story)
    return buffer.getvalue()

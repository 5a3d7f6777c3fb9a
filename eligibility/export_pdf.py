"""A household's data as a PDF, for the GDPR right of access (reportlab). Pure rendering: the
display-ready dict of the JSON export in, bytes out; no database and no Flask.

Households read this document themselves: A4 portrait, large type (body 12 pt), black on white."""
from __future__ import annotations

import io
from functools import partial
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from core.pdf import PagedFooterCanvas

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN          # printable width
NONE = "—"
FOOTER_MENTION = "Document remis au titre du droit d'accès (RGPD, art. 15)"

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=12, leading=16, textColor=colors.black, spaceAfter=4)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
BULLET = ParagraphStyle("bullet", parent=BODY, leftIndent=8 * mm, bulletIndent=2 * mm, spaceAfter=2)
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=20, leading=25, spaceAfter=10)
HEADING = ParagraphStyle("heading", parent=BOLD, fontSize=16, leading=20, spaceBefore=12, spaceAfter=6, keepWithNext=1)
SUBHEADING = ParagraphStyle("subheading", parent=HEADING, fontSize=13, leading=17, spaceBefore=8, spaceAfter=4)
LEAD = ParagraphStyle("lead", parent=BOLD, spaceBefore=6, keepWithNext=1)   # a bold line introducing what follows


def _text(value) -> str:
    """The display text of a value: "—" when there is nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NONE
    return str(value)


def _p(value, style: ParagraphStyle = BODY, bullet: str | None = None) -> Paragraph:
    """A paragraph of plain text: escaped (so "<" and "&" are text, not markup), line breaks kept."""
    return Paragraph(escape(_text(value)).replace("\n", "<br/>"), style, bulletText=bullet)


def _lines(values: list[str] | None) -> str | None:
    return "\n".join(f"• {v}" for v in values) if values else None


def _facts(rows: list[tuple[str, object]]) -> Table:
    """A two-column table, label and value, without a header."""
    table = Table([[_p(label, BOLD), _p(value)] for label, value in rows], colWidths=[62 * mm, WIDTH - 62 * mm],
                  splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _grid(header: list[str], rows: list[list[object]], widths: list[float]) -> Table:
    """A table with a lightly shaded header repeated on every page; cells wrap."""
    data = [[_p(h, BOLD) for h in header]] + [[_p(v) for v in row] for row in rows]
    table = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _request(number: int, request: dict) -> list:
    """One request: its facts, the automatic decision and its reasons, the agent's override."""
    story = [_p(f"Demande n° {number} — {_text(request.get('category'))}", SUBHEADING)]
    decision = request.get("decision") or {}
    rows = [
        ("Équipement demandé", request.get("category")),
        ("Statut", request.get("status")),
        ("Déposée le", request.get("created_at")),
        ("Décidée le", request.get("decided_at")),
        ("Palier", request.get("tier")),
        ("Valable jusqu'au", request.get("valid_until")),
    ]
    if decision:
        rows += [
            ("Règles appliquées", decision.get("rule_set")),
            ("Éligibilité vérifiée le", decision.get("checked_on")),
            ("Foyer éligible", decision.get("eligible")),
        ]
    story.append(_facts(rows))
    if decision.get("reasons"):
        story.append(_p("Motifs de la décision :", LEAD))
        story += [_p(reason, BULLET, "•") for reason in decision["reasons"]]
    if request.get("overridden"):
        story.append(_p("Décision modifiée par l'agent.", LEAD))
        story.append(_p(f"Justification : {_text(request.get('justification'))}"))
    if request.get("refusal_reason"):
        story.append(_p("Motif du refus :", LEAD))
        story.append(_p(request["refusal_reason"]))
    return story


def render_household_export(data: dict, programme_name: str) -> bytes:
    """The PDF bytes of one household's data (A4 portrait; long tables flow across pages)."""
    reference = _text(data.get("reference"))
    head = data.get("head") or {}
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm, bottomMargin=20 * mm,
        title=f"Vos données personnelles — foyer {reference}", author=programme_name, lang="fr-FR",
    )
    story = [
        _p(f"Vos données personnelles — foyer {reference}", TITLE),
        _p(f"Ce document rassemble les données personnelles de votre foyer détenues par {programme_name} "
           "pour votre demande d'équipement numérique reconditionné à prix solidaire. Il vous est remis au "
           "titre de votre droit d'accès (article 15 du RGPD). Données extraites le "
           f"{_text(data.get('exported_at'))} (heure de la Martinique)."),
        _p("Identité du demandeur", HEADING),
        _facts([
            ("Nom", head.get("last_name")), ("Prénom", head.get("first_name")),
            ("Date de naissance", head.get("birth_date")), ("Téléphone", head.get("phone")),
            ("Courriel", head.get("email")), ("Adresse", head.get("address")),
            ("Commune", head.get("commune")), ("Intercommunalité (EPCI)", head.get("epci")),
        ]),
        _p("Composition du foyer", HEADING),
    ]
    members = data.get("members") or []
    story.append(_grid(["Lien", "Date de naissance", "Âge"],
                       [[m.get("relation"), m.get("birth_date"), m.get("age")] for m in members], [0.45, 0.3, 0.25])
                 if members else _p("Aucune personne enregistrée."))

    story += [_p("Ressources et prestations", HEADING), _facts([
        ("Ressources mensuelles déclarées", data.get("monthly_resources")),
        ("Justificatif vu", data.get("resources_proof")),
        ("Prestations perçues", _lines(data.get("benefits"))),
        ("Situations prioritaires", _lines(data.get("situations"))),
    ])]

    referrer = data.get("referrer") or {}
    story.append(_p("Orientation (prescripteur)", HEADING))
    story.append(_facts([("Organisme", referrer.get("organisation")), ("Personne référente", referrer.get("person"))])
                 if any(referrer.values()) else _p("Aucun prescripteur enregistré."))

    consent = data.get("consent")
    story.append(_p("Consentement", HEADING))
    story.append(_facts([("Consentement donné le", consent.get("on")), ("Version du texte", consent.get("version"))])
                 if consent else _p("Aucun consentement enregistré."))

    proofs = data.get("proofs") or []
    story.append(_p("Justificatifs vus", HEADING))
    story.append(_p("Les justificatifs sont vus par l'agent ; leurs copies ne sont pas conservées."))
    if proofs:
        story.append(_grid(["Justificatif", "Vu le"], [[p.get("kind"), p.get("seen_on")] for p in proofs], [0.65, 0.35]))

    requests = data.get("requests") or []
    story.append(_p("Demandes et décisions", HEADING))
    for number, request in enumerate(requests, start=1):
        story += _request(number, request)
    if not requests:
        story.append(_p("Aucune demande enregistrée."))

    # Added by the app from the handover (reservations, invoices, workshops), when present.
    if "handover" in data:
        handover = data.get("handover") or []
        story.append(_p("Remise d'appareil et ateliers", HEADING))
        story.append(_grid(["Quoi", "Quand", "Détail"], [[h.get("what"), h.get("when"), h.get("detail")] for h in handover],
                           [0.38, 0.22, 0.40])
                     if handover else _p("Aucune remise ni inscription à un atelier."))

    story.append(_p("Notes", HEADING))
    notes = (data.get("notes") or "").strip()
    # Blank lines separate paragraphs; a long paragraph breaks across pages by itself.
    story += [_p(block) for block in notes.split("\n\n") if block.strip()] or [_p("Aucune note.")]

    audit = data.get("audit") or []
    story.append(_p("Historique des accès à vos données", HEADING))
    story.append(_grid(["Date", "Par", "Action"], [[a.get("at"), a.get("who"), a.get("action")] for a in audit],
                       [0.28, 0.32, 0.4])
                 if audit else _p("Aucun accès enregistré."))

    doc.build(story, canvasmaker=partial(PagedFooterCanvas, footer=f"{reference} — {FOOTER_MENTION}", margin=MARGIN))
    return buffer.getvalue()

"""A stocktake's result as a PDF (reportlab), to print, check and sign (issue 19). Pure rendering:
a ``reporting.stocktakes.StocktakeResult`` in, bytes out; no database and no Flask, so the page,
the API or a job render the same document.

A4 portrait, in French: what the stocktake was (site, status, who opened it and when, blind or
not, which locations), the figures per location and in total, the devices and parts behind them
(missing, found elsewhere, unexpected, spare parts), the value of the missing devices at
reference price, who counted, what applying did, and a « Visa » block for the person who counted
and the manager. Tables are set in 9 pt so that the nine columns of the figures fit the width;
every long list breaks across pages with its header repeated. Built with the report helpers of
``reporting.impact_pdf`` (styles, facts, footer with « Page n / total »)."""
from __future__ import annotations

from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from core.display import display
from core.money import euros
from reporting.charts import french_number
from reporting.impact_pdf import (
    BODY, BOLD, GRID_LINE, HEADER_FILL, HEADING, NBSP, NONE, SUBHEADING, SUBTITLE, TITLE, WIDTH, build, facts, para,
)
from reporting.stocktake_exports import NOT_TOLD
from reporting.stocktakes import DeviceLine, Figures, StocktakeResult



def _styles(size: float) -> dict[tuple[bool, bool], ParagraphStyle]:
    """Table cell styles at ``size`` pt: (bold, right-aligned) → style."""
    plain = ParagraphStyle(f"stocktake_{size}", parent=BODY, fontSize=size, leading=size * 1.28, spaceAfter=0)
    bold = ParagraphStyle(f"stocktake_{size}_bold", parent=plain, fontName="Helvetica-Bold")
    return {(False, False): plain, (True, False): bold,
            (False, True): ParagraphStyle(f"stocktake_{size}_number", parent=plain, alignment=TA_RIGHT),
            (True, True): ParagraphStyle(f"stocktake_{size}_bold_number", parent=bold, alignment=TA_RIGHT)}


TABLE = _styles(9)
FIGURES = _styles(8)       # the figures' nine columns: « non communiqué » fits a column at 8 pt
SMALL = TABLE[(False, False)]
NOTE = ParagraphStyle("stocktake_note", parent=BODY, fontSize=9.5, leading=12.5, textColor=colors.HexColor("#333333"))
SIGN_LINE = colors.HexColor("#555555")

DEVICE_HEAD = ["Étiquette", "Description", "Catégorie", "Note"]
DEVICE_WIDTHS = [0.14, 0.24, 0.20, 0.06]


# Text -----------------------------------------------------------------------------------------

def told(value: int | None, result: StocktakeResult) -> str:
    """A count as French text; « non communiqué (comptage à l'aveugle) » for the figure a blind
    count hides, « — » for one that is missing otherwise."""
    if value is None:
        return NOT_TOLD if result.blind else NONE
    return french_number(value)


def percent(fraction: Decimal | None) -> str:
    """0.85 → « 85,0 % »; « — » for none."""
    if fraction is None:
        return NONE
    return f"{french_number(Decimal(fraction) * 100, 1)}{NBSP}%"


def money(value: Decimal | None) -> str:
    return NONE if value is None else euros(value)


def signed(value: int) -> str:
    """A difference with its sign: « +2 », « -3 », « 0 »."""
    return f"+{french_number(value)}" if value > 0 else french_number(value)


# Tables ---------------------------------------------------------------------------------------

def table(header: list[str], rows: list[list[object]], widths: list[float], numeric: set[int] = frozenset(),
          bold_last: bool = False, styles: dict = TABLE) -> Table:
    """``reporting.impact_pdf.grid`` in 9 pt, or in ``styles``' size (same rules, header repeated on
    every page, rows that split across pages): the stocktake's tables have up to eight columns.
    ``bold_last`` marks the last row as a total (its label in bold, the row shaded: a bold
    « non communiqué » would not fit a figure's column)."""
    def cell(value, column: int, bold: bool):
        return para(value, styles[(bold, column in numeric)])

    head = [cell(h, i, True) for i, h in enumerate(header)]
    body = [[cell(v, i, bold_last and i == 0 and n == len(rows) - 1) for i, v in enumerate(row)]
            for n, row in enumerate(rows)]
    grid = Table([head] + body, colWidths=[w * WIDTH for w in widths], repeatRows=1, splitInRow=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_LINE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ] + ([("BACKGROUND", (0, -1), (-1, -1), HEADER_FILL)] if bold_last and rows else [])))
    return grid


def device_cells(line: DeviceLine) -> list[object]:
    return [line.asset_tag, line.description, line.category, line.grade]


# Sections -------------------------------------------------------------------------------------

def _scope(result: StocktakeResult) -> str:
    if result.whole_site:
        return f"Tout le site ({french_number(len(result.locations))} emplacements)"
    return "Emplacements choisis : " + ", ".join(f"{f.code} ({f.name})" for f in result.locations)


def _when_by(moment, user: str | None) -> str:
    """« 04/12/2026 16:58, par admin »; « — » when it did not happen."""
    if moment is None:
        return NONE
    return display(moment) + (f", par {user}" if user else "")


def _facts(result: StocktakeResult) -> list:
    opened = _when_by(result.opened_at, result.opened_by)
    ended_label = {"applied": "Appliqué le", "cancelled": "Annulé le"}.get(result.status_value, "Terminé le")
    ended = _when_by(result.ended_at, result.ended_by)
    rows = [
        ("Site", result.site),
        ("Statut", result.status),
        ("Ouvert le", opened),
        (ended_label, ended),
        ("Comptage à l'aveugle", "Oui : ce qui est attendu n'est communiqué qu'à la clôture de l'emplacement"
         if result.blind else "Non"),
        ("Périmètre", _scope(result)),
    ]
    if result.cancel_reason:
        rows.append(("Motif d'annulation", result.cancel_reason))
    if result.note:
        rows.append(("Note", result.note))
    return [facts(rows)]


def _closing(figures: Figures) -> str:
    if figures.closed_at is None:
        return figures.status or NONE
    return f"{figures.status or 'Clos'} le {display(figures.closed_at)}" + (
        f" par {figures.closed_by}" if figures.closed_by else "")


def _summary(result: StocktakeResult) -> list:
    def row(f: Figures, label: str) -> list[object]:
        accuracy = NOT_TOLD if f.expected is None and result.blind else percent(f.accuracy)
        return [label, told(f.expected, result), french_number(f.found), french_number(f.moved_in),
                french_number(f.moved_out), french_number(f.unexpected), told(f.missing, result), accuracy]

    rows = [row(f, f"{f.code}\n{f.name}\n{_closing(f)}") for f in result.locations]
    rows.append(row(result.total, f"Total\n{result.status}"))
    header = ["Emplacement", "Attendus", "Trouvés", "Entrés", "Sortis", "Inattendus", "Manquants", "Exactitude"]
    widths = [0.23] + [0.11] * 7
    return [
        para("Résultat par emplacement", HEADING),
        table(header, rows, widths, numeric=set(range(1, 8)), bold_last=True, styles=FIGURES),
        Spacer(1, 2 * mm),
        para("Trouvés : attendus ici et comptés ici. Entrés : trouvés ici, enregistrés ailleurs. Sortis : attendus "
             "ici, trouvés dans un autre emplacement. Inattendus : codes inconnus et appareils qui ne devraient pas "
             "être en rayon. Manquants : attendus ici et comptés nulle part. Exactitude : trouvés ÷ attendus. "
             "Un code scanné deux fois n'est compté qu'une fois.", NOTE),
    ]


def _missing(result: StocktakeResult) -> list:
    story = [para("Appareils manquants", HEADING)]
    if result.total.missing is None:
        story.append(para(f"{NOT_TOLD.capitalize()} : la liste est donnée quand tous les emplacements sont clos."))
        return story
    if not result.missing:
        story.append(para("Aucun appareil manquant."))
        return story
    rows = [device_cells(m) + [m.expected_at, money(m.reference_value)] for m in result.missing]
    story.append(para(f"{french_number(len(result.missing))} appareil(s) attendu(s) et compté(s) nulle part.", SMALL))
    story.append(table(DEVICE_HEAD + ["Emplacement attendu", "Valeur de référence"], rows,
                       DEVICE_WIDTHS + [0.18, 0.18], numeric={5}))
    return story


def _value(result: StocktakeResult) -> list:
    if result.total.missing is None:
        value, detail = NOT_TOLD, None
    elif result.grid is None:
        value, detail = NONE, "Aucune grille de prix en vigueur à l'ouverture de l'inventaire."
    else:
        value = money(result.missing_value)
        detail = f"Valeurs de la grille de prix {display(result.grid)}."
        if result.unvalued:
            detail += (f" {french_number(result.unvalued)} appareil(s) manquant(s) sans valeur de référence "
                       "(non noté ou absent de la grille) : non compté(s) dans ce montant.")
    story = [para("Valeur des appareils manquants", HEADING),
             facts([("Valeur au prix de référence", value)])]
    if detail:
        story.append(para(detail, NOTE))
    return story


def _moved(result: StocktakeResult) -> list:
    story = [para("Appareils trouvés ailleurs", HEADING)]
    if not result.moved_in:
        return story + [para("Aucun appareil trouvé ailleurs que là où il est enregistré.")]
    rows = [device_cells(m) + [m.expected_at, m.counted_at] for m in result.moved_in]
    return story + [table(DEVICE_HEAD + ["Emplacement enregistré", "Emplacement compté"], rows,
                          DEVICE_WIDTHS + [0.18, 0.18])]


def _unexpected(result: StocktakeResult) -> list:
    story = [para("Inattendus", HEADING)]
    if not result.unknown and not result.not_on_shelf:
        return story + [para("Aucun code inconnu ni appareil qui ne devrait pas être en rayon.")]
    story.append(para("Codes inconnus", SUBHEADING))
    story.append(table(["Emplacement compté", "Code scanné"], [list(u) for u in result.unknown], [0.3, 0.7])
                 if result.unknown else para("Aucun code inconnu."))
    story.append(para("Appareils qui ne devraient pas être en rayon", SUBHEADING))
    if result.not_on_shelf:
        rows = [device_cells(m) + [m.state, m.counted_at] for m in result.not_on_shelf]
        story.append(table(DEVICE_HEAD + ["État", "Emplacement compté"], rows, DEVICE_WIDTHS + [0.18, 0.18]))
    else:
        story.append(para("Aucun appareil remis ou recyclé n'a été compté."))
    return story


def _parts(result: StocktakeResult) -> list:
    story = [para("Pièces détachées", HEADING)]
    if result.parts:
        rows = [[p.code, p.description, p.location, french_number(p.expected), french_number(p.counted),
                 signed(p.difference)] for p in result.parts]
        story.append(table(["Code", "Description", "Emplacement", "Attendu", "Compté", "Écart"], rows,
                           [0.15, 0.37, 0.18, 0.1, 0.1, 0.1], numeric={3, 4, 5}))
    else:
        story.append(para("Aucune pièce détachée attendue ni comptée."))
    if result.blind and not result.all_closed:
        story.append(para(f"Pièces des emplacements pas encore clos : {NOT_TOLD}.", NOTE))
    return story


def _counters(result: StocktakeResult) -> list:
    story = [para("Comptage", HEADING)]
    if not result.counters:
        return story + [para("Aucun code compté.")]
    rows = [[user, french_number(n)] for user, n in result.counters]
    return story + [table(["Compté par", "Codes comptés"], rows, [0.6, 0.4], numeric={1}),
                    Spacer(1, 1 * mm),
                    para("Les codes comptés comprennent les codes inconnus, les répétitions et les pièces.", NOTE)]


def _adjustments(result: StocktakeResult) -> list:
    if result.status_value != "applied":
        return []
    story = [para("Ce que l'application a changé", HEADING)]
    if not result.adjustments:
        return story + [para("Rien à corriger : les enregistrements étaient conformes au comptage.")]
    rows = [[a.get("label"), a.get("item"), a.get("from"), a.get("to"), _quantities(a), a.get("reason")]
            for a in result.adjustments]
    return story + [table(["Action", "Appareil ou pièce", "De", "Vers", "Quantité", "Motif"], rows,
                          [0.2, 0.16, 0.145, 0.145, 0.11, 0.24])]


def _quantities(adjustment: dict) -> str:
    """« de 12 à 10 » for a part line corrected; « — » for a device."""
    before, after = adjustment.get("before"), adjustment.get("after")
    if before is None and after is None:
        return NONE
    return f"de {display(before)} à {display(after)}"


def _sign_off() -> list:
    """Two columns to fill by hand: the person who counted and the manager."""
    def block(title: str) -> list[list]:
        return [[para(title, BOLD), ""]] + [[para(f"{label} :", SMALL), ""]
                                             for label in ("Nom", "Fonction", "Date", "Signature")]

    left, right = block("Personne ayant compté"), block("Responsable")
    rows = [l_ + [""] + r_ for l_, r_ in zip(left, right)]
    half = (WIDTH - 8 * mm) / 2
    sign = Table(rows, colWidths=[22 * mm, half - 22 * mm, 8 * mm, 22 * mm, half - 22 * mm],
                 rowHeights=[None, 9 * mm, 9 * mm, 9 * mm, 22 * mm])
    sign.setStyle(TableStyle([
        ("SPAN", (0, 0), (1, 0)),
        ("SPAN", (3, 0), (4, 0)),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LINEBELOW", (1, 1), (1, -1), 0.5, SIGN_LINE),
        ("LINEBELOW", (4, 1), (4, -1), 0.5, SIGN_LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return [KeepTogether([para("Visa", HEADING), sign])]


# The document ---------------------------------------------------------------------------------

def render_stocktake(result: StocktakeResult) -> bytes:
    """The PDF bytes of a stocktake's result (A4 portrait; long lists flow across pages)."""
    title = f"Inventaire {result.reference}"
    story = [para(title, TITLE), para(result.site, SUBTITLE)]
    story += _facts(result)
    story += _summary(result)
    story += _missing(result)
    story += _value(result)
    story += _moved(result)
    story += _unexpected(result)
    story += _parts(result)
    story += _counters(result)
    story += _adjustments(result)
    story += _sign_off()
    return build(story, title=title, author=result.site, footer=f"{title} — {result.site}")

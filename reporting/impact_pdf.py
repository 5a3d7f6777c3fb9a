"""The half-yearly impact report as a PDF (reportlab), for the review with all the partners. Pure
rendering: a display-ready dict in (indicator values, changes and amounts already formatted in
French), bytes out; no database and no Flask.

A4 portrait, body 11 pt, black on white. Every chart is followed by a table of its numbers, so the
figures can be read without the picture. The footer of every page names the programme, the report
and the period, with "Page n / total".

The helpers shared with the donor report (styles, paragraphs, tables, the footer) live here."""
from __future__ import annotations

import io
from functools import partial
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.pdf import PagedFooterCanvas
from reporting.charts import PALETTE, french_number, nice_step

MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN - 12     # printable width, inside the frame's 6 pt paddings
NONE = "—"
NBSP = "\u00a0"
REPORT = "Rapport d'impact"
CHART_DATA = "Les données du graphique :"

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=11, leading=14.5, textColor=colors.black, spaceAfter=3)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
NUMBER = ParagraphStyle("number", parent=BODY, alignment=TA_RIGHT)
BOLD_NUMBER = ParagraphStyle("bold_number", parent=BOLD, alignment=TA_RIGHT)
PROGRAMME = ParagraphStyle("programme", parent=BOLD, fontSize=13, leading=17, spaceAfter=2)
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=22, leading=27, spaceAfter=4)
SUBTITLE = ParagraphStyle("subtitle", parent=BOLD, fontSize=16, leading=20, spaceAfter=8)
HEADING = ParagraphStyle("heading", parent=BOLD, fontSize=15, leading=19, spaceBefore=12, spaceAfter=5, keepWithNext=1)
SUBHEADING = ParagraphStyle("subheading", parent=HEADING, fontSize=13, leading=17, spaceBefore=8, spaceAfter=4)

GRID_LINE = colors.HexColor("#555555")
HEADER_FILL = colors.HexColor("#e8e8e8")
AXIS = colors.HexColor("#333333")


# Text -----------------------------------------------------------------------------------------

def text(value) -> str:
    """The display text of a value: "—" when there is nothing to show."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return NONE
    return str(value)


def plain(value) -> str:
    """Display text that Helvetica can draw: U+202F (Babel's French thousands separator) has no
    glyph in it, so it becomes U+00A0."""
    return text(value).replace("\u202f", NBSP)


def markup(value) -> str:
    """Plain text as paragraph markup: escaped (so "<" and "&" are text), line breaks kept."""
    return escape(plain(value)).replace("\n", "<br/>")


def para(value, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(markup(value), style)


def labelled(label: str, value, style: ParagraphStyle = BODY) -> Paragraph:
    """"Label : value" with the label in bold."""
    return Paragraph(f"<b>{escape(label)} :</b> {markup(value)}", style)


def count(value) -> str:
    """A number of the data as display text (French format); a string (or None) is shown as given."""
    return value if value is None or isinstance(value, str) else french_number(value)


# Tables ---------------------------------------------------------------------------------------

def grid(header: list[str], rows: list[list[object]], widths: list[float], numeric: set[int] = frozenset(),
         bold_first: bool = False) -> Table:
    """A table with a lightly shaded header repeated on every page; cells wrap and a long table
    breaks across pages. Columns in ``numeric`` are right-aligned."""
    head = [para(h, BOLD_NUMBER if i in numeric else BOLD) for i, h in enumerate(header)]
    body = [[para(v, (BOLD if bold_first and i == 0 else NUMBER if i in numeric else BODY)) for i, v in enumerate(row)]
            for row in rows]
    table = Table([head] + body, colWidths=[w * WIDTH for w in widths], repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_LINE),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def facts(rows: list[tuple[str, object]]) -> Table:
    """A two-column table, label and value, without a header."""
    table = Table([[para(label, BOLD), para(value)] for label, value in rows], colWidths=[48 * mm, WIDTH - 48 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


# Footer ---------------------------------------------------------------------------------------

def build(story: list, *, title: str, author: str, footer: str) -> bytes:
    """The PDF bytes of ``story``, A4 portrait, with ``footer`` and the page number on every page."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm,
                            bottomMargin=20 * mm, title=plain(title), author=plain(author), lang="fr-FR")
    doc.build(story, canvasmaker=partial(PagedFooterCanvas, footer=plain(footer), margin=MARGIN, font_size=9, rule=True))
    return buffer.getvalue()


# Charts ---------------------------------------------------------------------------------------

def _number(value) -> float:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 0.0


def _axis(chart, peak: float, integers: bool) -> None:
    """A value axis from 0 to a round maximum, labelled the French way."""
    step = nice_step(peak, integers)
    ticks = max(1, -(-peak // step)) if peak > 0 else 5
    axis = chart.valueAxis
    axis.valueMin, axis.valueMax, axis.valueStep = 0, step * ticks, step
    axis.labelTextFormat = lambda v: plain(french_number(int(v) if float(step).is_integer() else v))
    axis.labels.fontName, axis.labels.fontSize, axis.labels.fillColor = "Helvetica", 10, AXIS
    axis.strokeColor = AXIS
    axis.visibleGrid, axis.gridStrokeColor, axis.gridStrokeWidth = 1, colors.HexColor("#d9d9d9"), 0.5


def epci_chart(items: list[tuple[str, float]]) -> Drawing:
    """Horizontal bars, one per EPCI, the value at the end of each bar."""
    height = 36 + 30 * len(items)
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 90, 24, WIDTH - 140, height - 34
    chart.data = [[_number(v) for _, v in items]]
    chart.categoryAxis.categoryNames = [plain(label) for label, _ in items]
    chart.categoryAxis.reverseDirection = 1                 # first item on top
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = "Helvetica", 11
    chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "e", -6
    chart.categoryAxis.strokeColor = AXIS
    chart.bars[0].fillColor, chart.bars[0].strokeColor = colors.HexColor(PALETTE[0]), None
    chart.barWidth, chart.groupSpacing = 14, 10
    _axis(chart, max([_number(v) for _, v in items] + [0]), all(float(_number(v)).is_integer() for _, v in items))
    chart.barLabelFormat = lambda v: plain(french_number(int(v) if float(v).is_integer() else v))
    chart.barLabels.fontName, chart.barLabels.fontSize, chart.barLabels.boxAnchor, chart.barLabels.dx = (
        "Helvetica-Bold", 11, "w", 4)
    drawing.add(chart)
    return drawing


def monthly_chart(months: list[str], series: list[tuple[str, list]]) -> Drawing:
    """Vertical columns grouped by month, one colour per series, with a legend above."""
    height = 250
    drawing = Drawing(WIDTH, height)
    chart = VerticalBarChart()
    rotate = len(months) > 8
    bottom = 48 if rotate else 28                           # room for the month labels
    chart.x, chart.y, chart.width, chart.height = 40, bottom, WIDTH - 50, height - bottom - 52
    values = [[_number(v) for v in (list(vals) + [0] * len(months))[:len(months)]] for _, vals in series]
    chart.data = values
    chart.categoryAxis.categoryNames = [plain(m) for m in months]
    labels = chart.categoryAxis.labels
    labels.fontName, labels.fontSize = "Helvetica", 10
    if rotate:
        labels.angle, labels.boxAnchor, labels.dy = 35, "ne", -2
    chart.categoryAxis.strokeColor = AXIS
    for index in range(len(series)):
        chart.bars[index].fillColor = colors.HexColor(PALETTE[index % len(PALETTE)])
        chart.bars[index].strokeColor = None
    chart.groupSpacing, chart.barSpacing = 6, 0.5
    _axis(chart, max([v for vals in values for v in vals] + [0]),
          all(float(v).is_integer() for vals in values for v in vals))
    drawing.add(chart)

    legend = Legend()
    legend.x, legend.y = 40, height - 8
    legend.alignment = "right"
    legend.fontName, legend.fontSize = "Helvetica", 10
    legend.columnMaximum, legend.deltax, legend.dxTextSpace = 1, 95, 5
    legend.boxAnchor = "nw"
    legend.colorNamePairs = [(colors.HexColor(PALETTE[i % len(PALETTE)]), plain(name))
                             for i, (name, _) in enumerate(series)]
    drawing.add(legend)
    return drawing


# The report -----------------------------------------------------------------------------------

def _indicator_table(group: dict, current_label: str, previous_label: str) -> Table:
    rows = [[row.get("label"), row.get("current"), row.get("previous"), row.get("change")]
            for row in group.get("rows") or []]
    return grid(["Indicateur", current_label, previous_label, "Évolution"], rows, [0.40, 0.21, 0.21, 0.18],
                numeric={1, 2, 3})


def _definitions(data: dict) -> list:
    start, end = text(data.get("from")), text(data.get("to"))
    sentences = [
        f"Les nombres d'appareils, de foyers et d'ateliers comptent les événements survenus pendant la période, "
        f"du {start} au {end} inclus : un appareil collecté puis remis dans la période compte dans les deux lignes.",
        f"Le stock décrit l'état des appareils à la fin de la période, le {end}.",
        "Les taux et les moyennes sont calculés parmi les valeurs enregistrées : un dossier où l'information "
        "manque n'entre ni dans le numérateur ni dans le dénominateur.",
        "Les montants sont exprimés en euros, toutes taxes comprises (TTC).",
        f"L'évolution compare la période à la précédente ({text(data.get('previous_label'))}) ; « — » indique "
        "qu'elle ne peut pas être calculée, faute de valeur précédente ou parce que celle-ci est nulle.",
        "Les foyers et les remises d'appareils sont rattachés à l'EPCI de la commune du foyer ; les appareils "
        "collectés, à l'EPCI du site de collecte.",
        "Les ateliers mobiles sont rattachés à l'EPCI de la commune de l'étape ; les foyers touchés en tournée "
        "(présents à un atelier mobile ou ayant reçu un appareil en tournée, comptés une fois, plus les participants "
        "sans inscription), à celui de leur commune de résidence.",
        "Un « — » à la place d'une valeur signale un indicateur non disponible pour ce périmètre, par exemple "
        "les foyers validés et les ateliers, qui ne se rattachent à aucun donateur.",
        "Ce rapport ne présente que des totaux : aucune donnée ne permet d'identifier un foyer.",
    ]
    return [para("Définitions", HEADING)] + [para(sentence) for sentence in sentences]


def render_impact_report(data: dict) -> bytes:
    """The PDF bytes of the impact report of one period (A4 portrait; long tables flow across pages)."""
    programme = text(data.get("programme_name"))
    period_label = text(data.get("period_label"))
    previous_label = text(data.get("previous_label"))
    story = [
        para(programme, PROGRAMME),
        para(REPORT, TITLE),
        para(period_label, SUBTITLE),
        facts([
            ("Période", f"du {text(data.get('from'))} au {text(data.get('to'))}"),
            ("Comparée avec", previous_label),
            ("Périmètre", data.get("scope")),
            ("Généré le", data.get("generated_at")),
        ]),
        Spacer(1, 4 * mm),
    ]

    groups = data.get("groups")
    if groups is None and data.get("indicators"):   # a flat list of indicators: one group
        groups = [{"title": "Indicateurs", "rows": data["indicators"]}]
    for group in groups or []:
        story.append(para(group.get("title"), HEADING))
        if group.get("rows"):
            story.append(_indicator_table(group, period_label, previous_label))
        else:
            story.append(para("Aucun indicateur."))

    by_epci = data.get("by_epci") or {}
    story.append(para("Répartition par EPCI", HEADING))
    columns = list(by_epci.get("columns") or [])
    rows = by_epci.get("rows") or []
    if columns and rows:
        first = 0.22 if len(columns) > 1 else 1.0
        rest = [(1 - first) / (len(columns) - 1)] * (len(columns) - 1)
        story.append(grid(columns, [[r[0]] + [count(v) for v in r[1:]] for r in rows], [first] + rest,
                          numeric=set(range(1, len(columns))),
                          bold_first=True))
    else:
        story.append(para("Aucune donnée."))

    # Each chart is kept with its heading and its table when they fit on a page together; a long
    # table still breaks across pages, its header repeated.
    equipped = [(str(label), value) for label, value in data.get("equipped_by_epci") or []]
    story.append(KeepTogether([
        para("Foyers équipés par EPCI", HEADING),
        *([epci_chart(equipped), para(CHART_DATA, BOLD),
           grid(["EPCI", "Foyers équipés"], [[label, count(value)] for label, value in equipped], [0.6, 0.4],
                numeric={1})] if equipped else [para("Aucune donnée.")]),
    ]))

    monthly = data.get("monthly") or {}
    months = [str(m) for m in monthly.get("months") or []]
    series = [(str(name), list(values or [])) for name, values in monthly.get("series") or []]
    if months and series:
        widths = [0.22] + [0.78 / len(series)] * len(series)
        table_rows = [[month] + [count(values[i]) if i < len(values) else NONE for _, values in series]
                      for i, month in enumerate(months)]
        flux = [monthly_chart(months, series), para(CHART_DATA, BOLD),
                grid(["Mois"] + [name for name, _ in series], table_rows, widths,
                     numeric=set(range(1, len(series) + 1)))]
    else:
        flux = [para("Aucune donnée.")]
    story.append(KeepTogether([para("Flux mensuels", HEADING), *flux]))

    story += _definitions(data)
    return build(story, title=f"{REPORT} — {period_label}", author=programme,
                 footer=f"{programme} — {REPORT} — {period_label}")

"""Charts drawn on the server as SVG strings: pure functions, no JavaScript, no external font, link
or stylesheet, so the pages work offline and print as they show.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` in French (the desc lists
every value, so a screen reader gets the numbers too), dark text on white, the Okabe–Ito
colour-blind-safe palette, font-family "sans-serif", and only a viewBox (no width or height) so it
scales to the width of its container, a tablet included. All text is escaped."""
from __future__ import annotations

import hashlib
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.sax.saxutils import escape

NBSP = "\u00a0"
NONE = "—"
EMPTY = "Aucune donnée"

TEXT = "#1a1a1a"            # body text: contrast ≥ 15:1 on white
MUTED = "#595959"           # axes and secondary text: contrast ≥ 7:1 on white
GRID = "#d9d9d9"
FONT = "sans-serif"

# Okabe–Ito, without its yellow (too pale on white) and ordered for distinctness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
BAR = "#0072B2"             # bars (blue)
HIGHLIGHT = "#D55E00"       # the highlighted bar (vermillion)

# Sequential shades of the tiles (ColorBrewer "Blues", colour-blind safe); 0 is light grey.
ZERO_FILL = "#eeeeee"
SHADES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
LIGHT_ON = {"#08519c", "#3182bd"}   # shades dark enough for white text
# Border colour of each EPCI's tiles: fixed for the three EPCI of Martinique, so that every chart
# agrees; any other EPCI takes the next free colour.
EPCI_COLOURS = {"CACEM": "#E69F00", "CAP Nord": "#009E73", "Espace Sud": "#CC79A7"}
EPCI_SPARE = ("#D55E00", "#56B4E9", "#000000")

CHAR_WIDTH = 0.58           # rough advance of a sans-serif character, in ems (for layout only)


# Formatting -----------------------------------------------------------------------------------

def french_number(value, digits: int = 1) -> str:
    """``value`` written the French way: decimal comma, non-breaking-space thousands ("1 234,5").

    Integers are written without decimals; other numbers with ``digits`` decimals (rounded half
    up). ``None`` (or anything that is not a number) gives "—"."""
    if value is None or isinstance(value, bool):
        return NONE
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return NONE
    if not number.is_finite():
        return NONE
    if isinstance(value, int) or digits <= 0:
        places = 0
    else:
        places = digits
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)        # no "-0,0"
    text = f"{number:,.{places}f}"
    return text.replace(",", NBSP).replace(".", ",")


def _with_unit(value, unit: str, digits: int = 1) -> str:
    text = french_number(value, digits)
    return f"{text}{NBSP}{unit}" if unit and text != NONE else text


def _esc(text) -> str:
    """Text content, escaped."""
    return escape(str(text))


def _attr(text) -> str:
    """An attribute value, escaped (to go between double quotes)."""
    return escape(str(text), {'"': "&quot;"})


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def _number(value) -> float:
    """A value as a float for drawing: None and non-numbers count as 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


# Frame ----------------------------------------------------------------------------------------

def _chart_id(kind: str, title: str, payload: str) -> str:
    """A stable id (pure function: same chart, same id) for aria-labelledby."""
    digest = hashlib.sha1(f"{kind}\x00{title}\x00{payload}".encode()).hexdigest()[:10]
    return f"chart-{kind}-{digest}"


def _svg(kind: str, title: str, desc: str, width: float, height: float, body: list[str]) -> str:
    ident = _chart_id(kind, title, desc)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT}" class="chart chart-{kind}" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{ident}-title">{_esc(title)}</title>',
        f'<desc id="{ident}-desc">{_esc(desc)}</desc>',
        f'<rect x="0" y="0" width="{width:g}" height="{height:g}" fill="#ffffff"/>',
        f'<text x="16" y="28" font-size="18" font-weight="bold" fill="{TEXT}">{_esc(title)}</text>',
        *body,
        "</svg>",
    ])


def _empty(kind: str, title: str) -> str:
    width, height = 640, 120
    return _svg(kind, title, f"{title} : {EMPTY.lower()}.", width, height, [
        f'<text x="{width / 2:g}" y="78" font-size="16" text-anchor="middle" fill="{MUTED}">{EMPTY}</text>'])


# Bar chart ------------------------------------------------------------------------------------

def bar_chart(title: str, items: list[tuple[str, float]], *, unit: str = "", highlight: str | None = None) -> str:
    """Horizontal bars, one per (label, value), labels on the left and the value (French format,
    with ``unit``) at the end of each bar; the bar labelled ``highlight`` is drawn in vermillion
    (the others in blue). Negative values draw as empty bars; no item gives "Aucune donnée"."""
    items = [(str(label), value) for label, value in items or []]
    if not items:
        return _empty("bars", title)
    size, row, bar_height, top = 14, 32, 20, 48
    labels = [label for label, _ in items]
    values = [_with_unit(value, unit) for _, value in items]
    label_width = min(260, max(_text_width(label, size) for label in labels) + 8)
    value_width = max(_text_width(value, size) for value in values) + 12
    left = 16 + label_width
    width = max(640, left + 240 + value_width + 16)
    plot = width - left - value_width - 16
    peak = max(max(_number(value) for _, value in items), 0)
    height = top + row * len(items) + 12

    body = [f'<line x1="{left:g}" y1="{top - 4}" x2="{left:g}" y2="{height - 12}" stroke="{MUTED}" stroke-width="1"/>']
    for index, ((label, value), shown) in enumerate(zip(items, values)):
        y = top + index * row
        length = plot * max(_number(value), 0) / peak if peak > 0 else 0
        highlighted = highlight is not None and label == highlight
        colour = HIGHLIGHT if highlighted else BAR
        middle = y + bar_height / 2 + size * 0.35
        weight = ' font-weight="bold"' if highlighted else ""
        body += [
            f'<g class="bar{" highlight" if highlighted else ""}">',
            f'<title>{_esc(label)} : {_esc(shown)}</title>',
            f'<text x="{left - 8:g}" y="{middle:g}" font-size="{size}" text-anchor="end" fill="{TEXT}"{weight}>'
            f'{_esc(label)}</text>',
            f'<rect x="{left:g}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{colour}"/>',
            f'<text x="{left + length + 6:.1f}" y="{middle:g}" font-size="{size}" fill="{TEXT}"{weight}>'
            f'{_esc(shown)}</text>',
            "</g>",
        ]
    desc = "Diagramme en barres horizontales. " + " ; ".join(
        f"{label} : {shown}" + (" (mis en évidence)" if highlight is not None and label == highlight else "")
        for label, shown in zip(labels, values)) + "."
    return _svg("bars", title, desc, width, height, body)


# Grouped columns ------------------------------------------------------------------------------

def nice_step(peak: float, integers: bool, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten; never a fraction for whole numbers)
    giving about ``ticks`` ticks up to ``peak``."""
    if peak <= 0:
        return 1
    raw = peak / ticks
    power = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 5, 10) if integers else (1, 2, 2.5, 5, 10)
    step = next(factor * power for factor in factors if raw <= factor * power + 1e-12)
    return max(step, 1) if integers else step


def _legend(entries: list[tuple[str, str]], x: float, y: float, width: float,
            size: int = 13) -> tuple[list[str], float]:
    """Swatches and names, wrapping to new lines within ``width``; returns the parts and the height used."""
    parts, cursor, line = [], x, 0
    for name, colour in entries:
        needed = 18 + _text_width(name, size) + 18
        if cursor > x and cursor + needed > x + width:
            cursor, line = x, line + 1
        top = y + line * 22
        parts += [f'<rect x="{cursor:.1f}" y="{top:g}" width="13" height="13" fill="{colour}"/>',
                  f'<text x="{cursor + 18:.1f}" y="{top + 11:g}" font-size="{size}" fill="{TEXT}">{_esc(name)}</text>']
        cursor += needed
    return parts, (line + 1) * 22


def grouped_columns(title: str, categories: list[str], series: list[tuple[str, list[float]]], *, unit: str = "") -> str:
    """Vertical columns grouped by category (e.g. months "2026-07"), one colour per series, with a
    legend, a value axis and, when the columns are wide enough, each value above its column. A
    series shorter than ``categories`` counts as 0 for the missing ones."""
    categories = [str(c) for c in categories or []]
    series = [(str(name), list(values or [])) for name, values in series or []]
    if not categories or not series:
        return _empty("columns", title)
    values = [[_number(v) for v in (vals + [0] * len(categories))[:len(categories)]] for _, vals in series]
    raw = [[(vals[i] if i < len(vals) else 0) for i in range(len(categories))] for _, vals in series]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]

    width, left, right = 720, 72, 16
    plot_width = width - left - right
    legend, legend_height = _legend(list(zip([n for n, _ in series], colours)), left, 44, plot_width)
    top = 44 + legend_height + 16
    plot_height = 260
    band = plot_width / len(categories)
    column = max(2.0, (band * 0.8) / len(series))
    rotate = max(_text_width(c, 12) for c in categories) > band - 4
    bottom_labels = (max(_text_width(c, 12) for c in categories) * 0.72 + 16) if rotate else 24
    height = top + plot_height + bottom_labels + 12
    base = top + plot_height

    peak = max(max(max(vals) for vals in values), 0)
    step = nice_step(peak, all(float(v).is_integer() for vals in values for v in vals))
    axis_max = step * max(1, math.ceil(peak / step)) if peak > 0 else step * 5
    digits = 0 if float(step).is_integer() else 1

    body = list(legend)
    tick = 0.0
    while tick <= axis_max + 1e-9:
        y = base - plot_height * tick / axis_max
        label = french_number(int(tick) if digits == 0 else tick, digits)
        body += [f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>',
                 f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="{MUTED}">'
                 f'{_esc(label)}</text>']
        tick += step
    if unit:
        body.append(f'<text x="{left}" y="{top - 8}" font-size="12" fill="{MUTED}">{_esc(unit)}</text>')
    body.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{MUTED}" stroke-width="1"/>')

    show_values = column >= 20
    for c, category in enumerate(categories):
        start = left + c * band + band * 0.1
        body.append(f'<g class="group"><title>{_esc(category)}</title>')
        for s, (name, _) in enumerate(series):
            value, shown = values[s][c], _with_unit(raw[s][c], unit)
            h = plot_height * max(value, 0) / axis_max
            x = start + s * column
            body += [f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{column - 1:.1f}" height="{h:.1f}" '
                     f'fill="{colours[s]}">'
                     f'<title>{_esc(name)}, {_esc(category)} : {_esc(shown)}</title></rect>']
            if show_values:
                body.append(f'<text x="{x + column / 2:.1f}" y="{base - h - 4:.1f}" font-size="10" '
                            f'text-anchor="middle" '
                            f'fill="{TEXT}">{_esc(french_number(raw[s][c]))}</text>')
        centre = left + c * band + band / 2
        if rotate:
            body.append(f'<text x="{centre:.1f}" y="{base + 16}" font-size="12" text-anchor="end" fill="{TEXT}" '
                        f'transform="rotate(-45 {centre:.1f} {base + 16})">{_esc(category)}</text>')
        else:
            body.append(f'<text x="{centre:.1f}" y="{base + 18}" font-size="12" text-anchor="middle" fill="{TEXT}">'
                        f'{_esc(category)}</text>')
        body.append("</g>")

    desc = "Diagramme en colonnes groupées. " + " ; ".join(
        f"{category} : " + ", ".join(f"{name} {_with_unit(raw[s][c], unit)}" for s, (name, _) in enumerate(series))
        for c, category in enumerate(categories)) + "."
    return _svg("columns", title, desc, width, height, body)


# Commune tiles --------------------------------------------------------------------------------

# (column, row) of each commune of Martinique, west → east and north → south: a rough map of the
# island, Grand'Rivière and Macouba at the top, Fort-de-France centre-west, Les Anses-d'Arlet at
# the bottom left and Sainte-Anne at the bottom right.
TILE_POSITIONS: dict[str, tuple[int, int]] = {
    # Grand'Rivière, Macouba, Basse-Pointe
    "97211": (1, 0), "97215": (2, 0), "97203": (3, 0),
    # Le Prêcheur, L'Ajoupa-Bouillon, Le Lorrain, Le Marigot
    "97219": (0, 1), "97201": (2, 1), "97214": (3, 1), "97216": (4, 1),
    # Saint-Pierre, Le Morne-Rouge, Fonds-Saint-Denis, Sainte-Marie
    "97225": (0, 2), "97218": (1, 2), "97208": (2, 2), "97228": (4, 2),
    # Le Carbet, Le Morne-Vert, Gros-Morne, La Trinité
    "97204": (0, 3), "97233": (1, 3), "97212": (3, 3), "97230": (4, 3),
    # Bellefontaine, Saint-Joseph, Le Robert
    "97234": (0, 4), "97224": (2, 4), "97222": (4, 4),
    # Case-Pilote, Schœlcher, Fort-de-France, Le Lamentin, Le François
    "97205": (0, 5), "97229": (1, 5), "97209": (2, 5), "97213": (3, 5), "97210": (4, 5),
    # Les Trois-Îlets, Ducos, Saint-Esprit, Le Vauclin
    "97231": (2, 6), "97207": (3, 6), "97223": (4, 6), "97232": (5, 6),
    # Rivière-Salée, Rivière-Pilote, Le Marin
    "97221": (3, 7), "97220": (4, 7), "97217": (5, 7),
    # Les Anses-d'Arlet, Le Diamant, Sainte-Luce, Sainte-Anne
    "97202": (1, 8), "97206": (2, 8), "97227": (3, 8), "97226": (5, 8),
}
GRID_COLUMNS = 6

_ARTICLES = ("Les ", "Le ", "La ", "L'", "L’")


def short_name(name: str) -> str:
    """A commune's name short enough for a tile: without its article, "Saint(e)-" as "St(e)-"
    ("Le Lamentin" → "Lamentin", "Fonds-Saint-Denis" → "Fonds-St-Denis")."""
    for article in _ARTICLES:
        if name.startswith(article) and len(name) > len(article):
            name = name[len(article):]
            break
    return name.replace("Sainte-", "Ste-").replace("Saint-", "St-")


def _bins(peak: int) -> list[tuple[int, int]]:
    """Up to five (low, high) ranges of positive values, covering 1..peak."""
    if peak <= 0:
        return []
    if peak <= len(SHADES):
        return [(v, v) for v in range(1, peak + 1)]
    step = math.ceil(peak / len(SHADES))
    return [(1 + i * step, min((i + 1) * step, peak)) for i in range(len(SHADES)) if 1 + i * step <= peak]


def _shade(value: int, bins: list[tuple[int, int]]) -> str:
    if value <= 0 or not bins:
        return ZERO_FILL
    # With fewer bins than shades, spread them over the palette so the darkest is always used.
    for index, (low, high) in enumerate(bins):
        if low <= value <= high:
            return SHADES[round(index * (len(SHADES) - 1) / max(len(bins) - 1, 1))] if len(bins) > 1 else SHADES[-1]
    return SHADES[-1]


def _range_label(low: int, high: int) -> str:
    return french_number(low) if low == high else f"{french_number(low)} à {french_number(high)}"


def commune_tiles(title: str, values: dict[str, int], communes: list[tuple[str, str, str]]) -> str:
    """A map-like view of the communes: one tile per (insee_code, name, epci_short_name), laid out
    roughly as on the island (``TILE_POSITIONS``; a commune without a position goes on a row below),
    shaded by its value (light grey for 0, then darker blues), with its short name and its value,
    and a border in the colour of its EPCI. ``values`` is keyed by INSEE code (a commune's name is
    accepted too); a missing commune counts as 0. Legends of the shades and the EPCI borders."""
    communes = [(str(code), str(name), str(epci or "")) for code, name, epci in communes or []]
    if not communes:
        return _empty("tiles", title)
    values = values or {}

    def value_of(code: str, name: str) -> int:
        raw = values.get(code, values.get(name, 0))
        return int(_number(raw))

    counts = {code: value_of(code, name) for code, name, _ in communes}
    bins = _bins(max(counts.values(), default=0))
    epcis = sorted({epci for _, _, epci in communes if epci})
    others = [epci for epci in epcis if epci not in EPCI_COLOURS]
    borders = {epci: EPCI_COLOURS.get(epci) or EPCI_SPARE[others.index(epci) % len(EPCI_SPARE)] for epci in epcis}

    tile_w, tile_h, gap, left, top = 118, 58, 6, 16, 48
    placed, extra = {}, 0
    rows = max((row for _, row in TILE_POSITIONS.values()), default=0) + 1
    for code, _, _ in communes:
        if code in TILE_POSITIONS:
            placed[code] = TILE_POSITIONS[code]
        else:                       # unknown commune: below the island, left to right
            placed[code] = (extra % GRID_COLUMNS, rows + extra // GRID_COLUMNS)
            extra += 1
    grid_rows = max(row for _, row in placed.values()) + 1
    grid_width = GRID_COLUMNS * (tile_w + gap) - gap
    grid_height = grid_rows * (tile_h + gap) - gap
    shades = [(ZERO_FILL, "0")] + [(_shade(low, bins), _range_label(low, high)) for low, high in bins]
    legend_height = 24 * (1 + len(shades)) + (12 + 24 * (1 + len(epcis)) if epcis else 0)
    # The legend sits in the sea east of the north of the island (the last column, empty down to
    # Le Vauclin), or to the right of the grid when it is too tall for that space.
    free = min((row for code, (col, row) in placed.items() if col == GRID_COLUMNS - 1), default=grid_rows)
    if legend_height <= free * (tile_h + gap):
        legend_x = left + (GRID_COLUMNS - 1) * (tile_w + gap) + 4
        width = left + grid_width + 48
    else:
        legend_x = left + grid_width + 24
        width = legend_x + 180

    body = []
    for code, name, epci in communes:
        col, row = placed[code]
        x, y = left + col * (tile_w + gap), top + row * (tile_h + gap)
        count = counts[code]
        fill = _shade(count, bins)
        ink = "#ffffff" if fill in LIGHT_ON else TEXT
        border = borders.get(epci, MUTED)
        label = short_name(name)
        label_size = 12 if _text_width(label, 12) <= tile_w - 10 else 10.5
        body += [
            f'<g class="tile" data-insee="{_attr(code)}" data-epci="{_attr(epci)}" data-value="{count}">',
            f'<title>{_esc(name)} ({_esc(epci or "EPCI inconnu")}) : {_esc(french_number(count))}</title>',
            f'<rect x="{x}" y="{y}" width="{tile_w}" height="{tile_h}" rx="4" fill="{fill}" stroke="{border}" '
            f'stroke-width="3"/>',
            f'<text x="{x + tile_w / 2:g}" y="{y + 22}" font-size="{label_size:g}" text-anchor="middle" fill="{ink}">'
            f'{_esc(label)}</text>',
            f'<text x="{x + tile_w / 2:g}" y="{y + 45}" font-size="17" font-weight="bold" text-anchor="middle" '
            f'fill="{ink}">{_esc(french_number(count))}</text>',
            "</g>",
        ]

    # Legends: shades, then EPCI borders.
    y = top
    body.append(f'<text x="{legend_x}" y="{y + 12}" font-size="13" font-weight="bold" fill="{TEXT}">Valeur</text>')
    y += 24
    for fill, label in shades:
        body += [f'<rect x="{legend_x}" y="{y}" width="22" height="16" fill="{fill}" stroke="{MUTED}" '
                 f'stroke-width="0.5"/>',
                 f'<text x="{legend_x + 30}" y="{y + 13}" font-size="13" fill="{TEXT}">{_esc(label)}</text>']
        y += 24
    if epcis:
        y += 12
        body.append(f'<text x="{legend_x}" y="{y + 12}" font-size="13" font-weight="bold" fill="{TEXT}">'
                    f'Bordure : EPCI</text>')
        y += 24
        for epci in epcis:
            body += [f'<rect x="{legend_x + 1.5}" y="{y + 1.5}" width="19" height="13" fill="#ffffff" '
                     f'stroke="{borders[epci]}" stroke-width="3"/>',
                     f'<text x="{legend_x + 30}" y="{y + 13}" font-size="13" fill="{TEXT}">{_esc(epci)}</text>']
            y += 24
    height = max(top + grid_height, y) + 16

    ordered = sorted(communes, key=lambda c: (placed[c[0]][1], placed[c[0]][0]))
    desc = ("Carte schématique des communes, du nord au sud. "
            + " ; ".join(f"{name} ({epci}) : {french_number(counts[code])}" if epci else
                         f"{name} : {french_number(counts[code])}" for code, name, epci in ordered) + ".")
    return _svg("tiles", title, desc, width, height, body)

"""Labels as PDF (reportlab canvas): vector bars, standard fonts, compressed pages."""
from __future__ import annotations

import io
from functools import lru_cache

from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from labels.code128 import MM_PER_INCH, bars
from labels.data import LabelData
from labels.errors import LabelError
from labels.formats import LabelFormat
from labels.layout import Layout, layout

# Compressed streams are stored binary, not ASCII85-encoded: smaller files, and reportlab's
# pure-Python ASCII85 encoder is slow. Every reader handles binary streams.
rl_config.useA85 = 0


def _snap(value_mm: float, dpi: int) -> float:
    """To the printer's dot grid (the page's origin is on the grid)."""
    dot = MM_PER_INCH / dpi
    return round(value_mm / dot) * dot


@lru_cache(maxsize=4096)
def _fit_text(text: str, font: str, size_pt: float, width_pt: float) -> str:
    """The text, shortened with an ellipsis to fit (cached: label runs repeat their lines)."""
    if stringWidth(text, font, size_pt) <= width_pt:
        return text
    while text and stringWidth(text + "…", font, size_pt) > width_pt:
        text = text[:-1]
    return text + "…"


def _font_name(canvas: Canvas, font: str) -> str:
    """The page resource name of a standard font, registered on first use (as setFont does)."""
    return canvas._doc.getInternalFontName(font)


@lru_cache(maxsize=4096)
def _pdf_string(text: str) -> str:
    """A PDF literal string for the standard fonts, in their WinAnsi (cp1252) encoding, which
    covers French. Every byte outside printable ASCII is an octal escape: reportlab writes the
    page stream as UTF-8, which must not touch these bytes."""
    out = []
    for byte in text.encode("cp1252", errors="replace"):
        if byte in (0x28, 0x29, 0x5C) or not 0x20 <= byte < 0x7F:
            out.append(f"\\{byte:03o}")
        else:
            out.append(chr(byte))
    return "".join(out)


def _draw(canvas: Canvas, lay: Layout, left_mm: float, top_mm: float, page_h_mm: float) -> None:
    geometry = lay.geometry
    module = geometry.module_mm
    x0 = _snap(left_mm + lay.bars_x, geometry.dpi)
    y = (page_h_mm - top_mm - lay.bars_y - lay.bars_h) * mm
    height = lay.bars_h * mm
    # One filled path of rectangles, written directly: reportlab's general number formatting
    # would cost more than everything else on a page of labels.
    canvas.addLiteral("\n".join(
        f"{(x0 + start * module) * mm:.3f} {y:.3f} {count * module * mm:.3f} {height:.3f} re"
        for start, count in bars(lay.pattern)
    ) + "\nf")
    ops = []
    for text in lay.texts:
        font = "Helvetica-Bold" if text.bold else "Helvetica"
        size_pt = text.size * mm
        shown = _fit_text(text.text, font, size_pt, text.width * mm)
        x = (left_mm + text.x) * mm
        if text.centre:
            x -= stringWidth(shown, font, size_pt) / 2
        ops.append(f"BT {_font_name(canvas, font)} {size_pt:.2f} Tf {x:.2f} "
                   f"{(page_h_mm - top_mm - text.y) * mm:.2f} Td ({_pdf_string(shown)}) Tj ET")
    canvas.addLiteral("\n".join(ops))


def _draw_qr(canvas: Canvas, url: str, x_mm: float, y_top_mm: float, size_mm: float, page_h_mm: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    bx0, by0, bx1, by1 = widget.getBounds()
    side = size_mm * mm
    drawing = Drawing(side, side, transform=[side / (bx1 - bx0), 0, 0, side / (by1 - by0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x_mm * mm, (page_h_mm - y_top_mm - size_mm) * mm)


def render_pdf(labels: list[LabelData], fmt: LabelFormat, *, start: int = 1, offset_mm: tuple[float, float] = (0.0, 0.0),
               dpi: int | None = None, title: str = "Étiquettes") -> bytes:
    """PDF bytes of ``labels`` on ``fmt``. Sheets start at position ``start`` (1 = top left,
    row by row) so a partly used sheet can be finished; ``offset_mm`` (right, down) is the
    station's calibration. Rolls: one label per page, bars on the ``dpi`` dot grid (203 by
    default). Raises LabelError."""
    if not labels:
        raise LabelError("Sélection vide : choisissez au moins une étiquette à imprimer.", field="selection")
    if fmt.kind == "sheet" and not 1 <= start <= fmt.per_page:
        raise LabelError(f"Position de départ {start} hors de la planche : de 1 à {fmt.per_page} pour {fmt.title}.",
                         field="start")
    thermal_dpi = (dpi or 203) if fmt.kind == "roll" else None
    page_w, page_h = fmt.page_size
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(page_w * mm, page_h * mm), pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("Rekonekt")
    dx, dy = offset_mm
    position = start if fmt.kind == "sheet" else 1
    for index, label in enumerate(labels):
        if index and (fmt.kind == "roll" or position > fmt.per_page):
            canvas.showPage()
            position = 1
        lay = layout(label, fmt.width, fmt.height, thermal_dpi)
        left, top = fmt.cell_origin(position) if fmt.kind == "sheet" else (0.0, 0.0)
        _draw(canvas, lay, left + dx, top + dy, page_h)
        if lay.qr:
            x, y, size = lay.qr
            _draw_qr(canvas, label.url, left + dx + x, top + dy + y, size, page_h)
        position += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

"""Labels as ZPL II for Zebra thermal printers, at 203 or 300 dpi, from the same layout as the
PDF. Positions and sizes are in printer dots; bars use the same whole-dot module."""
from __future__ import annotations

from labels.code128 import MM_PER_INCH
from labels.data import LabelData
from labels.errors import LabelError
from labels.formats import LabelFormat
from labels.layout import layout

SUPPORTED_DPI = (203, 300)


def _field_data(text: str) -> str:
    """ZPL reserves ^ and ~ in field data: with ^FH (hex escapes, "_" as indicator) they are
    written as _5E and _7E, and "_" itself as _5F."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def render_zpl(labels: list[LabelData], fmt: LabelFormat, *, dpi: int = 203,
               offset_mm: tuple[float, float] = (0.0, 0.0)) -> str:
    """ZPL text, one ``^XA…^XZ`` block per label. Raises LabelError (sheets are for laser
    printers; empty selection; unsupported resolution; a code that cannot be printed)."""
    if not labels:
        raise LabelError("Sélection vide : choisissez au moins une étiquette à imprimer.", field="selection")
    if fmt.kind != "roll":
        raise LabelError("Le ZPL est pour les imprimantes thermiques : choisissez un format en rouleau.", field="format")
    if dpi not in SUPPORTED_DPI:
        raise LabelError("Résolution d'imprimante : 203 ou 300 dpi.", field="dpi")

    def dots(mm: float) -> int:
        return round(mm * dpi / MM_PER_INCH)

    dx, dy = offset_mm
    blocks = []
    for label in labels:
        lay = layout(label, fmt.width, fmt.height, dpi)
        parts = ["^XA", "^CI28", f"^PW{dots(fmt.width)}", f"^LL{dots(fmt.height)}", f"^LH{dots(dx)},{dots(dy)}"]
        for text in lay.texts:
            height = dots(text.size)
            top = dots(text.y - text.size * 0.8)
            block = dots(text.width)
            if text.centre:
                left = dots(text.x - text.width / 2)
                justify = "C"
            else:
                left, justify = dots(text.x), "L"
            font = "^A0N" if not text.bold else "^A0N"
            parts.append(f"^FO{max(left, 0)},{max(top, 0)}{font},{height},{height}"
                         f"^FB{block},1,0,{justify}^FH^FD{_field_data(text.text)}^FS")
        height = dots(lay.bars_h)
        parts.append(f"^FO{dots(lay.bars_x)},{dots(lay.bars_y)}^BY{lay.geometry.dots},2,{height}"
                     f"^BCN,{height},N,N,N,A^FH^FD{_field_data(label.code)}^FS")
        if lay.qr:
            x, y, size = lay.qr
            magnification = max(1, min(10, dots(size) // 33))  # a version-4 QR code is 33 modules wide
            parts.append(f"^FO{dots(x)},{dots(y)}^BQN,2,{magnification}^FDQA,{label.url}^FS")
        parts.append("^XZ")
        blocks.append("\n".join(parts))
    return "\n".join(blocks) + "\n"

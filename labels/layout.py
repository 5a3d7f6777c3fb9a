"""Where things go on one label, in mm from the label's top-left corner. Shared by the PDF and
ZPL renderers, so both print the same label."""
from __future__ import annotations

from dataclasses import dataclass, field

from labels.code128 import QUIET_MODULES, Geometry, fit, modules
from labels.data import LabelData


@dataclass
class TextLine:
    text: str
    x: float
    y: float          # baseline
    size: float       # font size, mm (height of the em square)
    bold: bool = False
    width: float = 0  # the room it has; the renderers shorten what does not fit
    centre: bool = False  # x is then the centre of the text


@dataclass
class Layout:
    pattern: str
    geometry: Geometry
    bars_x: float     # left of the first bar (quiet zone excluded), mm
    bars_y: float     # top of the bars
    bars_h: float
    texts: list[TextLine] = field(default_factory=list)
    qr: tuple[float, float, float] | None = None   # x, y (top-left), size


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def layout(label: LabelData, width: float, height: float, dpi: int | None) -> Layout:
    """Lay one label out. Raises LabelError when the code cannot be printed readably."""
    pad = _clamp(height * 0.06, 1.2, 3.0)
    qr_size = 0.0
    if label.url:
        qr_size = min(height - 2 * pad, width * 0.32)
    inner_w = width - 2 * pad - (qr_size + pad if qr_size else 0)
    pattern = modules(label.code)
    geometry = fit(len(pattern), inner_w, dpi, label.code)

    code_size = _clamp(height * 0.11, 2.0, 4.2)
    line_size = _clamp(height * 0.1, 2.1, 4.0)
    line_gap = line_size * 1.2
    texts: list[TextLine] = []
    bottom = height - pad

    if label.large_code:
        bars_h = _clamp(height * 0.38, 5.0, 30.0)
        big = _clamp(height - 2 * pad - bars_h - 1.5, 3.0, 14.0)
        texts.append(TextLine(label.code, pad, pad + big * 0.8, big, bold=True, width=inner_w))
        bars_y = pad + big + 1.5
        for line in label.lines:
            if bars_y + bars_h + line_gap <= bottom:
                texts.append(TextLine(line, pad, bottom - 0.3, line_size, width=inner_w))
                break
    else:
        bars_h = _clamp(height * 0.36, 5.0, 25.0)
        code_y = bottom - 0.2                         # human-readable code under the bars
        bars_y = code_y - code_size * 0.85 - 0.6 - bars_h
        code_line = TextLine(label.code, 0, code_y, code_size, width=inner_w, centre=True)
        texts.append(code_line)
        y = pad + line_size * 0.85
        content = ([(label.title, True)] if label.title else []) + [(line, False) for line in label.lines]
        for text, bold in content:
            if y > bars_y - 0.5:
                break  # a small label shows what fits, the code always
            texts.append(TextLine(text, pad, y, line_size, bold=bold, width=inner_w))
            y += line_gap

    bar_width = len(pattern) * geometry.module_mm
    quiet = QUIET_MODULES * geometry.module_mm
    bars_x = pad + max(quiet, (inner_w - bar_width) / 2)
    if not label.large_code:
        code_line.x = bars_x + bar_width / 2
    qr = (width - pad - qr_size, pad, qr_size) if qr_size else None
    return Layout(pattern, geometry, bars_x, bars_y, bars_h, texts, qr)

"""What every Rekonekt PDF shares: a canvas that keeps its pages until the end, so the footer of
each page can say "Page n / total"."""
from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

FOOTER_FONT = "Helvetica"
FOOTER_BASELINE = 10 * mm       # the baseline of the footer's last line and of the page number
FOOTER_GAP = 6 * mm             # at least this much between the footer text and the page number
FOOTER_MAX_LINES = 2
ELLIPSIS = "…"


def footer_lines(text: str, width: float, font_size: float, max_lines: int = FOOTER_MAX_LINES) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` points (in Helvetica at
    ``font_size``), at most ``max_lines``; what does not fit is cut at a word and ends with « … ».
    A single word wider than ``width`` is cut to fit."""
    def fits(line: str) -> bool:
        return stringWidth(line, FOOTER_FONT, font_size) <= width

    lines = simpleSplit(text, FOOTER_FONT, font_size, width) if text.strip() else []
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[:max_lines - 1] + [last]
        words = last.split(" ")
        while len(words) > 1 and not fits(" ".join(words) + " " + ELLIPSIS):
            words.pop()
        lines[-1] = " ".join(words) + " " + ELLIPSIS
    out = []
    for line in lines:
        while line and not fits(line):           # one word longer than the line
            line = line[:-2] + ELLIPSIS if len(line) > 1 else ""
        out.append(line)
    return out


class PagedFooterCanvas(Canvas):
    """A4 canvas writing ``footer`` on the left and "Page n / total" on the right of every page,
    in ``font_size`` pt, above an optional thin rule (``rule``).

    The footer never runs into the page number: it keeps to the width the number leaves (and a
    6 mm gap); a longer footer wraps onto a second line above the first (the page number stays on
    the last line), and the rule moves up above it. Past two lines it is cut at a word with « … »."""

    def __init__(self, *args, footer: str = "", margin: float = 18 * mm, font_size: float = 10,
                 rule: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer, self._margin, self._font_size, self._rule = footer, margin, font_size, rule
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        leading = self._font_size * 1.25
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(FOOTER_FONT, self._font_size)
            self.setFillColor(colors.black)
            page_number = f"Page {number} / {total}"
            # Room for the widest number this document will write, so every page wraps alike.
            widest = stringWidth(f"Page {total} / {total}", FOOTER_FONT, self._font_size)
            width = A4[0] - 2 * self._margin - widest - FOOTER_GAP
            lines = footer_lines(self._footer, width, self._font_size)
            if self._rule:
                above = FOOTER_BASELINE + max(len(lines) - 1, 0) * leading + 4 * mm
                self.setStrokeColor(colors.HexColor("#999999"))
                self.setLineWidth(0.5)
                self.line(self._margin, above, A4[0] - self._margin, above)
            for index, line in enumerate(lines):
                self.drawString(self._margin, FOOTER_BASELINE + (len(lines) - 1 - index) * leading, line)
            self.drawRightString(A4[0] - self._margin, FOOTER_BASELINE, page_number)
            super().showPage()
        super().save()

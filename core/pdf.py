"""What every Rekonekt PDF shares: a canvas that keeps its pages until the end, so the footer of
each page can say "Page n / total"."""
from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas


class PagedFooterCanvas(Canvas):
    """A4 canvas writing ``footer`` on the left and "Page n / total" on the right of every page,
    in ``font_size`` pt, above an optional thin rule (``rule``)."""

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
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont("Helvetica", self._font_size)
            self.setFillColor(colors.black)
            if self._rule:
                self.setStrokeColor(colors.HexColor("#999999"))
                self.setLineWidth(0.5)
                self.line(self._margin, 14 * mm, A4[0] - self._margin, 14 * mm)
            self.drawString(self._margin, 10 * mm, self._footer)
            self.drawRightString(A4[0] - self._margin, 10 * mm, f"Page {number} / {total}")
            super().showPage()
        super().save()

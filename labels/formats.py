"""Label stocks: thermal rolls (one label per page) and A4 sheets (exact Avery geometry)."""
from __future__ import annotations

from dataclasses import dataclass

from labels.errors import LabelError

A4 = (210.0, 297.0)


@dataclass(frozen=True)
class LabelFormat:
    id: str
    title: str                # French, for the UI
    kind: str                 # "roll" (thermal, one label per page) or "sheet" (A4, laser)
    width: float              # label size, mm
    height: float
    cols: int = 1
    rows: int = 1
    left: float = 0.0         # sheet: page margin to the first label, mm
    top: float = 0.0
    pitch_x: float = 0.0      # sheet: distance between the left edges of two columns, mm
    pitch_y: float = 0.0

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    @property
    def page_size(self) -> tuple[float, float]:
        return A4 if self.kind == "sheet" else (self.width, self.height)

    def cell_origin(self, position: int) -> tuple[float, float]:
        """Top-left corner (mm, from the page's top-left) of position 1…per_page, row by row."""
        index = position - 1
        row, col = divmod(index, self.cols)
        return self.left + col * self.pitch_x, self.top + row * self.pitch_y


FORMATS: dict[str, LabelFormat] = {f.id: f for f in [
    LabelFormat("roll-62x29", "Rouleau thermique 62 × 29 mm", "roll", 62, 29),
    LabelFormat("roll-57x32", "Rouleau thermique 57 × 32 mm", "roll", 57, 32),
    LabelFormat("roll-50x25", "Rouleau thermique 50 × 25 mm", "roll", 50, 25),
    LabelFormat("roll-102x152", "Rouleau thermique 102 × 152 mm (4 × 6 po)", "roll", 101.6, 152.4),
    # Avery's published geometry: label size, page margins and pitches.
    LabelFormat("avery-l7160", "Planche Avery L7160 (63,5 × 38,1 mm, 3 × 7)", "sheet", 63.5, 38.1,
                cols=3, rows=7, left=7.25, top=15.15, pitch_x=66.04, pitch_y=38.1),
    LabelFormat("avery-l7651", "Planche Avery L7651 (38,1 × 21,2 mm, 5 × 13)", "sheet", 38.1, 21.2,
                cols=5, rows=13, left=4.75, top=10.7, pitch_x=40.6, pitch_y=21.2),
    LabelFormat("avery-l7163", "Planche Avery L7163 (99,1 × 38,1 mm, 2 × 7)", "sheet", 99.1, 38.1,
                cols=2, rows=7, left=4.65, top=15.15, pitch_x=101.6, pitch_y=38.1),
]}


def get_format(format_id: str) -> LabelFormat:
    try:
        return FORMATS[format_id]
    except KeyError:
        raise LabelError(f"Format d'étiquette inconnu « {format_id} » : formats acceptés : {', '.join(FORMATS)}.",
                         field="format") from None

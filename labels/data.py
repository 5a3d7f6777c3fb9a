"""What goes on a label, independent of any format: the code, a title, lines of text, an
optional URL (drawn as a QR code) and whether the code is the main thing to read (bins)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LabelData:
    code: str                      # encoded in the Code 128 barcode and printed under it
    title: str | None = None       # first line, bold
    lines: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None         # a QR code, e.g. a certificate's verification address
    large_code: bool = False       # bins and shelves: the code itself, large

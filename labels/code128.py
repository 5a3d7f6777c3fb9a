"""Code 128 as modules, and the module width that fits a label and still scans.

python-barcode encodes (start code, data, check symbol, stop); we only draw. A thermal printer
can only print whole dots, so there the module is a whole number of dots: a 1.5-dot module that
looks fine on screen prints as 1 or 2 dots and may not scan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from barcode.codex import Code128

from labels.errors import LabelError

QUIET_MODULES = 10            # quiet zone on each side, in modules (ISO/IEC 15417: at least 10)
MIN_MODULE_MM = 0.19          # below this, common scanners misread (7.5 mil)
MAX_MODULE_MM = 0.5
LASER_DPI = 600               # sheets: align to a 600-dpi laser grid
MM_PER_INCH = 25.4


def modules(code: str) -> str:
    """The bar pattern: '1' for a dark module, '0' for a light one (no quiet zone)."""
    try:
        return Code128(code).build()[0]
    except Exception as exc:  # python-barcode refuses characters Code 128 cannot carry
        raise LabelError(f"Code « {code} » impossible à coder en Code 128 ({exc}).", field="code") from None


def bars(pattern: str) -> list[tuple[int, int]]:
    """Dark runs as (first module, width in modules): one rectangle per bar, not per module."""
    runs, start = [], None
    for index, module in enumerate(pattern + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


@dataclass(frozen=True)
class Geometry:
    module_mm: float
    dots: int | None          # per module, when printed on a thermal printer
    dpi: int

    def width_mm(self, module_count: int) -> float:
        return (module_count + 2 * QUIET_MODULES) * self.module_mm


def fit(module_count: int, available_mm: float, dpi: int | None, code: str) -> Geometry:
    """The widest module (capped) that fits ``available_mm`` with its quiet zones. Thermal
    (``dpi`` given): a whole number of printer dots. Raises LabelError when even the narrowest
    scannable module does not fit."""
    total = module_count + 2 * QUIET_MODULES
    grid = dpi or LASER_DPI
    dot = MM_PER_INCH / grid
    dots = int(available_mm / total / dot)
    dots = min(dots, max(1, int(MAX_MODULE_MM / dot)))
    module = dots * dot
    if module < MIN_MODULE_MM:
        needed = total * math.ceil(MIN_MODULE_MM / dot) * dot  # the narrowest whole-dot module that scans
        raise LabelError(
            f"Le code « {code} » ne tient pas sur cette étiquette de façon lisible : il faudrait "
            f"{needed:.0f} mm de large, l'étiquette en offre {available_mm:.0f}. Choisissez un format plus large.",
            field="format",
        )
    return Geometry(module, dots if dpi else None, grid)

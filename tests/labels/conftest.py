"""Rasterising PDFs and decoding barcodes with real tools (poppler's pdftoppm, zbar)."""
from __future__ import annotations

import itertools

import pytest

from tests.system_tools import rasterise as draw
from tests.system_tools import require_pdftoppm, zbar


@pytest.fixture
def rasterise(tmp_path):
    """``rasterise(pdf_bytes, dpi)`` → the pages as PIL images. Skips, saying why, without the
    system's poppler-utils or libzbar0; fails without the declared Python packages."""
    require_pdftoppm()
    zbar()
    counter = itertools.count()
    return lambda pdf, dpi: draw(pdf, tmp_path, dpi, name=f"labels-{next(counter)}", gray=True)


def decode(image):
    module = zbar()
    return module.decode(image, symbols=[module.ZBarSymbol.CODE128])

"""Rasterising PDFs and decoding barcodes with real tools (poppler's pdftoppm, zbar)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def rasterise(tmp_path):
    """``rasterise(pdf_bytes, dpi)`` → the pages as PIL images. Skips, saying why, without the
    system's poppler-utils or libzbar0."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm absent : installez le paquet Debian poppler-utils")
    try:
        import pyzbar.pyzbar  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"décodeur zbar indisponible ({exc}) : installez le paquet Debian libzbar0")
    from PIL import Image

    counter = iter(range(10**6))

    def run(pdf: bytes, dpi: int):
        n = next(counter)
        source = tmp_path / f"labels-{n}.pdf"
        source.write_bytes(pdf)
        prefix = tmp_path / f"page-{n}"
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(prefix)], check=True, timeout=120)
        return [Image.open(p) for p in sorted(Path(tmp_path).glob(f"page-{n}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))]

    return run


def decode(image):
    from pyzbar.pyzbar import ZBarSymbol
    from pyzbar.pyzbar import decode as zbar

    return zbar(image, symbols=[ZBarSymbol.CODE128])

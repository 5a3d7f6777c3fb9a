"""The system tools some tests need: poppler's ``pdftoppm``, the zbar library and Chromium.

A Python package the project declares in its ``test`` extra (pyzbar, Pillow, playwright) is
imported plainly: if it is missing, ``make test`` was not used and the test must fail, not skip.
Only a tool that comes from the system's packages may be absent, and then the test skips, naming
the Debian package that brings it (``.ci/run`` installs them).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import pyzbar  # noqa: F401  (declared: its absence is a failure)
from PIL import Image

ZBAR_MISSING = "Unable to find zbar shared library"   # pyzbar's own message (pyzbar/zbar_library.py)


def require_pdftoppm() -> str:
    path = shutil.which("pdftoppm")
    if path is None:
        pytest.skip("pdftoppm absent : installez le paquet Debian poppler-utils")
    return path


def zbar():
    """pyzbar's decoding module; skips only when the system library is what is missing."""
    try:
        from pyzbar import pyzbar as module
    except ImportError as exc:
        if ZBAR_MISSING not in str(exc):
            raise
        pytest.skip("bibliothèque zbar absente : installez le paquet Debian libzbar0")
    return module


def require_chromium() -> str | None:
    """The system's Chromium, or None (the browser tests then skip with that reason)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def rasterise(pdf: bytes, folder: Path, dpi: int, *, name: str = "doc", pages: int | None = None,
              gray: bool = False) -> list[Image.Image]:
    """The PDF's pages (all, or the first ``pages``) as images, drawn by pdftoppm."""
    tool = require_pdftoppm()
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    prefix = folder / f"{name}-page"
    command = [tool, "-r", str(dpi), "-png"] + (["-gray"] if gray else [])
    if pages:
        command += ["-f", "1", "-l", str(pages)]
    subprocess.run(command + [str(source), str(prefix)], check=True, timeout=120)
    files = sorted(folder.glob(f"{name}-page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [Image.open(p) for p in files]

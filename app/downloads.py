"""A file answered for download (PDF, CSV, XLSX), the same way on every page that offers one."""
from __future__ import annotations

from flask import Response

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, filename: str, mimetype: str) -> Response:
    """``content`` as an attachment named ``filename`` (ASCII names: the callers build them)."""
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

"""HTTP protections on every answer.

* ``Content-Security-Policy``: a page runs only the app's own scripts (its static files, and the
  inline scripts of its templates that carry the request's nonce, ``csp_nonce()``, which FAB's
  templates already ask for) and loads only its own stylesheets, images and fonts; it may not be
  framed, nor post a form elsewhere. Style *attributes* stay allowed (``style-src-attr``): FAB's
  templates and widgets use them to hide or size elements, and an attribute runs no code.
  A JSON answer gets ``default-src 'none'``; other files (PDF, CSV, calendar, static files) only
  ``frame-ancestors 'none'``, so that the browser's own viewers keep working.
* ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
* ``Cache-Control: no-store`` on every answer but static files (pages, API answers and documents
  carry personal data: no copy is kept by a browser or a proxy).
* ``Strict-Transport-Security`` when the app is served over https (``PUBLIC_BASE_URL``).
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

NONCE_BYTES = 16


def csp_nonce() -> str:
    """This request's nonce (the same for every script of the page)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    return nonce


def page_policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
FILE_POLICY = "frame-ancestors 'none'"


def is_static() -> bool:
    """A static file of the app or of FAB (cacheable: it holds no personal data)."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def protect(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "text/html":
        headers["Content-Security-Policy"] = page_policy(csp_nonce())
    elif response.is_json:
        headers["Content-Security-Policy"] = DATA_POLICY
    else:
        headers["Content-Security-Policy"] = FILE_POLICY
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if not is_static():
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Pragma", None)
    if str(current_app.config.get("PUBLIC_BASE_URL", "")).lower().startswith("https://"):
        headers["Strict-Transport-Security"] = f"max-age={int(current_app.config.get('HSTS_SECONDS', 31536000))}"
    return response


def register(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(protect)

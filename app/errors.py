"""Error answers: JSON with a French message under ``/api/``, FAB's pages elsewhere."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_MESSAGES = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé : votre rôle ne permet pas cette action.",
    404: "Ressource introuvable.",
    405: "Méthode HTTP non acceptée pour cette adresse.",
    413: "Corps de requête trop volumineux.",
    415: "Type de contenu non accepté.",
    422: "Données refusées.",
    429: "Trop de requêtes : réessayez dans un instant.",
    500: "Erreur interne : l'incident est journalisé, réessayez ou prévenez l'administrateur.",
}


def _is_api() -> bool:
    return request.path.startswith("/api/") or request.path == "/health"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = "Jeton CSRF manquant ou invalide : rechargez la page (ou utilisez un jeton d'API)."
        if _is_api():
            return jsonify(message=message), 400
        return message, 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _is_api():
            if exc.code in (403, 404):
                return render_template("rekonekt/error.html", code=exc.code, appbuilder=app.appbuilder,
                                       base_template=app.appbuilder.base_template), exc.code
            return exc
        code = exc.code or 500
        message = _MESSAGES.get(code, exc.description or "Erreur.")
        if code == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH") or 0
            message = f"Corps de requête trop volumineux : {limit // 1024} Kio au plus."
        return jsonify(message=message), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # Only the exception type and path are logged: bodies may hold personal data.
        log.exception("Unhandled error on %s %s (%s)", request.method, request.path, type(exc).__name__)
        from app.extensions import db

        db.session.rollback()
        if _is_api():
            return jsonify(message=_MESSAGES[500]), 500
        return "Erreur interne.", 500

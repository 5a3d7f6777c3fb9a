"""Error answers: JSON with a French message under ``/api/``, the app's French error page elsewhere (every 4xx and 5xx, the CSRF refusal included); and the
input no database can store, refused before any view runs (``refuse_unstorable_input``): a path
id beyond a database integer or holding a NUL character (404), a NUL character in a query or
form value, and under ``/api/`` a JSON body nested too deep (400) or holding a NUL character or a
lone surrogate (422, with the field's path); and Flask-AppBuilder's routes that lead nowhere here (``fab_dead_ends``, 404)."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.schemas import FORBIDDEN_TEXT, MAX_ID, forbidden_text, parse_id
from core.uploads import size_text

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


# Deeper than any body the API takes (a household's members are 3 levels down), far from the
# interpreter's recursion limit that a 100,000-level body used to hit.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON trop imbriqué : {MAX_JSON_DEPTH} niveaux au plus."


def _json_problem(data) -> tuple[str, str] | None:
    """("depth", "") when ``data`` is nested deeper than MAX_JSON_DEPTH, ("text", path) for the
    first key or string holding a NUL character or a lone surrogate; None when it can be stored.
    Iterative: a deep body must not exhaust the stack here either."""
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if forbidden_text(value):
                return "text", path or "_schema"
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return "depth", ""
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and forbidden_text(key):
                    return "text", name
                stack.append((item, name, depth + 1))
    return None


def _refused(status: int, message: str, field: str | None = None):
    if _is_api():
        body = {"message": message}
        if field is not None:
            body = {"message": f"Données refusées. {field} : {message}", "errors": {field: [message]}}
        return jsonify(body), status
    if status == 404:
        return render_template("rekonekt/error.html", code=404, appbuilder=current_app_builder(),
                               base_template=current_app_builder().base_template), 404
    return message, status


def current_app_builder():
    from flask import current_app

    return current_app.appbuilder


def refuse_unstorable_input():
    """Refuse what no database can store before any view (or FAB's own API) reads it, so that
    SQLite and PostgreSQL answer alike and neither answers 500."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_ID:
            return _refused(404, "Ressource introuvable.")
        if isinstance(value, str) and forbidden_text(value):
            return _refused(404, "Ressource introuvable.")
        if (name == "pk" or name.endswith("_id")) and isinstance(value, str) and value.strip().isdigit() \
                and parse_id(value) is None:
            return _refused(404, "Ressource introuvable.")   # digits no INTEGER holds (or "²")
    for source in (request.args,) + ((request.form,) if request.method not in ("GET", "HEAD") else ()):
        for key, values in source.lists():
            if forbidden_text(key) or any(forbidden_text(v) for v in values):
                return _refused(422 if _is_api() else 400, FORBIDDEN_TEXT, key if _is_api() else None)
    if _is_api() and request.is_json and request.content_length:
        try:
            data = request.get_json(silent=True)   # parsed once: the view reads the cached result
        except RecursionError:
            return _refused(400, TOO_DEEP)
        problem = _json_problem(data) if data is not None else None
        if problem is not None and problem[0] == "depth":
            return _refused(400, TOO_DEEP)
        if problem is not None:
            return _refused(422, FORBIDDEN_TEXT, problem[1])
    return None


def fab_dead_ends():
    """Flask-AppBuilder routes that lead nowhere here answer 404 instead of a 500:

    * ``/download/<filename>`` of every model view, for file columns: no model has one and no
      upload folder is configured (it was ``KeyError: UPLOAD_FOLDER``);
    * ``/action/<name>/<pk>`` and ``/action_post`` naming an action the view does not have
      (``None.func``, or ``KeyError`` on a missing ``action`` field);
    * the user statistics chart with a ``group_by`` that is not one of its charts (``int()``).
    """
    from flask import current_app
    from flask_appbuilder import ModelView
    from flask_appbuilder.charts.views import DirectByChartView

    view = current_app.view_functions.get(request.endpoint or "")
    method = getattr(view, "__func__", None)
    owner = getattr(view, "__self__", None)
    if method is ModelView.download and not current_app.config.get("UPLOAD_FOLDER"):
        return _refused(404, "Ressource introuvable.")
    if method in (ModelView.action, ModelView.action_post) and owner is not None:
        name = (request.view_args or {}).get("name") if method is ModelView.action else request.form.get("action")
        if name not in getattr(owner, "actions", {}):
            return _refused(404, "Ressource introuvable.")
    if method is DirectByChartView.chart and owner is not None:
        group_by = str((request.view_args or {}).get("group_by", "0"))
        if not (group_by.isascii() and group_by.isdigit() and int(group_by) < len(owner.definitions)):
            return _refused(404, "Ressource introuvable.")
    return None


def register_error_handlers(app: Flask) -> None:
    app.before_request(fab_dead_ends)
    app.before_request(refuse_unstorable_input)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = "Jeton CSRF manquant ou invalide : rechargez la page (ou utilisez un jeton d'API)."
        if _is_api():
            return jsonify(message=message), 400
        return _error_page(app, 400, message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _is_api():
            if exc.code is None or exc.code < 400:
                return exc   # redirects and the like
            return _error_page(app, exc.code)
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
        return _error_page(app, 500)


def refusal_page(code: int, message: str):
    """The app's French error page saying ``message``, as a response: a page refuses what it was
    asked with ``abort(refusal_page(400, "…"))``."""
    from flask import current_app, make_response

    return make_response(_error_page(current_app._get_current_object(), code, message))


def _error_page(app: Flask, code: int, message: str | None = None):
    """The app's French error page (Werkzeug's own pages are English). Some errors are raised
    before Flask-AppBuilder's before_request sets g.user (a 413 or a CSRF refusal while the form is
    read), which the page's menu needs. Should the page itself fail (the database is down), a
    short French text still answers."""
    g.setdefault("user", current_user)
    limit = app.config.get("MAX_CONTENT_LENGTH")
    try:
        return render_template("rekonekt/error.html", code=code, appbuilder=app.appbuilder,
                               base_template=app.appbuilder.base_template,
                               message=message or _MESSAGES.get(code, _MESSAGES[400] if code < 500 else _MESSAGES[500]),
                               limit=size_text(limit) if limit else None), code
    except Exception:
        log.exception("Error page failed for %s (%s)", request.path, code)
        return _MESSAGES.get(code, "Erreur."), code, {"Content-Type": "text/plain; charset=utf-8"}

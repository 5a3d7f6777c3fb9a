"""Base class of every Rekonekt API: French JSON errors, CSRF for browser sessions, and the
mapping from domain exceptions to status codes."""
from __future__ import annotations

import functools
import logging

from flask import current_app, jsonify, request
from flask_appbuilder.api import BaseApi
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_login import current_user

from app.api.menu import describe_menu_api
from app.bearer import authenticate_bearer
from app.extensions import csrf, db
from app.operator import operator_name, operator_role
from core.actor import actor_of
from core.errors import Conflict, Forbidden, NotFound, TransitionRefused, ValidationFailed

log = logging.getLogger(__name__)

# A path id: a whole number a database INTEGER holds (core.schemas.MAX_ID); anything else is 404.
ID = "int(min=1, max=2147483647)"

FORBIDDEN = "Accès refusé : votre rôle ne permet pas cette action."
UNAUTHORIZED = "Authentification requise : connectez-vous ou envoyez un jeton (Authorization: Bearer …)."


class BadBody(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class JsonApi(BaseApi):
    """Accepts a JWT (``Authorization: Bearer``) or the logged-in browser session.

    FAB can only exempt a whole blueprint from CSRF. We exempt it and check CSRF ourselves for
    state-changing requests that rely on the session cookie; a JWT request carries no cookie
    authority and needs no CSRF token.
    """

    allow_browser_login = True
    csrf_exempt = True
    base_permissions = ["can_read", "can_write"]

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        blueprint.before_request(authenticate_bearer)   # the access token, decoded once
        blueprint.before_request(self._csrf_for_browser_session)
        describe_menu_api()
        return blueprint

    @staticmethod
    def _csrf_for_browser_session():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if not current_user.is_authenticated:
            return None  # no session authority to abuse; authentication will answer 401
        if _valid_bearer():
            return None  # the token is the authority: a forged cross-site request cannot carry it
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # raises CSRFError, answered as JSON 400 by the app's handler
        return None

    # French bodies for FAB's own refusals.
    def response_401(self):
        return self.response(401, message=UNAUTHORIZED)

    def response_403(self):
        return self.response(403, message=FORBIDDEN)

    def response_404(self):
        return self.response(404, message="Ressource introuvable.")

    @staticmethod
    def answer(status: int, body: dict):
        """A JSON answer whose keys may include ``code`` (which ``response()`` cannot take)."""
        response = jsonify(body)
        response.status_code = status
        return response

    @staticmethod
    def json_body() -> dict:
        """The request's JSON object, or BadBody with a French message."""
        if not request.is_json:
            raise BadBody("Corps JSON attendu (en-tête Content-Type: application/json).")
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            raise BadBody("JSON trop imbriqué.") from None
        if data is None:
            raise BadBody("JSON mal formé : vérifiez la syntaxe du corps de la requête.")
        if not isinstance(data, dict):
            raise BadBody("Un objet JSON est attendu ({…}).")
        return data

    @staticmethod
    def current_user():
        """The authenticated user, from the session or the JWT."""
        return current_app.appbuilder.sm.current_user

    def current_user_id(self) -> int | None:
        user = self.current_user()
        return user.id if user is not None else None

    def current_user_role(self) -> str | None:
        return operator_role(self.current_user())

    def actor(self):
        """The authenticated user as the domains see them (``core.actor.Actor``)."""
        return actor_of(self.current_user())

    def current_user_name(self) -> str | None:
        return operator_name(self.current_user())


def _valid_bearer() -> bool:
    """Whether the request carries a valid access token (``Authorization: Bearer``). Any header
    at all is not enough: a session cookie with ``Bearer garbage``, or an expired or revoked
    token, still needs the CSRF token."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return False
    try:
        verify_jwt_in_request()
    except Exception:  # noqa: BLE001 - any invalid token (decode, expiry, revocation, lookup) counts as none
        return False
    return get_jwt_identity() is not None


def domain_endpoint(method):
    """Run an endpoint and turn domain errors into JSON answers with the right status."""

    @functools.wraps(method)
    def wrapper(self: JsonApi, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except BadBody as exc:
            return self.response(400, message=exc.message)
        except ValidationFailed as exc:
            db.session.rollback()
            return self.response(422, message=exc.message, errors=exc.errors)
        except NotFound as exc:
            db.session.rollback()
            return self.response(404, message=exc.message)
        except Forbidden as exc:
            db.session.rollback()
            return self.response(403, message=exc.message)
        except TransitionRefused as exc:
            db.session.rollback()
            return self.response(409, message=exc.message, allowed=exc.allowed)
        except Conflict as exc:
            db.session.rollback()
            body = {"message": exc.message, **exc.details}
            if getattr(exc, "errors", None):
                body["errors"] = exc.errors
            return self.response(409, **body)

    return wrapper

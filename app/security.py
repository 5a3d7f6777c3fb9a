"""Users, bound to an organisation and (for EPCI agents) to an EPCI, and the security manager.

Row scoping in later issues depends on these bindings. Permission checks use the in-memory
role definitions of ``app.roles`` (no permission rows in the database to drift).
"""
from __future__ import annotations

import re

from flask import jsonify
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.territory import Epci
from inventory.models import Organisation


class RekonektUser(User):
    __tablename__ = "ab_user"

    organisation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=True
    )
    epci_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("epci.id"), nullable=True)

    organisation: Mapped[Organisation | None] = relationship(Organisation)
    epci: Mapped[Epci | None] = relationship(Epci)


_BINDINGS = ["organisation", "epci"]


class RekonektUserDBModelView(UserDBModelView):
    add_columns = UserDBModelView.add_columns + _BINDINGS
    edit_columns = UserDBModelView.edit_columns + _BINDINGS
    list_columns = UserDBModelView.list_columns + _BINDINGS
    show_fieldsets = [
        (
            _l("User info"),
            {"fields": ["username", "active", "roles", "organisation", "epci", "login_count"]},
        ),
    ] + UserDBModelView.show_fieldsets[1:]
    label_columns = {
        **UserDBModelView.label_columns,
        "organisation": _l("Organisation"),
        "epci": _l("EPCI"),
    }
    description_columns = {
        **UserDBModelView.description_columns,
        "organisation": _l("The partner, referrer or workshop this account acts for."),
        "epci": _l("For EPCI agents: the EPCI whose households they handle."),
    }


class FrenchSecurityApi(SecurityApi):
    """FAB's login API (``POST /api/v1/security/login``), answering in French."""

    def response_400(self, message=None):
        if isinstance(message, dict):
            fields = ", ".join(sorted(message))
            text = f"Identifiants incomplets ou invalides ({fields}) : username, password et provider (« db ») sont attendus."
        else:
            text = "Corps JSON attendu : {\"username\", \"password\", \"provider\": \"db\"}."
        return self.response(400, message=text)

    def response_401(self):
        return self.response(401, message="Identifiant ou mot de passe incorrect, ou compte désactivé.")


class RekonektSecurityManager(SecurityManager):
    user_model = RekonektUser
    userdbmodelview = RekonektUserDBModelView
    security_api = FrenchSecurityApi

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        """Public grants come from the code-defined Public role: no database query per request."""
        grants = self.builtin_roles.get(self.auth_role_public, [])
        return any(
            re.match(view, view_name) and re.match(perm, permission_name) for view, perm in grants
        )

    def create_jwt_manager(self, app):
        """FAB's JWT manager, answering token problems in French with ``{"message": …}``."""
        jwt_manager = super().create_jwt_manager(app)

        def answer(message: str, status: int = 401):
            return jsonify(message=message), status

        jwt_manager.unauthorized_loader(
            lambda reason: answer("Authentification requise : connectez-vous ou envoyez un jeton (Authorization: Bearer …).")
        )
        jwt_manager.invalid_token_loader(lambda reason: answer("Jeton d'authentification invalide."))
        jwt_manager.expired_token_loader(
            lambda header, payload: answer("Jeton d'authentification expiré : reconnectez-vous.")
        )
        jwt_manager.revoked_token_loader(
            lambda header, payload: answer("Jeton d'authentification révoqué.")
        )
        jwt_manager.user_lookup_error_loader(
            lambda header, payload: answer("Compte introuvable ou désactivé.")
        )
        return jwt_manager

    def ensure_roles(self) -> None:
        """Create the role rows that users are attached to (their rights stay in code)."""
        for name in self.builtin_roles:
            if self.find_role(name) is None:
                self.add_role(name)

"""Users, bound to an organisation and (for EPCI agents) to an EPCI, and the security manager.

Row scoping in later issues depends on these bindings. Permission checks use the in-memory
role definitions of ``app.roles`` (no permission rows in the database to drift).

Every account has a token version (``ab_user.token_version``). It is written into each JWT (claim
``tv``) and into the browser session at sign-in, and checked on every request: changing the
password, disabling the account or signing out moves it on, which ends every token and session
issued before. Sign-ins go through the login guard (``app.login_guard``); passwords chosen
through the application follow the policy (``app.passwords``).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import click
from flask import current_app, has_request_context, jsonify, request, session
from flask_login import UserMixin, user_logged_in
from flask_appbuilder.const import AUTH_DB
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Role,
    User,
    assoc_group_role,
    assoc_user_group,
    assoc_user_role,
)
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, event, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from wtforms.validators import DataRequired

from app import auth_views
from app.auth_views import SESSION_TOKEN_VERSION, FrenchSecurityApi, password_field
from app.login_guard import LoginGuard, Refusal
from app.passwords import PasswordRefused, check_password
from app.views.listing import ListInterface, ListPages
from core.actor import PUBLIC
from core.territory import Epci
from core.organisations import Organisation

TOKEN_VERSION_CLAIM = "tv"
# FAB's commands whose password a person types (``flask fab …``): the policy applies to them.
_PASSWORD_COMMANDS = {"create-admin", "create-user", "reset-password"}


class RekonektUser(User):
    __tablename__ = "ab_user"

    organisation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisation.id"), nullable=True
    )
    epci_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("epci.id"), nullable=True)

    # Moves on at each password change, disabling and sign-out: older tokens and sessions end.
    token_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    organisation: Mapped[Organisation | None] = relationship(Organisation)
    epci: Mapped[Epci | None] = relationship(Epci)


@event.listens_for(RekonektUser, "before_update")
def _revoke_on_password_change_or_disable(mapper, connection, user: RekonektUser) -> None:
    """Whatever the path (FAB's forms, admin edit, command line, services), a new password or a
    disabled account ends the tokens and sessions issued before."""
    state = inspect(user)
    new_password = state.attrs.password.history.has_changes()
    disabled = state.attrs.active.history.has_changes() and not user.active
    if new_password or disabled:
        user.token_version = (user.token_version or 0) + 1


@event.listens_for(RekonektUser, "after_update")
def _forget_cached_principal(mapper, connection, user: RekonektUser) -> None:
    """Any account edit (FAB's admin page saves without ``update_user``) applies at once in this
    process; other processes see it within ``PRINCIPAL_CACHE_SECONDS``."""
    if current_app:
        manager = getattr(getattr(current_app, "appbuilder", None), "sm", None)
        if isinstance(manager, RekonektSecurityManager):
            manager.forget_principal(user.id)


_BINDINGS = ["organisation", "epci"]
# Groups are not used: a role is given to each account (roles are defined in code, app/roles.py).
_NO_GROUPS = "groups"
# The menu category of the users, the roles page and the reference data (Admin only).
ADMINISTRATION = "Administration"


def _without_groups(columns: list[str]) -> list[str]:
    return [c for c in columns if c != _NO_GROUPS]


class RekonektUserDBModelView(ListPages, UserDBModelView):
    # The new account's password follows the policy (the form's user name is the account's).
    add_form_extra_fields = {**UserDBModelView.add_form_extra_fields, "password": password_field()}
    add_columns = _without_groups(UserDBModelView.add_columns) + _BINDINGS
    edit_columns = _without_groups(UserDBModelView.edit_columns) + _BINDINGS
    list_columns = _without_groups(UserDBModelView.list_columns) + _BINDINGS
    search_columns = _without_groups(UserDBModelView.search_columns) + _BINDINGS
    # FAB's validator asks for a role *or a group* and fails without a groups field.
    validators_columns = {"roles": [DataRequired(message=_l("Choose a role."))]}
    # Public is the anonymous visitor's role: no account is given it.
    add_form_query_rel_fields = {"roles": [["name", FilterNotEqual, PUBLIC]]}
    edit_form_query_rel_fields = add_form_query_rel_fields
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


@dataclass(frozen=True)
class RoleRef:
    id: int
    name: str


@dataclass
class Principal(UserMixin):
    """Who is signed in: what Flask-Login and the permission checks need, no ORM object.

    Its ``roles`` already include those given through groups (``groups`` is therefore empty).
    """

    id: int
    username: str
    first_name: str | None
    last_name: str | None
    email: str | None
    active: bool
    organisation_id: int | None
    epci_id: int | None
    token_version: int = 0
    roles: list[RoleRef] = field(default_factory=list)
    groups: list = field(default_factory=list)

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_full_name(self) -> str:
        return f"{self.first_name or ''} {self.last_name or ''}".strip() or self.username

    def __str__(self) -> str:
        return self.get_full_name()


class RekonektSecurityManager(SecurityManager):
    user_model = RekonektUser
    userdbmodelview = RekonektUserDBModelView
    security_api = FrenchSecurityApi
    authdbview = auth_views.AuthDBView
    resetmypasswordview = auth_views.ResetMyPasswordView
    resetpasswordview = auth_views.ResetPasswordView

    def __init__(self, appbuilder) -> None:
        self._principals: dict[int, tuple[float, Principal | None]] = {}
        super().__init__(appbuilder)
        from app.extensions import db

        self.login_guard = LoginGuard.from_config(current_app.config, lambda: db.engine)

    # --- the security pages ------------------------------------------------------------------

    def register_views(self) -> None:
        """FAB's security pages that apply here, and only those (FAB's ``register_views`` adds
        them all, unconditionally for roles and groups):

        * the accounts (« Utilisateurs ») in the Administration menu, the own-profile, own-password
          and password-reset forms, the sign-in page and the security API (sign-in, refresh);
        * not the user statistics chart: it loads Google's chart library from the internet;
        * not the role, group, permission and view/menu tables: roles are defined in code
          (``app.roles``, ``FAB_ROLES``) and checked in memory, so these tables are empty or show
          raw patterns. The read-only « Rôles » page (``app.views.roles``) shows what each role
          may do instead, and accounts get no groups;
        * no self-registration (``AUTH_USER_REGISTRATION`` is off).

        Only database sign-in (``AUTH_DB``) is wired, as configured."""
        if not current_app.config.get("FAB_ADD_SECURITY_VIEWS", True):
            return
        if self.auth_type != AUTH_DB or self.auth_user_registration:
            raise RuntimeError("Rekonekt signs in from its own database only (AUTH_TYPE = AUTH_DB, "
                               "AUTH_USER_REGISTRATION = False).")
        appbuilder = self.appbuilder
        # The accounts list reads a page from its nearer end, roles and bindings with it.
        self.userdbmodelview.datamodel = ListInterface(self.user_model)
        appbuilder.add_api(self.security_api)
        appbuilder.add_view_no_menu(self.userinfoeditview())
        appbuilder.add_view_no_menu(self.resetpasswordview())
        appbuilder.add_view_no_menu(self.resetmypasswordview())
        self.auth_view = self.authdbview()
        appbuilder.add_view_no_menu(self.auth_view)
        if self.is_auth_limited:
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(self.auth_view.blueprint)
        self.user_view = appbuilder.add_view(
            self.userdbmodelview, "List Users", icon="fa-user", label=_l("List Users"),
            category=ADMINISTRATION, category_label=_l("Administration"), category_icon="fa-cogs",
        )

    # --- sign-in: the login guard ---------------------------------------------------------

    def account_key(self, identifier: str | None) -> str | None:
        """What the guard counts for a sign-in as ``identifier``: the account, whether it is
        named by user name or email; an unknown name is counted as itself."""
        if not identifier or not identifier.strip():
            return None
        user = self.find_user(username=identifier) or self.find_user(email=identifier)
        return f"user:{user.id}" if user is not None else f"name:{identifier.strip().lower()}"

    @staticmethod
    def _address() -> str | None:
        return request.remote_addr if has_request_context() else None

    def login_refusal(self, identifier: str | None) -> Refusal | None:
        """The lockout that refuses a sign-in as ``identifier`` from this request's address."""
        return self.login_guard.refusal(self.account_key(identifier), self._address())

    def auth_user_db(self, username, password):
        """FAB's check of the password, refused outright during a lockout; failures counted."""
        account, address = self.account_key(username), self._address()
        if self.login_guard.refusal(account, address) is not None:
            return None
        user = super().auth_user_db(username, password)
        if user is None:
            if account is not None:
                self.login_guard.failed(account, address)
        else:
            self.login_guard.succeeded(account)
        return user

    # --- passwords: the policy -------------------------------------------------------------

    @staticmethod
    def _apply_policy(password: str, username: str | None) -> None:
        try:
            check_password(password, username)
        except PasswordRefused as refused:
            if click.get_current_context(silent=True) is not None:
                raise click.ClickException(str(refused)) from None
            raise

    def add_user(self, username, first_name, last_name, email, role=None, password="", hashed_password="",
                 groups=None, commit=True):
        """FAB's, with the policy for a password typed at ``flask fab create-admin`` or
        ``create-user`` (the admin form has its own validator; the demo loader and the tests'
        fixtures choose their own)."""
        context = click.get_current_context(silent=True)
        if password and context is not None and context.info_name in _PASSWORD_COMMANDS:
            self._apply_policy(password, username)
        return super().add_user(username, first_name, last_name, email, role, password=password,
                                hashed_password=hashed_password, groups=groups, commit=commit)

    def reset_password(self, userid, password):
        """A new password, always under the policy; the account's other sessions and tokens end
        (the before-update event moves its token version on), the current session goes on."""
        user = self.get_user_by_id(userid)
        self._apply_policy(password, user.username if user is not None else None)
        super().reset_password(userid, password)
        if user is not None:
            self.forget_principal(user.id)
            self._restamp_session(user)

    # --- tokens and sessions: the token version ------------------------------------------

    def revoke_tokens(self, user) -> None:
        """End every token and browser session of ``user`` (an ORM user)."""
        user.token_version = (user.token_version or 0) + 1
        self.update_user(user)

    def on_user_logout(self, user) -> None:
        self.revoke_tokens(user)

    @staticmethod
    def _restamp_session(user) -> None:
        """After one's own password change, this browser's session goes on with the new version."""
        if has_request_context() and session.get("_user_id") == str(user.id):
            session[SESSION_TOKEN_VERSION] = user.token_version

    def _read_token_version(self, user_id) -> int | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        return self.session.execute(
            select(self.user_model.token_version).where(self.user_model.id == pk)
        ).scalar_one_or_none()

    def current_principal(self, user_id, presented) -> Principal | None:
        """The signed-in user of a token or session of ``user_id`` that carries the token version
        ``presented``, or None when the account is disabled or gone or the version has moved on.
        A refusal is confirmed past the principal cache (``PRINCIPAL_CACHE_SECONDS``); a
        revocation made by another process takes effect within that delay."""
        principal = self.load_user(user_id)
        if principal is not None and principal.token_version == presented:
            return principal
        try:
            self.forget_principal(int(user_id))
        except (TypeError, ValueError):
            return None
        principal = self.load_user(user_id)
        return principal if principal is not None and principal.token_version == presented else None

    def create_login_manager(self, app):
        """Flask-Login, loading a session's user only while the session carries the account's
        current token version (stamped at sign-in)."""
        login_manager = super().create_login_manager(app)
        login_manager.user_loader(self.load_session_user)
        # FAB passes current_app (a proxy): the signal's sender is the application itself.
        user_logged_in.connect(_stamp_session, current_app._get_current_object())
        return login_manager

    def load_session_user(self, pk):
        return self.current_principal(pk, session.get(SESSION_TOKEN_VERSION))

    def update_user(self, user):
        """Account edits (admin pages, own info) apply at once in this process."""
        self.forget_principal(user.id)
        return super().update_user(user)

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
        # Each token carries the account's token version; one issued before the last password
        # change, disabling or sign-out is revoked (refresh tokens included).
        jwt_manager.additional_claims_loader(
            lambda identity: {TOKEN_VERSION_CLAIM: self._read_token_version(identity)}
        )
        jwt_manager.token_in_blocklist_loader(
            lambda header, payload: self.current_principal(payload.get("sub"), payload.get(TOKEN_VERSION_CLAIM)) is None
        )
        return jwt_manager

    def load_user(self, pk):
        """The signed-in user of a request (session or JWT): a ``Principal``, read with two
        column queries instead of an ORM user with its roles and groups, and kept for
        ``PRINCIPAL_CACHE_SECONDS`` (5 s by default) in this process, since a scanning
        technician sends several requests a second. A disabled account or a changed role
        therefore takes effect within that delay.

        Forms that edit the account itself still load the ORM user (``get_user_by_id``)."""
        try:
            user_id = int(pk)
        except (TypeError, ValueError):
            return None
        ttl = current_app.config.get("PRINCIPAL_CACHE_SECONDS", 5)
        now = time.monotonic()
        cached = self._principals.get(user_id)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        principal = self._read_principal(user_id)
        if ttl > 0:
            self._principals[user_id] = (now, principal)
        return principal

    def forget_principal(self, user_id: int) -> None:
        self._principals.pop(user_id, None)

    def _read_principal(self, user_id: int):
        model = self.user_model
        row = self.session.execute(
            select(model.id, model.username, model.first_name, model.last_name, model.email,
                   model.active, model.organisation_id, model.epci_id, model.token_version)
            .where(model.id == user_id)
        ).one_or_none()
        if row is None or not row.active:
            return None
        roles = self.session.execute(
            select(Role.id, Role.name).join(assoc_user_role, assoc_user_role.c.role_id == Role.id)
            .where(assoc_user_role.c.user_id == user_id)
            .union(
                select(Role.id, Role.name)
                .join(assoc_group_role, assoc_group_role.c.role_id == Role.id)
                .join(assoc_user_group, assoc_user_group.c.group_id == assoc_group_role.c.group_id)
                .where(assoc_user_group.c.user_id == user_id)
            )
        ).all()
        return Principal(
            id=row.id, username=row.username, first_name=row.first_name, last_name=row.last_name,
            email=row.email, active=row.active, organisation_id=row.organisation_id, epci_id=row.epci_id,
            token_version=row.token_version, roles=[RoleRef(r.id, r.name) for r in roles],
        )

    def ensure_roles(self) -> None:
        """Create the role rows that users are attached to (their rights stay in code)."""
        for name in self.builtin_roles:
            if self.find_role(name) is None:
                self.add_role(name)


def _stamp_session(app, user, **extra) -> None:
    """At sign-in (Flask-Login's ``user_logged_in``), the session keeps the account's version."""
    session[SESSION_TOKEN_VERSION] = getattr(user, "token_version", 0) or 0

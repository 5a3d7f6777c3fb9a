"""Flask-AppBuilder's sign-in, sign-out and password pages, and its security API, with the
login guard (``app.login_guard``), the password policy (``app.passwords``) and the token
version (``RekonektSecurityManager.revoke_tokens``).

The classes keep FAB's names, so that their endpoints and permission names (``app/roles.py``)
stay the same; the security manager installs them.
"""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, session
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.views import expose
from flask_jwt_extended import get_jwt_identity, jwt_required
from flask_login import logout_user
from wtforms import PasswordField
from wtforms.validators import DataRequired

from app.passwords import PasswordPolicy

SESSION_TOKEN_VERSION = "_tv"
POLICY_HELP = ("12 caractères au moins, sans l'identifiant du compte ni mot de passe courant : "
               "une phrase de plusieurs mots convient.")
LOGOUT_BY_POST = "Pour vous déconnecter, utilisez « Se déconnecter » dans le menu de votre compte."


def password_field(username_of=None) -> PasswordField:
    """FAB's password field (its label, translated by FAB), validated by the policy."""
    label = ResetPasswordForm.password.args[0]
    return PasswordField(label, description=POLICY_HELP,
                         validators=[DataRequired(), PasswordPolicy(username_of)], widget=BS3PasswordFieldWidget())


def _own_username(form) -> str | None:
    return getattr(g.user, "username", None)


def _target_user():
    pk = request.args.get("pk", type=int)
    return current_app.appbuilder.sm.get_user_by_id(pk) if pk is not None else None


def _target_username(form) -> str | None:
    user = _target_user()
    return user.username if user is not None else None


class OwnPasswordForm(ResetPasswordForm):
    password = password_field(_own_username)


class AccountPasswordForm(ResetPasswordForm):
    password = password_field(_target_username)


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    """A user changes their own password (policy applied; their other sessions and tokens end)."""

    form = OwnPasswordForm


class ResetPasswordView(fab_views.ResetPasswordView):
    """An administrator sets another account's password (policy applied; that account's
    sessions and tokens end)."""

    form = AccountPasswordForm

    def form_post(self, form) -> None:
        if _target_user() is None:
            abort(404)
        super().form_post(form)


class AuthDBView(fab_views.AuthDBView):
    """Sign-in refused during a lockout (French flash); sign-out by POST only (with the CSRF
    token of the menu's form): a link, an image or a prefetch cannot sign anyone out."""

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        signed_in = g.user is not None and g.user.is_authenticated
        if request.method == "POST" and not signed_in:
            refusal = self.appbuilder.sm.login_refusal(request.form.get("username"))
            if refusal is not None:
                flash(refusal.message, "danger")
                next_url = get_safe_redirect(request.args.get("next", ""))
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
        return super().login()

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        if request.method != "POST":
            if g.user is not None and g.user.is_authenticated:
                flash(LOGOUT_BY_POST, "info")
            return redirect(self.appbuilder.get_url_for_index)
        user = self._get_authenticated_user()
        logout_user()
        session.pop(SESSION_TOKEN_VERSION, None)
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL", self.appbuilder.get_url_for_index))


class FrenchSecurityApi(SecurityApi):
    """FAB's login API (``POST /api/v1/security/login``), answering in French, refusing with 429
    during a lockout; ``POST /api/v1/security/logout`` revokes the account's tokens."""

    def response_400(self, message=None):
        if isinstance(message, dict):
            fields = ", ".join(sorted(message))
            text = f"Identifiants incomplets ou invalides ({fields}) : username, password et provider (« db ») sont attendus."
        else:
            text = "Corps JSON attendu : {\"username\", \"password\", \"provider\": \"db\"}."
        return self.response(400, message=text)

    def response_401(self):
        return self.response(401, message="Identifiant ou mot de passe incorrect, ou compte désactivé.")

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Sign in: an access token (15 minutes) and, with ``"refresh": true``, a refresh token
        ---
        post:
          description: >-
            Authenticate and get a JWT access token (15 minutes) and optionally a refresh token
            (8 hours). After 5 failures on an account, or 20 from an address, within 15 minutes,
            sign-ins are refused for 15 minutes (429).
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username:
                      type: string
                    password:
                      type: string
                    provider:
                      type: string
                      enum:
                      - db
                    refresh:
                      type: boolean
          responses:
            200:
              description: Authentication Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
                      refresh_token:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            429:
              description: Too many failed sign-ins; the Retry-After header gives the wait in seconds
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
        """
        body = request.get_json(silent=True) if request.is_json else None
        username = body.get("username") if isinstance(body, dict) else None
        refusal = self.appbuilder.sm.login_refusal(username if isinstance(username, str) else None)
        if refusal is not None:
            answer = self.response(429, message=refusal.message)
            answer.headers["Retry-After"] = str(refusal.retry_after)
            return answer
        return super().login()

    @expose("/logout", methods=["POST"])
    @jwt_required()
    @safe
    def logout(self):
        """Sign out: every token and browser session of the account ends
        ---
        post:
          description: >-
            Revoke every access and refresh token, and every browser session, of the signed-in
            account.
          responses:
            200:
              description: Signed out
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """
        sm = self.appbuilder.sm
        user = sm.get_user_by_id(int(get_jwt_identity()))
        if user is not None:
            sm.on_user_logout(user)
        return self.response(200, message="Déconnexion faite : les jetons et sessions de ce compte sont révoqués.")

"""The « Jetons de poste » page (Admin): the stations' long-lived tokens — list, create (the secret
shown once), revoke. The rules are in ``app.station_tokens``."""
from __future__ import annotations

from flask import flash, g, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from app.extensions import db
from app.station_tokens import create_token, revoke_token, tokens
from app.views.errors import domain_errors, field_errors
from core.errors import DomainError

ID = "int(min=1, max=2147483647)"


class StationTokenView(BaseView):
    route_base = "/station-tokens"
    class_permission_name = "Station tokens"
    base_permissions = ["can_read", "can_write"]
    default_view = "list_tokens"

    def _render(self, *, created=None, errors=None, name: str = ""):
        page = self.render_template("rekonekt/station_tokens.html", title=_("Station tokens"),
                                    tokens=tokens(db.session), created=created, errors=errors or {}, name=name)
        answer = make_response(page)
        # The page may hold a secret shown once: no cache keeps it.
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @expose("/")
    @has_access
    @permission_name("read")
    def list_tokens(self):
        return self._render()

    def _create_refused(self, exc: DomainError):
        return self._render(errors=field_errors(exc) or {"name": [exc.message]}, name=request.form.get("name", ""))

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_create_refused", render_flash=False, status=422)
    def create(self):
        created = create_token(db.session, request.form.get("name", ""), created_by_id=g.user.id)
        return self._render(created=created)

    @expose(f"/<{ID}:token_id>/revoke", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view, token_id: url_for("StationTokenView.list_tokens"))
    def revoke(self, token_id: int):
        if request.form.get("confirm") != "1":
            flash(_("Tick the box to confirm the revocation."), "danger")
            return redirect(url_for("StationTokenView.list_tokens"))
        token = revoke_token(db.session, token_id)
        flash(_("Station token « %(name)s » revoked: this station's requests are now refused.", name=token.name),
              "success")
        return redirect(url_for("StationTokenView.list_tokens"))

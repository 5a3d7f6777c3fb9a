"""Admin page of the solidarity price grids: the versions loaded, what each says, which are locked
by an invoice, and the upload of a new version (the same service as ``flask distribution load-grid``)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.views.errors import domain_errors
from core.errors import ValidationFailed
from distribution.services.grids import grids_with_usage, load_grid, read_grid_file


class PriceGridView(BaseView):
    route_base = "/distribution/price-grids"
    class_permission_name = "Price grids"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        return self.render_template("distribution/price_grids.html", title=_l("Solidarity price grids"),
                                    grids=grids_with_usage(db.session))

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view: url_for("PriceGridView.list"))
    def upload(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed({"file": [_("A JSON price-grid file is expected.")]})
        row, outcome = load_grid(db.session, read_grid_file(upload.read()), user_id=g.user.id)
        said = {"added": _("Grid %(id)s added.", id=row.id),
                "replaced": _("Grid %(id)s replaced (no invoice used it).", id=row.id),
                "unchanged": _("Grid %(id)s unchanged.", id=row.id)}
        flash(said[outcome], "success")
        return redirect(url_for("PriceGridView.list"))

"""The review queue of imported drives that could not be matched to one medium."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.operator import current_operator
from app.views.errors import domain_errors
from app.views.forms import text
from core.errors import ValidationFailed
from inventory.services.common import device_by_tag
from core.paging import page_number
from inventory.queries import imported_drive_page
from inventory.services.erasure_import import assign_imported_drive, dismiss_imported_drive


def _queue(view, *args, **kwargs) -> str:
    return url_for("ErasureQueueView.queue")


class ErasureQueueView(BaseView):
    route_base = "/erasures"
    class_permission_name = "Erasures"
    base_permissions = ["can_read", "can_write"]
    default_view = "queue"

    @expose("/queue")
    @has_access
    @permission_name("read")
    def queue(self):
        return self._render(choose=None)

    def _render(self, choose):
        page = imported_drive_page(db.session, page_number(request.args.get("page")))
        return self.render_template("inventory/erasure_queue.html", title=_l("Erasure review queue"),
                                    page=page, drives=page.rows, choose=choose)

    @expose("/queue/<int:drive_id>/assign", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_queue)
    def assign(self, drive_id: int):
        tag = text(request.form, "asset_tag") or ""
        medium = request.form.get("medium", "")
        _, name, role = current_operator()
        if not tag:
            raise ValidationFailed({"asset_tag": ["Numéro d'inventaire de l'appareil attendu."]})
        device = device_by_tag(db.session, tag)
        if not medium.isdigit():
            if len(device.media) != 1:
                # Several media: ask which one, on the same page.
                return self._render(choose={"drive": drive_id, "device": device})
            medium = str(device.media[0].id)
        assign_imported_drive(db.session, drive_id, asset_tag=tag, medium_id=int(medium), user_id=g.user.id,
                              operator_name=name, operator_role=role, note=text(request.form, "note"))
        flash(f"Effacement rattaché à l'appareil {device.asset_tag}.", "success")
        return redirect(_queue(self))

    @expose("/queue/<int:drive_id>/dismiss", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_queue)
    def dismiss(self, drive_id: int):
        dismiss_imported_drive(db.session, drive_id, note=request.form.get("note", ""), user_id=g.user.id)
        flash("Disque écarté de la file.", "success")
        return redirect(_queue(self))

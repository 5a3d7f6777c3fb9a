"""The « Unités mobiles » page (Admin), issue 20: the points of sale on the road with their invoice
series (the last number and count of each year), the tour that has one out, the retired ones with
their closed series; a form to add a unit, and for each active unit forms to rename it and to
retire it (a reason and a confirmation). Thin: ``distribution.services.mobile_units`` decides and
writes; a refused form comes back with its message beside the field and what was typed, and a
refusal due to the unit's state (retired, out on a tour) is a French flash above the list."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.views.errors import domain_errors, field_errors
from core.actor import actor_of
from core.errors import DomainError, NotFound, ValidationFailed
from distribution.services.mobile_units import create_unit, rename_unit, retire_unit, units_overview
from distribution.tour.units import NAME_CHARS, REASON_CHARS, series_prefix

ID = "int(min=1, max=2147483647)"
TITLE = _l("Mobile units")
CREATE = "create"


def _list(view, *args, **kwargs) -> str:
    return url_for("MobileUnitView.list")


def _messages(exc: DomainError) -> dict[str, list[str]]:
    """The messages of a refusal by field; one that names no field goes above the form (« _ »)."""
    return field_errors(exc) or {"_": [exc.message]}


class MobileUnitView(BaseView):
    route_base = "/mobile-units"
    class_permission_name = "MobileUnits"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    def _page(self, *, form: str | None = None, unit_id: int | None = None, errors: dict | None = None):
        """The page; after a refusal, ``form`` (« create », « rename » or « retire ») and ``unit_id``
        say which form comes back with ``errors`` and what was typed."""
        return self.render_template(
            "distribution/mobile_units.html", title=TITLE, units=units_overview(db.session),
            name_chars=NAME_CHARS, reason_chars=REASON_CHARS, refused=form, refused_unit=unit_id,
            errors=errors or {}, values=request.form if errors else {})

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        return self._page()

    def _create_refused(self, exc: DomainError):
        return self._page(form=CREATE, errors=_messages(exc))

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_create_refused", render_on=(ValidationFailed,), render_flash=False, redirect_to=_list)
    def create(self):
        unit = create_unit(db.session, actor_of(g.user), name=request.form.get("name", ""))
        flash(_("Mobile unit %(code)s « %(name)s » added: its invoices are numbered %(prefix)s-YYYY-NNNNN.",
                code=unit.code, name=unit.name, prefix=series_prefix(unit.code)), "success")
        return redirect(url_for("MobileUnitView.list"))

    def _rename_refused(self, exc: DomainError, unit_id: int):
        return self._page(form="rename", unit_id=unit_id, errors=_messages(exc))

    @expose(f"/<{ID}:unit_id>/rename", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_rename_refused", render_on=(ValidationFailed,), render_flash=False, redirect_to=_list,
                   abort_on=(NotFound,))
    def rename(self, unit_id: int):
        unit = rename_unit(db.session, actor_of(g.user), unit_id, name=request.form.get("name", ""))
        flash(_("Mobile unit %(code)s is now named « %(name)s ».", code=unit.code, name=unit.name), "success")
        return redirect(url_for("MobileUnitView.list"))

    def _retire_refused(self, exc: DomainError, unit_id: int):
        return self._page(form="retire", unit_id=unit_id, errors=_messages(exc))

    @expose(f"/<{ID}:unit_id>/retire", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_retire_refused", render_on=(ValidationFailed,), render_flash=False, redirect_to=_list,
                   abort_on=(NotFound,))
    def retire(self, unit_id: int):
        if request.form.get("confirm") != "1":
            raise ValidationFailed({"confirm": [_("Tick the box to confirm that the unit is retired for good.")]})
        unit = retire_unit(db.session, actor_of(g.user), unit_id, reason=request.form.get("reason", ""))
        flash(_("Mobile unit %(code)s retired: its code will never be given again.", code=unit.code), "success")
        return redirect(url_for("MobileUnitView.list"))

"""The office's « Tournées » pages (issue 20; Technicien and Admin, resource « Tour office »): the
tours with what each sent back and what is still to settle, and a tour's page — its stops and
loaded devices as downloaded, its invoices, every record received in order, a form to settle each
record in conflict or refused (« Appliquer » / « Classer », with a note), and for Admin the
declaration of a lost or reset device (docs/mobile-tour-design.md § 1.5).

Thin: ``distribution.services.tour_office`` reads, ``tour_sync.resolve`` settles and
``tour_lost.declare_lost`` declares; their French refusals are flashed above the page."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from app.extensions import db
from app.views.errors import domain_errors, field_errors
from core.actor import actor_of
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.paging import page_number
from distribution.services.tour_lost import declare_lost
from distribution.services.tour_office import tour_page, tour_sheet
from distribution.services.tour_sync import resolve
from distribution.tour.rules import ActionOutcome, TourStatus
from distribution.tour.units import REASON_CHARS

ID = "int(min=1, max=2147483647)"
KEY = "string(minlength=36, maxlength=36)"
NOTE_CHARS = 500          # distribution.tour.schemas.ResolveIn.note
OPEN = (ActionOutcome.CONFLICT.value, ActionOutcome.REFUSED.value)


def _tour_url(view, tour_id: int, *args, **kwargs) -> str:
    return url_for("TourOfficeView.show", tour_id=tour_id)


class TourOfficeView(BaseView):
    route_base = "/distribution/tours"
    class_permission_name = "Tour office"
    # « declare_lost »: Admin alone (no role's grant names it but Admin's « .* »), design § 1.5.
    base_permissions = ["can_read", "can_write", "can_declare_lost"]
    default_view = "list"

    def _actor(self):
        return actor_of(g.user)

    @expose("/")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(Forbidden,))
    def list(self):
        open_only = request.args.get("open") == "1"
        page = tour_page(db.session, self._actor(), open_only=open_only,
                         number=page_number(request.args.get("page")))
        return self.render_template("distribution/tours.html", title=_("Tours"), page=page, rows=page.rows,
                                    open_only=open_only)

    def _page(self, tour_id: int, *, errors: dict | None = None):
        actor = self._actor()
        try:
            sheet = tour_sheet(db.session, actor, tour_id)
        except NotFound:
            abort(404)
        except Forbidden:
            abort(403)
        return self.render_template(
            "distribution/tour_show.html", title=_("Tour %(reference)s", reference=sheet.tour.reference),
            sheet=sheet, tour=sheet.tour, is_admin=actor.is_admin, open_outcomes=OPEN,
            may_declare_lost=self.appbuilder.sm.has_access("can_declare_lost", self.class_permission_name),
            refused=ActionOutcome.REFUSED.value, out=sheet.tour.status == TourStatus.OUT.value,
            note_chars=NOTE_CHARS, reason_chars=REASON_CHARS, errors=errors or {},
            values=request.form if errors else {})

    @expose(f"/<{ID}:tour_id>")
    @has_access
    @permission_name("read")
    def show(self, tour_id: int):
        return self._page(tour_id)

    @expose(f"/<{ID}:tour_id>/actions/<{KEY}:action_key>/resolve", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound,), redirect_to=_tour_url)
    def resolve(self, tour_id: int, action_key: str):
        note = (request.form.get("note") or "").strip() or None
        action = resolve(db.session, self._actor(), tour_id, action_key,
                         {"decision": request.form.get("decision", ""), "note": note})
        if action.outcome == ActionOutcome.RESOLVED.value:
            flash(_("Record no. %(seq)s applied: it is now « %(outcome)s ».", seq=action.seq,
                    outcome=action.outcome_label), "success")
        else:
            flash(_("Record no. %(seq)s filed without effect: it is now « %(outcome)s ».", seq=action.seq,
                    outcome=action.outcome_label), "success")
        return redirect(url_for("TourOfficeView.show", tour_id=tour_id, _anchor=f"record-{action.seq}"))

    def _lost_refused(self, exc: DomainError, tour_id: int):
        return self._page(tour_id, errors=field_errors(exc) or {"_": [exc.message]})

    @expose(f"/<{ID}:tour_id>/lost", methods=["POST"])
    @has_access
    @permission_name("declare_lost")
    @domain_errors(render="_lost_refused", render_on=(ValidationFailed,), render_flash=False,
                   abort_on=(NotFound, Forbidden), redirect_to=_tour_url)
    def lost(self, tour_id: int):
        if request.form.get("confirm") != "1":
            raise ValidationFailed({"confirm": [
                _("Tick the box to confirm that the device is lost or reset: its series is closed for good.")]})
        lost = declare_lost(db.session, self._actor(), tour_id, reason=request.form.get("reason", ""))
        if lost.unit is not None:
            flash(_("Device of tour %(reference)s declared lost or reset: unit %(old)s is retired and its series "
                    "closed; the van carries on as unit %(new)s « %(name)s », numbering %(prefix)s-YYYY-NNNNN.",
                    reference=lost.tour.reference, old=lost.retired.code, new=lost.unit.code, name=lost.unit.name,
                    prefix=f"F-{lost.unit.code}"), "success")
        else:
            flash(_("Device of tour %(reference)s declared lost or reset.", reference=lost.tour.reference),
                  "success")
        return redirect(url_for("TourOfficeView.show", tour_id=tour_id))


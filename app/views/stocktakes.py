"""« Inventaires » (Technicien, Admin), issue 19: the stocktakes, newest first, with the form that
opens one; a stocktake's page (its locations and their counts, close or reopen each, the result
and the lists behind each figure, who counted, what applying did); the confirmation step before
applying it, which says what will be written; cancelling with a reason; the result as PDF, CSV
and XLSX. Counting itself is the scan station's « Inventaire » mode (``app/static/js/scan.js``).

Thin: the services (``inventory.services.stocktakes``, ``stocktake_apply``) write, the read model
(``reporting.stocktakes``, ``inventory.stocktake.queries``) reads; a refusal is a French flash."""
from __future__ import annotations

import re

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.downloads import CSV, PDF, XLSX, download
from app.views.dashboard import rate
from app.views.errors import domain_errors, field_errors
from app.views.scan import STOCKTAKE_MODE
from app.views.forms import text
from core.errors import Conflict, NotFound, ValidationFailed
from core.paging import page_number
from inventory.services.stocktake_apply import apply_stocktake
from inventory.services.stocktakes import cancel_stocktake, close_location, open_stocktake, reopen_location
from inventory.stocktake.queries import accuracies, apply_preview, site_choices
from inventory.stocktake.rules import StocktakeStatus
from reporting.stocktakes import stocktake_page, stocktake_result

ID = "int(min=1, max=2147483647)"
LOCATION = "string(maxlength=40)"
TITLE = _l("Stocktakes")
# Codes typed or scanned into the locations field: one a line (a scanner ends each with Enter),
# or separated by spaces, commas or semicolons.
SEPARATORS = re.compile(r"[\s,;]+")


def _stocktake_page(view, stocktake_id: int, *args, **kwargs) -> str:
    return url_for("StocktakeView.show", stocktake_id=stocktake_id)


def _locations(form) -> list[str] | None:
    codes = [code for code in SEPARATORS.split(form.get("locations", "")) if code]
    return codes or None


class StocktakeView(BaseView):
    route_base = "/stocktakes"
    class_permission_name = "Stocktakes"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    # --- the list and the opening form ---------------------------------------------------------
    def _list(self, *, errors: dict | None = None, values=None):
        page = stocktake_page(db.session, number=page_number(request.args.get("page")))
        applied = [s.id for s in page.rows if s.status == StocktakeStatus.APPLIED.value]
        return self.render_template(
            "inventory/stocktakes.html", title=TITLE, page=page, rows=page.rows,
            accuracy={i: a.rate for i, a in accuracies(db.session, applied).items()}, rate=rate,
            sites=site_choices(db.session), errors=errors or {}, values=values or {})

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        return self._list()

    def _open_refused(self, exc, *args):
        return self._list(errors=field_errors(exc), values=request.form)

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_open_refused", render_on=(ValidationFailed, Conflict))
    def open(self):
        stocktake = open_stocktake(db.session, site=text(request.form, "site"), locations=_locations(request.form),
                                   blind=request.form.get("blind") == "1", note=text(request.form, "note"),
                                   user_id=g.user.id)
        places = len(stocktake.locations)
        flash(_("Stocktake %(reference)s opened: %(count)s location(s) to count. At the scan station, choose "
                "« Stocktake », then scan each location and everything in it.",
                reference=stocktake.reference, count=places), "success")
        return redirect(url_for("StocktakeView.show", stocktake_id=stocktake.id))

    # --- one stocktake -----------------------------------------------------------------------
    def _show(self, stocktake_id: int, *, errors: dict | None = None):
        result = stocktake_result(db.session, stocktake_id)
        return self.render_template(
            "inventory/stocktake_show.html", title=_("Stocktake %(reference)s", reference=result.reference),
            result=result, is_open=result.status_value == StocktakeStatus.OPEN.value, rate=rate,
            station_url=url_for("ScanView.station", mode=STOCKTAKE_MODE),
            errors=errors or {}, values=request.form if errors else {})

    @expose(f"/<{ID}:stocktake_id>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound,))
    def show(self, stocktake_id: int):
        return self._show(stocktake_id)

    @expose(f"/<{ID}:stocktake_id>/locations/<{LOCATION}:code>/close", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_stocktake_page, abort_on=(NotFound,))
    def close(self, stocktake_id: int, code: str):
        place = close_location(db.session, stocktake_id, code, user_id=g.user.id)
        flash(_("%(code)s closed: what was not counted there is missing from it.", code=place.location.code),
              "success")
        return redirect(_stocktake_page(self, stocktake_id))

    @expose(f"/<{ID}:stocktake_id>/locations/<{LOCATION}:code>/reopen", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_stocktake_page, abort_on=(NotFound,))
    def reopen(self, stocktake_id: int, code: str):
        place = reopen_location(db.session, stocktake_id, code, user_id=g.user.id)
        flash(_("%(code)s reopened: scan it at the station to count it further; what was counted stays.",
                code=place.location.code), "success")
        return redirect(_stocktake_page(self, stocktake_id))

    # --- applying: the confirmation step, then the write ----------------------------------------
    @expose(f"/<{ID}:stocktake_id>/apply")
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound,))
    def confirm_apply(self, stocktake_id: int):
        preview = apply_preview(db.session, stocktake_id)
        if preview.status != StocktakeStatus.OPEN.value:
            flash(_("Stocktake %(reference)s is %(status)s: there is nothing to apply.",
                    reference=preview.reference, status=preview.status_label.lower()), "info")
            return redirect(_stocktake_page(self, stocktake_id))
        return self.render_template("inventory/stocktake_apply.html",
                                    title=_("Apply stocktake %(reference)s", reference=preview.reference),
                                    preview=preview)

    @expose(f"/<{ID}:stocktake_id>/apply", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_stocktake_page, abort_on=(NotFound,))
    def apply(self, stocktake_id: int):
        report = apply_stocktake(db.session, stocktake_id, user_id=g.user.id)
        if report.already_applied:
            flash(_("Stocktake %(reference)s was already applied: nothing changed.", reference=report.reference),
                  "info")
        else:
            flash(_("Stocktake %(reference)s applied: %(moves)s move(s), %(missing)s device(s) marked missing, "
                    "%(parts)s spare-part correction(s), %(found)s device(s) found again, %(conflicts)s conflict(s) "
                    "left as they are.", reference=report.reference, moves=report.moves, missing=report.missing,
                    parts=report.parts, found=report.found_again, conflicts=len(report.conflicts)),
                  "warning" if report.conflicts else "success")
        return redirect(_stocktake_page(self, stocktake_id))

    # --- cancelling ----------------------------------------------------------------------------
    def _cancel_refused(self, exc, stocktake_id: int):
        return self._show(stocktake_id, errors=field_errors(exc) or {"reason": [exc.message]})

    @expose(f"/<{ID}:stocktake_id>/cancel", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_stocktake_page, render="_cancel_refused", render_on=(ValidationFailed,),
                   abort_on=(NotFound,))
    def cancel(self, stocktake_id: int):
        stocktake = cancel_stocktake(db.session, stocktake_id, reason=request.form.get("reason"), user_id=g.user.id)
        flash(_("Stocktake %(reference)s cancelled: nothing of it is applied, and its locations are free.",
                reference=stocktake.reference), "success")
        return redirect(_stocktake_page(self, stocktake_id))

    # --- downloads -----------------------------------------------------------------------------
    @expose(f"/<{ID}:stocktake_id>/result.<any(pdf, csv, xlsx):fmt>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound,))
    def download(self, stocktake_id: int, fmt: str):
        result = stocktake_result(db.session, stocktake_id)
        name = f"inventaire-{result.reference}.{fmt}"
        if fmt == "pdf":
            from reporting.stocktake_pdf import render_stocktake

            return download(render_stocktake(result), name, PDF)
        from reporting.stocktake_exports import stocktake_csv, stocktake_xlsx

        if fmt == "csv":
            return download(stocktake_csv(result), name, CSV)
        return download(stocktake_xlsx(result), name, XLSX)

"""Batch check of a file of households (agents), rule sets and the income audit log (Admin)."""
from __future__ import annotations

import base64
import binascii

from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.views.errors import domain_errors
from core.errors import DomainError, ValidationFailed
from core.actor import actor_of
from core.uploads import BATCH_LIMITS, UploadLimits, limits_from_config
from eligibility.audit_display import describe_changes
from core.paging import page_number
from eligibility.models import Decision, RuleSet
from eligibility.queries import audit_page
from eligibility.services.batch import COLUMNS, check_table, import_table, read_table, result_file, template_csv
from eligibility.services.rulesets import load_rule_set, read_rule_file

SHOWN_ROWS = 200


def _limits() -> UploadLimits:
    """The batch file's limits (``core.uploads``), as the config may override them."""
    return limits_from_config(current_app.config, BATCH_LIMITS, "BATCH")


def _upload() -> tuple[bytes, str]:
    """The file just uploaded, or the one carried by the result page (base64, never stored)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.read(), upload.filename
    try:
        return base64.b64decode(request.form.get("content", ""), validate=True), request.form.get("filename", "")
    except (binascii.Error, ValueError):
        raise ValidationFailed({"file": ["Fichier attendu (CSV ou XLSX)."]}) from None


class BatchCheckView(BaseView):
    route_base = "/eligibility/batch"
    class_permission_name = "Batch check"
    base_permissions = ["can_read", "can_write"]
    default_view = "page"

    def _page(self, **context):
        return self.render_template("eligibility/batch.html", title=_l("Batch check"), columns=COLUMNS,
                                    shown=SHOWN_ROWS, **context)

    def _file_refused(self, exc: DomainError):
        return self._page(result=None, error=exc.message)

    @expose("/")
    @has_access
    @permission_name("read")
    def page(self):
        return self._page(result=None)

    @expose("/template.csv")
    @has_access
    @permission_name("read")
    def template(self):
        return Response(template_csv().encode("utf-8-sig"), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="modele-foyers.csv"'})

    @expose("/check", methods=["POST"])
    @has_access
    @permission_name("read")
    @domain_errors(render="_file_refused", render_flash=False, status=422)
    def check(self):
        """Decide every row; nothing is stored. ``download`` returns the results as a file."""
        content, filename = _upload()
        if not content:
            raise ValidationFailed({"file": ["Fichier attendu (CSV ou XLSX)."]})
        result = check_table(db.session, actor_of(g.user), read_table(content, filename, _limits()))
        fmt = request.form.get("download")
        if fmt in ("csv", "xlsx"):
            body, mimetype = result_file(result, fmt)
            return Response(body, mimetype=mimetype,
                            headers={"Content-Disposition": f'attachment; filename="resultats-foyers.{fmt}"'})
        return self._page(result=result, rows=result.frame.head(SHOWN_ROWS).to_dict("records"),
                          content=base64.b64encode(content).decode("ascii"), filename=filename)

    @expose("/import", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_file_refused", render_flash=False, status=422)
    def confirm(self):
        """The agent confirmed: the rows without error become households, in one transaction."""
        content, filename = _upload()
        references, skipped, warnings = import_table(db.session, actor_of(g.user), read_table(content, filename, _limits()))
        flash(f"{len(references)} foyer(s) importé(s) ; {skipped} ligne(s) en erreur non importée(s).", "success")
        for warning in warnings[:20]:
            flash(warning, "warning")
        return redirect(url_for("HouseholdView.list"))


class RuleSetView(BaseView):
    route_base = "/eligibility/rule-sets"
    class_permission_name = "Rule sets"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        used = dict(db.session.execute(select(Decision.rule_set_id, func.count()).group_by(Decision.rule_set_id)).all())
        rows = db.session.execute(select(RuleSet).order_by(RuleSet.effective_from.desc())).scalars().all()
        return self.render_template("eligibility/rule_sets.html", title=_l("Eligibility rule sets"),
                                    rule_sets=rows, used=used)

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view: url_for("RuleSetView.list"))
    def upload(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed({"file": ["Fichier JSON du jeu de règles attendu."]})
        row, outcome = load_rule_set(db.session, read_rule_file(upload.read()), user_id=g.user.id)
        said = {"added": "ajouté", "replaced": "remplacé (aucune décision ne l'utilisait)", "unchanged": "inchangé"}
        flash(f"Jeu de règles {row.id} {said[outcome]}.", "success")
        return redirect(url_for("RuleSetView.list"))


class AuditLogView(BaseView):
    route_base = "/eligibility/audit"
    class_permission_name = "Audit log"
    base_permissions = ["can_read"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        reference = (request.args.get("reference") or "").strip().upper()
        page = audit_page(db.session, reference=reference or None, number=page_number(request.args.get("page")))
        return self.render_template("eligibility/audit.html", title=_l("Income audit log"), page=page,
                                    entries=[(e, describe_changes(e.changes)) for e in page.rows], reference=reference)

"""The dashboard (``/dashboard``): indicators, stock, flows, households, workshops, internet
access, environment and money, as SVG charts with their tables; CSV and XLSX exports; the
half-year impact report; a donor's own report and certificates. Every figure is scoped by role
(``reporting.filters.scoped``): Admin everything, Agent EPCI their EPCI, Partenaire their own
organisation's donations."""
from __future__ import annotations

from flask import Response, abort, current_app, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from app.downloads import CSV, PDF, XLSX, download
from app.extensions import db
from app.views.errors import domain_errors
from core.clock import local_today
from core.errors import DomainError, Forbidden, ValidationFailed
from core.actor import actor_of
from core.vocabulary import Category
from reporting.dashboard import dashboard
from reporting.donor import certificate_for_donor, donor_name, donor_tables
from reporting.exports import to_csv, to_xlsx
from core.actor import PARTENAIRE
from reporting.filters import Filters, may_have_donor_documents, may_have_impact_report, scoped
from reporting.impact import current_half, donor_report_data, impact_data, recent_halves
from reporting.presentation import communes_of, svg_for
from reporting.queries import donor_choices, epci_choices, filters_from_args, scope_label
from reporting.stocktakes import last_stocktakes
from reporting.vocabulary import Kind, figure_text


def _is_partner(actor) -> bool:
    return PARTENAIRE in actor.roles and not actor.is_admin


def _filters():
    """(actor, scoped filters) from the query string; 403 / 422 pages on refusal."""
    actor = actor_of(g.user)
    try:
        return actor, scoped(filters_from_args(db.session, request.args), actor)
    except Forbidden:
        abort(403)
    except ValidationFailed as exc:
        abort(Response(exc.message, status=422, mimetype="text/plain"))


def _sections(actor, filters: Filters):
    figures, sections = dashboard(db.session, filters)
    if filters.donor_id is not None:
        donor = ("Vos dons" if _is_partner(actor) else f"Dons de {donor_name(db.session, filters.donor_id)}",
                 donor_tables(db.session, filters))
        keep = {"Indicateurs", "Flux"} if _is_partner(actor) else None
        sections = [donor] + [s for s in sections if keep is None or s[0] in keep]
    return figures, sections


class DashboardView(BaseView):
    route_base = "/dashboard"
    class_permission_name = "Dashboard"
    base_permissions = ["can_read"]
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("read")
    def index(self):
        actor, filters = _filters()
        figures, sections = _sections(actor, filters)
        communes = communes_of(db.session)
        rendered = [(title, [(table, svg_for(table, communes)) for table in tables]) for title, tables in sections]
        epcis = epci_choices(db.session)
        donors = donor_choices(db.session) if actor.is_admin else []
        query = request.query_string.decode()
        return self.render_template(
            "reporting/dashboard.html", title=_l("Dashboard"), sections=rendered, filters=filters,
            scope=scope_label(db.session, filters), epcis=epcis, donors=donors, categories=Category.choices(),
            is_admin=actor.is_admin, is_partner=_is_partner(actor), query=query,
            periods=recent_halves(local_today()), current_period=current_half(local_today()),
            # Each site's last applied stocktake: places and counts, no personal data, so every
            # role that sees the dashboard sees them all, whatever its scope.
            stocktakes=last_stocktakes(db.session), rate=rate)

    @expose("/export/<key>.<fmt>")
    @has_access
    @permission_name("read")
    def export(self, key: str, fmt: str):
        actor, filters = _filters()
        _figures, sections = _sections(actor, filters)
        tables = [t for _title, group in sections for t in group]
        stamp = f"{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
        if key == "all" and fmt == "xlsx":
            return download(to_xlsx(tables), f"tableau-de-bord-{stamp}.xlsx", XLSX)
        table = next((t for t in tables if t.key == key), None)
        if table is None or fmt not in ("csv", "xlsx"):
            abort(404)
        if fmt == "csv":
            return download(to_csv(table), f"{key}-{stamp}.csv", CSV)
        return download(to_xlsx([table]), f"{key}-{stamp}.xlsx", XLSX)

    def _impact_refused(self, exc: DomainError) -> Response:
        return Response(exc.message, mimetype="text/plain")

    @expose("/impact.pdf")
    @has_access
    @permission_name("read")
    @domain_errors(render="_impact_refused", render_flash=False, status=422)
    def impact(self):
        actor, filters = _filters()
        if not may_have_impact_report(actor):
            abort(403)
        from reporting.impact_pdf import render_impact_report

        period = request.args.get("period") or current_half(local_today())
        data = impact_data(db.session, period, filters, programme_name=current_app.config["PROGRAMME_NAME"],
                           scope=scope_label(db.session, filters))
        return download(render_impact_report(data), f"rapport-impact-{data['period']}.pdf", PDF)

    @expose("/donor-report.pdf")
    @has_access
    @permission_name("read")
    @domain_errors(render="_impact_refused", render_flash=False, status=422)
    def donor_report(self):
        actor, filters = _filters()
        if not may_have_donor_documents(actor):
            abort(403)
        from reporting.donor_pdf import render_donor_report

        period = f"du {filters.start:%d/%m/%Y} au {filters.end:%d/%m/%Y}"
        data = donor_report_data(db.session, filters, programme_name=current_app.config["PROGRAMME_NAME"],
                                 period_label=period)
        return download(render_donor_report(data), "ce-que-sont-devenus-vos-dons.pdf", PDF)

    @expose("/certificates/<number>.pdf")
    @has_access
    @permission_name("read")
    def certificate(self, number: str):
        actor, filters = _filters()
        if not may_have_donor_documents(actor):
            abort(403)
        # Admin may name any certificate; a Partenaire's filters always hold their organisation.
        certificate = certificate_for_donor(db.session, filters.donor_id, number)
        if certificate is None:
            abort(404)
        return download(certificate.pdf, f"{certificate.number}.pdf", PDF)


def rate(value) -> str:
    """A rate (a fraction) as a page shows it: « 85 % », « — » for none."""
    return figure_text(value, Kind.RATE)


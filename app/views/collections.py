"""Collection pages: list, opening a collection, its sheet (declared vs registered), CSV import."""
from __future__ import annotations

import base64

from flask import Response, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, Optional

from app.api.certificates import issue_collection_certificate
from app.certificates import pdf_response
from app.extensions import db
from app.operator import current_operator
from app.templating import french_date
from app.views.errors import domain_errors, field_errors
from app.views.forms import decimal_text, drop_none, integer, text
from app.views.listing import ListInterface, ListPages
from app.views.service_forms import ServiceForms
from core.clock import local_today
from core.uploads import DEVICE_IMPORT_LIMITS, REPORT_LIMITS, limits_from_config
from core.errors import DomainError, NotFound
from inventory import queries
from inventory.models import Collection
from core.schemas import load
from inventory.schemas import CollectionEditIn, CollectionIn
from inventory.services.certificates import issued_collection_certificate
from inventory.services.collections import create_collection, update_collection
from inventory.sanitisation import covering_record, is_safe, medium_state
from inventory.services.csv_import import import_devices_csv, problems_csv, template_csv
from inventory.services.erasure_import import import_erasure_report
from core.vocabulary import OrganisationKind


class CollectionView(ListPages, ServiceForms, ModelView):
    datamodel = ListInterface(Collection)
    route_base = "/collections"
    class_permission_name = "Collections"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_import"]

    list_title = _l("Collections")
    show_title = _l("Collection")
    add_title = _l("New collection")
    edit_title = _l("Edit collection")

    list_columns = ["reference", "donor", "collected_on", "site", "declared_count", "registered_count"]
    search_columns = ["reference", "donor", "collected_on", "site"]
    order_columns = ["reference", "collected_on", "declared_count"]
    edit_columns = ["declared_count", "weight_kg", "notes"]
    # The add form is our own (see add()); FAB still builds one, from these columns.
    add_columns = ["donor", "collected_on", "site", "declared_count", "weight_kg", "notes"]
    show_columns = ["reference", "donor", "collected_on", "site", "declared_count", "registered_count",
                    "weight_kg", "notes"]
    base_order = ("id", "desc")
    label_columns = {
        "reference": _l("Reference"),
        "donor": _l("Donor"),
        "collected_on": _l("Collected on"),
        "site": _l("Site"),
        "declared_count": _l("Declared devices"),
        "registered_count": _l("Registered devices"),
        "weight_kg": _l("Gross weight (kg)"),
        "notes": _l("Notes"),
    }
    formatters_columns = {"collected_on": french_date}
    validators_columns = {
        "declared_count": [NumberRange(min=0, message="Nombre positif ou nul attendu.")],
        "weight_kg": [Optional(), NumberRange(min=0, message="Poids positif ou nul attendu.")],
    }

    def update_with(self, session, item: Collection, data: dict) -> None:
        update_collection(session, item.id, load(CollectionEditIn(), data))

    def _render_add(self, values: dict, errors: dict):
        return self.render_template(
            "inventory/collection_add.html", title=self.add_title, values=values, errors=errors,
            donor_choices=[(o.id, o.name) for o in queries.organisations(db.session, OrganisationKind.DONOR.value)],
            site_choices=[(s.id, s.name) for s in queries.sites(db.session)],
        )

    def _add_refused(self, exc: DomainError):
        return self._render_add(request.form.to_dict(), field_errors(exc))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @domain_errors(render="_add_refused", status=422)
    def add(self):
        if request.method == "GET":
            return self._render_add({"collected_on": local_today().isoformat(), "declared_count": "0"}, {})
        form = request.form
        data = load(CollectionIn(), drop_none({
            "donor": integer(form, "donor"),
            "collected_on": text(form, "collected_on"),
            "site": integer(form, "site"),
            "declared_count": integer(form, "declared_count"),
            "weight_kg": decimal_text(form, "weight_kg"),
            "notes": text(form, "notes"),
        }))
        collection = create_collection(db.session, **data, user_id=g.user.id)
        flash(f"Collecte {collection.reference} ouverte. Enregistrez ses appareils.", "success")
        return redirect(url_for("CollectionView.show", pk=collection.id))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        collection = db.session.get(Collection, int(pk)) if str(pk).isdigit() else None
        if collection is None:
            flash("Collecte introuvable.", "danger")
            return redirect(url_for("CollectionView.list"))
        return self._render_show(collection)

    def _render_show(self, collection: Collection, problems=None, report_href=None, erasure_import=None):
        registered = collection.registered_count
        media = queries.collection_media(db.session, collection.id)
        states = {m.id: medium_state(m) for m in media}
        return self.render_template(
            "inventory/collection_show.html", title=collection.reference, collection=collection,
            registered=registered, problems=problems, report_href=report_href, media=media, states=states,
            records={m.id: covering_record(m) for m in media}, erasure_import=erasure_import,
            safe_count=sum(1 for m in media if is_safe(m)),
        )

    def _report_refused(self, exc: DomainError, pk: int):
        return self._render_show(db.session.get(Collection, pk))

    @expose("/<int:pk>/erasure-import", methods=["POST"])
    @has_access
    @permission_name("import")
    @domain_errors(render="_report_refused", status=422)
    def erasure_import(self, pk: int):
        """A wiping report dropped on the collection page."""
        collection = db.session.get(Collection, pk)
        if collection is None:
            flash("Collecte introuvable.", "danger")
            return redirect(url_for("CollectionView.list"))
        upload = request.files.get("report")
        if upload is None or not upload.filename:
            flash("Rapport : déposez ou choisissez un journal nwipe ou un rapport JSON/CSV.", "danger")
            return redirect(url_for("CollectionView.show", pk=pk))
        user_id, name, role = current_operator()
        outcome = import_erasure_report(
            db.session, upload.read(), filename=upload.filename, user_id=user_id, operator_name=name,
            operator_role=role, collection_id=pk,
            limits=limits_from_config(current_app.config, REPORT_LIMITS, "ERASURE_REPORT"))
        if outcome.duplicates:
            flash(f"Ce rapport a déjà été importé : {outcome.duplicates} disque(s), rien de nouveau.", "warning")
        else:
            flash(f"Rapport importé : {outcome.matched} disque(s) rapproché(s), {outcome.queued} en file de revue.",
                  "success" if not outcome.queued else "warning")
        return self._render_show(collection, erasure_import=outcome)

    @expose("/<int:pk>/import", methods=["POST"])
    @has_access
    @permission_name("import")
    @domain_errors(redirect_to=lambda view, pk: url_for("CollectionView.show", pk=pk))
    def import_csv(self, pk: int):
        collection = db.session.get(Collection, pk)
        if collection is None:
            flash("Collecte introuvable.", "danger")
            return redirect(url_for("CollectionView.list"))
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Fichier : choisissez un fichier CSV à importer.", "danger")
            return redirect(url_for("CollectionView.show", pk=pk))
        result = import_devices_csv(
            db.session, pk, upload.read(), user_id=g.user.id,
            tag_prefix=current_app.config["ASSET_TAG_PREFIX"],
            tag_digits=current_app.config["ASSET_TAG_DIGITS"],
            limits=limits_from_config(current_app.config, DEVICE_IMPORT_LIMITS, "DEVICE_IMPORT"),
        )
        if not result.ok:
            report = problems_csv(result.problems).encode("utf-8-sig")
            href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(report).decode()
            flash(f"Import refusé : {len(result.problems)} problème(s). Aucun appareil n'a été enregistré.", "danger")
            return self._render_show(collection, problems=result.problems, report_href=href), 422
        tags = [d.asset_tag for d in result.devices]
        flash(f"{len(tags)} appareil(s) importé(s) : {tags[0]} à {tags[-1]}.", "success")
        return redirect(url_for("CollectionView.show", pk=pk))

    @expose("/<int:pk>/certificate", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=lambda view, pk: url_for("CollectionView.show", pk=pk) + "#erasures")
    def certificate(self, pk: int):
        """Issue the collection's certificate (a POST: it consumes a number), then download it;
        what is missing is said on the page."""
        issue_collection_certificate(db.session, pk, g.user.id)
        return redirect(url_for("CollectionView.certificate_pdf", pk=pk))

    def _certificate_missing(self, exc: DomainError, pk: int):
        return Response(exc.message, mimetype="text/plain")

    @expose("/<int:pk>/certificate.pdf", methods=["GET"])
    @has_access
    @permission_name("edit")
    @domain_errors(render="_certificate_missing", render_on=(NotFound,), render_flash=False, status=404)
    def certificate_pdf(self, pk: int):
        """The collection's certificate as issued; never issues one (404 with the reason when none was)."""
        return pdf_response(issued_collection_certificate(db.session, pk))

    @expose("/import-template.csv", methods=["GET"])
    @has_access
    @permission_name("import")
    def import_template(self):
        return Response(
            template_csv().encode("utf-8-sig"), mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=rekonekt-modele-appareils.csv"},
        )

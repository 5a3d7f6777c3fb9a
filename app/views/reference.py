"""Reference pages: organisations, sites, locations (bins), communes and EPCI."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import ModelView, action, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from app.extensions import db
from app.views.errors import domain_errors, field_errors
from app.views.forms import integer, text
from app.views.listing import ListInterface, ListPages
from app.views.service_forms import ServiceForms
from core.errors import DomainError, ValidationFailed
from core.territory import Commune, Epci
from inventory import queries
from inventory.codes import siret_problem
from core.organisations import Organisation
from inventory.models import Location, Site
from inventory.services.reference import (
    create_location,
    create_organisation,
    create_site,
    update_location,
    update_organisation,
    update_site,
)
from core.vocabulary import OrganisationKind
from inventory.vocabulary import LocationKind, SiteKind


def _insee(commune: Commune | None) -> str | None:
    return commune.insee_code if commune is not None else None


def _id(row) -> int | None:
    return row.id if row is not None else None


def _compact(value):
    """SIRET typed with spaces ("732 829 320 00074") is stored as 14 digits; empty means none."""
    return "".join(value.split()) or None if isinstance(value, str) else value


def _siret_field(form, field) -> None:
    value = "".join((field.data or "").split())
    if value:
        problem = siret_problem(value)
        if problem:
            raise ValidationError(f"SIRET invalide : {problem}")


class OrganisationView(ListPages, ServiceForms, ModelView):
    datamodel = ListInterface(Organisation)
    route_base = "/organisations"
    class_permission_name = "Organisations"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_title = _l("Organisations")
    show_title = _l("Organisation")
    add_title = _l("New organisation")
    edit_title = _l("Edit organisation")
    list_columns = ["name", "kind", "siret", "commune"]
    add_columns = edit_columns = ["kind", "name", "siret", "commune"]
    show_columns = ["name", "kind", "siret", "commune", "created_at"]
    search_columns = ["name", "kind", "siret", "commune"]
    label_columns = {"name": _l("Name"), "kind": _l("Kind"), "siret": _l("SIRET"),
                     "commune": _l("Commune"), "created_at": _l("Created on")}
    description_columns = {"siret": _l("14 digits, optional.")}
    formatters_columns = {"kind": OrganisationKind.label_of}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=OrganisationKind.choices(),
                            validators=[DataRequired(message="Choisissez un type.")]),
        "siret": StringField(_l("SIRET"), description=_l("14 digits, optional."), filters=[_compact],
                             validators=[Optional(), _siret_field]),
    }

    def create_with(self, session, data: dict) -> Organisation:
        return create_organisation(session, kind=data["kind"], name=data["name"], siret=data["siret"],
                                   commune_insee=_insee(data["commune"]))

    def update_with(self, session, item: Organisation, data: dict) -> None:
        update_organisation(session, item.id, kind=data["kind"], name=data["name"], siret=data["siret"],
                            commune_insee=_insee(data["commune"]))


class SiteView(ListPages, ServiceForms, ModelView):
    datamodel = ListInterface(Site)
    route_base = "/sites"
    class_permission_name = "Sites"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    method_permission_name = {"print_bin_labels": "edit"}

    @action("print_bin_labels", _l("Print the labels of its locations"), confirmation=None, icon="fa-barcode",
            multiple=True, single=True)
    def print_bin_labels(self, items):
        sites = items if isinstance(items, list) else [items]
        codes = ",".join(loc.code for site in sites for loc in site.locations if loc.active)
        return redirect(url_for("LabelView.dialog", kind="location", codes=codes))
    list_title = _l("Sites")
    show_title = _l("Site")
    add_title = _l("New site")
    edit_title = _l("Edit site")
    list_columns = ["code", "name", "kind", "commune"]
    search_columns = ["code", "name", "kind", "commune", "organisation"]
    add_columns = ["code", "name", "kind", "address", "commune", "organisation"]
    edit_columns = ["name", "kind", "address", "commune", "organisation"]
    show_columns = ["code", "name", "kind", "address", "commune", "organisation"]
    label_columns = {"code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"), "address": _l("Address"),
                     "commune": _l("Commune"), "organisation": _l("Organisation")}
    description_columns = {"code": _l("2 to 10 letters or digits; used in location codes (LOC-CODE-…).")}
    formatters_columns = {"kind": SiteKind.label_of}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=SiteKind.choices()),
    }

    def create_with(self, session, data: dict) -> Site:
        return create_site(session, code=data["code"], name=data["name"], kind=data["kind"], address=data["address"],
                           commune_insee=_insee(data["commune"]), organisation_id=_id(data["organisation"]))

    def update_with(self, session, item: Site, data: dict) -> None:
        update_site(session, item.id, name=data["name"], kind=data["kind"], address=data["address"],
                    commune_insee=_insee(data["commune"]), organisation_id=_id(data["organisation"]))


class LocationView(ListPages, ServiceForms, ModelView):
    datamodel = ListInterface(Location)
    route_base = "/locations"
    class_permission_name = "Locations"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    method_permission_name = {"print_labels": "edit"}

    @action("print_labels", _l("Print labels"), confirmation=None, icon="fa-barcode", multiple=True, single=True)
    def print_labels(self, items):
        locations = items if isinstance(items, list) else [items]
        return redirect(url_for("LabelView.dialog", kind="location", codes=",".join(loc.code for loc in locations)))
    list_title = _l("Locations")
    show_title = _l("Location")
    add_title = _l("New location")
    edit_title = _l("Edit location")
    list_columns = ["code", "name", "kind", "site", "active"]
    show_columns = ["code", "name", "kind", "site", "active"]
    edit_columns = ["name", "kind", "active"]
    search_columns = ["code", "name", "site", "active"]
    base_order = ("code", "asc")
    label_columns = {"code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"), "site": _l("Site"),
                     "active": _l("Active")}
    formatters_columns = {"kind": LocationKind.label_of}
    # Unticked is "inactive": FAB's default field for a NOT NULL boolean would require it ticked.
    edit_form_extra_fields = {"kind": SelectField(_l("Kind"), choices=LocationKind.choices()),
                              "active": BooleanField(_l("Active"))}

    def update_with(self, session, item: Location, data: dict) -> None:
        update_location(session, item.id, name=data["name"], kind=data["kind"], active=data["active"])

    def _render_add(self, values: dict, errors: dict):
        return self.render_template(
            "inventory/location_add.html", title=self.add_title, values=values, errors=errors,
            site_choices=[(s.id, f"{s.code} — {s.name}") for s in queries.sites(db.session)],
            kinds=LocationKind.choices(),
        )

    def _add_refused(self, exc: DomainError):
        return self._render_add(request.form.to_dict(), field_errors(exc))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @domain_errors(render="_add_refused", status=422)
    def add(self):
        if request.method == "GET":
            return self._render_add({"kind": LocationKind.BIN.value}, {})
        form = request.form
        site_id = integer(form, "site")
        if not isinstance(site_id, int):
            raise ValidationFailed({"site": ["Choisissez un site."]})
        location = create_location(db.session, site_id=site_id, label=text(form, "label") or "",
                                   name=text(form, "name"), kind=text(form, "kind") or "bin")
        flash(f"Emplacement {location.code} créé.", "success")
        return redirect(url_for("LocationView.list"))


class CommuneView(ListPages, ModelView):
    datamodel = ListInterface(Commune)
    route_base = "/communes"
    class_permission_name = "Communes"
    base_permissions = ["can_list", "can_show"]
    list_title = _l("Communes of Martinique")
    show_title = _l("Commune")
    list_columns = ["insee_code", "name", "postal_code_list", "epci"]
    show_columns = ["insee_code", "name", "postal_code_list", "epci"]
    search_columns = ["insee_code", "name", "epci"]
    list_load = (selectinload(Commune.postal_codes),)   # the postal codes shown on each row
    base_order = ("name", "asc")
    page_size = 50
    label_columns = {"insee_code": _l("INSEE code"), "name": _l("Name"),
                     "postal_code_list": _l("Postal codes"), "epci": _l("EPCI")}


class EpciView(ListPages, ModelView):
    datamodel = ListInterface(Epci)
    route_base = "/epci"
    class_permission_name = "Communes"
    base_permissions = ["can_list", "can_show", "can_edit"]   # editing: Admin only (app/roles.py)
    list_title = _l("EPCI of Martinique")
    show_title = _l("EPCI")
    edit_title = _l("EPCI")
    list_columns = ["short_name", "official_name", "siren", "single_agent"]
    search_columns = ["short_name", "official_name", "siren"]
    show_columns = ["short_name", "official_name", "siren", "single_agent"]
    edit_columns = ["single_agent"]
    label_columns = {"short_name": _l("Name"), "official_name": _l("Official name"), "siren": _l("SIREN"),
                     "single_agent": _l("Single agent (four-eyes rule waived)")}
    # Pure reference data, edited by Admin only: the database holds its rule (NOT NULL). Unticked
    # is "no": FAB's default field for a NOT NULL boolean would require it ticked.
    edit_form_extra_fields = {"single_agent": BooleanField(_l("Single agent (four-eyes rule waived)"))}

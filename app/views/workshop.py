"""Spare-part stock and the quality-control checklists (the latter editable by Admin only)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.views.errors import domain_errors, field_errors
from app.views.forms import integer, text
from app.views.listing import ListInterface, ListPages
from core.errors import DomainError
from inventory import queries
from inventory.models import SparePart
from inventory.services.grading import every_template, save_template, template_text
from inventory.services.repairs import add_stock
from core.vocabulary import Category
from inventory.vocabulary import PartType


class SparePartView(ListPages, ModelView):
    datamodel = ListInterface(SparePart)
    route_base = "/spare-parts"
    class_permission_name = "Spare parts"
    base_permissions = ["can_list", "can_show", "can_add"]
    list_title = _l("Spare-part stock")
    show_title = _l("Spare part")
    add_title = _l("Add parts to stock")
    list_columns = ["part_type", "description", "compatible_models", "location", "quantity", "harvested_from"]
    show_columns = list_columns
    search_columns = ["part_type", "description", "compatible_models", "location"]
    add_columns = ["part_type", "description", "compatible_models", "location", "quantity"]
    base_order = ("part_type", "asc")
    label_columns = {"part_type": _l("Kind"), "description": _l("Description"), "compatible_models": _l("Compatible models"),
                     "location": _l("Location"), "quantity": _l("Quantity"), "harvested_from": _l("Harvested from")}
    formatters_columns = {"part_type": PartType.label_of}

    def _render_add(self, values: dict, errors: dict):
        return self.render_template("inventory/spare_part_add.html", title=self.add_title, values=values, errors=errors,
                                    part_types=PartType.choices(),
                                    location_choices=[(loc.code, f"{loc.code} — {loc.name}") for loc in queries.active_locations(db.session)])

    def _add_refused(self, exc: DomainError):
        return self._render_add(request.form.to_dict(), field_errors(exc))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @domain_errors(render="_add_refused", status=422)
    def add(self):
        if request.method == "GET":
            return self._render_add({"quantity": "1"}, {})
        form = request.form
        line = add_stock(db.session, part_type=form.get("part_type", ""), description=form.get("description", ""),
                         location=form.get("location", ""), quantity=integer(form, "quantity"),
                         compatible_models=text(form, "compatible_models"))
        flash(f"Stock : {line.quantity} « {line.description} » à {line.location.code}.", "success")
        return redirect(url_for("SparePartView.list"))


class ChecklistTemplateView(BaseView):
    route_base = "/checklists"
    class_permission_name = "Checklist templates"
    base_permissions = ["can_read", "can_write"]
    default_view = "templates"

    @expose("/")
    @has_access
    @permission_name("read")
    def templates(self):
        templates = every_template(db.session)
        texts = {c.value: template_text(templates.get(c.value, [])) for c in Category}
        return self.render_template("inventory/checklists.html", title=_l("Quality-control checklists"),
                                    categories=Category.choices(), texts=texts)

    @expose("/<category>", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view, category: url_for("ChecklistTemplateView.templates") + f"#{category}")
    def save(self, category: str):
        save_template(db.session, category, request.form.get("items", ""), user_id=g.user.id)
        flash(f"Grille « {Category.label_of(category)} » enregistrée.", "success")
        return redirect(url_for("ChecklistTemplateView.templates") + f"#{category}")

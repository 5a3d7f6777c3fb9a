"""Household and request pages for prescripteurs and EPCI agents. Every page goes through
``eligibility.access``: another EPCI's household is 404, exactly like an unknown one."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from core.clock import local_today
from app.views.errors import domain_errors
from app.views.listing import refuse_long_search
from app.views.forms import decimal_text, text
from core.errors import Conflict, NotFound, ValidationFailed
from core.territory import Commune
from core.actor import actor_of
from core.paging import page_number
from eligibility.access import household_for, request_for
from eligibility.queries import household_page, request_page
from distribution.services.export import household_handover
from eligibility.export_pdf import render_household_export
from core.schemas import load
from eligibility.schemas import FIELD_LABELS, HouseholdIn
from eligibility.services.export import export_household
from eligibility.services.households import read_household, update_income
from eligibility.services.requests import create_household_with_request, create_request, decide_request
from eligibility.services.rulesets import rules_in_effect
from eligibility.vocabulary import ProofKind, Relationship, RequestStatus, Situation
from core.vocabulary import Category

MEMBER_ROWS = 8
NEEDS = [c for c in Category.choices() if c[0] in ("laptop", "desktop", "tablet", "smartphone", "monitor")]


def _actor():
    return actor_of(g.user)


def _communes(actor):
    stmt = select(Commune).order_by(Commune.name)
    if not actor.is_admin and actor.is_agent:
        stmt = stmt.where(Commune.epci_id == actor.epci_id)
    return [(c.insee_code, f"{c.name} ({c.insee_code})") for c in db.session.execute(stmt).scalars()]


def _household_page(view, pk: int) -> str:
    return url_for("HouseholdView.show", pk=pk)


def _request_page(view, pk: int) -> str:
    return url_for("RequestView.show", pk=pk)


def _form_field(key: str) -> str:
    """The form field an input error goes beside: every member's under the members' table, the
    first request's category under the need."""
    if key.startswith("members"):
        return "members"
    return "need" if key == "category" else key.split(".")[0]


def household_form_errors(errors: dict) -> dict:
    form_errors: dict[str, list[str]] = {}
    for key, messages in errors.items():
        form_errors.setdefault(_form_field(key), []).extend(messages)
    return form_errors


def member_rows(form) -> tuple[list[dict], list[int], list[str]]:
    """The other members from the form's rows, the number each has on the form (« Personne 2 »
    is the first row: the head is person 1), and a French error for each half-filled row, naming
    the person and the missing field. A row left empty (no relationship, birth date nor age) is
    ignored: the form offers more rows than most households need."""
    members, people, errors = [], [], []
    for i in range(1, MEMBER_ROWS + 1):
        person = i + 1
        relation = text(form, f"member_{i}_relation")
        age, born = text(form, f"member_{i}_age"), text(form, f"member_{i}_birth_date")
        if relation is None and age is None and born is None:
            continue
        if relation is None:
            errors.append(f"Personne {person} : choisissez son lien avec le demandeur.")
        if age is None and born is None:
            errors.append(f"Personne {person} : indiquez sa date de naissance ou son âge.")
        if relation is None or (age is None and born is None):
            continue
        member = {"relation": relation}
        if born:
            member["birth_date"] = born
        else:
            member["age"] = int(age) if age.isdigit() else age
        members.append(member)
        people.append(person)
    return members, people, errors


def member_errors(errors: dict[str, list[str]], people: list[int]) -> dict[str, list[str]]:
    """The schema's errors with each member's (``members.2.age``) naming the person and the
    field: « Personne 3 : âge : Âge de 0 à 125 ans attendu. »."""
    named: dict[str, list[str]] = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "members" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            who = ("Demandeur" if index == 0 else
                   f"Personne {people[index - 1] if index - 1 < len(people) else index + 1}")
            field = FIELD_LABELS.get(parts[-1]) if len(parts) > 2 else None
            messages = [f"{who} : {field} : {m}" if field else f"{who} : {m}" for m in messages]
        named.setdefault(key, []).extend(messages)
    return named


def household_from_form(form) -> dict:
    """The form validated by the API's schema (``HouseholdIn``). ValidationFailed with every
    error at once: the half-filled member rows' and the schema's, each member's naming its row."""
    data, people, row_errors = household_input_from_form(form)
    errors: dict[str, list[str]] = {"members": row_errors} if row_errors else {}
    try:
        loaded = load(HouseholdIn(), data)
    except ValidationFailed as exc:
        for key, messages in member_errors(exc.errors, people).items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return loaded


def household_input_from_form(form) -> tuple[dict, list[int], list[str]]:
    """The form, in the API's shape (the same schema validates both), with the form number of
    each member after the head and the errors of half-filled member rows (``member_rows``)."""
    members = [{"birth_date": form.get("birth_date", "").strip() or None, "relation": "head"}]
    others, people, row_errors = member_rows(form)
    members += others
    data = {
        "last_name": text(form, "last_name") or "", "first_name": text(form, "first_name") or "",
        "birth_date": text(form, "birth_date"), "phone": text(form, "phone") or "",
        "email": text(form, "email"), "address": text(form, "address"),
        "commune_insee": text(form, "commune_insee") or "", "members": members,
        "monthly_resources": decimal_text(form, "monthly_resources"),
        "resources_proof": text(form, "resources_proof"),
        "benefits": form.getlist("benefits"), "situations": form.getlist("situations"),
        "notes": text(form, "notes"), "confirm_duplicate": form.get("confirm_duplicate") == "1",
    }
    if form.get("consent") == "1":
        data["consent_on"] = local_today().isoformat()
        data["consent_version"] = current_app.config["CONSENT_TEXT_VERSION"]
    if text(form, "referrer_person"):
        data["referrer"] = {"person": text(form, "referrer_person")}
    if members[0]["birth_date"] is None:
        members[0] = {"relation": "head", "birth_date": "?"}   # refused by the schema, naming the field
    return {k: v for k, v in data.items() if v is not None}, people, row_errors


class HouseholdView(BaseView):
    route_base = "/households"
    class_permission_name = "Households"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        query = (request.args.get("q") or "").strip()
        refuse_long_search(query)
        page = household_page(db.session, _actor(), search=query or None, number=page_number(request.args.get("page")))
        return self.render_template("eligibility/households.html", title=_l("Households"), page=page,
                                    households=page.rows, q=query)

    def _render_form(self, values: dict, errors: dict, duplicates=None):
        rules = rules_in_effect(db.session, local_today())
        return self.render_template(
            "eligibility/household_add.html", title=_l("New household"), values=values, errors=errors,
            communes=_communes(_actor()), relations=[r for r in Relationship.choices() if r[0] != "head"],
            proofs=ProofKind.choices(), situations=Situation.choices(), benefits=list(rules.benefits.items()),
            needs=NEEDS, member_rows=MEMBER_ROWS, duplicates=duplicates or [],
            consent_version=current_app.config["CONSENT_TEXT_VERSION"])

    def _add_refused(self, exc: ValidationFailed | Conflict):
        form = request.form
        values = {**form.to_dict(flat=True), "benefits": form.getlist("benefits"),
                  "situations": form.getlist("situations")}
        if isinstance(exc, Conflict):
            return self._render_form(values, {}, duplicates=exc.details.get("duplicates") or [exc.message])
        return self._render_form(values, household_form_errors(exc.errors))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_add_refused", render_on=(ValidationFailed, Conflict), render_flash=False)
    def add(self):
        if request.method == "GET":
            return self._render_form({}, {})
        form = request.form
        data = household_from_form(form)
        household, warnings, item = create_household_with_request(
            db.session, _actor(), data, form.get("need") or None,
            reequip_months=current_app.config["ELIGIBILITY_REEQUIP_MONTHS"])
        flash(f"Foyer {household.reference} enregistré.", "success")
        for warning in warnings:
            flash(warning, "warning")
        if item is not None:
            flash(f"Demande « {Category.label_of(item.category)} » déposée.", "success")
        return redirect(url_for("HouseholdView.show", pk=household.id))

    @expose("/<int:pk>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound,))
    def show(self, pk: int):
        household = read_household(db.session, _actor(), pk)
        return self.render_template("eligibility/household_show.html", title=household.reference,
                                    household=household, needs=NEEDS, proofs=ProofKind.choices(),
                                    today=local_today())

    @expose("/<int:pk>/request", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound,), redirect_to=_household_page)
    def post_request(self, pk: int):
        actor = _actor()
        household = household_for(db.session, actor, pk)
        item = create_request(db.session, actor, household, request.form.get("category", ""),
                              reequip_months=current_app.config["ELIGIBILITY_REEQUIP_MONTHS"])
        flash(f"Demande « {Category.label_of(item.category)} » déposée.", "success")
        return redirect(_household_page(self, pk))

    @expose("/<int:pk>/income", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound,), redirect_to=_household_page)
    def post_income(self, pk: int):
        actor = _actor()
        household = household_for(db.session, actor, pk)
        amount = decimal_text(request.form, "monthly_resources")
        try:
            value = Decimal(amount) if amount else None
        except InvalidOperation:
            value = None
        if value is None:
            raise ValidationFailed({"monthly_resources": ["Montant en euros attendu (par exemple 1250,50)."]})
        update_income(db.session, actor, household, monthly_resources=value,
                      resources_proof=text(request.form, "resources_proof"))
        flash("Ressources mises à jour.", "success")
        return redirect(_household_page(self, pk))

    @expose("/<int:pk>/export.<fmt>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound,))
    def export(self, pk: int, fmt: str):
        if fmt not in ("json", "pdf"):
            abort(404)
        actor = _actor()
        household = household_for(db.session, actor, pk)
        data, display = export_household(db.session, actor, household, fmt)
        data["handover"], display["handover"] = household_handover(db.session, household)
        name = f"donnees-{household.reference}.{fmt}"
        if fmt == "json":
            body = json.dumps(data, ensure_ascii=False, indent=2)
            return Response(body, mimetype="application/json",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(render_household_export(display, current_app.config["PROGRAMME_NAME"]),
                        mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


class RequestView(BaseView):
    route_base = "/requests"
    class_permission_name = "Requests"
    base_permissions = ["can_read", "can_write", "can_decide"]
    default_view = "queue"

    @expose("/")
    @has_access
    @permission_name("read")
    def queue(self):
        status = request.args.get("status", RequestStatus.SUBMITTED.value)
        if status not in RequestStatus.values() and status != "all":
            status = RequestStatus.SUBMITTED.value
        page = request_page(db.session, _actor(), status=None if status == "all" else status,
                            number=page_number(request.args.get("page")))
        return self.render_template("eligibility/queue.html", title=_l("Request queue"), page=page,
                                    requests=page.rows, status=status, statuses=RequestStatus.choices())

    @expose("/<int:pk>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound,))
    def show(self, pk: int):
        actor = _actor()
        item = request_for(db.session, actor, pk)
        rules = rules_in_effect(db.session, local_today())
        return self.render_template("eligibility/request_show.html", title=_l("Request"), item=item,
                                    tiers=[t.tier for t in rules.tiers],
                                    may_decide=self.appbuilder.sm.has_access("can_decide", "Requests"))

    @expose("/<int:pk>/decision", methods=["POST"])
    @has_access
    @permission_name("decide")
    @domain_errors(abort_on=(NotFound,), redirect_to=_request_page)
    def decision(self, pk: int):
        actor = _actor()
        item = request_for(db.session, actor, pk)
        tier = request.form.get("tier", "")
        config = current_app.config
        decide_request(db.session, actor, item, request.form.get("action", ""),
                       justification=request.form.get("justification"),
                       tier=int(tier) if tier.isdigit() else None,
                       validity_months=config["ELIGIBILITY_VALIDITY_MONTHS"],
                       reequip_months=config["ELIGIBILITY_REEQUIP_MONTHS"])
        flash(f"Demande {RequestStatus.label_of(item.status).lower()}.", "success")
        return redirect(_request_page(self, pk))

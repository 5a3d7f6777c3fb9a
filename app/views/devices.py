"""Device pages: the list (FAB), the device sheet with its actions, and registration."""
from __future__ import annotations

from decimal import Decimal

from flask import Response, current_app, flash, redirect, request, session as cookie, url_for
from flask_appbuilder import ModelView, action, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, Optional

from app.api.certificates import issue_device_certificate
from app.certificates import pdf_response
from app.extensions import db
from app.label_printing import reception_label
from app.print_stations import stations as print_stations
from app.operator import current_operator
from app.views.errors import domain_errors, field_errors
from app.views.forms import decimal_text, drop_none, integer, text
from app.views.listing import ListInterface, ListPages
from app.views.service_forms import ServiceForms
from core.errors import DomainError, NotFound, ValidationFailed
from inventory import queries
from inventory.stocktake.missing import missing_notice, open_missing_record
from inventory.lifecycle import State
from inventory.models import Device
from inventory.grading import COSMETIC
from inventory.sanitisation import medium_state
from core.numbers import decimal_text as number_text
from core.schemas import load
from inventory.schemas import DeviceEditIn, DeviceIn, ErasureIn, GradingIn
from inventory.services.certificates import issued_device_certificate
from inventory.services.common import device_by_tag
from inventory.services.devices import next_in_batch, register_device, update_device
from inventory.services.erasures import record_erasure
from inventory.services.grading import checklist_prefill, grade_device, is_refurbished, latest_result, template_items
from inventory.snapshot_summary import summarise
from inventory.services.repairs import (
    close_ticket,
    current_ticket,
    harvest_parts,
    open_ticket,
    stock_for,
    update_ticket,
    use_part,
)
from inventory.services.transitions import allowed_for, move, transition
from core.vocabulary import Category
from inventory.vocabulary import (
    ErasureLevel,
    ErasureResult,
    ErasureTechnique,
    Grade,
    MediumKind,
    PartType,
    RepairOutcome,
)

DEVICE_LABELS = {
    "asset_tag": _l("Asset tag"),
    "category": _l("Category"),
    "brand": _l("Brand"),
    "model": _l("Model"),
    "serial_number": _l("Serial number"),
    "imei": _l("IMEI"),
    "cpu": _l("Processor"),
    "ram_gb": _l("RAM (GB)"),
    "storage_summary": _l("Storage"),
    "screen_in": _l("Screen (inches)"),
    "os": _l("Operating system"),
    "os_licence_key": _l("Operating system licence key"),
    "weight_kg": _l("Weight (kg)"),
    "collection": _l("Collection"),
    "location": _l("Location"),
    "state": _l("State"),
    "grade": _l("Grade"),
    "created_at": _l("Registered on"),
    "updated_at": _l("Updated on"),
}

MAX_MEDIA_ROWS = 4


def _user_id() -> int | None:
    return current_operator()[0]


def _user_name() -> str | None:
    return current_operator()[1]


def _user_role() -> str | None:
    return current_operator()[2]


def _device_sheet(view, pk: int) -> str:
    return url_for("DeviceView.show", pk=pk)


def _local_next() -> str | None:
    """The form's ``next`` page when it is one of ours."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


def _grading_next(view, pk: int) -> str:
    return _local_next() or _device_sheet(view, pk)


# The registration form's fields, in the order they come on the page.
FORM_ORDER = ("collection", "category", "brand", "model", "serial_number", "imei",
              *(f"medium_{part}_{i}" for i in range(MAX_MEDIA_ROWS) for part in ("kind", "serial", "capacity")),
              "weight_kg", "location", "cpu", "ram_gb", "screen_in", "os", "storage_summary")
# What a technician must fill in: the form opens on the first one left empty.
REQUIRED = ("collection", "category", "brand", "model", "serial_number")
_MEDIUM_PARTS = {"kind": "kind", "serial_number": "serial", "capacity_gb": "capacity"}


def _form_field(error_key: str) -> str:
    """The form field an error of ``DeviceIn`` is about (``storage.0.kind`` → ``medium_kind_0``)."""
    parts = error_key.split(".")
    if parts[0] == "storage":
        if len(parts) == 3 and parts[1].isdigit():
            return f"medium_{_MEDIUM_PARTS.get(parts[2], 'kind')}_{parts[1]}"
        return "medium_kind_0"
    return parts[-1]


def first_field_to_type(values: dict, errors: dict) -> str:
    """The field the form opens on: the first refused one; else the first required one left
    empty, which for the next device of a batch (filled like the previous one) is its serial
    number."""
    refused = {_form_field(key) for key in errors} & set(FORM_ORDER)
    if refused:
        return min(refused, key=FORM_ORDER.index)
    return next((name for name in REQUIRED if not str(values.get(name) or "").strip()), "serial_number")


def form_values(data: dict) -> dict:
    """``DeviceIn``-shaped data (``next_in_batch``) as the registration form's values."""
    values = {key: data[key] for key in ("collection", "category", "brand", "model", "location") if data.get(key)}
    if data.get("weight_kg") is not None:
        values["weight_kg"] = number_text(data["weight_kg"])
    for key, value in data.get("specs", {}).items():
        values[key] = number_text(value) if isinstance(value, Decimal) else value
    for index, medium in enumerate(data.get("storage", [])[:MAX_MEDIA_ROWS]):
        values[f"medium_kind_{index}"] = medium["kind"]
        if medium.get("capacity_gb") is not None:
            values[f"medium_capacity_{index}"] = number_text(medium["capacity_gb"])
    return values


def device_input_from_form(form) -> dict:
    """The registration form as ``DeviceIn`` input."""
    storage = []
    for index in range(MAX_MEDIA_ROWS):
        kind = text(form, f"medium_kind_{index}")
        if not kind:
            continue
        storage.append(drop_none({
            "kind": kind,
            "serial_number": text(form, f"medium_serial_{index}"),
            "capacity_gb": decimal_text(form, f"medium_capacity_{index}"),
        }))
    no_media = form.get("no_media") == "1"
    data = drop_none({
        "collection": integer(form, "collection"),
        "category": text(form, "category"),
        "brand": text(form, "brand"),
        "model": text(form, "model"),
        "serial_number": text(form, "serial_number"),
        "imei": text(form, "imei"),
        "weight_kg": decimal_text(form, "weight_kg"),
        "location": text(form, "location"),
        "specs": drop_none({
            "cpu": text(form, "cpu"),
            "ram_gb": decimal_text(form, "ram_gb"),
            "storage_summary": text(form, "storage_summary"),
            "screen_in": decimal_text(form, "screen_in"),
            "os": text(form, "os"),
        }),
    })
    if storage or no_media:
        data["storage"] = storage
    return data


class DeviceView(ListPages, ServiceForms, ModelView):
    datamodel = ListInterface(Device)
    route_base = "/devices"
    class_permission_name = "Devices"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]

    list_title = _l("Devices")
    show_title = _l("Device")
    add_title = _l("Register a device")
    edit_title = _l("Edit device")

    list_columns = ["asset_tag", "category", "brand", "model", "serial_number", "state", "grade",
                    "location", "collection"]
    search_columns = ["asset_tag", "serial_number", "imei", "brand", "model", "category", "state",
                      "grade", "collection", "location"]
    edit_columns = ["brand", "model", "cpu", "ram_gb", "storage_summary", "screen_in", "os", "os_licence_key", "weight_kg"]
    # The licence key is never in the generic sheet: the page shows it to those who may edit.
    show_columns = ["asset_tag", "category", "brand", "model", "serial_number", "imei", "cpu", "ram_gb",
                    "storage_summary", "screen_in", "os", "weight_kg", "collection", "location", "state", "grade",
                    "created_at", "updated_at"]
    # Sorts an index serves from either end at a million devices (migration 0016); brand and model
    # are searched (« contient »), not sorted.
    order_columns = ["asset_tag", "category", "state", "grade"]
    base_order = ("id", "desc")
    label_columns = DEVICE_LABELS
    validators_columns = {
        "weight_kg": [Optional(), NumberRange(min=0, max=1000, message="Poids de 0 à 1000 kg attendu.")],
        "ram_gb": [Optional(), NumberRange(min=0, max=4096, message="Mémoire de 0 à 4096 Go attendue.")],
        "screen_in": [Optional(), NumberRange(min=0.1, max=120, message="Taille d'écran de 0,1 à 120 pouces attendue.")],
    }
    formatters_columns = {"state": State.label_of, "category": Category.label_of}
    page_size = 50

    show_template = "inventory/device_show.html"
    # FAB checks an action as can_<mapped name>: printing needs the right to edit devices.
    method_permission_name = {"print_labels": "edit"}

    @action("print_labels", _l("Print labels"), confirmation=None, icon="fa-barcode", multiple=True, single=True)
    def print_labels(self, items):
        devices = items if isinstance(items, list) else [items]
        tags = ",".join(d.asset_tag for d in devices)
        return redirect(url_for("LabelView.dialog", kind="device", codes=tags))

    def update_with(self, session, item: Device, data: dict) -> None:
        update_device(session, item.id, load(DeviceEditIn(), data))

    def _render_add(self, values: dict, errors: dict, *, after: str | None = None, offer_label: bool = False):
        values.setdefault("print_station", cookie.get("print_station", ""))
        label_url = None
        if after:   # the device just saved: its label as PDF, on the print station's stock
            label_url = url_for("LabelApi.get", kind="device", tags=after, station=values["print_station"] or None)
        return self.render_template(
            "inventory/device_add.html", title=self.add_title, values=values, errors=errors,
            collections=queries.collections(db.session), categories=Category.choices(),
            media_kinds=MediumKind.choices(), locations=queries.active_locations(db.session),
            media_rows=range(MAX_MEDIA_ROWS), print_stations=print_stations(db.session),
            focus=first_field_to_type(values, errors), after=after, label_url=label_url, offer_label=offer_label,
        )

    def _add_refused(self, exc: DomainError):
        return self._render_add(request.form.to_dict(), field_errors(exc) or {"_": [exc.message]})

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @domain_errors(render="_add_refused", status=422)
    def add(self):
        """The reception loop: type or scan, Enter; the label prints (or its PDF is offered) and
        the form comes back filled like the device just saved, ready for the next one's serial
        number."""
        if request.method == "GET":
            values, extra = self._next_in_batch()
            return self._render_add(values, {}, **extra)
        data = load(DeviceIn(), device_input_from_form(request.form))
        cookie["print_station"] = request.form.get("print_station", "")
        device = register_device(
            db.session, data, user_id=_user_id(),
            tag_prefix=current_app.config["ASSET_TAG_PREFIX"],
            tag_digits=current_app.config["ASSET_TAG_DIGITS"],
        )
        flash(f"{device.asset_tag} enregistré : {device.brand} {device.model} (n° de série {device.serial_number}).", "success")
        label = reception_label(db.session, device.asset_tag, cookie["print_station"] or None)
        if label.printed_on:
            flash(f"Étiquette de {device.asset_tag} imprimée au poste « {label.printed_on} ».", "success")
        elif label.problem:
            flash(label.problem, "warning")
        if request.form.get("next") == "another":
            return redirect(url_for("DeviceView.add", collection=device.collection_id, after=device.asset_tag,
                                    label="pdf" if label.offer_pdf else None))
        return redirect(url_for("DeviceView.show", pk=device.id))

    def _next_in_batch(self) -> tuple[dict, dict]:
        """The form's values and options: blank, or with the collection of ``?collection=``,
        or, after a device was saved (``?after=RK-…``), filled like that device, with its label
        offered as PDF when it was not printed (``?label=pdf``)."""
        args = request.args
        if args.get("after"):
            try:
                return form_values(next_in_batch(db.session, args["after"])), {
                    "after": args["after"], "offer_label": args.get("label") == "pdf"}
            except NotFound:
                pass    # an address edited by hand: a blank form
        collection = args.get("collection", "")
        return ({"collection": collection} if collection.isdigit() else {}), {}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        device = db.session.get(Device, int(pk)) if str(pk).isdigit() else None
        if device is None:
            flash("Appareil introuvable.", "danger")
            return redirect(url_for("DeviceView.list"))
        widgets = self._show(device.id)
        latest = latest_result(db.session, device.id)
        checklist = template_items(db.session, device.category) if device.state == State.GRADING.value else []
        return self.render_template(
            self.show_template, pk=device.id, title=f"{device.asset_tag} — {device.brand} {device.model}",
            widgets=widgets, related_views=[], device=device,
            events=queries.history(db.session, device.id), allowed=allowed_for(device),
            levels=ErasureLevel.choices(), techniques=ErasureTechnique.choices(),
            results=ErasureResult.choices(), grades=Grade.choices(), cosmetics=COSMETIC,
            checklist=checklist, prefilled=checklist_prefill(db.session, device, checklist) if checklist else {},
            snapshots=[summarise(record, poster) for record, poster in queries.device_snapshots(db.session, device.id)],
            latest=latest, refurbished=is_refurbished(device, latest), media_states={m.id: medium_state(m) for m in device.media},
            ticket=current_ticket(db.session, device.id), stock=stock_for(db.session, device),
            part_types=PartType.choices(), outcomes=RepairOutcome.choices(),
            locations=queries.active_locations(db.session), State=State, next_url=request.args.get("next", ""),
            missing=missing_notice(open_missing_record(db.session, device.id)),
        )

    @expose("/<int:pk>/snapshots/<int:snapshot_id>.json", methods=["GET"])
    @has_access
    @permission_name("edit")
    def snapshot_raw(self, pk: int, snapshot_id: int):
        """The hardware snapshot as it was posted (kept for audit), to download."""
        raw = queries.snapshot_raw(db.session, pk, snapshot_id)
        if raw is None:
            flash("Instantané matériel introuvable pour cet appareil.", "danger")
            return redirect(url_for("DeviceView.list"))
        return Response(raw, mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="instantane-{snapshot_id}.json"'})

    @expose("/tag/<asset_tag>", methods=["GET"])
    @has_access
    @permission_name("show")
    @domain_errors(redirect_to=lambda view, asset_tag: url_for("DeviceView.list"))
    def by_tag(self, asset_tag: str):
        device = device_by_tag(db.session, asset_tag, with_media=False)
        return redirect(url_for("DeviceView.show", pk=device.id))

    def _act(self, pk: int, action):
        """Run ``action(device)`` for a form posted from the device sheet: it returns the French
        success message (and its flash category), or raises a domain error, which the exposed
        method's ``domain_errors`` flashes before going back to the sheet."""
        device = db.session.get(Device, pk)
        if device is None:
            flash("Appareil introuvable.", "danger")
            return redirect(url_for("DeviceView.list"))
        message = action(device)
        message, category = message if isinstance(message, tuple) else (message, "success")
        flash(message, category)
        return redirect(_device_sheet(self, pk))

    @expose("/<int:pk>/transition", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=_device_sheet)
    def post_transition(self, pk: int):
        def act(device: Device) -> str:
            version = request.form.get("version", "")
            transition(db.session, device.asset_tag, request.form.get("to", ""), user_id=_user_id(),
                       note=text(request.form, "note"), location=text(request.form, "location"),
                       version=int(version) if version.isdigit() else None)
            return f"{device.asset_tag} : état « {device.state_label} »."

        return self._act(pk, act)

    @expose("/<int:pk>/erasure", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=_device_sheet)
    def post_erasure(self, pk: int):
        def act(device: Device):
            form = request.form
            data = load(ErasureIn(), drop_none({
                "medium_serial": text(form, "medium_serial"),
                "level": text(form, "level"),
                "technique": text(form, "technique"),
                "tool": text(form, "tool"),
                "tool_version": text(form, "tool_version"),
                "verification_method": text(form, "verification_method"),
                "result": text(form, "result"),
                "verified": form.get("verified") == "1",
            }))
            record = record_erasure(db.session, device.asset_tag, data, user_id=_user_id(),
                                    operator_name=_user_name(), operator_role=_user_role())
            medium = record.medium.serial_number or record.medium.kind_label
            verified = ", vérifié" if record.verified else ", non vérifié"
            message = f"Effacement enregistré pour le support {medium} : {ErasureResult.label_of(record.result)}{verified}."
            return message, "success" if record.result == ErasureResult.PASS else "warning"

        return self._act(pk, act)

    @expose("/<int:pk>/grade", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=_grading_next)
    def post_grade(self, pk: int):
        """The checklist form; a failed control is reported, not refused."""
        def act(device: Device):
            form = request.form
            items = template_items(db.session, device.category)
            checklist = {}
            for item in items:
                raw = form.get(f"item_{item.key}", "").strip()
                if item.kind == "bool":
                    checklist[item.key] = {"1": True, "0": False}.get(raw)
                else:
                    number = decimal_text(form, f"item_{item.key}")
                    try:
                        checklist[item.key] = float(number) if number else None
                    except ValueError:
                        checklist[item.key] = number
            data = load(GradingIn(), drop_none({"checklist": checklist, "cosmetic": text(form, "cosmetic"),
                                                "grade": text(form, "grade"), "note": text(form, "note")}))
            result = grade_device(db.session, device.asset_tag, checklist=data["checklist"], cosmetic=data["cosmetic"],
                                  grade=data.get("grade"), note=data.get("note"), user_id=_user_id())
            if result.grade is None:
                labels = {i["key"]: i["label"] for i in result.items}
                failing = ", ".join(labels[k] for k in result.failing)
                return f"{device.asset_tag} repart en réparation : {failing}.", "warning"
            return f"{device.asset_tag} noté {result.grade}."

        response = self._act(pk, act)
        target = _local_next()
        return redirect(target) if target else response

    @expose("/<int:pk>/repair", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=_device_sheet)
    def post_repair(self, pk: int):
        """Open, update, use a part, or close the repair ticket (``step`` says which)."""
        def act(device: Device) -> str:
            form = request.form
            step = form.get("step", "")
            if step == "open":
                open_ticket(db.session, device.asset_tag, symptoms=form.get("symptoms", ""), user_id=_user_id(),
                            technician=_user_name())
                return "Ticket de réparation ouvert."
            ticket = current_ticket(db.session, device.id)
            if ticket is None:
                raise ValidationFailed({"ticket": ["Aucun ticket de réparation ouvert pour cet appareil."]})
            if step == "update":
                minutes = integer(form, "labour_minutes")
                update_ticket(db.session, ticket.id, diagnosis=form.get("diagnosis"), actions=form.get("actions"),
                              labour_minutes=minutes if minutes is not None else 0)
                return "Ticket mis à jour."
            if step == "part":
                part = integer(form, "spare_part")
                if not isinstance(part, int):
                    raise ValidationFailed({"spare_part": ["Choisissez une pièce en stock."]})
                usage = use_part(db.session, ticket.id, part, quantity=integer(form, "quantity") or 1,
                                 fitted_serial=text(form, "fitted_serial"), user_id=_user_id())
                return f"Pièce utilisée : {usage.spare_part.description}."
            if step == "close":
                close_ticket(db.session, ticket.id, outcome=form.get("outcome", ""), next_state=text(form, "next_state"),
                             user_id=_user_id(), note=text(form, "note"))
                return f"Ticket clos : {device.asset_tag} est à l'état « {device.state_label} »."
            raise ValidationFailed({"step": ["Action de réparation inconnue."]})

        return self._act(pk, act)

    @expose("/<int:pk>/certificate", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=lambda view, pk: _device_sheet(view, pk) + "#media")
    def certificate(self, pk: int):
        """Issue the certificate (a POST: it consumes a number), then download it."""
        device = db.session.get(Device, pk)
        if device is None:
            flash("Appareil introuvable.", "danger")
            return redirect(url_for("DeviceView.list"))
        issue_device_certificate(db.session, device.asset_tag, _user_id())
        return redirect(url_for("DeviceView.certificate_pdf", pk=pk))

    def _certificate_missing(self, exc: DomainError, pk: int):
        return Response(exc.message, mimetype="text/plain")

    @expose("/<int:pk>/certificate.pdf", methods=["GET"])
    @has_access
    @permission_name("edit")
    @domain_errors(render="_certificate_missing", render_on=(NotFound,), render_flash=False, status=404)
    def certificate_pdf(self, pk: int):
        """The certificate as issued; never issues one (404 with the reason when none was)."""
        device = db.session.get(Device, pk)
        if device is None:
            raise NotFound("Appareil introuvable.")
        return pdf_response(issued_device_certificate(db.session, device.asset_tag))

    @expose("/<int:pk>/harvest", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=_device_sheet)
    def post_harvest(self, pk: int):
        def act(device: Device) -> str:
            form = request.form
            lines = harvest_parts(db.session, device.asset_tag, [{
                "part_type": form.get("part_type", ""), "description": form.get("description", ""),
                "location": form.get("location", ""), "quantity": integer(form, "quantity") or 1,
            }])
            return f"Pièce ajoutée au stock : {lines[0].description} ({lines[0].quantity} en stock à {lines[0].location.code})."

        return self._act(pk, act)

    @expose("/<int:pk>/move", methods=["POST"])
    @has_access
    @permission_name("edit")
    @domain_errors(redirect_to=_device_sheet)
    def post_move(self, pk: int):
        def act(device: Device) -> str:
            code = text(request.form, "location")
            if not code:
                raise ValidationFailed({"location": ["Choisissez un emplacement."]})
            move(db.session, device.asset_tag, code, user_id=_user_id())
            return f"{device.asset_tag} rangé dans {device.location.code}."

        return self._act(pk, act)

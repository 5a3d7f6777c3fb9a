"""The print dialog (every "print labels" button leads here, filled in) and the print stations."""
from __future__ import annotations

from flask import Response, flash, redirect, request, session as cookie, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.label_printing import print_labels, render_labels
from app.print_stations import PrintStation, reception_station, save_station, set_reception_station, stations
from app.views.errors import domain_errors, field_errors
from core.errors import DomainError, ValidationFailed
from labels.errors import LabelError
from labels.formats import FORMATS

KIND_LABELS = {"device": "Appareils", "location": "Emplacements", "collection": "Collectes", "spare_part": "Pièces détachées"}


class LabelView(BaseView):
    route_base = "/labels"
    class_permission_name = "Labels"
    base_permissions = ["can_read", "can_write"]
    default_view = "dialog"

    def _render(self, values: dict, errors: dict):
        return self.render_template("labels/dialog.html", title=_l("Print labels"), values=values, errors=errors,
                                    formats=[(f.id, f.title) for f in FORMATS.values()], kinds=list(KIND_LABELS.items()),
                                    stations=stations(db.session))

    @expose("/", methods=["GET"])
    @has_access
    @permission_name("read")
    def dialog(self):
        values = {key: request.args.get(key, "") for key in ("kind", "codes", "format", "start", "next")}
        values["kind"] = values["kind"] or "device"
        values["start"] = values["start"] or "1"
        values["station"] = request.args.get("station") or cookie.get("print_station", "")
        station = next((s for s in stations(db.session) if s.name == values["station"]), None)
        values["format"] = values["format"] or (station.default_format if station else "avery-l7160")
        return self._render(values, {})

    def _produce_refused(self, exc: DomainError):
        return self._render(request.form.to_dict(), field_errors(exc) or {"_": [exc.message]})

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("read")
    @domain_errors(render="_produce_refused", status=422)
    def produce(self):
        form = request.form
        values = form.to_dict()
        cookie["print_station"] = form.get("station", "")
        start = form.get("start", "1").strip()
        action = form.get("action", "pdf")
        if not start.isdigit():
            raise ValidationFailed({"start": ["Position de départ (nombre entier à partir de 1) attendue."]})
        if action == "printer":
            try:
                sent = print_labels(db.session, kind=form.get("kind", ""), codes=form.get("codes", ""),
                                    station=form.get("station", ""), format_id=form.get("format"))
            except LabelError as exc:   # the printer did not answer: not a domain error, said as one
                raise ValidationFailed({exc.field or "_": [exc.message]}, message=exc.message) from None
            flash(f"{sent} étiquette(s) envoyée(s) à l'imprimante du poste « {form.get('station')} ».", "success")
            target = form.get("next", "")
            if target.startswith("/") and not target.startswith("//"):
                return redirect(target)
            return self._render(values, {})
        rendered = render_labels(db.session, kind=form.get("kind", ""), codes=form.get("codes", ""),
                                 format_id=form.get("format"), start=int(start),
                                 output="zpl" if action == "zpl" else "pdf", station=form.get("station") or None)
        return Response(rendered.content, mimetype=rendered.mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'})


class PrintStationView(BaseView):
    route_base = "/print-stations"
    class_permission_name = "Print stations"
    base_permissions = ["can_read", "can_write"]
    default_view = "list_stations"

    @expose("/")
    @has_access
    @permission_name("read")
    def list_stations(self):
        return self.render_template("labels/stations.html", title=_l("Print stations"), stations=stations(db.session),
                                    formats=[(f.id, f.title) for f in FORMATS.values()], errors={},
                                    reception=reception_station(db.session))

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view: url_for("PrintStationView.list_stations"))
    def save(self):
        form = request.form

        def number(name: str, default=0.0):
            raw = form.get(name, "").strip().replace(",", ".")
            try:
                return float(raw) if raw else default
            except ValueError:
                return raw

        dpi = form.get("dpi", "203")
        station = PrintStation(name=form.get("name", "").strip().lower(), default_format=form.get("default_format", ""),
                               offset_x=number("offset_x"), offset_y=number("offset_y"),
                               dpi=int(dpi) if dpi.isdigit() else 0, printer=form.get("printer", "").strip() or None)
        save_station(db.session, station)
        flash(f"Poste d'impression « {station.name} » enregistré.", "success")
        return redirect(url_for("PrintStationView.list_stations"))

    @expose("/reception", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view: url_for("PrintStationView.list_stations"))
    def save_reception(self):
        """The reception print station: where a device registered from a hardware snapshot gets
        its label. An empty choice clears it."""
        name = set_reception_station(db.session, request.form.get("reception_station"))
        if name:
            flash(f"Poste d'impression de la réception : « {name} ». Les appareils enregistrés par un instantané "
                  "matériel y impriment leur étiquette.", "success")
        else:
            flash("Aucun poste d'impression de la réception : les étiquettes des appareils enregistrés par un "
                  "instantané matériel ne s'impriment plus d'elles-mêmes.", "success")
        return redirect(url_for("PrintStationView.list_stations"))

"""Printing labels from the app: domain objects → label data → PDF, ZPL, or a network printer,
with the station's calibration and defaults."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from app.print_stations import get_station, reception_station
from core.errors import DomainError, ValidationFailed
from inventory.label_content import build_labels
from labels.errors import LabelError
from labels.formats import get_format
from labels.pdf import render_pdf
from labels.printer import send
from labels.zpl import render_zpl

PRINTER_TIMEOUT_SECONDS = 5


@dataclass
class Rendered:
    content: bytes
    mimetype: str
    filename: str
    count: int


def _as_validation(exc: LabelError) -> ValidationFailed:
    return ValidationFailed({exc.field or "labels": [exc.message]})


def render_labels(session: Session, *, kind: str, codes, format_id: str | None = None, start: int = 1,
                  output: str = "pdf", station: str | None = None, dpi: int | None = None) -> Rendered:
    """Raises ValidationFailed (bad format, start, selection, output…) or NotFound (unknown code)."""
    place = get_station(session, station)
    labels = build_labels(session, kind, codes, verify_base_url=current_app.config.get("PUBLIC_BASE_URL"))
    if output not in ("pdf", "zpl"):
        raise ValidationFailed({"output": ["Sortie « pdf » ou « zpl » attendue."]})
    try:
        fmt = get_format(format_id or (place.default_format if place else "avery-l7160"))
        offset = (place.offset_x, place.offset_y) if place else (0.0, 0.0)
        resolution = dpi or (place.dpi if place else 203)
        name = f"etiquettes-{kind}-{len(labels)}"
        if output == "zpl":
            text = render_zpl(labels, fmt, dpi=resolution, offset_mm=offset)
            return Rendered(text.encode("utf-8"), "text/plain", f"{name}.zpl", len(labels))
        pdf = render_pdf(labels, fmt, start=start, offset_mm=offset, dpi=resolution if fmt.kind == "roll" else None)
        return Rendered(pdf, "application/pdf", f"{name}.pdf", len(labels))
    except LabelError as exc:
        raise _as_validation(exc) from None


def print_labels(session: Session, *, kind: str, codes, station: str, format_id: str | None = None) -> int:
    """Send the labels as ZPL to the station's printer. Returns how many were sent. Raises
    ValidationFailed, NotFound, or LabelError (printer unreachable)."""
    place = get_station(session, station)
    if place is None:
        raise ValidationFailed({"station": ["Choisissez le poste d'impression."]})
    if not place.printer:
        raise ValidationFailed({"station": [f"Le poste « {place.name} » n'a pas d'imprimante réseau configurée."]})
    rendered = render_labels(session, kind=kind, codes=codes, format_id=format_id or (
        place.default_format if place.default_format.startswith("roll-") else "roll-62x29"), output="zpl", station=station)
    send(place.printer, rendered.content.decode("utf-8"), timeout=PRINTER_TIMEOUT_SECONDS)
    return rendered.count


@dataclass
class ReceptionLabel:
    """What became of a newly registered device's label."""

    printed_on: str | None = None   # the print station whose printer took it
    problem: str | None = None      # why the station's printer did not take it (French)

    @property
    def offer_pdf(self) -> bool:
        return self.printed_on is None


def reception_label(session: Session, asset_tag: str, station: str | None) -> ReceptionLabel:
    """Print a newly registered device's label on ``station``'s printer, on the station's default
    label stock, when the station has a printer; otherwise leave it to the PDF. Never raises:
    the device is registered already, and a printer that is off or a station gone must not
    hide that; the problem is returned, in French, and the PDF offered instead."""
    try:
        place = get_station(session, station)
    except DomainError as exc:
        return ReceptionLabel(problem=exc.message)
    if place is None or not place.printer:
        return ReceptionLabel()
    try:
        print_labels(session, kind="device", codes=asset_tag, station=place.name)
    except (DomainError, LabelError) as exc:
        return ReceptionLabel(problem=f"Étiquette non imprimée au poste « {place.name} » : {exc.message}")
    return ReceptionLabel(printed_on=place.name)


@dataclass
class StationLabel:
    """The label of a device registered without a browser (a hardware snapshot): where it
    printed, and what to tell whoever waits for it, in French."""

    printed_on: str | None
    message: str


def label_at_reception(session: Session, asset_tag: str) -> StationLabel:
    """Print a newly registered device's label on the workshop's reception print station
    (``print_stations.reception_station``). Never raises, like ``reception_label``: no station
    set, a station gone since it was chosen, one without a printer, or a printer that is off are
    said in ``message``, and the device stays registered."""
    station = reception_station(session)
    where = "page « Postes d'impression »"
    if station is None:
        return StationLabel(None, f"Étiquette non imprimée : aucun poste d'impression de la réception n'est réglé "
                                  f"({where}) ; imprimez-la depuis la fiche de l'appareil.")
    try:
        place = get_station(session, station)
    except DomainError:
        return StationLabel(None, f"Étiquette non imprimée : le poste d'impression de la réception « {station} » "
                                  f"n'existe plus ; choisissez-en un autre ({where}).")
    if not place.printer:
        return StationLabel(None, f"Étiquette non imprimée : le poste « {place.name} » n'a pas d'imprimante réseau ; "
                                  "imprimez-la depuis la fiche de l'appareil.")
    label = reception_label(session, asset_tag, place.name)
    if label.printed_on:
        return StationLabel(label.printed_on, f"Étiquette imprimée au poste « {label.printed_on} ».")
    return StationLabel(None, (label.problem or f"Étiquette non imprimée au poste « {place.name} »").rstrip(".") + ".")

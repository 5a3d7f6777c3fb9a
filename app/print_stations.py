"""Print stations: where labels come out. Each has its calibration offsets (mm), its default
format, and for thermal printers its resolution and network address. Kept in the settings
table, one JSON value per station.

The workshop also names its reception print station (one setting, unset by default): where the
label of a device registered from a hardware snapshot prints, since the live USB stick that
posts the snapshot has no browser to choose one."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.settings import Setting, get_setting, set_setting
from core.unit_of_work import unit_of_work
from labels.errors import LabelError
from labels.formats import FORMATS
from labels.printer import parse_address

PREFIX = "labels.station."
RECEPTION_KEY = "labels.reception-station"   # outside PREFIX: not a station


@dataclass
class PrintStation:
    name: str
    default_format: str = "avery-l7160"
    offset_x: float = 0.0     # mm, to the right
    offset_y: float = 0.0     # mm, downwards
    dpi: int = 203
    printer: str | None = None   # host:port of a ZPL printer


def stations(session: Session) -> list[PrintStation]:
    rows = session.execute(select(Setting).where(Setting.key.like(PREFIX + "%")).order_by(Setting.key)).scalars()
    return [PrintStation(**json.loads(row.value)) for row in rows]


def get_station(session: Session, name: str | None) -> PrintStation | None:
    if not name:
        return None
    row = session.get(Setting, PREFIX + name)
    if row is None:
        raise NotFound(f"Poste d'impression « {name} » inconnu.")
    return PrintStation(**json.loads(row.value))


def save_station(session: Session, station: PrintStation) -> PrintStation:
    """Create or replace a station, after checking every field. Commits."""
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", station.name or ""):
        errors["name"] = ["Nom du poste : nom court en minuscules, chiffres et tirets attendu (par exemple atelier-1)."]
    if station.default_format not in FORMATS:
        errors["default_format"] = [f"Format par défaut inconnu : formats acceptés : {', '.join(FORMATS)}."]
    for field, axis in (("offset_x", "horizontal"), ("offset_y", "vertical")):
        value = getattr(station, field)
        if not isinstance(value, (int, float)) or not -20 <= value <= 20:
            errors[field] = [f"Décalage {axis} : de -20 à 20 mm attendu."]
    if station.dpi not in (203, 300):
        errors["dpi"] = ["Résolution : 203 ou 300 dpi attendue."]
    if station.printer:
        try:
            parse_address(station.printer)
        except LabelError as exc:
            errors["printer"] = [f"Imprimante réseau : {exc.message}"]
    if errors:
        # Each message names its field in French: the page shows them without the field keys.
        raise ValidationFailed(errors, message=" ".join(m for messages in errors.values() for m in messages))
    set_setting(session, PREFIX + station.name, json.dumps(asdict(station)))
    session.commit()
    return station


def reception_station(session: Session) -> str | None:
    """The name of the workshop's reception print station, or None when none is set. The name
    is returned as saved: a station gone since is for the printing to report (it never raises)."""
    return get_setting(session, RECEPTION_KEY) or None


def set_reception_station(session: Session, name: str | None) -> str | None:
    """Set the reception print station to the station ``name``, or clear it (None or empty).
    One unit of work. Raises ValidationFailed (field ``reception_station``) for an unknown
    station."""
    name = (name or "").strip()
    with unit_of_work(session):
        if not name:
            row = session.get(Setting, RECEPTION_KEY)
            if row is not None:
                session.delete(row)
            return None
        if session.get(Setting, PREFIX + name) is None:
            message = f"Poste d'impression de la réception : poste « {name} » inconnu ; choisissez un poste de la liste."
            raise ValidationFailed({"reception_station": [message]}, message=message)
        set_setting(session, RECEPTION_KEY, name)
    return name

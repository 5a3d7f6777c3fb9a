"""Print stations: where labels come out. Each has its calibration offsets (mm), its default
format, and for thermal printers its resolution and network address. Kept in the settings
table, one JSON value per station."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationFailed
from core.settings import Setting, set_setting
from labels.errors import LabelError
from labels.formats import FORMATS
from labels.printer import parse_address

PREFIX = "labels.station."


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
        errors["name"] = ["Nom court en minuscules, chiffres et tirets attendu (par exemple atelier-1)."]
    if station.default_format not in FORMATS:
        errors["default_format"] = [f"Format inconnu : formats acceptés : {', '.join(FORMATS)}."]
    for field in ("offset_x", "offset_y"):
        value = getattr(station, field)
        if not isinstance(value, (int, float)) or not -20 <= value <= 20:
            errors[field] = ["Décalage de -20 à 20 mm attendu."]
    if station.dpi not in (203, 300):
        errors["dpi"] = ["Résolution de 203 ou 300 dpi attendue."]
    if station.printer:
        try:
            parse_address(station.printer)
        except LabelError as exc:
            errors["printer"] = [exc.message]
    if errors:
        raise ValidationFailed(errors)
    set_setting(session, PREFIX + station.name, json.dumps(asdict(station)))
    session.commit()
    return station

"""Reading a JSON object uploaded by Admin (rule sets, price grids), with French errors."""
from __future__ import annotations

import json

from core.errors import ValidationFailed


def read_json_object(content: bytes | str, field: str = "file") -> dict:
    """The file's JSON object, or ValidationFailed naming ``field``."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed({field: [f"Fichier JSON illisible : {exc}."]}) from None
    if not isinstance(data, dict):
        raise ValidationFailed({field: ["Un objet JSON ({…}) est attendu."]})
    return data

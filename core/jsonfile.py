"""Reading a JSON object uploaded by Admin (rule sets, price grids), with French errors."""
from __future__ import annotations

import json

from core.errors import ValidationFailed

# Far more than a rule set (3 levels) or a price grid (4) needs, and far from the interpreter's
# recursion limit: a file nested a few hundred levels deep parses, then fails to serialise when
# stored, deeper in the stack.
MAX_DEPTH = 20
TOO_DEEP = f"Fichier JSON trop imbriqué : {MAX_DEPTH} niveaux au plus."


def _too_deep(data) -> bool:
    """Whether ``data`` nests lists and objects deeper than MAX_DEPTH. Walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


def read_json_object(content: bytes | str, field: str = "file") -> dict:
    """The file's JSON object, nested MAX_DEPTH levels at most, or ValidationFailed naming
    ``field`` (unreadable, too deep — ``"[" * 100000`` used to raise RecursionError — or not
    an object)."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:      # where, in French: Python's own text is English
        raise ValidationFailed({field: [f"Fichier JSON illisible : erreur de syntaxe ligne {exc.lineno}, "
                                        f"colonne {exc.colno}."]}) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed({field: ["Fichier JSON illisible : texte UTF-8 attendu."]}) from None
    except RecursionError:
        raise ValidationFailed({field: [TOO_DEEP]}) from None
    if _too_deep(data):
        raise ValidationFailed({field: [TOO_DEEP]})
    if not isinstance(data, dict):
        raise ValidationFailed({field: ["Un objet JSON ({…}) est attendu."]})
    return data

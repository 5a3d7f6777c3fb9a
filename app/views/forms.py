"""Turning HTML form fields into the input the schemas expect (the API's shape), so that the
UI and the API share one validation path."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict


def text(form: MultiDict, name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def integer(form: MultiDict, name: str):
    """An int when the field holds digits; otherwise the raw text, which the schema refuses
    with a French message naming the field."""
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def decimal_text(form: MultiDict, name: str) -> str | None:
    """French users type a decimal comma: "2,5" means 2.5."""
    value = form.get(name, "").strip().replace("\u00a0", "").replace(" ", "")
    return value.replace(",", ".") or None


def drop_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}

"""Flask-AppBuilder's menu API (``GET /api/v1/menu/``) answers a separator as the string "-"
beside the menu items, where its own description says every item is an object: the served
OpenAPI description says what it answers (through FAB's ``openapi_spec_methods``), set by
``describe_menu_api`` whenever one of our APIs is registered."""
from __future__ import annotations

from flask_appbuilder.menu import MenuApi

SEPARATOR = {"type": "string", "enum": ["-"], "description": "séparateur"}
ITEM = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "nom interne (celui de la permission)"},
        "label": {"type": "string", "description": "libellé affiché"},
        "icon": {"type": "string"},
        "url": {"type": "string"},
        "childs": {"type": "array", "items": {"oneOf": [{"type": "object"}, SEPARATOR]}},
    },
}

MENU_SPEC = {
    "get_menu_data": {
        "get": {
            "summary": "Le menu auquel l'utilisateur a accès (objets et séparateurs « - »)",
            "responses": {
                "200": {"description": "{result: [...]}", "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"result": {"type": "array", "items": {"oneOf": [ITEM, SEPARATOR]}}},
                }}}},
                "401": {"$ref": "#/components/responses/401"},
            },
        },
    },
}


def describe_menu_api() -> None:
    MenuApi.openapi_spec_methods = MENU_SPEC

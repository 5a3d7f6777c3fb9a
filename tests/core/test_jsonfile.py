"""Reading a JSON object uploaded by Admin (core/jsonfile.py): every refusal is a French
ValidationFailed naming the field, never an interpreter error."""
from __future__ import annotations

import json

import pytest

from core.errors import ValidationFailed
from core.jsonfile import MAX_DEPTH, read_json_object

TOO_DEEP = "Fichier JSON trop imbriqué : 20 niveaux au plus."


def nested(depth: int) -> str:
    """An object whose key « notes » holds lists nested so that the file is ``depth`` levels deep."""
    return '{"id": "X", "notes": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize("content", [
    b"[" * 100_000,                                       # RecursionError in json.loads before
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' * 100_000 + b"1" + b"}" * 100_000,
    nested(900).encode(),                                 # parses, but too deep to store
    nested(MAX_DEPTH + 1),
])
def test_a_deeply_nested_file_is_a_french_error_naming_the_field(content):
    with pytest.raises(ValidationFailed) as refused:
        read_json_object(content, field="rule_file")
    assert refused.value.errors == {"rule_file": [TOO_DEEP]}


def test_a_file_at_the_depth_limit_is_read():
    assert read_json_object(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))


@pytest.mark.parametrize("content,message", [
    (b'{\n  "id": "X",\n  oops\n}', "Fichier JSON illisible : erreur de syntaxe ligne 3, colonne 3."),
    (b"{", "Fichier JSON illisible : erreur de syntaxe ligne 1, colonne 2."),
    ("{\"id\": \"é\"}".encode("latin-1"), "Fichier JSON illisible : texte UTF-8 attendu."),
])
def test_an_unreadable_file_is_told_in_french_with_where(content, message):
    with pytest.raises(ValidationFailed) as refused:
        read_json_object(content, field="rule_file")
    assert refused.value.errors == {"rule_file": [message]}

"""A refusal's message is what a person reads: the messages alone, never the fields' keys."""
from core.errors import ValidationFailed


def test_the_default_message_is_the_messages_without_the_field_keys():
    refused = ValidationFailed({"offset_x": ["Décalage horizontal : nombre de -20 à 20 mm attendu."],
                                "name": ["Nom du poste obligatoire.", "Nom du poste : 80 caractères au plus."]})
    assert refused.message == ("Décalage horizontal : nombre de -20 à 20 mm attendu. "
                               "Nom du poste obligatoire. Nom du poste : 80 caractères au plus.")
    assert "offset_x" not in refused.message and "name" not in refused.message
    assert refused.errors["offset_x"] == ["Décalage horizontal : nombre de -20 à 20 mm attendu."]   # kept for programs


def test_a_plain_message_and_an_explicit_one_are_kept():
    assert ValidationFailed("Code vide.").errors == {"_": ["Code vide."]}
    assert ValidationFailed("Code vide.").message == "Code vide."
    assert ValidationFailed({"code": ["x"]}, message="Données refusées.").message == "Données refusées."

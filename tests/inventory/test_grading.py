"""Grade computation (table-driven), the checklist service and the "reconditionné" status."""
from __future__ import annotations

import pytest

from core.errors import Conflict, ValidationFailed
from inventory.grading import DEFAULT_TEMPLATES, ChecklistInvalid, Item, compute
from inventory.services.grading import (
    grade_device,
    is_refurbished,
    latest_result,
    parse_template_text,
    save_template,
    template_items,
    template_text,
)
from inventory.services.transitions import transition
from tests.helpers import advance, make_device, make_workshop, passing_checklist

LAPTOP = DEFAULT_TEMPLATES["laptop"]


def values(**changes):
    return passing_checklist("laptop", **changes)


@pytest.mark.parametrize(
    "checklist,cosmetic,lowered,note,grade,failing",
    [
        (values(), "A", None, None, "A", []),
        (values(), "B", None, None, "B", []),
        (values(), "C", None, None, "C", []),
        (values(webcam=False), "A", None, None, None, ["webcam"]),
        (values(boots=False, charger=False), "B", None, None, None, ["boots", "charger"]),
        (values(battery_health=79.9), "A", None, None, None, ["battery_health"]),
        (values(battery_health=80), "A", None, None, "A", []),          # the threshold is inclusive
        (values(battery_health=12, wifi=False), "C", None, None, None, ["battery_health", "wifi"]),
        (values(), "A", "B", "Rayure sous l'écran", "B", []),           # lowered, with a note
        (values(), "B", "B", None, "B", []),                            # "lowered" to itself: nothing to say
        (values(), "A", "C", "Charnière dure", "C", []),
    ],
)
def test_grade_table(checklist, cosmetic, lowered, note, grade, failing):
    outcome = compute(LAPTOP, checklist, cosmetic, lowered_to=lowered, note=note)
    assert outcome.grade == grade
    assert [item.key for item in outcome.failing] == failing
    assert outcome.computed == (None if failing else cosmetic)


@pytest.mark.parametrize(
    "checklist,cosmetic,lowered,note,errors",
    [
        ({k: v for k, v in values().items() if k != "webcam"}, "A", None, None, {"checklist.webcam": ["Élément manquant : Webcam."]}),
        (values(flux_capacitor=True), "A", None, None, {"checklist.flux_capacitor"}),
        (values(boots="oui"), "A", None, None, {"checklist.boots"}),
        (values(battery_health=130), "A", None, None, {"checklist.battery_health"}),
        (values(battery_health=True), "A", None, None, {"checklist.battery_health"}),
        (values(), "D", None, None, {"cosmetic"}),
        (values(), "B", "A", "mieux", {"grade": ["La note calculée est B : elle peut être abaissée, jamais relevée."]}),
        (values(), "A", "C", "  ", {"note": ["Dites pourquoi la note passe de A à C."]}),
    ],
)
def test_invalid_checklists_name_the_problem(checklist, cosmetic, lowered, note, errors):
    with pytest.raises(ChecklistInvalid) as invalid:
        compute(LAPTOP, checklist, cosmetic, lowered_to=lowered, note=note)
    if isinstance(errors, dict):
        for key, messages in errors.items():
            assert invalid.value.errors[key] == messages
    else:
        assert set(invalid.value.errors) == errors


def test_every_category_has_a_default_template():
    from core.vocabulary import Category

    assert set(DEFAULT_TEMPLATES) == set(Category.values())
    phone = {item.key for item in DEFAULT_TEMPLATES["smartphone"]}
    assert {"activation_lock_removed", "imei_blacklist_checked", "battery_health", "sim_network"} <= phone


@pytest.fixture
def shop(session):
    return make_workshop(session)


def in_grading(session, shop, **extra):
    device = make_device(session, shop["collection"].id, **extra)
    advance(session, device, "grading")
    return device


def test_a_failed_control_sends_the_device_back_to_repair(session, shop):
    device = in_grading(session, shop)
    result = grade_device(session, device.asset_tag, checklist=values(keyboard=False), cosmetic="A")
    assert (result.grade, result.failing, device.state, device.grade) == (None, ["keyboard"], "repair", None)
    assert not is_refurbished(device, result)


def test_a_passed_control_grades_and_the_device_is_refurbished(session, shop):
    device = in_grading(session, shop)
    result = grade_device(session, device.asset_tag, checklist=values(), cosmetic="A", grade="B", note="Marque sur le capot")
    assert (result.computed_grade, result.grade, device.grade, device.state) == ("A", "B", "B", "grading")
    assert is_refurbished(device, latest_result(session, device.id))
    transition(session, device.asset_tag, "in_stock")
    # Back to repair: the grade goes, and with it the "reconditionné" status.
    transition(session, device.asset_tag, "repair")
    assert not is_refurbished(device, latest_result(session, device.id))


def test_refurbished_needs_every_medium_safe(session, shop):
    monitor = in_grading(session, shop, category="monitor", storage=None)
    result = grade_device(session, monitor.asset_tag, checklist=passing_checklist("monitor"), cosmetic="B")
    assert is_refurbished(monitor, result)


def test_bad_checklists_are_refused_and_nothing_written(session, shop):
    device = in_grading(session, shop)
    with pytest.raises(ValidationFailed) as refused:
        grade_device(session, device.asset_tag, checklist={k: v for k, v in values().items() if k != "audio"}, cosmetic="A")
    assert refused.value.errors == {"checklist.audio": ["Élément manquant : Son : haut-parleurs, micro, prise casque."]}
    assert latest_result(session, device.id) is None and device.state == "grading"
    with pytest.raises(Conflict):
        grade_device(session, make_device(session, shop["collection"].id).asset_tag, checklist=values(), cosmetic="A")


def test_admin_edits_a_template(session):
    text = template_text(template_items(session, "monitor"))
    assert text.splitlines()[0] == "powers_on ; S'allume ; bool"
    try:
        save_template(session, "monitor", text + "\nbrightness ; Luminosité mesurée ; percent ; 60")
        assert template_items(session, "monitor")[-1] == Item("brightness", "Luminosité mesurée", "percent", 60.0)
    finally:  # templates are kept between tests
        save_template(session, "monitor", text)
    with pytest.raises(ValidationFailed) as bad:
        parse_template_text("ok ; Fine ; bool\nBad Key ; X ; bool\nok ; Again ; bool\nz ; Z ; colour\nq ; Q ; percent ; 140")
    assert bad.value.errors["items"] == [
        "Ligne 2 : la clé « Bad Key » doit être en minuscules, lettres, chiffres et _ seulement.",
        "Ligne 3 : la clé « ok » est déjà utilisée.",
        "Ligne 4 : type « bool » (fonctionne ou non) ou « percent » (mesure) attendu.",
        "Ligne 5 : seuil de 0 à 100 attendu.",
    ]


def test_a_checklist_error_reads_as_all_its_messages():
    with pytest.raises(ChecklistInvalid) as invalid:
        compute(LAPTOP, values(boots="oui", battery_health=-1), "Z")
    assert str(invalid.value) == "; ".join(m for msgs in invalid.value.errors.values() for m in msgs)
    assert invalid.value.errors == {
        "cosmetic": ["État esthétique attendu : A (aucune marque), B (légères marques) ou C (usure visible)."],
        "checklist.boots": ["Démarre jusqu'au système : vrai (fonctionne) ou faux (ne fonctionne pas) attendu."],
        "checklist.battery_health": ["Santé de la batterie (% de la capacité d'origine) : pourcentage de 0 à 100 attendu."],
    }


@pytest.mark.parametrize("battery,grade", [(0, None), (100, "A"), (100.0, "A"), (80.0, "A"), (79.99, None)])
def test_a_percentage_from_0_to_100_against_its_threshold(battery, grade):
    assert compute(LAPTOP, values(battery_health=battery), "A").grade == grade


@pytest.mark.parametrize("battery", [-0.01, 100.01, "90", None])
def test_a_percentage_outside_0_to_100_is_refused(battery):
    with pytest.raises(ChecklistInvalid) as invalid:
        compute(LAPTOP, values(battery_health=battery), "A")
    assert list(invalid.value.errors) == ["checklist.battery_health"]


def test_a_percentage_without_threshold_never_fails():
    items = [Item("screen", "Écran"), Item("wear", "Usure (%)", "percent")]
    assert compute(items, {"screen": True, "wear": 3}, "B").grade == "B"


def test_an_unknown_item_names_the_expected_ones():
    with pytest.raises(ChecklistInvalid) as invalid:
        compute(DEFAULT_TEMPLATES["monitor"], {**passing_checklist("monitor"), "webcam": True}, "A")
    assert invalid.value.errors == {"checklist.webcam": [
        "Élément inconnu pour cette catégorie : valeurs attendues : cable, display, inputs, powers_on, stand."]}


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_lowered_grade_needs_a_note(note):
    with pytest.raises(ChecklistInvalid) as invalid:
        compute(LAPTOP, values(), "A", lowered_to="B", note=note)
    assert invalid.value.errors == {"note": ["Dites pourquoi la note passe de A à B."]}


def test_an_unknown_lowered_grade():
    with pytest.raises(ChecklistInvalid) as invalid:
        compute(LAPTOP, values(), "A", lowered_to="E", note="x")
    assert invalid.value.errors == {"grade": ["Note inconnue : valeurs acceptées : A, B, C."]}


def test_items_round_trip_through_their_stored_form():
    battery = DEFAULT_TEMPLATES["laptop"][4]
    assert battery.as_dict() == {"key": "battery_health", "label": "Santé de la batterie (% de la capacité d'origine)",
                                 "kind": "percent", "threshold": 80}
    assert Item.from_dict(battery.as_dict()) == battery
    assert Item("boots", "Démarre").as_dict() == {"key": "boots", "label": "Démarre", "kind": "bool"}
    assert Item.from_dict({"key": "boots", "label": "Démarre"}) == Item("boots", "Démarre", "bool", None)

"""Rule sets as data: what is read from a rule-set file, every refusal in French, the accepted
edges, and the dates a rule set applies on. Pure, no database."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from eligibility.rules import RuleSetInvalid, Tier, bundled_rule_sets, parse_rule_set

BUNDLED = bundled_rule_sets()[0]


def changed(**top) -> dict:
    data = copy.deepcopy(BUNDLED)
    data.update(top)
    return data


def units(**values) -> dict:
    return changed(consumption_units={**BUNDLED["consumption_units"], **values})


def tiers(*pairs) -> list[dict]:
    return [{"tier": t, "ceiling": c, "label": f"Palier {t}"} for t, c in pairs]


def test_what_is_read_from_the_bundled_file():
    rules = parse_rule_set(BUNDLED)
    assert (rules.id, rules.title, rules.effective_from, rules.effective_to) == (
        "MQ-2026.1", "Règles d'éligibilité 2026 — Martinique", date(2026, 1, 1), None)
    assert (rules.adult_age, rules.first_adult, rules.other_adult, rules.child) == (
        14, Decimal("1"), Decimal("0.5"), Decimal("0.3"))
    assert rules.tiers[0] == Tier(1, Decimal("1073"), "Palier 1", "50 % du niveau de vie médian national 2023 (INSEE)")
    assert rules.benefits["CSS"] == "complémentaire santé solidaire"


def test_tiers_are_sorted_by_ceiling_and_benefit_codes_upper_cased():
    rules = parse_rule_set(changed(id=" MQ-X ", title="", automatic_tier1_benefits={"rsa": "revenu"},
                                   tiers=[{"tier": 2, "ceiling": 1288, "label": "P2"},
                                          {"tier": 1, "ceiling": "1073.5", "label": "P1", "basis": "b"}]))
    assert [(t.tier, t.ceiling, t.basis) for t in rules.tiers] == [(1, Decimal("1073.5"), "b"), (2, Decimal("1288"), "")]
    assert rules.benefits == {"RSA": "revenu"}
    assert rules.id == "MQ-X"
    assert parse_rule_set(changed(id="MQ-Y", title="")).title == "MQ-Y"   # the id is its own title when none is given


def test_the_accepted_edges():
    rules = parse_rule_set(changed(id="X" * 30, title="T" * 200, effective_to="2026-01-01",
                                   tiers=tiers((1, "0"), (9, "100"))))
    assert (len(rules.id), len(rules.title), rules.effective_to) == (30, 200, date(2026, 1, 1))
    assert [t.tier for t in rules.tiers] == [1, 9]
    assert parse_rule_set(units(first_adult="0.1", child="2.5")).child == Decimal("2.5")


MISSING = "Règles incomplètes : champ « {} » manquant."


@pytest.mark.parametrize("data,message", [
    (changed(id="X" * 31), "Règles invalides : l'identifiant tient en 30 caractères et le titre en 200."),
    (changed(title="T" * 201), "Règles invalides : l'identifiant tient en 30 caractères et le titre en 200."),
    (changed(id=" "), "Règles invalides : un identifiant et au moins un palier sont attendus."),
    (changed(tiers=[]), "Règles invalides : un identifiant et au moins un palier sont attendus."),
    (changed(tiers=tiers((0, "500"))), "Règles invalides : les paliers sont numérotés de 1 à 9, sans doublon."),
    (changed(tiers=tiers((10, "500"))), "Règles invalides : les paliers sont numérotés de 1 à 9, sans doublon."),
    (changed(tiers=tiers((1, "500"), (1, "900"))), "Règles invalides : les paliers sont numérotés de 1 à 9, sans doublon."),
    (changed(tiers=tiers((1, "900"), (2, "500"))), "Règles invalides : les plafonds doivent croître avec le numéro de palier."),
    (changed(tiers=tiers((1, "-1"))), "Règles invalides : les plafonds doivent croître avec le numéro de palier."),
    (changed(effective_to="2025-12-31"), "Règles invalides : la date de fin précède la date de début."),
    (units(first_adult="0"), "Règles invalides : les unités de consommation sont des dixièmes positifs (1, 0,5, 0,3…)."),
    (units(other_adult="-0.5"), "Règles invalides : les unités de consommation sont des dixièmes positifs (1, 0,5, 0,3…)."),
    (units(child="0.25"), "Règles invalides : les unités de consommation sont des dixièmes positifs (1, 0,5, 0,3…)."),
    (changed(effective_from="2026-02-30"), "Règles invalides : day is out of range for month."),
    (units(child="trois"), "Règles invalides : [<class 'decimal.ConversionSyntax'>]."),
    (changed(automatic_tier1_benefits=["RSA"]), "Règles invalides : 'list' object has no attribute 'items'."),
    (units(adult_age="quatorze"), "Règles invalides : invalid literal for int() with base 10: 'quatorze'."),
    (changed(tiers=[{"tier": 1, "ceiling": None, "label": "P"}]), "Règles invalides : [<class 'decimal.ConversionSyntax'>]."),
])
def test_a_bad_rule_set_is_refused_naming_what_is_wrong(data, message):
    with pytest.raises(RuleSetInvalid) as invalid:
        parse_rule_set(data)
    assert invalid.value.message == message and str(invalid.value) == message


@pytest.mark.parametrize("path", [("id",), ("effective_from",), ("tiers",), ("consumption_units",),
                                  ("automatic_tier1_benefits",), ("consumption_units", "child"),
                                  ("consumption_units", "adult_age")])
def test_a_missing_field_is_named(path):
    data = copy.deepcopy(BUNDLED)
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    holder.pop(path[-1])
    with pytest.raises(RuleSetInvalid) as invalid:
        parse_rule_set(data)
    assert invalid.value.message == MISSING.format(path[-1])


def test_the_days_a_rule_set_applies_on():
    open_ended = parse_rule_set(BUNDLED)
    assert not open_ended.applies_on(date(2025, 12, 31))
    assert open_ended.applies_on(date(2026, 1, 1)) and open_ended.applies_on(date(2099, 1, 1))
    bounded = parse_rule_set(changed(effective_to="2026-06-30"))
    assert bounded.applies_on(date(2026, 6, 30)) and not bounded.applies_on(date(2026, 7, 1))


@pytest.mark.parametrize("module,folder", [("eligibility.rules", "rules"), ("distribution.pricing", "grids")])
def test_bundled_files_are_read_in_name_order(tmp_path, monkeypatch, module, folder):
    """Every ``*.json`` of the package's folder, in name order (a later version sorts after),
    read as UTF-8."""
    import importlib
    import json
    from types import SimpleNamespace

    (tmp_path / folder).mkdir()
    for name, title in (("MQ-2027.1.json", "Règles 2027"), ("MQ-2026.1.json", "Règles 2026"), ("NOTES.txt", "x")):
        (tmp_path / folder / name).write_bytes(json.dumps({"title": title}, ensure_ascii=False).encode("utf-8"))
    target = importlib.import_module(module)
    monkeypatch.setattr(target, "resources", SimpleNamespace(files=lambda package: tmp_path))
    read = target.bundled_rule_sets() if folder == "rules" else target.bundled_grids()
    assert read == [{"title": "Règles 2026"}, {"title": "Règles 2027"}]

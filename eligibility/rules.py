"""Rule sets as data: what the engine needs from one rule-set file (eligibility/rules/*.json)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources


class RuleSetInvalid(ValueError):
    """A rule-set file that cannot be used; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Tier:
    tier: int
    ceiling: Decimal          # resources per consumption unit, monthly, at most (inclusive)
    label: str
    basis: str


@dataclass(frozen=True)
class Rules:
    id: str
    title: str
    effective_from: date
    effective_to: date | None
    adult_age: int
    first_adult: Decimal
    other_adult: Decimal
    child: Decimal
    benefits: dict[str, str]  # code → French name
    tiers: tuple[Tier, ...]   # ascending ceilings

    def applies_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def parse_rule_set(data: dict) -> Rules:
    """Check and read one rule set. Raises RuleSetInvalid naming what is wrong."""
    try:
        units = data["consumption_units"]
        tiers = tuple(sorted((Tier(int(t["tier"]), Decimal(str(t["ceiling"])), t["label"], t.get("basis", ""))
                              for t in data["tiers"]), key=lambda t: t.ceiling))
        rule_set = Rules(
            id=str(data["id"]).strip(),
            title=str(data.get("title") or data["id"]),
            effective_from=date.fromisoformat(data["effective_from"]),
            effective_to=date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
            adult_age=int(units["adult_age"]),
            first_adult=Decimal(str(units["first_adult"])),
            other_adult=Decimal(str(units["other_adult"])),
            child=Decimal(str(units["child"])),
            benefits={str(k).upper(): v for k, v in data["automatic_tier1_benefits"].items()},
            tiers=tiers,
        )
    except KeyError as exc:
        raise RuleSetInvalid(f"Règles incomplètes : champ « {exc.args[0]} » manquant.") from None
    except (AttributeError, ValueError, TypeError, InvalidOperation) as exc:
        raise RuleSetInvalid(f"Règles invalides : {exc}.") from None
    if not rule_set.id or not rule_set.tiers:
        raise RuleSetInvalid("Règles invalides : un identifiant et au moins un palier sont attendus.")
    if len(rule_set.id) > 30 or len(rule_set.title) > 200:
        raise RuleSetInvalid("Règles invalides : l'identifiant tient en 30 caractères et le titre en 200.")
    numbers = [t.tier for t in rule_set.tiers]
    if len(set(numbers)) != len(numbers) or any(not 1 <= n <= 9 for n in numbers):
        raise RuleSetInvalid("Règles invalides : les paliers sont numérotés de 1 à 9, sans doublon.")
    if [t.tier for t in rule_set.tiers] != sorted(t.tier for t in rule_set.tiers) or any(t.ceiling < 0 for t in rule_set.tiers):
        raise RuleSetInvalid("Règles invalides : les plafonds doivent croître avec le numéro de palier.")
    if rule_set.effective_to and rule_set.effective_to < rule_set.effective_from:
        raise RuleSetInvalid("Règles invalides : la date de fin précède la date de début.")
    for value in (rule_set.first_adult, rule_set.other_adult, rule_set.child):
        if value <= 0 or value * 10 != int(value * 10):
            raise RuleSetInvalid("Règles invalides : les unités de consommation sont des dixièmes positifs (1, 0,5, 0,3…).")
    return rule_set


def bundled_rule_sets() -> list[dict]:
    """The rule-set files shipped with the code (eligibility/rules/*.json)."""
    folder = resources.files("eligibility").joinpath("rules")
    return [json.loads(item.read_text(encoding="utf-8")) for item in sorted(folder.iterdir(), key=lambda p: p.name)
            if item.name.endswith(".json")]

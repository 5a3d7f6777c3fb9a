"""The eligibility decision, as a pure function: (household facts, rules, territory) → decision.

Two paths give the same decisions: ``decide`` for one household (exact Decimal arithmetic) and
``decide_frame`` for a pandas DataFrame of households (vectorised, exact integer arithmetic in
cents and tenths of consumption units). The reasons are written by the same functions.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from core.money import CENT, euros, euros_from_cents
from eligibility.rules import Rules


MAX_AGE = 125
# What the household's Numeric(12, 2) column holds; the API and the forms refuse more with the
# same message (eligibility.schemas), checked before any rounding.
MAX_RESOURCES = Decimal("9999999999.99")
RESOURCES_RANGE = "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."


@dataclass(frozen=True)
class HouseholdFacts:
    commune_insee: str | None
    ages: tuple[int, ...]               # every member, the head included, in whole years on the check date
    monthly_resources: Decimal | None   # €, the household's total
    benefits: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    eligible: bool
    tier: int | None
    consumption_units: Decimal
    resources_per_uc: Decimal
    epci: str | None
    rule_set: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"eligible": self.eligible, "tier": self.tier, "consumption_units": str(self.consumption_units),
                "resources_per_uc": str(self.resources_per_uc), "epci": self.epci, "rule_set": self.rule_set,
                "reasons": list(self.reasons)}


class InvalidHousehold(ValueError):
    """Facts the engine cannot decide on. ``errors`` maps a field to French messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(" ".join(m for msgs in errors.values() for m in msgs))


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- the sentences, shared by both paths ----------------------------------------------------

def units_text(uc: Decimal) -> str:
    return f"{uc.normalize():f}".replace(".", ",")


@lru_cache(maxsize=None)
def reason_outside(commune: str) -> str:
    return (f"Commune hors Martinique (code INSEE {commune}) : le programme est réservé aux habitants "
            "des 34 communes de Martinique.")


@lru_cache(maxsize=None)
def reason_residence(epci: str) -> str:
    return f"Le foyer habite en Martinique, sur le territoire de {epci}."


@lru_cache(maxsize=4096)
def reason_units(persons: int, adults: int, children: int, uc: Decimal) -> str:
    detail = f"{adults} personne{'s' if adults > 1 else ''} de 14 ans ou plus"
    if children:
        detail += f" et {children} enfant{'s' if children > 1 else ''} de moins de 14 ans"
    return (f"Le foyer compte {persons} personne{'s' if persons > 1 else ''} ({detail}) : "
            f"{units_text(uc)} unité{'s' if uc > 1 else ''} de consommation.")


@lru_cache(maxsize=None)
def reason_benefit(code: str, name: str) -> str:
    return (f"Le foyer perçoit une prestation qui ouvre droit au palier 1 : {code} ({name}). "
            "Il est éligible d'office, sans examen des ressources.")


def reason_income(resources: Decimal, rpu: Decimal) -> str:
    return reason_income_cents(int(resources * 100), int(rpu * 100))


def reason_income_cents(resources_cents: int, rpu_cents: int) -> str:
    return (f"Ressources de {euros_from_cents(resources_cents)} par mois, "
            f"soit {euros_from_cents(rpu_cents)} par unité de consommation.")


@lru_cache(maxsize=None)
def reason_tier(tier: int, ceiling: Decimal) -> str:
    return f"Ce montant ne dépasse pas le plafond du palier {tier} ({euros(ceiling)}) : le foyer est éligible au palier {tier}."


@lru_cache(maxsize=None)
def reason_over(ceiling: Decimal) -> str:
    return f"Ce montant dépasse le plafond le plus haut ({euros(ceiling)}) : le foyer n'est pas éligible."


# --- one household -----------------------------------------------------------------------------

def _check(facts: HouseholdFacts, rules: Rules) -> tuple[Decimal, list[str]]:
    errors: dict[str, list[str]] = {}
    if not facts.commune_insee or not str(facts.commune_insee).strip():
        errors["commune_insee"] = ["Code INSEE de la commune obligatoire."]
    if not facts.ages:
        errors["members"] = ["Indiquez chaque personne du foyer, le demandeur compris."]
    elif any(not isinstance(a, int) or isinstance(a, bool) or not 0 <= a <= MAX_AGE for a in facts.ages):
        errors["members"] = [f"Âge de 0 à {MAX_AGE} ans attendu pour chaque personne."]
    elif not any(a >= rules.adult_age for a in facts.ages):
        errors["members"] = [f"Le foyer doit compter au moins une personne de {rules.adult_age} ans ou plus."]
    resources = facts.monthly_resources
    try:
        resources = Decimal(resources) if resources is not None else None
    except (InvalidOperation, TypeError, ValueError):
        resources = None
    if resources is None or not resources.is_finite():
        errors["monthly_resources"] = ["Ressources mensuelles du foyer (en euros) obligatoires."]
    elif abs(resources) > MAX_RESOURCES:
        # Before rounding: 1e30 does not fit the decimal context (it read as "obligatoires").
        errors["monthly_resources"] = [RESOURCES_RANGE]
    else:
        resources = resources.quantize(CENT, ROUND_HALF_UP)
        if resources.is_zero():
            resources = resources.copy_abs()      # -0,004 € is 0,00 €, as in the batch (not « -0.00 »)
        if resources < 0:
            errors["monthly_resources"] = ["Les ressources ne peuvent pas être négatives."]
    benefits = [b.strip().upper() for b in facts.benefits if b and b.strip()]
    unknown = [b for b in benefits if b not in rules.benefits]
    if unknown:
        errors["benefits"] = [f"Prestation inconnue : {', '.join(unknown)}. Codes acceptés : {', '.join(rules.benefits)}."]
    if errors:
        raise InvalidHousehold(errors)
    return resources, benefits


def decide(facts: HouseholdFacts, rules: Rules, territory: Mapping[str, str]) -> Decision:
    """The decision for one household. Raises InvalidHousehold."""
    resources, benefits = _check(facts, rules)
    adults = sum(1 for a in facts.ages if a >= rules.adult_age)
    children = len(facts.ages) - adults
    uc = decimal_tenths(int((rules.first_adult + rules.other_adult * (adults - 1) + rules.child * children) * 10))
    rpu = (resources / uc).quantize(CENT, ROUND_HALF_UP)
    commune = str(facts.commune_insee).strip()
    epci = territory.get(commune)
    if epci is None:
        return Decision(False, None, uc, rpu, None, rules.id,
                        (reason_outside(commune), reason_units(len(facts.ages), adults, children, uc)))
    reasons = [reason_residence(epci), reason_units(len(facts.ages), adults, children, uc)]
    automatic = next((code for code in rules.benefits if code in benefits), None)
    if automatic:
        reasons.append(reason_benefit(automatic, rules.benefits[automatic]))
        return Decision(True, 1, uc, rpu, epci, rules.id, tuple(reasons))
    reasons.append(reason_income(resources, rpu))
    for tier in rules.tiers:
        if resources <= tier.ceiling * uc:   # exact: rpu ≤ ceiling ⇔ resources ≤ ceiling × uc
            reasons.append(reason_tier(tier.tier, tier.ceiling))
            return Decision(True, tier.tier, uc, rpu, epci, rules.id, tuple(reasons))
    reasons.append(reason_over(rules.tiers[-1].ceiling))
    return Decision(False, None, uc, rpu, epci, rules.id, tuple(reasons))


# --- many households at once -------------------------------------------------------------------

BATCH_COLUMNS = ("commune_insee", "ages", "monthly_resources", "benefits")


@lru_cache(maxsize=None)
def decimal_tenths(tenths: int) -> Decimal:
    """A number of consumption units as the single path writes it (1, 1.5, 2.1…)."""
    return (Decimal(tenths) / 10).normalize() if tenths % 10 else Decimal(tenths // 10)


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    """A column as plain Python strings ("" for missing): faster to parse than pandas' string
    dtype, and the same for every input (CSV, XLSX, built frames)."""
    values = frame[column].tolist()
    if all(type(v) is str for v in values):
        return [v.strip() for v in values]
    return ["" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
            for value in values]


def _numbers(texts: list[str]) -> np.ndarray:
    """Floats from strings, NaN where a string is not a number (C speed when all are)."""
    try:
        return np.asarray(texts, dtype=float) if "" not in texts else _slow_numbers(texts)
    except ValueError:
        return _slow_numbers(texts)


# From this amount on, a float no longer holds every cent exactly enough to round half up.
LARGE_AMOUNT = 1e9


def _decimal(text: str, parsed: float) -> Decimal:
    """The amount ``text`` writes, exactly (the float it was read as when Decimal cannot read it)."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return Decimal(parsed)
    return amount if amount.is_finite() else Decimal(parsed)


def _slow_numbers(texts: list[str]) -> np.ndarray:
    return pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float)


def decide_frame(frame: pd.DataFrame, rules: Rules, territory: Mapping[str, str]) -> pd.DataFrame:
    """Decisions for every row of ``frame`` (columns: commune_insee; ages "45;41;12";
    monthly_resources; benefits "RSA;CSS" or empty). Returns, aligned on the input's index,
    eligible, tier, consumption_units, resources_per_uc, epci, rule_set, reasons (a tuple of
    sentences) and error (a French message for a row that cannot be decided, else None).

    Errors are checked in the single path's order, so a row gets the same first message."""
    n = len(frame)
    index = frame.index
    errors: list[str | None] = [None] * n

    def flag(mask, message: str) -> None:
        for i in np.flatnonzero(mask):
            if errors[i] is None:
                errors[i] = message

    commune = _texts(frame, "commune_insee")
    flag(np.fromiter((c == "" for c in commune), bool, n), "commune_insee : Code INSEE de la commune obligatoire.")

    # Ages: every household's ages in one array; adults and children counted per row.
    ages_text = [t.replace(" ", "") for t in _texts(frame, "ages")]
    counts = np.fromiter((t.count(";") + 1 if t else 0 for t in ages_text), np.int64, n)
    flat = ";".join(t for t in ages_text if t).split(";") if counts.any() else []
    values = _numbers(flat)
    rows = np.repeat(np.arange(n), counts)
    bad_value = np.isnan(values) | (values != np.floor(values)) | (values < 0) | (values > MAX_AGE)
    bad_rows = np.bincount(rows, weights=bad_value, minlength=n) > 0
    adults = np.bincount(rows, weights=(values >= rules.adult_age) & ~bad_value, minlength=n).astype(np.int64)
    persons = counts
    children = persons - adults
    flag(persons == 0, "members : Indiquez chaque personne du foyer, le demandeur compris.")
    flag(bad_rows, f"members : Âge de 0 à {MAX_AGE} ans attendu pour chaque personne.")
    flag(adults == 0, f"members : Le foyer doit compter au moins une personne de {rules.adult_age} ans ou plus.")

    # Resources, in cents, exactly (rounded half up to the cent, as the single path does).
    texts = [t.replace(",", ".") for t in _texts(frame, "monthly_resources")]
    parsed = _numbers(texts)
    missing = ~np.isfinite(parsed)
    # Large amounts in Decimal, as the single path reads them: the bound exactly, and the cents
    # of what fits without float rounding (1e30 cents overflowed int64 and read as negative).
    large = np.flatnonzero(~missing & (np.abs(np.where(missing, 0.0, parsed)) >= LARGE_AMOUNT))
    too_large = np.zeros(n, dtype=bool)
    exact: dict[int, int] = {}
    for i in large:
        amount = _decimal(texts[i], parsed[i])
        if abs(amount) > MAX_RESOURCES:
            too_large[i] = True
        else:
            exact[i] = int(amount.quantize(CENT, ROUND_HALF_UP) * 100)
    safe = np.where(missing | too_large, 0.0, parsed)
    cents = (np.sign(safe) * np.floor(np.abs(safe) * 100 + 0.5 + 1e-9)).astype(np.int64)
    for i, value in exact.items():
        cents[i] = value
    flag(missing, "monthly_resources : Ressources mensuelles du foyer (en euros) obligatoires.")
    flag(too_large, f"monthly_resources : {RESOURCES_RANGE}")
    flag(~missing & ~too_large & (cents < 0), "monthly_resources : Les ressources ne peuvent pas être négatives.")

    # Benefits: the first one the rules name, in the rules' order; unknown codes are errors.
    order = {code: rank for rank, code in enumerate(rules.benefits)}
    codes = list(rules.benefits)
    first_benefit = np.full(n, -1, dtype=np.int64)
    for i, text in enumerate(_texts(frame, "benefits")):
        if not text:
            continue
        listed = [c.strip().upper() for c in text.split(";") if c.strip()]
        unknown = [c for c in listed if c not in order]
        if unknown and errors[i] is None:
            errors[i] = f"benefits : Prestation inconnue : {', '.join(unknown)}. Codes acceptés : {', '.join(codes)}."
        ranks = [order[c] for c in listed if c in order]
        if ranks:
            first_benefit[i] = min(ranks)

    # Consumption units in tenths, tiers by integer comparison: resources ≤ ceiling × uc.
    uc10 = (int(rules.first_adult * 10) + int(rules.other_adult * 10) * np.maximum(adults - 1, 0)
            + int(rules.child * 10) * children)
    uc10 = np.where(adults > 0, uc10, 1)
    rpu_cents = (2 * cents * 10 + uc10) // (2 * uc10)
    tier = np.zeros(n, dtype=np.int64)
    for t in reversed(rules.tiers):
        tier = np.where(cents * 10 <= int(t.ceiling * 100) * uc10, t.tier, tier)

    tier_reason = {t.tier: reason_tier(t.tier, t.ceiling) for t in rules.tiers}
    over_reason = reason_over(rules.tiers[-1].ceiling)
    units_reason: dict[tuple[int, int], tuple[Decimal, str]] = {}
    eligible_out, tier_out, uc_out, rpu_out, epci_out, reasons_out = ([None] * n for _ in range(6))
    for i in range(n):
        if errors[i] is not None:
            reasons_out[i] = ()
            continue
        key = (int(persons[i]), int(adults[i]))
        known = units_reason.get(key)
        if known is None:
            uc = decimal_tenths(int(uc10[i]))
            known = units_reason[key] = (uc, reason_units(key[0], key[1], key[0] - key[1], uc))
        uc, units = known
        uc_out[i] = uc
        rpu_out[i] = Decimal(int(rpu_cents[i])).scaleb(-2)
        epci = territory.get(commune[i])
        if epci is None:
            eligible_out[i] = False
            reasons_out[i] = (reason_outside(commune[i]), units)
            continue
        epci_out[i] = epci
        if first_benefit[i] >= 0:
            code = codes[first_benefit[i]]
            eligible_out[i], tier_out[i] = True, 1
            reasons_out[i] = (reason_residence(epci), units, reason_benefit(code, rules.benefits[code]))
            continue
        income = reason_income_cents(int(cents[i]), int(rpu_cents[i]))
        chosen = int(tier[i])
        if chosen:
            eligible_out[i], tier_out[i] = True, chosen
            reasons_out[i] = (reason_residence(epci), units, income, tier_reason[chosen])
        else:
            eligible_out[i] = False
            reasons_out[i] = (reason_residence(epci), units, income, over_reason)
    return pd.DataFrame({
        "eligible": pd.Series(eligible_out, index=index, dtype=object),
        "tier": pd.Series(tier_out, index=index, dtype=object),
        "consumption_units": pd.Series(uc_out, index=index, dtype=object),
        "resources_per_uc": pd.Series(rpu_out, index=index, dtype=object),
        "epci": pd.Series(epci_out, index=index, dtype=object),
        "rule_set": rules.id,
        "reasons": pd.Series(reasons_out, index=index, dtype=object),
        "error": pd.Series(errors, index=index, dtype=object),
    }, index=index)

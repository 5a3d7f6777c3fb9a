"""The eligibility engine: boundaries, benefits, residence, invalid input, and the batch path."""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.engine import HouseholdFacts, InvalidHousehold, age_on, decide, decide_frame
from eligibility.rules import RuleSetInvalid, bundled_rule_sets, parse_rule_set

RULES = parse_rule_set(bundled_rule_sets()[0])
TERRITORY = {r["insee_code"]: r["epci_short"] for r in csv.DictReader((Path(__file__).resolve().parents[2] / "core" / "data" / "communes.csv").open())}
LAMENTIN, MARIN, ROBERT = "97213", "97217", "97222"


def facts(ages=(40,), resources="1000", benefits=(), commune=LAMENTIN):
    return HouseholdFacts(commune, tuple(ages), Decimal(resources) if resources is not None else None, tuple(benefits))


def test_the_default_rule_set():
    assert RULES.id == "MQ-2026.1" and RULES.effective_from == date(2026, 1, 1)
    assert [(t.tier, t.ceiling) for t in RULES.tiers] == [(1, Decimal("1073")), (2, Decimal("1288")), (3, Decimal("1503"))]
    assert list(RULES.benefits) == ["RSA", "RSO", "ASS", "AAH", "ASI", "ASPA", "ADA", "AV", "CSS"]


# (ages, monthly resources) → (tier or None, consumption units)
@pytest.mark.parametrize(
    "ages,resources,tier,uc",
    [
        ((40,), "1073.00", 1, "1"),          # each ceiling exactly…
        ((40,), "1073.01", 2, "1"),          # …and one cent above
        ((40,), "1288.00", 2, "1"),
        ((40,), "1288.01", 3, "1"),
        ((40,), "1503.00", 3, "1"),
        ((40,), "1503.01", None, "1"),
        ((40, 38), "1609.50", 1, "1.5"),     # 1073 × 1.5
        ((40, 38), "1609.51", 2, "1.5"),
        ((40, 38, 12), "1931.40", 1, "1.8"),  # 1073 × 1.8
        ((40, 38, 12), "1931.41", 2, "1.8"),
        ((40, 13), "1394.90", 1, "1.3"),     # 13 years old: a child (0.3)
        ((40, 14), "1609.50", 1, "1.5"),     # 14 years old: an adult (0.5)
        ((40, 14), "1609.51", 2, "1.5"),
        ((15,), "0", 1, "1"),                # a household of one 15-year-old, no income
        ((40, 38, 17, 10, 6, 2), "2929.29", 1, "2.9"),  # 1073 × 2.9 = 3111.70: well under
        ((40, 38, 17, 10, 6, 2), "4358.71", None, "2.9"),  # 1503 × 2.9 = 4358.70, one cent above
    ],
)
def test_income_boundaries(ages, resources, tier, uc):
    decision = decide(facts(ages, resources), RULES, TERRITORY)
    assert decision.tier == tier and decision.eligible is (tier is not None)
    assert decision.consumption_units == Decimal(uc)
    assert decision.epci == "CACEM" and decision.rule_set == "MQ-2026.1"


def test_reasons_in_plain_french():
    decision = decide(facts((45, 43, 12, 8), "2500"), RULES, TERRITORY)
    assert decision.reasons == (
        "Le foyer habite en Martinique, sur le territoire de CACEM.",
        "Le foyer compte 4 personnes (2 personnes de 14 ans ou plus et 2 enfants de moins de 14 ans) : 2,1 unités de consommation.",
        "Ressources de 2\u00a0500,00\u00a0€ par mois, soit 1\u00a0190,48\u00a0€ par unité de consommation.",
        "Ce montant ne dépasse pas le plafond du palier 2 (1\u00a0288,00\u00a0€) : le foyer est éligible au palier 2.",
    )
    over = decide(facts((30,), "2000"), RULES, TERRITORY)
    assert over.reasons[-1] == "Ce montant dépasse le plafond le plus haut (1\u00a0503,00\u00a0€) : le foyer n'est pas éligible."


def test_rounding_is_half_up_to_the_cent():
    assert decide(facts((40, 38, 12), "1000"), RULES, TERRITORY).resources_per_uc == Decimal("555.56")  # 555.555…
    assert decide(facts((40, 10, 9), "1000.05"), RULES, TERRITORY).resources_per_uc == Decimal("625.03")  # 625.03125


@pytest.mark.parametrize("code", ["RSA", "RSO", "ASS", "AAH", "ASI", "ASPA", "ADA", "AV", "CSS", "rsa", " Css "])
def test_each_benefit_gives_tier_one_whatever_the_income(code):
    decision = decide(facts((40,), "9999", (code,)), RULES, TERRITORY)
    assert (decision.eligible, decision.tier) == (True, 1)
    assert code.strip().upper() in decision.reasons[-1] and "d'office" in decision.reasons[-1]
    assert not any("Ressources de" in r for r in decision.reasons)


def test_commune_outside_martinique():
    decision = decide(facts(commune="75056"), RULES, TERRITORY)
    assert not decision.eligible and decision.tier is None and decision.epci is None
    assert decision.reasons[0].startswith("Commune hors Martinique")
    assert decide(facts(commune=MARIN), RULES, TERRITORY).epci == "Espace Sud"
    assert decide(facts(commune=ROBERT), RULES, TERRITORY).epci == "CAP Nord"


@pytest.mark.parametrize(
    "household,field,message",
    [
        (facts(resources="-1"), "monthly_resources", "Les ressources ne peuvent pas être négatives."),
        (facts(resources=None), "monthly_resources", "Ressources mensuelles du foyer (en euros) obligatoires."),
        (facts(ages=(10, 5)), "members", "Le foyer doit compter au moins une personne de 14 ans ou plus."),
        (facts(ages=()), "members", "Indiquez chaque personne du foyer, le demandeur compris."),
        (facts(ages=(40, -2)), "members", "Âge de 0 à 125 ans attendu pour chaque personne."),
        (facts(benefits=("RSA", "APL")), "benefits",
         "Prestation inconnue : APL. Codes acceptés : RSA, RSO, ASS, AAH, ASI, ASPA, ADA, AV, CSS."),
        (facts(commune=""), "commune_insee", "Code INSEE de la commune obligatoire."),
    ],
)
def test_invalid_input(household, field, message):
    with pytest.raises(InvalidHousehold) as invalid:
        decide(household, RULES, TERRITORY)
    assert invalid.value.errors[field] == [message]


def test_ages_in_whole_years():
    assert age_on(date(2012, 11, 23), date(2026, 11, 22)) == 13   # the day before the 14th birthday
    assert age_on(date(2012, 11, 22), date(2026, 11, 22)) == 14
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13


def test_rule_sets_are_checked():
    broken = dict(bundled_rule_sets()[0])
    broken.pop("tiers")
    with pytest.raises(RuleSetInvalid) as missing:
        parse_rule_set(broken)
    assert missing.value.message == "Règles incomplètes : champ « tiers » manquant."


# --- the batch path agrees with the single path -------------------------------------------------

# Around what the household's column holds, and far beyond (1e30 overflowed the batch's cents).
AMOUNTS_AT_THE_BOUND = ["9999999999.99", "9999999999.994", "9999999999.995", "10000000000", "-9999999999.99",
                        "-10000000000", "1E+30", "-1E+30", "99999999999999999999", "1E+308", "1234567890.125",
                        "1234567890.135"]
communes = st.sampled_from([LAMENTIN, MARIN, ROBERT, "97209", "75056", "97101"])
households = st.tuples(
    communes,
    st.lists(st.integers(0, 125), min_size=0, max_size=7),
    st.one_of(st.decimals(min_value=-50, max_value=6000, places=2, allow_nan=False), st.none(),
              st.sampled_from([Decimal(a) for a in AMOUNTS_AT_THE_BOUND])),
    st.lists(st.sampled_from(["RSA", "AAH", "CSS", "ASPA", "apl", "", "av"]), max_size=3),
)


def single(commune, ages, resources, benefits):
    try:
        d = decide(HouseholdFacts(commune, tuple(ages), resources, tuple(benefits)), RULES, TERRITORY)
    except InvalidHousehold as invalid:
        field, messages = next(iter(invalid.errors.items()))
        return ("error", f"{field} : {messages[0]}")
    return (d.eligible, d.tier, str(d.consumption_units), str(d.resources_per_uc), d.epci, d.reasons)


def batched(rows):
    frame = pd.DataFrame({
        "commune_insee": [r[0] for r in rows],
        "ages": [";".join(str(a) for a in r[1]) for r in rows],
        "monthly_resources": ["" if r[2] is None else str(r[2]) for r in rows],
        "benefits": [";".join(r[3]) for r in rows],
    })
    out = decide_frame(frame, RULES, TERRITORY)
    results = []
    for row in out.itertuples():
        if row.error is not None:
            results.append(("error", row.error))
        else:
            results.append((row.eligible, row.tier, str(row.consumption_units), str(row.resources_per_uc), row.epci, row.reasons))
    return results


@settings(max_examples=300, deadline=None)
@given(st.lists(households, min_size=1, max_size=25))
def test_batch_path_gives_exactly_the_single_path_decisions(rows):
    expected = [single(*row) for row in rows]
    got = batched(rows)
    for mine, theirs, row in zip(got, expected, rows):
        assert mine == theirs, row   # the same decision, or the same first error, word for word


# --- the smaller pieces, at their edges -----------------------------------------------------------

def test_an_invalid_household_reads_as_all_its_messages():
    invalid = InvalidHousehold({"members": ["Un.", "Deux."], "benefits": ["Trois."]})
    assert str(invalid) == "Un. Deux. Trois." and invalid.errors["benefits"] == ["Trois."]


def test_amounts_in_french():
    from core.money import euros, euros_from_cents
    from eligibility.engine import units_text

    assert euros_from_cents(123456) == "1\u00a0234,56\u00a0€"
    assert euros_from_cents(-123456) == "-1\u00a0234,56\u00a0€"
    assert euros_from_cents(5) == "0,05\u00a0€" and euros_from_cents(0) == "0,00\u00a0€"
    assert euros(Decimal("0.005")) == "0,01\u00a0€"          # half up (half even would give 0,00)
    assert euros(Decimal("1234567.125")) == "1\u00a0234\u00a0567,13\u00a0€"
    assert units_text(Decimal("1.50")) == "1,5" and units_text(Decimal("2.0")) == "2"


@pytest.mark.parametrize("commune", ["  ", "\t", None])
def test_a_blank_commune_is_an_error(commune):
    with pytest.raises(InvalidHousehold) as invalid:
        decide(HouseholdFacts(commune, (40,), Decimal("100")), RULES, TERRITORY)
    assert invalid.value.errors == {"commune_insee": ["Code INSEE de la commune obligatoire."]}


@pytest.mark.parametrize("age", [True, False, 40.5, "40", None])
def test_an_age_is_a_whole_number_of_years(age):
    with pytest.raises(InvalidHousehold) as invalid:
        decide(HouseholdFacts(LAMENTIN, (40, age), Decimal("100")), RULES, TERRITORY)
    assert invalid.value.errors == {"members": ["Âge de 0 à 125 ans attendu pour chaque personne."]}


@pytest.mark.parametrize("resources", ["abc", "NaN", "Infinity", object()])
def test_resources_that_are_not_an_amount(resources):
    with pytest.raises(InvalidHousehold) as invalid:
        decide(HouseholdFacts(LAMENTIN, (40,), resources), RULES, TERRITORY)
    assert invalid.value.errors == {"monthly_resources": ["Ressources mensuelles du foyer (en euros) obligatoires."]}


def test_every_error_at_once_in_the_single_path():
    with pytest.raises(InvalidHousehold) as invalid:
        decide(HouseholdFacts("", (), None, ("XYZ", " rsa ", "")), RULES, TERRITORY)
    assert invalid.value.errors == {
        "commune_insee": ["Code INSEE de la commune obligatoire."],
        "members": ["Indiquez chaque personne du foyer, le demandeur compris."],
        "monthly_resources": ["Ressources mensuelles du foyer (en euros) obligatoires."],
        "benefits": ["Prestation inconnue : XYZ. Codes acceptés : RSA, RSO, ASS, AAH, ASI, ASPA, ADA, AV, CSS."],
    }


def test_blank_benefit_codes_are_no_benefit():
    decision = decide(facts((40,), "9999", ("", "  ", "\t")), RULES, TERRITORY)
    assert (decision.eligible, decision.tier) == (False, None)


def test_every_decision_names_its_rule_set():
    for household in (facts(commune="75056"), facts(benefits=("RSA",)), facts(resources="100"), facts(resources="9999")):
        assert decide(household, RULES, TERRITORY).rule_set == "MQ-2026.1"


@pytest.mark.parametrize("resources,error", [
    ("1E+30", "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."),       # was « obligatoires »
    ("-1E+30", "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."),
    ("99999999999999999999", "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."),
    ("10000000000", "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."),
    ("9999999999.995", "Ressources mensuelles de 9 999 999 999,99 € au plus attendues."),   # before rounding
    ("9999999999.99", None),
    ("-0.004", None),                                                                    # rounds to 0,00 €
    ("-0.005", "Les ressources ne peuvent pas être négatives."),
])
def test_an_amount_beyond_the_column_is_refused_alike_in_both_paths(resources, error):
    """The bound of the API and the forms (eligibility.schemas) is the engine's too, with the same
    message: a batch row of 1e30 € read as « négatives » (its cents overflowed int64)."""
    try:
        decide(facts(resources=resources), RULES, TERRITORY)
    except InvalidHousehold as invalid:
        assert invalid.errors == {"monthly_resources": [error]}
    else:
        assert error is None
    batch = decide_frame(pd.DataFrame({"commune_insee": [LAMENTIN] * 2, "ages": ["40"] * 2,
                                       "monthly_resources": [resources, resources.replace(".", ",")],
                                       "benefits": [""] * 2}), RULES, TERRITORY)
    assert list(batch["error"]) == [None if error is None else f"monthly_resources : {error}"] * 2
    assert batched([(LAMENTIN, (40,), Decimal(resources), ())]) == [single(LAMENTIN, (40,), Decimal(resources), ())]

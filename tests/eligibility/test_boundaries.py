"""One table of boundary cases, run through both paths of the engine (``decide`` for one
household, ``decide_frame`` for a batch): every ceiling exactly and one cent above, for
households of every composition of consumption units; the adult age (13 / 14) and the limits of
an age (0, 125, 126, −1); no income; a benefit. Both paths must give the expected tier, the
expected units, and word-for-word the same decision.
"""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.engine import HouseholdFacts, InvalidHousehold, decide, decide_frame
from eligibility.rules import bundled_rule_sets, parse_rule_set

RULES = parse_rule_set(bundled_rule_sets()[0])
TERRITORY = {r["insee_code"]: r["epci_short"] for r in csv.DictReader(
    (Path(__file__).resolve().parents[2] / "core" / "data" / "communes.csv").open())}
LAMENTIN = "97213"
CEILINGS = {1: Decimal("1073"), 2: Decimal("1288"), 3: Decimal("1503")}   # € per unit, MQ-2026.1
CENT = Decimal("0.01")

# Households by consumption units (first person aged 14+ = 1, other 14+ = 0.5, under 14 = 0.3):
# the ages sit on the adult-age boundary wherever they can.
COMPOSITIONS = [
    ((40,), "1"),
    ((14,), "1"),                    # the youngest adult alone
    ((125,), "1"),                   # the oldest age accepted
    ((40, 13), "1.3"),               # 13: a child
    ((40, 0), "1.3"),                # a newborn: a child
    ((40, 14), "1.5"),               # 14: an adult
    ((14, 14), "1.5"),
    ((40, 38, 13), "1.8"),
    ((40, 13, 13), "1.6"),
    ((40, 38, 14, 13), "2.3"),
    ((40, 38, 17, 10, 6, 2), "2.9"),
]


def _income_cases():
    for ages, uc in COMPOSITIONS:
        units, name = Decimal(uc), "-".join(map(str, ages))
        for tier, ceiling in CEILINGS.items():
            at = ceiling * units                      # exactly the ceiling per unit: still this tier
            above_tier = tier + 1 if tier + 1 in CEILINGS else None
            yield pytest.param(ages, at, tier, uc, id=f"{name}-T{tier}-at")
            yield pytest.param(ages, at + CENT, above_tier, uc, id=f"{name}-T{tier}-plus-1ct")
            yield pytest.param(ages, at - CENT, tier, uc, id=f"{name}-T{tier}-minus-1ct")
        yield pytest.param(ages, Decimal("0"), 1, uc, id=f"{name}-no-income")


INCOME_CASES = list(_income_cases())

# (ages, the field in error, its message): both paths refuse them with the same words.
INVALID_AGES = [
    ((40, 126), "members", "Âge de 0 à 125 ans attendu pour chaque personne."),
    ((40, -1), "members", "Âge de 0 à 125 ans attendu pour chaque personne."),
    ((13,), "members", "Le foyer doit compter au moins une personne de 14 ans ou plus."),
    ((13, 0), "members", "Le foyer doit compter au moins une personne de 14 ans ou plus."),
    ((), "members", "Indiquez chaque personne du foyer, le demandeur compris."),
]


def single(ages, resources, benefits=()):
    """The single path's answer as comparable values, or ("error", "field : message")."""
    try:
        d = decide(HouseholdFacts(LAMENTIN, tuple(ages), resources, tuple(benefits)), RULES, TERRITORY)
    except InvalidHousehold as invalid:
        field, messages = next(iter(invalid.errors.items()))
        return ("error", f"{field} : {messages[0]}")
    return (d.eligible, d.tier, d.consumption_units, d.resources_per_uc, d.epci, d.reasons)


def batch(rows):
    """The batch path's answers for (ages, resources, benefits) rows, in the same shape."""
    frame = pd.DataFrame({
        "commune_insee": [LAMENTIN] * len(rows),
        "ages": [";".join(str(a) for a in ages) for ages, _r, _b in rows],
        "monthly_resources": [str(resources) for _a, resources, _b in rows],
        "benefits": [";".join(benefits) for _a, _r, benefits in rows],
    })
    out = decide_frame(frame, RULES, TERRITORY)
    return [("error", r.error) if r.error is not None else
            (r.eligible, r.tier, r.consumption_units, r.resources_per_uc, r.epci, r.reasons)
            for r in out.itertuples()]


@pytest.mark.parametrize("ages,resources,tier,uc", INCOME_CASES)
def test_each_path_at_each_ceiling(ages, resources, tier, uc):
    expected = single(ages, resources)
    assert expected[:3] == (tier is not None, tier, Decimal(uc)), expected
    assert batch([(ages, resources, ())]) == [expected]


def test_the_whole_table_in_one_batch():
    """The batch path works on whole columns: the table in one frame gives every row's answer."""
    rows = [(p.values[0], p.values[1], ()) for p in INCOME_CASES]
    got = batch(rows)
    for row, answer, case in zip(rows, got, INCOME_CASES):
        tier = case.values[2]
        assert answer[:2] == (tier is not None, tier), case.id
        assert answer == single(row[0], row[1]), case.id


@pytest.mark.parametrize("ages,field,message", INVALID_AGES)
def test_invalid_ages_are_refused_alike(ages, field, message):
    assert single(ages, Decimal("500")) == ("error", f"{field} : {message}")
    assert batch([(ages, Decimal("500"), ())]) == [("error", f"{field} : {message}")]


@pytest.mark.parametrize("ages,uc", COMPOSITIONS)
def test_a_benefit_gives_tier_one_far_above_every_ceiling(ages, uc):
    resources = CEILINGS[3] * Decimal(uc) * 10
    expected = single(ages, resources, ("ASPA",))
    assert expected[:3] == (True, 1, Decimal(uc))
    assert batch([(ages, resources, ("ASPA",))]) == [expected]
    assert single(ages, resources)[:2] == (False, None)


# The random households of test_engine.py never land on a ceiling: these do.
on_a_ceiling = st.tuples(
    st.sampled_from(COMPOSITIONS),
    st.sampled_from(sorted(CEILINGS.values())),
    st.sampled_from([-CENT, Decimal(0), CENT]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(on_a_ceiling, min_size=1, max_size=20))
def test_households_drawn_on_the_ceilings_agree(draws):
    rows = [(ages, ceiling * Decimal(uc) + delta, ()) for (ages, uc), ceiling, delta in draws]
    assert batch(rows) == [single(ages, resources) for ages, resources, _ in rows]


def test_cells_as_a_spreadsheet_gives_them():
    """An XLSX gives numbers as int or float and empty cells as NaN or None: each row is decided
    as the single path decides the same values written as text."""
    import numpy as np

    frame = pd.DataFrame({
        "commune_insee": [97213, "97213", None, np.nan, " 97217 ", 97209],
        "ages": [40, "40;12", "40", "40", "abc;40", 40.0],
        "monthly_resources": [1073.0, "1 000", 500, "mille", 800, 1395],
        "benefits": [np.nan, None, "", " rsa ", "", float("nan")],
    }, dtype=object)
    out = decide_frame(frame, RULES, TERRITORY)
    decided = [(r.eligible, r.tier, r.epci) for r in out.itertuples()]
    assert decided[0] == (True, 1, "CACEM") and decided[5] == (True, 3, "CACEM")   # 97209 as a number, 40.0 years
    assert list(out["error"]) == [
        None,
        "monthly_resources : Ressources mensuelles du foyer (en euros) obligatoires.",   # "1 000": not a number
        "commune_insee : Code INSEE de la commune obligatoire.",
        "commune_insee : Code INSEE de la commune obligatoire.",
        "members : Âge de 0 à 125 ans attendu pour chaque personne.",
        None,
    ]
    assert out.loc[0, "consumption_units"] == Decimal("1") and out.loc[0, "resources_per_uc"] == Decimal("1073.00")


def frame_of(rows, index=None) -> pd.DataFrame:
    return pd.DataFrame({
        "commune_insee": [r[0] for r in rows], "ages": [r[1] for r in rows],
        "monthly_resources": [r[2] for r in rows], "benefits": [r[3] for r in rows]}, index=index)


def test_the_answer_is_aligned_on_the_input_and_holds_plain_python_values():
    out = decide_frame(frame_of([(LAMENTIN, "40", "500", ""), ("", "40", "500", ""), (LAMENTIN, "40", "9000", "")],
                                index=[30, 10, 20]), RULES, TERRITORY)
    assert list(out.index) == [30, 10, 20]
    assert out.loc[30, "tier"] == 1 and out.loc[20, "eligible"] is False and out.loc[30, "eligible"] is True
    assert out.loc[10, "error"] == "commune_insee : Code INSEE de la commune obligatoire."
    assert out.loc[10, "reasons"] == () and out.loc[10, "eligible"] is None and out.loc[10, "tier"] is None
    for column in ("eligible", "tier", "consumption_units", "resources_per_uc", "epci", "reasons", "error"):
        assert out[column].dtype == object, column
    assert type(out.loc[30, "tier"]) is int and out.loc[30, "rule_set"] == "MQ-2026.1"
    assert tuple(out.loc[30, ["consumption_units", "resources_per_uc", "epci"]]) == (Decimal("1"), Decimal("500.00"), "CACEM")
    assert tuple(out.loc[20, ["consumption_units", "resources_per_uc", "epci"]]) == (Decimal("1"), Decimal("9000.00"), "CACEM")
    assert out.loc[20, "reasons"][-1].startswith("Ce montant dépasse le plafond le plus haut")
    valid = decide_frame(frame_of([(LAMENTIN, "40", "500", ""), (LAMENTIN, "40", "9000", "")]), RULES, TERRITORY)
    assert valid["eligible"].dtype == object and valid.loc[0, "eligible"] is True and valid.loc[1, "eligible"] is False


def test_a_column_of_numbers_only():
    """An XLSX column where every cell is a number (no text at all) is read like text."""
    frame = pd.DataFrame({"commune_insee": [97213, 97217], "ages": [40, 30], "monthly_resources": [500, 1300.5],
                          "benefits": [None, None]}, dtype=object)
    out = decide_frame(frame, RULES, TERRITORY)
    assert [(r.tier, r.epci, r.error) for r in out.itertuples()] == [(1, "CACEM", None), (3, "Espace Sud", None)]


@pytest.mark.parametrize("ages,error", [
    ("40; 12", None),                       # spaces around the separator
    ("40.5", "members : Âge de 0 à 125 ans attendu pour chaque personne."),
    ("40;;12", "members : Âge de 0 à 125 ans attendu pour chaque personne."),
    ("", "members : Indiquez chaque personne du foyer, le demandeur compris."),
])
def test_ages_as_typed(ages, error):
    out = decide_frame(frame_of([(LAMENTIN, ages, "500", "")]), RULES, TERRITORY)
    assert out.loc[0, "error"] == error
    # The same row after others, and with a household without anyone after it.
    many = decide_frame(frame_of([(LAMENTIN, "40", "500", ""), (LAMENTIN, ages, "500", ""),
                                  (LAMENTIN, "", "500", "")]), RULES, TERRITORY)
    assert list(many["error"]) == [None, error,
                                   "members : Indiquez chaque personne du foyer, le demandeur compris."]


def test_half_a_cent_rounds_up_in_both_paths():
    # 1 073,005 € for one person: 1 073,01 € once rounded half up, one cent above tier 1.
    for resources in ("1073.005", "1073,005"):
        out = decide_frame(frame_of([(LAMENTIN, "40", resources, "")]), RULES, TERRITORY)
        assert (out.loc[0, "tier"], out.loc[0, "resources_per_uc"]) == (2, Decimal("1073.01"))
    assert single((40,), Decimal("1073.005"))[1:4] == (2, Decimal("1"), Decimal("1073.01"))


def test_other_consumption_units_from_the_rules():
    """A rule set counting every other person as a whole unit: both paths use its weights."""
    import copy

    data = copy.deepcopy(bundled_rule_sets()[0])
    data["consumption_units"].update(other_adult="1", child="1")
    rules = parse_rule_set(data)
    out = decide_frame(frame_of([(LAMENTIN, "40;38;10", "3219", "")]), rules, TERRITORY)
    assert (out.loc[0, "consumption_units"], out.loc[0, "tier"]) == (Decimal("3"), 1)     # 1073 × 3
    facts = HouseholdFacts(LAMENTIN, (40, 38, 10), Decimal("3219"), ())
    assert decide(facts, rules, TERRITORY).consumption_units == Decimal("3")

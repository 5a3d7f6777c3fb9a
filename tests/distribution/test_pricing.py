"""The price grid as data and the invoice amounts under each VAT regime: pure, no database."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from distribution.amounts import LineAmounts, Totals, line_amounts, totals, vat_rate
from distribution.pricing import GridInvalid, bundled_grids, parse_grid

BUNDLED = bundled_grids()[0]
GRID = parse_grid(BUNDLED)
D = Decimal


def test_the_bundled_grid():
    GRID = parse_grid(BUNDLED)      # parsed here, not at import: what a change to parse_grid does shows
    assert (GRID.id, GRID.title, GRID.effective_from, GRID.effective_to) == (
        "PG-2026.1", "Grille des prix solidaires 2026", date(2026, 1, 1), None)
    assert GRID.price_of("laptop", "A", 1) == (D("60.00"), D("350.00"))
    assert GRID.price_of("laptop", "B", 3) == (D("100.00"), D("280.00"))
    assert GRID.price_of("smartphone", "C", 2) == (D("30.00"), D("100.00"))
    assert {code: (a.label, a.price) for code, a in GRID.accessories.items()}["charger"][1] == D("10.00")
    assert sorted(GRID.accessories) == ["bag", "charger", "mouse", "sim_adapter"]


@pytest.mark.parametrize("category,grade,tier,message", [
    ("printer", "A", 1, "La grille PG-2026.1 n'a pas de prix pour « Imprimante », note A."),
    ("laptop", None, 1, "La grille PG-2026.1 n'a pas de prix pour « Ordinateur portable », note (aucune)."),
    ("laptop", "A", 4, "La grille PG-2026.1 n'a pas de prix pour le palier 4."),
    ("laptop", "A", None, "La grille PG-2026.1 n'a pas de prix pour le palier None."),
])
def test_a_device_the_grid_does_not_price(category, grade, tier, message):
    with pytest.raises(GridInvalid) as missing:
        GRID.price_of(category, grade, tier)
    assert missing.value.message == message and str(missing.value) == message


def changed(**top) -> dict:
    data = copy.deepcopy(BUNDLED)
    data.update(top)
    return data


def first_device(**fields) -> dict:
    data = copy.deepcopy(BUNDLED)
    data["devices"][0].update(fields)
    return data


@pytest.mark.parametrize("data,message", [
    (first_device(category="toaster"), "Grille invalide : catégorie ou note inconnue (toaster, A)."),
    (first_device(grade="E"), "Grille invalide : catégorie ou note inconnue (laptop, E)."),
    (first_device(grade="B"), "Grille invalide : prix en double pour laptop, note B."),
    (first_device(prices={"1": "abc"}), "Grille invalide : montant illisible pour laptop A palier 1 ('abc')."),
    (first_device(prices={"1": "-5"}), "Grille invalide : montant positif ou nul attendu pour laptop A palier 1."),
    (first_device(prices={"1": "Infinity"}), "Grille invalide : montant positif ou nul attendu pour laptop A palier 1."),
    (first_device(reference_value="NaN"),
     "Grille invalide : montant positif ou nul attendu pour la valeur de référence laptop A."),
    (first_device(prices={"1": "351"}),
     "Grille invalide : un prix solidaire dépasse la valeur de référence (laptop A)."),
    (first_device(prices={"x": "10"}), "Grille invalide : invalid literal for int() with base 10: 'x'."),
    (changed(devices=[]), "Grille invalide : un identifiant (30 caractères au plus) et des prix sont attendus."),
    (changed(id="  "), "Grille invalide : un identifiant (30 caractères au plus) et des prix sont attendus."),
    (changed(id="G" * 31), "Grille invalide : un identifiant (30 caractères au plus) et des prix sont attendus."),
    (changed(effective_from="2026-13-01"), "Grille invalide : month must be in 1..12."),
    (changed(effective_to="2025-12-31"), "Grille invalide : la date de fin précède la date de début."),
    (changed(accessories=[{"code": "mouse", "label": "Souris"}]), "Grille incomplète : champ « price » manquant."),
    (changed(accessories=[{"code": "mouse", "label": "Souris", "price": "x"}]),
     "Grille invalide : montant illisible pour mouse ('x')."),
    (changed(devices=None), "Grille invalide : 'NoneType' object is not iterable."),
])
def test_a_bad_grid_is_refused_naming_what_is_wrong(data, message):
    with pytest.raises(GridInvalid) as invalid:
        parse_grid(data)
    assert invalid.value.message == message


@pytest.mark.parametrize("field", ["devices", "id", "effective_from"])
def test_a_missing_field_is_named(field):
    data = copy.deepcopy(BUNDLED)
    data.pop(field)
    with pytest.raises(GridInvalid) as invalid:
        parse_grid(data)
    assert invalid.value.message == f"Grille incomplète : champ « {field} » manquant."


def test_a_grid_with_the_edges_accepted():
    data = changed(id="G" * 30, title="", effective_to="2026-01-01", accessories=[])
    data["devices"] = [{"category": "tablet", "grade": "C", "reference_value": "40.005", "prices": {"1": "40.00"}}]
    grid = parse_grid(data)
    # The id is its own title when none is given; amounts are kept to the cent; a price may equal
    # the reference value; a grid may last a single day.
    assert (grid.id, grid.title, grid.effective_to, grid.accessories) == ("G" * 30, "G" * 30, date(2026, 1, 1), {})
    assert grid.price_of("tablet", "C", 1) == (D("40.00"), D("40.00"))
    assert parse_grid(changed(id=" PG-X ")).id == "PG-X"


# --- amounts --------------------------------------------------------------------------------

def test_vat_rates():
    assert vat_rate("standard") == D("0.085")
    assert vat_rate("franchise") == vat_rate("margin") == D("0")


@pytest.mark.parametrize("price,quantity,regime,expected", [
    ("60", 1, "franchise", ("60.00", "60.00", "60.00", "0.00")),
    ("60", 1, "margin", ("60.00", "60.00", "60.00", "0.00")),
    # 60 / 1.085 = 55.299…: 55.30 HT, 4.70 VAT.
    ("60", 1, "standard", ("60.00", "60.00", "55.30", "4.70")),
    # 10.85 / 1.085 = 10 exactly.
    ("10.85", 1, "standard", ("10.85", "10.85", "10.00", "0.85")),
    # 2 × 5.005 = 10.01 (never rounded per unit first); 10.01 / 1.085 = 9.2258…
    ("5.005", 2, "standard", ("5.00", "10.01", "9.23", "0.78")),
    # 0.005 × 1 rounds half up to 0.01; 0.01 / 1.085 = 0.0092… → 0.01 HT, 0 VAT.
    ("0.005", 1, "standard", ("0.00", "0.01", "0.01", "0.00")),
    # 21.70 / 1.085 = 20 exactly; 21.71 / 1.085 = 20.0092… → 20.01.
    ("21.71", 1, "standard", ("21.71", "21.71", "20.01", "1.70")),
    ("8", 3, "franchise", ("8.00", "24.00", "24.00", "0.00")),
])
def test_line_amounts(price, quantity, regime, expected):
    line = line_amounts(D(price), quantity, regime)
    assert line == LineAmounts(quantity, *(D(v) for v in expected))
    assert line.total_ht + line.vat == line.total_ttc


def test_the_total_is_rounded_half_up():
    # 3 × 0.335 = 1.005 → 1.01 (half even would give 1.00).
    assert line_amounts(D("0.335"), 3, "franchise").total_ttc == D("1.01")
    assert line_amounts(D("0.335"), 3, "standard").total_ttc == D("1.01")


def test_an_unknown_regime_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown VAT regime 'reduced'"):
        line_amounts(D("10"), 1, "reduced")


def test_totals_are_the_sums_of_the_lines():
    lines = [line_amounts(D("60"), 1, "standard"), line_amounts(D("10"), 1, "standard"), line_amounts(D("5"), 2, "standard")]
    assert totals(lines) == Totals(D("80.00"), D("73.74"), D("6.26"))   # 55.30 + 9.22 + 9.22
    assert totals([]) == Totals(D("0.00"), D("0.00"), D("0.00"))
    assert [str(v) for v in (totals([]).total_ttc, totals([]).total_ht, totals([]).vat)] == ["0.00", "0.00", "0.00"]


def test_free_prices_and_a_grid_without_accessories():
    data = copy.deepcopy(BUNDLED)
    data.pop("accessories")
    data["devices"][0]["prices"] = {"1": "0", "2": "0.50"}
    grid = parse_grid(data)
    assert grid.accessories == {}
    assert grid.price_of("laptop", "A", 1) == (D("0.00"), D("350.00"))
    assert grid.price_of("laptop", "A", 2)[0] == D("0.50")
    accessories = parse_grid(BUNDLED).accessories
    assert {a.code for a in accessories.values()} == set(accessories) == {"bag", "charger", "mouse", "sim_adapter"}

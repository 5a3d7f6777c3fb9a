"""The SVG charts: well-formed, accessible (role, title, desc), French numbers, highlight, the 34
commune tiles, the empty case, escaping; nothing fetched from outside."""
from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reporting.charts import (HIGHLIGHT, TILE_POSITIONS, ZERO_FILL, bar_chart, commune_tiles, french_number,
                              grouped_columns, short_name)

NS = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"
COMMUNES_CSV = Path(__file__).resolve().parents[2] / "core" / "data" / "communes.csv"


def communes() -> list[tuple[str, str, str]]:
    with COMMUNES_CSV.open(encoding="utf-8") as handle:
        return [(row["insee_code"], row["name"], row["epci_short"]) for row in csv.DictReader(handle)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("font-family") == "sans-serif"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
    assert root.get("width") is None and root.get("height") is None     # scales with its container
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def texts(root: ET.Element) -> list[str]:
    """The text drawn (<text> elements), in document order."""
    return ["".join(el.itertext()) for el in root.iter(f"{NS}text")]


def assert_self_contained(svg: str) -> None:
    """No script, link, stylesheet or external resource: the only address is the SVG namespace."""
    lowered = svg.lower().replace('xmlns="http://www.w3.org/2000/svg"', "", 1)
    for forbidden in ("<script", "href", "http://", "https://", "@import", "url(", "<foreignobject", "<style"):
        assert forbidden not in lowered, forbidden


# French numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "digits", "expected"), [
    (1234.5, 1, f"1{NBSP}234,5"),
    (1234567, 1, f"1{NBSP}234{NBSP}567"),
    (0, 1, "0"),
    (0.0, 1, "0,0"),
    (2.25, 1, "2,3"),
    (-1234.56, 2, f"-1{NBSP}234,56"),
    (-0.01, 1, "0,0"),
    (12.345, 0, "12"),
    (None, 1, "—"),
    ("abc", 1, "—"),
])
def test_french_number(value, digits, expected):
    assert french_number(value, digits) == expected


# Bar chart ------------------------------------------------------------------------------------

def test_bar_chart_labels_values_and_highlight():
    svg = bar_chart("Appareils remis par EPCI", [("CACEM", 1234.5), ("CAP Nord", 4), ("Espace Sud", 0)],
                    unit="€", highlight="CAP Nord")
    root = parse(svg)
    assert_self_contained(svg)
    assert root.find(f"{NS}title").text == "Appareils remis par EPCI"
    drawn = texts(root)
    for expected in ("Appareils remis par EPCI", "CACEM", "CAP Nord", "Espace Sud",
                     f"1{NBSP}234,5{NBSP}€", f"4{NBSP}€", f"0{NBSP}€"):
        assert expected in drawn, expected
    desc = root.find(f"{NS}desc").text
    assert f"CACEM : 1{NBSP}234,5{NBSP}€" in desc and "CAP Nord : 4\u00a0€ (mis en évidence)" in desc
    fills = [rect.get("fill") for rect in root.iter(f"{NS}rect")]
    assert fills.count(HIGHLIGHT) == 1
    highlighted = [g for g in root.iter(f"{NS}g") if "highlight" in (g.get("class") or "")]
    assert len(highlighted) == 1 and "CAP Nord" in texts(highlighted[0])
    widths = {"".join(g.find(f"{NS}title").itertext()).split(" :")[0]: float(g.find(f"{NS}rect").get("width"))
              for g in root.iter(f"{NS}g") if (g.get("class") or "").startswith("bar")}
    assert widths["CACEM"] > widths["CAP Nord"] > widths["Espace Sud"] == 0


def test_bar_chart_without_highlight_uses_one_colour():
    root = parse(bar_chart("Stock", [("Assaini", 3), ("Trié", 5)]))
    assert HIGHLIGHT not in [rect.get("fill") for rect in root.iter(f"{NS}rect")]
    assert "3" in texts(root) and "5" in texts(root)


def test_bar_chart_all_zero_and_empty():
    root = parse(bar_chart("Tout à zéro", [("A", 0), ("B", 0)]))
    assert texts(root).count("0") == 2
    empty = parse(bar_chart("Rien", []))
    assert "Aucune donnée" in texts(empty)
    assert "aucune donnée" in empty.find(f"{NS}desc").text.lower()


def test_bar_chart_escapes_text():
    svg = bar_chart("Dons <Entreprise> & associés", [("A < B & C", 2), ("\"guillemets\"", 1)], highlight="A < B & C")
    root = parse(svg)
    assert "<Entreprise>" not in svg and "&lt;Entreprise&gt; &amp; associés" in svg
    assert root.find(f"{NS}title").text == "Dons <Entreprise> & associés"
    assert "A < B & C" in texts(root) and "\"guillemets\"" in texts(root)
    assert [rect.get("fill") for rect in root.iter(f"{NS}rect")].count(HIGHLIGHT) == 1


# Grouped columns ------------------------------------------------------------------------------

MONTHS = ["2026-07", "2026-08", "2026-09"]
SERIES = [("Collectés", [10, 12, 1500]), ("Assainis", [8, 0, 20]), ("Remis", [5, 6])]


def test_grouped_columns_legend_categories_and_values():
    svg = grouped_columns("Flux mensuels", MONTHS, SERIES)
    root = parse(svg)
    assert_self_contained(svg)
    drawn = texts(root)
    for expected in ["Flux mensuels", "Collectés", "Assainis", "Remis"] + MONTHS:
        assert expected in drawn, expected
    titles = ["".join(rect.find(f"{NS}title").itertext()) for rect in root.iter(f"{NS}rect")
              if rect.find(f"{NS}title") is not None]
    assert len(titles) == 9
    assert f"Collectés, 2026-09 : 1{NBSP}500" in titles and "Remis, 2026-09 : 0" in titles   # a short series: 0
    desc = root.find(f"{NS}desc").text
    assert f"2026-09 : Collectés 1{NBSP}500, Assainis 20, Remis 0" in desc
    colours = {rect.get("fill") for rect in root.iter(f"{NS}rect") if rect.find(f"{NS}title") is not None}
    assert len(colours) == 3                                # one colour per series


def test_grouped_columns_many_months_and_unit():
    months = [f"2026-{m:02d}" for m in range(1, 13)] + [f"2027-{m:02d}" for m in range(1, 13)]
    root = parse(grouped_columns("Deux ans", months, [("Poids", [0.5 * i for i in range(24)])], unit="kg"))
    drawn = texts(root)
    assert "kg" in drawn and all(month in drawn for month in months)
    assert f"2027-12 : Poids 11,5{NBSP}kg" in root.find(f"{NS}desc").text


def test_grouped_columns_empty_and_zero():
    assert "Aucune donnée" in texts(parse(grouped_columns("Vide", [], [("Collectés", [])])))
    assert "Aucune donnée" in texts(parse(grouped_columns("Vide", MONTHS, [])))
    root = parse(grouped_columns("Zéro", MONTHS, [("Collectés", [0, 0, 0])]))
    heights = [float(rect.get("height")) for rect in root.iter(f"{NS}rect") if rect.find(f"{NS}title") is not None]
    assert heights == [0, 0, 0]


def test_grouped_columns_escape():
    svg = grouped_columns("A & B", ["<mois>"], [("x < y", [1])])
    root = parse(svg)
    assert "<mois>" in texts(root) and "x < y" in texts(root) and "&lt;mois&gt;" in svg


# Commune tiles --------------------------------------------------------------------------------

def tiles_of(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-insee"): g for g in root.iter(f"{NS}g") if g.get("class") == "tile"}


def test_every_commune_has_a_position_of_its_own():
    codes = {code for code, _, _ in communes()}
    assert len(codes) == 34 and set(TILE_POSITIONS) == codes
    assert len(set(TILE_POSITIONS.values())) == 34
    # North at the top, south at the bottom, west on the left.
    assert TILE_POSITIONS["97211"][1] == TILE_POSITIONS["97215"][1] == 0
    bottom = max(row for _, row in TILE_POSITIONS.values())
    assert TILE_POSITIONS["97202"][1] == TILE_POSITIONS["97226"][1] == bottom
    assert TILE_POSITIONS["97202"][0] < TILE_POSITIONS["97226"][0]
    assert TILE_POSITIONS["97209"][0] < TILE_POSITIONS["97210"][0]      # Fort-de-France west of Le François


def test_commune_tiles_show_all_34_communes_with_their_values():
    rows = communes()
    values = {code: index * 37 for index, (code, _, _) in enumerate(rows)}   # 0 … 1 221
    svg = commune_tiles("Foyers équipés par commune", values, rows)
    root = parse(svg)
    assert_self_contained(svg)
    tiles = tiles_of(root)
    assert len(tiles) == 34
    for code, name, epci in rows:
        tile = tiles[code]
        drawn = texts(tile)
        assert drawn == [short_name(name), french_number(values[code])], (code, drawn)
        assert "".join(tile.find(f"{NS}title").itertext()) == f"{name} ({epci}) : {french_number(values[code])}"
        assert tile.get("data-epci") == epci
    assert f"1{NBSP}221" in texts(root)
    desc = root.find(f"{NS}desc").text
    assert all(name in desc for _, name, _ in rows)
    assert desc.index("Grand'Rivière") < desc.index("Fort-de-France") < desc.index("Sainte-Anne")
    # Shading: 0 is light grey, the largest value the darkest shade; one border colour per EPCI.
    fill = {code: tiles[code].find(f"{NS}rect").get("fill") for code in tiles}
    zero_code = rows[0][0]
    top_code = rows[-1][0]
    assert fill[zero_code] == ZERO_FILL and fill[top_code] == "#08519c"
    borders = {}
    for code, _, epci in rows:
        borders.setdefault(epci, set()).add(tiles[code].find(f"{NS}rect").get("stroke"))
    assert all(len(colours) == 1 for colours in borders.values())
    assert len({next(iter(c)) for c in borders.values()}) == 3
    drawn = texts(root)
    assert "Valeur" in drawn and "Bordure : EPCI" in drawn and {"CACEM", "CAP Nord", "Espace Sud"} <= set(drawn)


def test_commune_tiles_missing_values_are_zero_and_names_accepted():
    rows = communes()
    root = parse(commune_tiles("Ateliers", {"Le Lamentin": 3}, rows))
    tiles = tiles_of(root)
    assert texts(tiles["97213"]) == ["Lamentin", "3"]
    assert texts(tiles["97209"]) == ["Fort-de-France", "0"]
    assert tiles["97209"].find(f"{NS}rect").get("fill") == ZERO_FILL


def test_commune_tiles_unknown_commune_and_empty():
    root = parse(commune_tiles("Autres", {"99999": 2}, [("99999", "Île <inconnue> & co", "")]))
    tile = tiles_of(root)["99999"]
    assert texts(tile) == ["Île <inconnue> & co", "2"]
    assert "Aucune donnée" in texts(parse(commune_tiles("Vide", {}, [])))


def test_short_names():
    assert short_name("Le Lamentin") == "Lamentin"
    assert short_name("Les Anses-d'Arlet") == "Anses-d'Arlet"
    assert short_name("L'Ajoupa-Bouillon") == "Ajoupa-Bouillon"
    assert short_name("Fonds-Saint-Denis") == "Fonds-St-Denis"
    assert short_name("Sainte-Anne") == "Ste-Anne"
    assert short_name("Fort-de-France") == "Fort-de-France"

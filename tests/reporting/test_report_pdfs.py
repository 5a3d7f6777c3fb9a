"""The impact report and the donor report as PDFs, read back with pypdf: every title, indicator,
value and change, the per-EPCI table, the charts' data tables, the footer on every page, A4, type
sizes, long lists across pages with repeated headers, escaping."""
from __future__ import annotations

import copy
import io

from pypdf import PdfReader

from reporting.donor_pdf import render_donor_report
from reporting.impact_pdf import render_impact_report

NBSP = "\u00a0"
NNBSP = "\u202f"
PROGRAMME = "Programme Rekonekt Martinique"

GROUPS = [
    {"title": "Appareils", "rows": [
        {"label": "Appareils collectés", "current": "120", "previous": "95", "change": "+26,3 %"},
        {"label": "Appareils remis", "current": f"1{NNBSP}204", "previous": "0", "change": "—"},
        {"label": "Appareils recyclés", "current": "7", "previous": "9", "change": "-22,2 %"},
    ]},
    {"title": "Foyers", "rows": [
        {"label": "Foyers validés", "current": "40", "previous": "38", "change": "+5,3 %"},
        {"label": "Délai médian d'équipement", "current": "21 jours", "previous": "—", "change": "—"},
    ]},
    {"title": "Ateliers", "rows": [{"label": "Ateliers tenus", "current": "6", "previous": "8", "change": "-25,0 %"}]},
    {"title": "Accès à internet", "rows": [
        {"label": "Foyers avec un accès à internet", "current": "75,0 %", "previous": "70,0 %", "change": "+5,0 pts"}]},
    {"title": "Environnement et argent", "rows": [
        {"label": "Aide solidaire versée", "current": f"2{NNBSP}600,00{NBSP}€", "previous": f"1{NNBSP}900,00{NBSP}€",
         "change": "+36,8 %"},
        {"label": "Poids réemployé", "current": "310,5 kg", "previous": "250,0 kg", "change": "+24,2 %"}]},
]

IMPACT = {
    "programme_name": PROGRAMME, "period_label": "2e semestre 2026", "period": "2026-S2",
    "from": "01/07/2026", "to": "31/12/2026", "previous_label": "1er semestre 2026", "scope": "Tout le programme",
    "generated_at": "29/11/2026 14:05",
    "groups": GROUPS,
    "by_epci": {"columns": ["EPCI", "Foyers validés", "Foyers équipés", "Appareils remis", "Aide solidaire"],
                "rows": [["CACEM", "12", "10", "10", f"2{NNBSP}600,00 €"], ["CAP Nord", "5", "4", "4", "800,00 €"],
                         ["Espace Sud", "7", "6", "6", f"1{NNBSP}200,00 €"]]},
    "monthly": {"months": ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"],
                "series": [["Collectés", [10, 12, 30, 4, 0, 8]], ["Assainis", [8, 9, 20, 5, 1, 7]],
                           ["Triés", [7, 9, 18, 5, 1, 6]], ["Remis", [5, 6, 10, 3, 2, 4]],
                           ["Recyclés", [1, 0, 2, 1, 0, 0]]]},
    "equipped_by_epci": [["CACEM", 10], ["CAP Nord", 4], ["Espace Sud", 6]],
}

DONOR = {
    "programme_name": PROGRAMME, "donor_name": "Banque des Antilles", "period_label": "Année 2026",
    "generated_at": "29/11/2026 14:05",
    "totals": [["Appareils reçus", "42"], ["Données effacées (certificats)", "40"],
               ["Réemployés (remis à des foyers)", "25"], ["Recyclés", "3"], ["En cours de traitement", "14"]],
    "by_commune": [["CACEM", "Le Lamentin", "8"], ["CACEM", "Fort-de-France", "9"], ["CAP Nord", "La Trinité", "3"],
                   ["Espace Sud", "Le Marin", "5"]],
    "collections": [
        {"reference": "COL-2026-0001", "collected_on": "02/03/2026", "devices": "20", "certificate": "CERT-2026-0007",
         "outcomes": "12 remis, 2 recyclés, 6 en cours"},
        {"reference": "COL-2026-0009", "collected_on": "15/09/2026", "devices": "22", "certificate": None,
         "outcomes": "13 remis, 1 recyclé, 8 en cours"},
    ],
}


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, with non-breaking and narrow no-break spaces as plain spaces."""
    assert pdf.startswith(b"%PDF")
    return [page.extract_text().replace(NBSP, " ").replace(NNBSP, " ") for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Line breaks made by wrapping count as spaces."""
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    return flat(" ".join(pages_of(pdf)))


def sized_text(pdf: bytes) -> list[tuple[float, str]]:
    """(font size, text) of every piece of text drawn."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=lambda text, cm, tm, font, size: found.append((size * tm[0], flat(text)))
                          if text.strip() else None)
    return found


def assert_a4(pdf: bytes) -> None:
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert abs(float(page.mediabox.width) - 595.28) <= 1 and abs(float(page.mediabox.height) - 841.89) <= 1


def assert_footer(pages: list[str], footer: str) -> None:
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert footer in flat(page), number
        assert f"Page {number} / {total}" in page


# Impact report --------------------------------------------------------------------------------

def test_impact_report_content():
    pdf = render_impact_report(IMPACT)
    assert_a4(pdf)
    pages = pages_of(pdf)
    text = flat(" ".join(pages))
    for expected in (PROGRAMME, "Rapport d'impact", "2e semestre 2026", "du 01/07/2026 au 31/12/2026",
                     "Comparée avec 1er semestre 2026", "Périmètre Tout le programme", "Généré le 29/11/2026 14:05"):
        assert expected in text, expected
    assert text.index("Rapport d'impact") < text.index("Appareils collectés")      # the title block first
    header = "Indicateur 2e semestre 2026 1er semestre 2026 Évolution"
    assert text.count(header) == len(GROUPS)
    for group in GROUPS:
        assert f"{group['title']} {header}" in text, group["title"]
        for row in group["rows"]:
            line = " ".join(row[key] for key in ("label", "current", "previous", "change"))
            assert flat(line.replace(NNBSP, " ").replace(NBSP, " ")) in text, line
    assert "Appareils remis 1 204 0 —" in text                      # U+202F printed as a space

    assert "Répartition par EPCI EPCI Foyers validés Foyers équipés Appareils remis Aide solidaire" in text
    for row in ("CACEM 12 10 10 2 600,00 €", "CAP Nord 5 4 4 800,00 €", "Espace Sud 7 6 6 1 200,00 €"):
        assert row in text, row

    # The charts, each followed by its numbers as a table.
    assert "Foyers équipés par EPCI" in text and "Flux mensuels" in text
    assert text.count("Les données du graphique :") == 2
    assert "Les données du graphique : EPCI Foyers équipés CACEM 10 CAP Nord 4 Espace Sud 6" in text
    assert "Les données du graphique : Mois Collectés Assainis Triés Remis Recyclés" in text
    for row in ("2026-07 10 8 7 5 1", "2026-08 12 9 9 6 0", "2026-09 30 20 18 10 2", "2026-10 4 5 5 3 1",
                "2026-11 0 1 1 2 0", "2026-12 8 7 6 4 0"):
        assert row in text, row

    assert "Définitions" in text and text.index("Définitions") > text.index("2026-12 8 7 6 4 0")
    for sentence in ("comptent les événements survenus pendant la période, du 01/07/2026 au 31/12/2026 inclus",
                     "Le stock décrit l'état des appareils à la fin de la période, le 31/12/2026.",
                     "calculés parmi les valeurs enregistrées", "toutes taxes comprises (TTC)",
                     "L'évolution compare la période à la précédente (1er semestre 2026)"):
        assert sentence in text, sentence
    assert_footer(pages, f"{PROGRAMME} — Rapport d'impact — 2e semestre 2026")


def test_impact_report_type_sizes():
    sizes = sized_text(render_impact_report(IMPACT))
    labels = {row["label"] for group in GROUPS for row in group["rows"]}
    drawn = {text: size for size, text in sizes}
    assert all(drawn[label] >= 11 for label in labels)
    body = [size for size, text in sizes if "Le stock décrit" in text or text.startswith("CACEM 12")
            or text in {"CACEM", "Espace Sud"}]
    assert body and min(body) >= 10
    assert max(size for size, _ in sizes) >= 20                     # the title


def test_impact_report_scope_empty_parts_and_escaping():
    data = copy.deepcopy(IMPACT)
    data.update(scope="Donateur : Dupont & Fils <SARL>", by_epci={"columns": [], "rows": []}, equipped_by_epci=[],
                monthly={"months": [], "series": []}, programme_name="Rekonekt <test> & co")
    data["groups"][0]["rows"][0]["label"] = "Appareils < 2 ans & plus"
    data["groups"][1]["rows"] = []
    pages = pages_of(render_impact_report(data))
    text = flat(" ".join(pages))
    assert "Périmètre Donateur : Dupont & Fils <SARL>" in text
    assert "Appareils < 2 ans & plus 120 95 +26,3 %" in text
    assert "Foyers Aucun indicateur." in text
    assert text.count("Aucune donnée.") == 3
    assert_footer(pages, "Rekonekt <test> & co — Rapport d'impact — 2e semestre 2026")


def test_impact_report_flat_indicators_and_missing_values():
    data = {"programme_name": PROGRAMME, "period_label": "1er semestre 2027", "previous_label": None,
            "indicators": [{"label": "Appareils collectés", "current": "3", "previous": None, "change": None}],
            "monthly": {"months": ["2027-01", "2027-02"], "series": [["Collectés", [3]]]}}
    text = text_of(render_impact_report(data))
    assert "Indicateurs Indicateur 1er semestre 2027 — Évolution Appareils collectés 3 — —" in text
    assert "Mois Collectés 2027-01 3 2027-02 —" in text
    assert "du — au —" in text


def test_impact_report_many_months_and_epcis_flow():
    data = copy.deepcopy(IMPACT)
    data["monthly"] = {"months": [f"{2020 + m // 12}-{m % 12 + 1:02d}" for m in range(48)],
                       "series": [[name, [m * 7 % 50 for m in range(48)]] for name in ("Collectés", "Remis")]}
    data["groups"] = [{"title": f"Groupe {g}", "rows": [{"label": f"Indicateur {g}.{i}", "current": str(i),
                                                         "previous": str(i + 1), "change": "+1,0 %"}
                                                        for i in range(12)]} for g in range(5)]
    pages = pages_of(render_impact_report(data))
    assert len(pages) >= 4
    text = flat(" ".join(pages))
    assert "Indicateur 4.11 11 12 +1,0 %" in text and "2023-12 29 29" in text
    assert_footer(pages, f"{PROGRAMME} — Rapport d'impact — 2e semestre 2026")


# Donor report ---------------------------------------------------------------------------------

def test_donor_report_content():
    pdf = render_donor_report(DONOR)
    assert_a4(pdf)
    pages = pages_of(pdf)
    text = flat(" ".join(pages))
    for expected in (PROGRAMME, "Ce que sont devenus vos dons", "Banque des Antilles", "Période Année 2026",
                     "Généré le 29/11/2026 14:05", "aucune information permettant d'identifier les foyers"):
        assert expected in text, expected
    assert "En résumé Indicateur Nombre" in text
    for label, value in DONOR["totals"]:
        assert f"{label} {value}" in text, label
    assert "Où vos appareils ont été remis" in text and "EPCI Commune Appareils remis" in text
    for epci, commune, devices in DONOR["by_commune"]:
        assert f"{epci} {commune} {devices}" in text
    assert "Vos collectes" in text and "Référence Collectée le Appareils Certificat d'effacement Devenir" in text
    assert "COL-2026-0001 02/03/2026 20 CERT-2026-0007 12 remis, 2 recyclés, 6 en cours" in text
    assert "COL-2026-0009 15/09/2026 22 — 13 remis, 1 recyclé, 8 en cours" in text
    assert_footer(pages, f"{PROGRAMME} — Ce que sont devenus vos dons — Banque des Antilles")
    assert min(size for size, t in sized_text(pdf) if t.startswith("COL-2026-0001")) >= 11


def test_donor_report_all_time_and_empty_lists():
    data = {**DONOR, "period_label": None, "totals": [], "by_commune": [], "collections": []}
    text = text_of(render_donor_report(data))
    assert "Période Depuis le début du programme" in text
    assert "Aucun appareil remis pour l'instant." in text and "Aucune collecte sur la période." in text


def test_long_donor_report_repeats_headers():
    data = copy.deepcopy(DONOR)
    data["collections"] = [{"reference": f"COL-2026-{i:04d}", "collected_on": f"{1 + i % 28:02d}/{1 + i % 12:02d}/2026",
                            "devices": str(10 + i), "certificate": f"CERT-2026-{i:04d}" if i % 3 else None,
                            "outcomes": f"{i} remis, {i % 4} recyclés, {i % 7} en cours de traitement"}
                           for i in range(1, 61)]
    data["by_commune"] = [["CACEM", f"Commune {i}", str(i)] for i in range(40)]
    pages = pages_of(render_donor_report(data))
    assert len(pages) >= 3
    header = "Référence Collectée le Appareils Certificat d'effacement Devenir"
    with_header = [n for n, page in enumerate(pages) if header in flat(page)]
    assert len(with_header) >= 2                                    # repeated on every page of the table
    text = flat(" ".join(pages))
    for i in range(1, 61):
        assert f"COL-2026-{i:04d}" in text
    # A page of the table that is not its first starts with the header.
    continued = pages[with_header[1]]
    assert flat(continued).startswith(header)
    assert "COL-2026-0060" in text and "60 remis, 0 recyclés, 4 en cours de traitement" in text
    assert_footer(pages, f"{PROGRAMME} — Ce que sont devenus vos dons — Banque des Antilles")


def test_donor_report_escapes_text():
    data = copy.deepcopy(DONOR)
    data["donor_name"] = "Dupont & Fils <SARL>"
    data["collections"][0]["outcomes"] = "2 remis & 1 < 3"
    data["by_commune"] = [["CACEM", "Commune <test> & co", "1"]]
    pages = pages_of(render_donor_report(data))
    text = flat(" ".join(pages))
    assert "Dupont & Fils <SARL>" in text and "2 remis & 1 < 3" in text and "CACEM Commune <test> & co 1" in text
    assert_footer(pages, f"{PROGRAMME} — Ce que sont devenus vos dons — Dupont & Fils <SARL>")


# The footer and the page number (issue 16, defect 8) ----------------------------------------------

def drawn_boxes(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(text, (left, bottom, right, top)) of every piece of text pypdf sees drawn on the page, in
    page coordinates; the width is Helvetica's (the only font these reports use)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    found = []

    def visit(text, cm, tm, _font, size):
        if not text.strip():
            return
        # The text matrix, then the current transformation matrix: where the text starts on the page.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
        height = size * scale
        width = stringWidth(text.rstrip("\n"), "Helvetica", size) * scale
        found.append((text.strip(), (x, y - 0.25 * height, x + width, y + height)))

    page.extract_text(visitor_text=visit)
    return found


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_a_long_footer_wraps_clear_of_the_page_number():
    """The demo's donor « Collectivité — Direction du numérique (démo) » with the programme's full
    name: the footer is wider than the room left by « Page 1 / 1 ». It used to run under it
    (« …(déPage 1 / 1 »); now it wraps onto two lines, both intact, beside the page number."""
    programme = "Rekonekt — reconditionnement solidaire (Martinique)"
    donor = "Collectivité — Direction du numérique (démo)"
    footer = f"{programme} — Ce que sont devenus vos dons — {donor}"
    pdf = render_donor_report({**DONOR, "programme_name": programme, "donor_name": donor})
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    text = page.extract_text().replace(NBSP, " ")
    lines = text.splitlines()
    assert lines[-1] == "Page 1 / 1" and "Page" not in " ".join(lines[:-1])
    assert flat(" ".join(lines[-3:-1])) == footer           # the two lines, nothing between
    boxes = drawn_boxes(page)
    (number_box,) = [box for piece, box in boxes if piece == "Page 1 / 1"]
    footer_boxes = [box for piece, box in boxes if piece and piece in footer and box[1] < 20 * 72 / 25.4]
    assert flat(" ".join(piece for piece, box in boxes if box in footer_boxes)) == footer
    assert len(footer_boxes) == 2
    for box in footer_boxes:
        assert not overlap(box, number_box), (box, number_box)
        assert box[0] >= 18 * 72 / 25.4 - 0.5 and box[2] <= number_box[0] - 5 * 72 / 25.4
    assert not overlap(*footer_boxes)


def test_a_short_footer_stays_on_one_line_beside_the_page_number():
    pdf = render_donor_report(DONOR)
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    boxes = dict(drawn_boxes(page))
    footer = f"{PROGRAMME} — Ce que sont devenus vos dons — Banque des Antilles"
    assert footer in boxes and "Page 1 / 1" in boxes
    assert not overlap(boxes[footer], boxes["Page 1 / 1"])
    assert abs(boxes[footer][1] - boxes["Page 1 / 1"][1]) < 0.01     # the same baseline


def test_footer_lines_cut_at_a_word_past_two_lines():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from core.pdf import footer_lines

    words = "Rekonekt — reconditionnement solidaire " * 12
    lines = footer_lines(words, 200, 9)
    assert len(lines) == 2 and lines[-1].endswith(" …")
    assert all(stringWidth(line, "Helvetica", 9) <= 200 for line in lines)
    assert " ".join(lines).removesuffix(" …") in words
    assert footer_lines("", 200, 9) == []
    (cut,) = footer_lines("x" * 200, 100, 9)       # one word wider than the line
    assert cut.endswith("…") and stringWidth(cut, "Helvetica", 9) <= 100

"""The renderer: every format prints codes that a real decoder reads back, in the right place."""
from __future__ import annotations

import pytest

from labels.code128 import MM_PER_INCH, QUIET_MODULES, fit, modules
from labels.data import LabelData
from labels.errors import LabelError
from labels.formats import A4, FORMATS, get_format
from labels.layout import layout
from labels.pdf import render_pdf
from tests.labels.conftest import decode

DEVICE = ("Ordinateur portable — Dell Latitude 5490", ("Intel Core i5 · 8 Go · SSD 256 Go", "Note B · Données effacées le 02/03/2026"))


def device_labels(count: int, first: int = 1) -> list[LabelData]:
    return [LabelData(f"RK-{n:06d}", DEVICE[0], DEVICE[1]) for n in range(first, first + count)]


def test_sheets_fit_on_a4():
    for fmt in FORMATS.values():
        if fmt.kind != "sheet":
            continue
        right = fmt.left + (fmt.cols - 1) * fmt.pitch_x + fmt.width
        bottom = fmt.top + (fmt.rows - 1) * fmt.pitch_y + fmt.height
        assert 0 < right <= A4[0] and 0 < bottom <= A4[1], fmt.id
        assert abs((A4[0] - right) - fmt.left) < 0.2  # Avery sheets are centred


@pytest.mark.parametrize("format_id", [f for f in FORMATS if f.startswith("roll-")])
@pytest.mark.parametrize("dpi", [203, 300])
def test_rolls_scan_at_the_printer_resolution(rasterise, format_id, dpi):
    labels = device_labels(3)
    pages = rasterise(render_pdf(labels, get_format(format_id), dpi=dpi), dpi)
    assert len(pages) == 3
    for label, page in zip(labels, pages):
        assert [symbol.data.decode() for symbol in decode(page)] == [label.code]


@pytest.mark.parametrize("dpi", [203, 300])
def test_thermal_modules_are_whole_dots(dpi):
    lay = layout(device_labels(1)[0], 62, 29, dpi)
    dot = MM_PER_INCH / dpi
    assert lay.geometry.dots >= 2 and lay.geometry.module_mm == pytest.approx(lay.geometry.dots * dot)
    # A quiet zone of at least 10 modules on each side stays inside the label.
    bar_width = len(lay.pattern) * lay.geometry.module_mm
    assert lay.bars_x >= QUIET_MODULES * lay.geometry.module_mm
    assert lay.bars_x + bar_width + QUIET_MODULES * lay.geometry.module_mm <= 62


@pytest.mark.parametrize("format_id,start,count", [("avery-l7160", 10, 30), ("avery-l7651", 1, 70), ("avery-l7163", 13, 4)])
def test_sheet_codes_scan_in_their_own_cells(rasterise, format_id, start, count):
    fmt = get_format(format_id)
    labels = device_labels(count)
    dpi = 300
    pages = rasterise(render_pdf(labels, fmt, start=start), dpi)
    px = dpi / MM_PER_INCH
    expected = {}
    position, page = start, 0
    for label in labels:
        if position > fmt.per_page:
            position, page = 1, page + 1
        expected[label.code] = (page, position)
        position += 1
    assert len(pages) == max(p for p, _ in expected.values()) + 1
    found = {}
    for page_index, image in enumerate(pages):
        for symbol in decode(image):
            code = symbol.data.decode()
            assert code not in found, f"{code} printed twice"
            centre_x = (symbol.rect.left + symbol.rect.width / 2) / px
            centre_y = (symbol.rect.top + symbol.rect.height / 2) / px
            col = next(c for c in range(fmt.cols) if fmt.left + c * fmt.pitch_x <= centre_x <= fmt.left + c * fmt.pitch_x + fmt.width)
            row = next(r for r in range(fmt.rows) if fmt.top + r * fmt.pitch_y <= centre_y <= fmt.top + r * fmt.pitch_y + fmt.height)
            found[code] = (page_index, row * fmt.cols + col + 1)
    assert found == expected


def test_location_labels_show_the_code_large(rasterise):
    label = LabelData("LOC-LAM-A01", lines=("Atelier du Lamentin",), large_code=True)
    lay = layout(label, 62, 29, 203)
    assert lay.texts[0].text == "LOC-LAM-A01" and lay.texts[0].size >= 6
    (page,) = rasterise(render_pdf([label], get_format("roll-62x29")), 203)
    assert [s.data.decode() for s in decode(page)] == ["LOC-LAM-A01"]


def test_a_url_label_carries_a_qr_code(rasterise):
    from pyzbar.pyzbar import ZBarSymbol
    from pyzbar.pyzbar import decode as zbar

    label = LabelData("COL-2026-0001", "Caraïbes Télécom", ("Collectée le 02/03/2026",), url="https://rekonekt.test/verify/ABCD-EFGH-JKMN-PQRS")
    (page,) = rasterise(render_pdf([label], get_format("roll-102x152")), 300)
    assert [s.data.decode() for s in zbar(page, symbols=[ZBarSymbol.QRCODE])] == [label.url]
    assert [s.data.decode() for s in decode(page)] == ["COL-2026-0001"]


def test_refusals_in_french():
    with pytest.raises(LabelError) as empty:
        render_pdf([], get_format("roll-62x29"))
    assert empty.value.message == "Sélection vide : choisissez au moins une étiquette à imprimer."
    with pytest.raises(LabelError) as start:
        render_pdf(device_labels(1), get_format("avery-l7160"), start=22)
    assert start.value.message.startswith("Position de départ 22 hors de la planche : de 1 à 21")
    with pytest.raises(LabelError) as unknown:
        get_format("avery-l9999")
    assert unknown.value.message.startswith("Format d'étiquette inconnu « avery-l9999 »")
    with pytest.raises(LabelError) as too_long:
        render_pdf([LabelData("SN-" + "X7" * 20)], get_format("avery-l7651"))
    assert "ne tient pas sur cette étiquette de façon lisible" in too_long.value.message


def test_narrowest_module_still_scans():
    pattern = modules("RK-000001")           # 112 modules + 2 × 10 of quiet zone = 132
    geometry = fit(len(pattern), 34, 203, "RK-000001")
    assert geometry.dots == 2 and geometry.module_mm >= 0.19   # 132 × 0.25 mm = 33 mm
    with pytest.raises(LabelError) as narrow:
        fit(len(pattern), 32, 203, "RK-000001")
    assert "il faudrait 33 mm de large, l'étiquette en offre 32" in narrow.value.message


def test_french_text_comes_out_as_written():
    import io

    from pypdf import PdfReader

    label = LabelData("RK-000001", "Ordinateur portable — Dell", ("8 Go · SSD (256 Go)", "Données effacées le 02/03/2026 \\ fin"))
    text = PdfReader(io.BytesIO(render_pdf([label], get_format("roll-102x152")))).pages[0].extract_text()
    assert "Ordinateur portable — Dell" in text
    assert "8 Go · SSD (256 Go)" in text and "Données effacées le 02/03/2026 \\ fin" in text

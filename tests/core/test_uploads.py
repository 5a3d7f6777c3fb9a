"""core.uploads and core.xlsx: what an upload may hold is refused early and cheaply, and a real
workbook reads as its cells say. Files are real XLSX archives built part by part
(tests/xlsx_files.py) or written by openpyxl, as a spreadsheet would."""
from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from core.errors import ValidationFailed
from core.uploads import (
    BATCH_LIMITS,
    MAX_ARCHIVE_ENTRIES,
    MAX_COLUMNS,
    MAX_XML_TAGS,
    UploadLimits,
    check_size,
    check_xlsx_archive,
    decode_text,
    limits_from_config,
    read_xlsx_rows,
)
from tests.xlsx_files import HEADER, bomb, households, inline_row, workbook


def refusal(call) -> str:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert list(caught.value.errors) == ["file"]
    return caught.value.errors["file"][0]


def test_the_config_overrides_the_defaults_it_names():
    limits = limits_from_config({"BATCH_MAX_ROWS": 50, "BATCH_MAX_BYTES": 1000, "DEVICE_IMPORT_MAX_ROWS": 7,
                                 "UPLOAD_MAX_COMPRESSION_RATIO": 20}, BATCH_LIMITS, "BATCH")
    assert limits == UploadLimits(max_rows=50, max_bytes=1000, max_ratio=20)
    assert limits_from_config({}, BATCH_LIMITS, "BATCH") == BATCH_LIMITS


def test_size_and_text():
    assert refusal(lambda: check_size(b"x" * 3000, UploadLimits(max_rows=1, max_bytes=2048))) == \
        "Fichier trop volumineux (3\u00a0Kio) : 2\u00a0Kio au plus."
    assert decode_text("é;à".encode("cp1252")) == "é;à"
    assert decode_text("\ufeffé".encode("utf-8")) == "é"
    assert "caractère NUL" in refusal(lambda: decode_text(b"a;b\x00"))


def test_a_zip_bomb_is_refused_from_its_listing_in_bounded_time_and_memory():
    content = bomb(400_000)                      # 0.9 MB that expand to 191 MiB
    tracemalloc.start()
    started = time.perf_counter()
    message = refusal(lambda: read_xlsx_rows(content, BATCH_LIMITS))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert message == "Classeur XLSX trop volumineux une fois décompressé (191,5\u00a0Mio) : 20\u00a0Mio au plus."
    assert elapsed < 5                           # a guard against a hang: the listing alone is read
    assert peak < 16 * 1024 * 1024               # the archive in memory, nothing decompressed


def test_a_part_compressed_too_much_is_refused_even_under_the_total():
    content = bomb(20_000)                       # ~9.6 MiB, ~200 times
    assert "bombe de décompression" in refusal(lambda: check_xlsx_archive(content, BATCH_LIMITS))
    assert check_xlsx_archive(content, UploadLimits(max_rows=30_000, max_ratio=10_000))


def test_too_many_parts_or_tags_or_an_entity_declaration_are_refused():
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for n in range(MAX_ARCHIVE_ENTRIES + 1):
            archive.writestr(f"p{n}.txt", "")
    assert "parties dans l'archive" in refusal(lambda: check_xlsx_archive(many.getvalue(), BATCH_LIMITS))
    tags = workbook(iter([b"<row>" + b"<x/>" * (MAX_XML_TAGS + 1) + b"</row>"]))
    assert "balises XML" in refusal(lambda: read_xlsx_rows(tags, UploadLimits(max_rows=10, max_ratio=10**6)))
    entity = workbook(iter([inline_row(["&lol;"])]), sheet_prefix=b'<!DOCTYPE w [<!ENTITY lol "lol">]>')
    assert "entités XML" in refusal(lambda: read_xlsx_rows(entity, BATCH_LIMITS))
    assert "pas une archive XLSX" in refusal(lambda: read_xlsx_rows(b"PK\x03\x04 pas un zip", BATCH_LIMITS))


def test_rows_are_counted_before_and_while_reading():
    limits = UploadLimits(max_rows=100)
    assert len(read_xlsx_rows(workbook(households(100)), limits)) == 101
    assert refusal(lambda: read_xlsx_rows(workbook(households(101)), limits)) == (
        "Trop de lignes : 101 lignes après l'en-tête, 100 au plus par fichier. Découpez le fichier en plusieurs.")
    # Rows under a namespace prefix are counted and read alike.
    prefixed = workbook(iter([b"<x:row xmlns:x='%s'><x:c t='inlineStr'><x:is><x:t>a</x:t></x:is></x:c></x:row>"
                              % b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"] * 102))
    assert read_xlsx_rows(prefixed, UploadLimits(max_rows=200)) == [["a"]] * 102
    assert check_xlsx_archive(prefixed, limits)["xl/worksheets/sheet1.xml"].rows == 102
    assert "Trop de lignes : 101 lignes" in refusal(lambda: read_xlsx_rows(prefixed, limits))


def test_a_real_workbook_reads_as_its_cells_say():
    book = Workbook()
    sheet = book.active
    sheet.append(["nom", "date_naissance", "commune_insee", "ressources", "ok", "vide", "formule"])
    sheet.append(["Éloïse", datetime(1980, 4, 2), 97213, 1250.5, True, None, "=1+1"])
    sheet.append(["Marc", date(1950, 9, 15), "97206", 950, False])
    sheet["H3"] = "loin"
    out = io.BytesIO()
    book.save(out)
    rows = read_xlsx_rows(out.getvalue(), BATCH_LIMITS)
    assert rows == [
        ["nom", "date_naissance", "commune_insee", "ressources", "ok", "vide", "formule"],
        ["Éloïse", "1980-04-02", "97213", "1250.5", "VRAI", "", ""],     # a formula without a cached value
        ["Marc", "1950-09-15", "97206", "950", "FAUX", "", "", "loin"],
    ]


def test_shared_strings_rich_text_dates_1904_and_columns():
    styles = ('<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs>')
    row = (b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><r><t>Ri</t></r><r><t>che</t></r>'
           b'<rPh><t>phon</t></rPh></is></c><c r="D1" s="1"><v>366</v></c><c r="E1" s="2"><v>1.5</v></c>'
           b'<c r="F1" t="e"><v>#N/A</v></c><c r="G1" t="str"><f>A1</f><v>texte</v></c></row>')
    content = workbook(iter([row]), shared=["partagé"], styles=styles, date1904=True)
    assert read_xlsx_rows(content, BATCH_LIMITS) == [
        ["partagé", "", "Riche", "1905-01-01", "1904-01-02 12:00:00", "#N/A", "texte"]]
    wide = workbook(iter([inline_row(["x"] * (MAX_COLUMNS + 10))]))
    assert len(read_xlsx_rows(wide, BATCH_LIMITS)[0]) == MAX_COLUMNS
    broken = workbook(iter([b'<row><c t="s"><v>7</v></c></row>']), shared=[])
    assert "texte partagé absent" in refusal(lambda: read_xlsx_rows(broken, BATCH_LIMITS))
    malformed = workbook(iter([b"<row><c>"]))
    assert "XML mal formé" in refusal(lambda: read_xlsx_rows(malformed, BATCH_LIMITS))


def test_the_header_row_of_the_template_survives_the_round_trip():
    assert read_xlsx_rows(workbook(iter([inline_row(HEADER)])), BATCH_LIMITS) == [HEADER]

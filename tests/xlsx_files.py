"""Building real XLSX files in tests, part by part, as a spreadsheet (or an attacker) would write
them: the package and workbook relationships, a first sheet whose XML is given (streamed into the
zip, so that a sheet of hundreds of megabytes costs no memory), optional shared strings and
styles."""
from __future__ import annotations

import io
import zipfile
from typing import Iterable
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

HEADER = ["nom", "prenom", "date_naissance", "telephone", "email", "adresse", "commune_insee", "ages",
          "ressources_mensuelles", "prestations", "situations", "besoin"]


def inline_row(values: Iterable[object], number: int | None = None) -> bytes:
    """A ``<row>`` of inline strings (numbers as numbers), with references when ``number`` is given."""
    cells = []
    for index, value in enumerate(values):
        ref = f' r="{chr(65 + index)}{number}"' if number is not None else ""
        if isinstance(value, (int, float)):
            cells.append(f"<c{ref}><v>{value}</v></c>")
        else:
            cells.append(f'<c{ref} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    opening = f'<row r="{number}">' if number is not None else "<row>"
    return (opening + "".join(cells) + "</row>").encode()


def workbook(rows: Iterable[bytes], *, shared: list[str] | None = None, styles: str | None = None,
             date1904: bool = False, sheet_prefix: bytes = b"", compresslevel: int = 6) -> bytes:
    """An XLSX whose first sheet holds ``rows`` (each a ``<row>`` element, as bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        overrides = '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        archive.writestr("[Content_Types].xml", f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>')
        archive.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        pr = '<workbookPr date1904="1"/>' if date1904 else ""
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">{pr}<sheets><sheet name="Foyers" sheetId="1" r:id="rId1"/></sheets></workbook>')
        rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
        if shared is not None:
            rels.append(f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>')
            items = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
            archive.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">{items}</sst>')
        if styles is not None:
            rels.append(f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>')
            archive.writestr("xl/styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">{styles}</styleSheet>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?>' + sheet_prefix + f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            batch: list[bytes] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 5000:
                    sheet.write(b"".join(batch))
                    batch = []
            sheet.write(b"".join(batch) + b"</sheetData></worksheet>")
    return out.getvalue()


def households(count: int, first: int = 0) -> Iterable[bytes]:
    """The header, then ``count`` varied households (a realistic compression ratio)."""
    yield inline_row(HEADER, 1)
    for n in range(first, first + count):
        yield inline_row([f"Nom{n}", f"Prénom{n * 7 % 1000}", f"{n % 28 + 1:02d}/04/19{50 + n % 40}",
                          f"0696 {n % 90 + 10} {n * 3 % 90 + 10} {n * 7 % 90 + 10}", "", f"{n} rue Schœlcher",
                          "97213", f"{30 + n % 50}", f"{500 + n % 2000},00", "", "", "laptop"], n + 2)


def bomb(rows: int) -> bytes:
    """A zip bomb: ``rows`` identical rows (no references), compressed hard."""
    row = inline_row(["Nom", "Prénom", "02/04/1980", "0696123456", "", "", "97213", "46", "1800", "", "", "laptop"])
    return workbook(_repeat(row, rows), compresslevel=9)


def _repeat(row: bytes, rows: int) -> Iterable[bytes]:
    yield inline_row(HEADER)
    block = row * 1000
    for _ in range(rows // 1000):
        yield block
    yield row * (rows % 1000)

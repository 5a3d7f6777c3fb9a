"""Limits on uploaded files, in one place, and the guarded readers that enforce them early and
cheaply: a file that is too big, expands too much or holds too many rows is refused with a French
``ValidationFailed`` (``file``) before it costs time or memory.

* Every upload: at most ``max_bytes`` (``MAX_UPLOAD_BYTES``, as the web edge's
  ``MAX_CONTENT_LENGTH``; less for a batch file, ``BATCH_MAX_BYTES``); text files are UTF-8
  (BOM or not) or Windows-1252, without NUL.
* XLSX (a zip): before anything is parsed, the archive's entries are listed (``zipfile``
  infolist, nothing decompressed): at most ``MAX_ARCHIVE_ENTRIES`` parts, ``max_uncompressed_bytes``
  in all, and no part of over 1 MiB compressed more than ``max_ratio`` times (a zip bomb); then
  every part is decompressed once, as a stream, to refuse XML entity declarations and count the
  rows of each sheet (the first may hold ``max_rows`` rows after its header); only then is the
  first sheet read, streaming (``core.xlsx``), row by row, at most ``max_rows`` rows after the
  header (counted again as they come: no declared size is trusted) and ``MAX_COLUMNS`` columns.
  Reading costs time in proportion to the XML elements read and the decompressed size, both
  bounded before reading (``MAX_XML_TAGS``, ``max_uncompressed_bytes``): what a file claims or
  how it encodes its cells does not matter.
* CSV and reports: their readers count rows while reading and stop at ``max_rows``.

The domains take an ``UploadLimits`` as a parameter (defaults below); the web edge builds it from
the Flask config with ``limits_from_config`` (``BATCH_MAX_ROWS``, ``BATCH_MAX_BYTES``,
``DEVICE_IMPORT_MAX_ROWS``, ``ERASURE_REPORT_MAX_ROWS``…, ``UPLOAD_MAX_UNCOMPRESSED_BYTES``,
``UPLOAD_MAX_COMPRESSION_RATIO``).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, replace
from typing import Any, Mapping

from core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 2 * 1024 * 1024              # any uploaded file (the edge's MAX_CONTENT_LENGTH)
# A batch file goes back to the server base64-encoded (4/3) in the result page's form, to be
# downloaded or imported: that request must stay under MAX_CONTENT_LENGTH too.
BATCH_MAX_BYTES = 1_200 * 1024
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024       # XLSX: all its parts once decompressed
MAX_COMPRESSION_RATIO = 100                     # XLSX: uncompressed / compressed size of a big part
RATIO_CHECKED_FROM = 1024 * 1024                # parts smaller than this cannot hurt, whatever their ratio
MAX_ARCHIVE_ENTRIES = 1_000                     # XLSX: parts in the zip
MAX_COLUMNS = 50                                # XLSX: columns read (a template has a dozen)
MAX_XML_TAGS = 2_000_000                        # XLSX: tags of all its XML parts (each costs the reader alike)

BATCH_MAX_ROWS = 10_000                         # households in one batch-eligibility file
DEVICE_IMPORT_MAX_ROWS = 5_000                  # devices in one donor's CSV
REPORT_MAX_DRIVES = 1_000                       # drives in one wiping report (JSON, CSV)
REPORT_MAX_LINES = 100_000                      # lines of an nwipe log (a run of 24 drives: ~2 000)
REPORT_MAX_LINE_CHARS = 4_096                   # characters on one line of an nwipe log


@dataclass(frozen=True)
class UploadLimits:
    """What one kind of upload may hold."""

    max_rows: int
    max_bytes: int = MAX_UPLOAD_BYTES
    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES
    max_ratio: float = MAX_COMPRESSION_RATIO


BATCH_LIMITS = UploadLimits(max_rows=BATCH_MAX_ROWS, max_bytes=BATCH_MAX_BYTES)
DEVICE_IMPORT_LIMITS = UploadLimits(max_rows=DEVICE_IMPORT_MAX_ROWS)
REPORT_LIMITS = UploadLimits(max_rows=REPORT_MAX_DRIVES)


def limits_from_config(config: Mapping[str, Any], defaults: UploadLimits, prefix: str) -> UploadLimits:
    """``defaults`` overridden by the settings present in ``config`` (the Flask config, read by
    the web edge): ``<prefix>_MAX_ROWS`` and ``<prefix>_MAX_BYTES`` for this kind of upload
    (``BATCH``, ``DEVICE_IMPORT``, ``ERASURE_REPORT``), ``UPLOAD_MAX_UNCOMPRESSED_BYTES`` and
    ``UPLOAD_MAX_COMPRESSION_RATIO`` for every XLSX."""
    return replace(
        defaults,
        max_rows=int(config.get(f"{prefix}_MAX_ROWS", defaults.max_rows)),
        max_bytes=int(config.get(f"{prefix}_MAX_BYTES", defaults.max_bytes)),
        max_uncompressed_bytes=int(config.get("UPLOAD_MAX_UNCOMPRESSED_BYTES", defaults.max_uncompressed_bytes)),
        max_ratio=float(config.get("UPLOAD_MAX_COMPRESSION_RATIO", defaults.max_ratio)),
    )


def count_text(n: int) -> str:
    """« 10 000 » (non-breaking space between thousands)."""
    return f"{n:,}".replace(",", "\u00a0")


def size_text(n: int) -> str:
    """« 512 Kio », « 1,17 Mio », « 2 Mio » (at most two decimals)."""
    if n < 1024 * 1024:
        return f"{count_text(-(-n // 1024))}\u00a0Kio"
    return f"{n / (1024 * 1024):.2f}".rstrip("0").rstrip(".").replace(".", ",") + "\u00a0Mio"


def refuse(message: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed({field: [message]})


def check_size(content: bytes, limits: UploadLimits, field: str = "file") -> None:
    """Refuse a file over ``limits.max_bytes``."""
    if len(content) > limits.max_bytes:
        raise refuse(f"Fichier trop volumineux ({size_text(len(content))}) : {size_text(limits.max_bytes)} au plus.",
                     field)


def too_many_rows(limits: UploadLimits, what: str, field: str = "file") -> ValidationFailed:
    return refuse(f"Trop de lignes : {count_text(limits.max_rows)} {what} au plus par fichier. "
                  "Découpez le fichier en plusieurs.", field)


def decode_text(content: bytes, field: str = "file", expected: str = "un fichier CSV") -> str:
    """The file as text: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it.
    A NUL character means a binary file, refused (``expected`` says what was expected)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise refuse("Encodage non reconnu : enregistrez le fichier en CSV UTF-8.", field)
    if "\x00" in text:
        raise refuse(f"Fichier binaire (il contient le caractère NUL) : {expected} est attendu.", field)
    return text


def csv_problem(exc: Exception) -> str:
    """The csv module's error, said in French."""
    text = str(exc)
    if "field larger than field limit" in text:
        return f"un champ dépasse {count_text(csv.field_size_limit())} caractères"
    if "unexpected end of data" in text or "EOF" in text:
        return "guillemets non refermés"
    return "ligne mal formée (guillemets ou séparateurs)"


# --- XLSX ---------------------------------------------------------------------------------------

_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?row[\s/>]")
_CHUNK = 1024 * 1024


@dataclass
class PartCounts:
    rows: int = 0
    tags: int = 0                   # « < » characters: each element costs the reader about the same


def check_xlsx_archive(content: bytes, limits: UploadLimits, field: str = "file") -> dict[str, PartCounts]:
    """Refuse a zip bomb before parsing (see the module's docstring); returns the rows and tags
    counted in each XML part, by name."""
    check_size(content, limits, field)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise refuse("Classeur XLSX illisible : le fichier n'est pas une archive XLSX valide.", field) from None
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise refuse(f"Classeur XLSX refusé : {count_text(len(entries))} parties dans l'archive, "
                     f"{count_text(MAX_ARCHIVE_ENTRIES)} au plus.", field)
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        raise refuse(f"Classeur XLSX trop volumineux une fois décompressé ({size_text(total)}) : "
                     f"{size_text(limits.max_uncompressed_bytes)} au plus.", field)
    for entry in entries:
        if entry.file_size >= RATIO_CHECKED_FROM and entry.file_size > limits.max_ratio * max(entry.compress_size, 1):
            raise refuse(f"Classeur XLSX refusé : une partie se décompresse {entry.file_size // max(entry.compress_size, 1)} "
                         f"fois (« bombe de décompression ») ; {limits.max_ratio:g} fois au plus.", field)
    counts: dict[str, PartCounts] = {}
    try:
        for entry in entries:
            if not entry.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            counts[entry.filename] = _scan_part(archive, entry, field)
    except ValidationFailed:
        raise
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, RuntimeError):
        raise refuse("Classeur XLSX illisible : archive endommagée ou chiffrée.", field) from None
    tags = sum(part.tags for part in counts.values())
    if tags > MAX_XML_TAGS:
        raise refuse(f"Classeur XLSX trop complexe : {count_text(tags)} balises XML, {count_text(MAX_XML_TAGS)} au plus. "
                     "Enregistrez-le à nouveau depuis votre tableur, ou en CSV.", field)
    return counts


def _scan_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, field: str) -> PartCounts:
    """Decompress one part as a stream (memory: one chunk): refuse XML declarations (entities),
    count rows and tags."""
    counts = PartCounts()
    carry = b""
    with archive.open(entry) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            data = carry + chunk
            if chunk:                      # keep a tag cut by the chunk's end for the next round
                cut = data.rfind(b"<")
                cut = len(data) if cut < 0 else cut
                data, carry = data[:cut], data[cut:]
            if _DECLARATION.search(data):
                raise refuse("Classeur XLSX refusé : il déclare des entités XML (<!DOCTYPE>), ce qu'un classeur "
                             "Excel ou LibreOffice ne fait jamais.", field)
            counts.rows += len(_ROW_TAG.findall(data))
            counts.tags += data.count(b"<")
            if not chunk:
                return counts


def read_xlsx_rows(content: bytes, limits: UploadLimits, field: str = "file") -> list[list[str]]:
    """The first sheet's rows as text (see ``core.xlsx``), the header included: at most
    ``limits.max_rows + 1`` rows (more is refused) and ``MAX_COLUMNS`` columns. The archive is
    checked first (``check_xlsx_archive``); a file that cannot be read is a French refusal."""
    from core.xlsx import XlsxError, first_sheet, read_rows

    counts = check_xlsx_archive(content, limits, field)
    archive = zipfile.ZipFile(io.BytesIO(content))
    try:
        where = first_sheet(archive)
        counted = counts.get(where.sheet)
        if counted is not None and counted.rows > limits.max_rows + 1:
            raise refuse(f"Trop de lignes : {count_text(counted.rows - 1)} lignes après l'en-tête, "
                         f"{count_text(limits.max_rows)} au plus par fichier. Découpez le fichier en plusieurs.", field)
        rows = read_rows(archive, where, max_rows=limits.max_rows + 2, max_columns=MAX_COLUMNS)
    except XlsxError as exc:
        raise refuse(exc.message, field) from None
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, RuntimeError):
        raise refuse("Classeur XLSX illisible : archive endommagée ou chiffrée.", field) from None
    if len(rows) > limits.max_rows + 1:       # rows without <row> tags the scan could see
        raise refuse(f"Trop de lignes : plus de {count_text(limits.max_rows)} lignes après l'en-tête, "
                     f"{count_text(limits.max_rows)} au plus par fichier. Découpez le fichier en plusieurs.", field)
    return rows

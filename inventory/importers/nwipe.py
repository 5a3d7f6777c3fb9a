"""Reading the text logs of nwipe, and of ShredOS (a boot image that runs nwipe).

Sources
-------
The format below was read in nwipe's own source code, repository ``martijnvanbrummelen/nwipe``
(versions 0.3x, mostly the 0.35 to 0.38 line; ``src/version.c`` of the copy read says 0.38):

* ``src/logging.c`` (commit 956af22): ``nwipe_log()`` (line prefix), ``nwipe_log_summary()`` (the
  "Error Summary" and "Drive Status" tables and the "Total Throughput" line);
* ``src/nwipe.c``: the banner line, the per-drive lines logged before each wipe thread starts
  (serial number, ``sect/blk/dev`` sizes), the end-of-run messages;
* ``src/device.c``: the "Found ..." line of the device scan, the bus strings, the USB-bridge case;
* ``src/method.c``: method labels and the per-pass lines ("Invoking method", "bytes written to",
  verification and blanking messages, error counts);
* ``src/options.c``: ``nwipe_options_log()`` (prng, method, rounds, verify, noblank);
* ``src/hpa_dco.c``: HPA/DCO (hidden sectors) messages; ``src/pass.c`` (I/O error messages);
* ``src/context.h`` (device types, ``wipe_status_txt``), ``src/miscellaneous.c`` (size/throughput
  strings, ``nwipe_strip_path``), ``src/prng.c`` ("Initialising Isaac prng");
* real logs quoted in the project's issues and pull requests (nwipe #223, #325, #366, #444, #585;
  ShredOS #301, #332) for the differences between versions.

The format, in short
--------------------
Every ordinary line is ``[YYYY/MM/DD hh:mm:ss] level: message``: the wiping machine's local time
without a zone, then a level (``info``, ``notice``, ``warning``, ``error``, ``fatal``, ``debug``,
left-padded with spaces in logs since 2021; very old versions wrote ``nwipe: info:``). Some lines
have no timestamp: the continuation of a wrapped message (kernel version, hdparm output) and the
summary tables printed at the very end of a run.

A run logs, in this order: the banner (``nwipe 0.38``, or ``ShredOS v2024.11_27_x86-64_0.38``),
the scan with one ``Found /dev/sda,  ATA-SSD, <model>,  500 GB, S/N=<serial>`` line per drive
(bus padded to four characters, ``-SSD`` appended for solid-state drives; ``S/N=(S/N: unknown)``
behind a USB bridge without pass-through), HPA/DCO checks ending with ``No hidden sectors on
/dev/sda`` (``No hidden areas`` in older versions) or ``HIDDEN AREA DETECTED!`` /
``HIDDEN AREA INDETERMINATE!``, the options (``  prng     = Isaac``, ``  method   = DoD Short``,
``  rounds   = 1``, ``  verify   = 1 (last pass)``, ``  do not perform a final blank pass``), then
for each wiped drive ``/dev/sda has serial number ...`` and ``/dev/sda, sect/blk/dev
512/4096/500107862016`` (older: ``Device '/dev/sda' is size N.``), then the passes
(``Invoking method 'DoD Short' on /dev/sda``, ``Starting pass 1/3, round 1/1, on /dev/sda``,
``N bytes written to /dev/sda``, ``Verifying that /dev/sda is empty.``, ``[SUCCESS] Blanked
device /dev/sda``...). At the end, two tables::

    ******************************** Error Summary *********************************
    !   Device | Pass Errors | Verifications Errors | Fdatasync I\\O Errors
    --------------------------------------------------------------------------------
    !      sdb |           1 |                    0 |                    1
    ********************************************************************************

    ********************************* Drive Status *********************************
    !   Device | Status | Thru-put | HH:MM:SS | Model/Serial Number
    --------------------------------------------------------------------------------
    !      sdb |-FAILED-|   91 MB/s | 00:11:15 | <model, cut to 17 characters>/<serial>
    --------------------------------------------------------------------------------
    [2024/06/04 14:14:45] Total Throughput   91 MB/s, Fill With Zeros, 1R+NB+VL
    ********************************************************************************

The device is printed without ``/dev/`` (its last eight characters, right-justified). The status
is always eight characters: `` Erased ``, ``-FAILED-`` (any pass, verification or fdatasync error;
a verification error fails the drive only since pull request #317, May 2021), ``UABORTED`` (the
user aborted), ``INSANITY`` (nwipe's own "cannot happen"). ``1R+NB+VL`` is rounds, blanking
(``B``/``NB``) and verification (``NV``, ``VL``, ``VA``). The Error Summary table came with pull
request #325 (June 2021), its fdatasync column with #339 (late 2021); older logs only have the
Drive Status table. nwipe does not log start and end times as such: a wipe starts when its thread
logs ``Invoking method``, and lasts the ``HH:MM:SS`` of the Drive Status table.

Choices made here
-----------------
* ``started_at`` is the time of the drive's ``Invoking method`` line and ``ended_at`` that time
  plus the table's duration (nwipe computes it as end minus start), both converted to UTC from
  the ``tz`` given (Martinique by default).
* ``status_text`` is the table word without its padding: ``Erased``, ``FAILED``, ``UABORTED``,
  ``INSANITY``. ``Erased`` gives ``pass``, or ``pass_with_warnings`` when the drive still has
  errors (possible in logs older than pull request #317) or when nwipe found, or could not rule
  out, a hidden HPA/DCO area (nwipe then prints "ERASED / See Warning !" on its PDF certificate).
  Anything else gives ``fail``. An unknown word is refused rather than guessed.
* ``errors`` is the sum of the drive's Error Summary row; without that table (older logs), the sum
  of the ``N verification errors on '/dev/x'.`` and ``N wipe errors on '/dev/x'.`` lines.
* ``bytes_erased`` is the largest ``N bytes written to /dev/x`` of the drive (nwipe's own
  "bytes erased" is how far the device has been overwritten, whatever the pass).
* ``bus`` is nwipe's bus word (``ATA``, ``NVME``, ``USB``, ``SAS``...) without the ``-SSD`` suffix;
  ``manufacturer`` only comes from a ``smartctl: vendor:`` line (verbose logs).
* Placeholders are not serial numbers: ``(S/N: unknown)``, ``?????`` (not obtainable) and
  ``XXXXX`` (hidden by ``-q``) give ``None`` and a warning.
* A run whose drives started but which has no complete summary is truncated: it is refused, never
  completed by guesswork. A log may hold several runs (nwipe appends): a drive seen in several runs
  is reported once, from its last run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from core.uploads import REPORT_MAX_LINE_CHARS, REPORT_MAX_LINES, count_text

MARTINIQUE = ZoneInfo("America/Martinique")


@dataclass
class DriveReport:
    device_name: str | None        # e.g. "/dev/sda"
    serial_number: str | None      # as printed, stripped
    model: str | None
    manufacturer: str | None       # when the log gives it (else None)
    size_bytes: int | None
    bus: str | None                # "ATA", "NVME", "USB"... as printed by nwipe
    method: str | None             # e.g. "DoD Short", "PRNG Stream", "Fill With Zeros"
    prng: str | None
    rounds: int | None
    verification: str | None       # "Verify Off", "Verify Last" or "Verify All"
    blanking: bool | None
    hpa_dco: str | None            # HPA/DCO state as printed, where known
    started_at: datetime | None    # timezone-aware UTC
    ended_at: datetime | None      # timezone-aware UTC
    bytes_erased: int | None
    errors: int | None             # pass + verification + fdatasync errors
    status: str                    # "pass", "pass_with_warnings" or "fail"
    status_text: str | None        # nwipe's own word ("Erased", "FAILED", ...)


@dataclass
class NwipeLog:
    tool: str                      # "nwipe"
    tool_version: str | None       # e.g. "0.38"
    drives: list[DriveReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # French sentences


class NwipeLogError(ValueError):
    """Malformed or truncated log. ``message`` is French and names the line when possible."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# --- Lines -------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_VERTICAL_BOX = "│┃║╎╏┆┇┊┋╽╿"


def _translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {code: None for code in range(32)}
    table[ord("\t")] = " "
    table[0x7F] = None
    table[0xA0] = " "
    table[0xFEFF] = None
    for code in range(0x2500, 0x2580):   # box drawing: columns become "|", the rest "-"
        table[code] = "|" if chr(code) in _VERTICAL_BOX else "-"
    return table


_CLEAN = _translation()

_TIMESTAMP = re.compile(r"^\[(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})\](.*)$")
_TIMESTAMP_LIKE = re.compile(r"^\[\s*\d{1,4}\s*[/\-.:]")
_LEVEL = re.compile(r"^\s*(?:nwipe:\s*)?(debug|info|notice|warning|error|fatal|sanity|level \d+):(?=\s|$)(.*)$")
_SNIFF = re.compile(r"^\[\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}\]\s*(?:nwipe:\s*)?"
                    r"(?:debug|info|notice|warning|error|fatal|sanity):")
_SNIFF_MARKERS = ("nwipe", "shredos", "found /dev/", "invoking method", "drive status")


@dataclass
class _Line:
    number: int
    text: str                      # cleaned, right-stripped
    when: datetime | None          # naive, the wiping machine's local time
    level: str | None
    msg: str                       # the message of a timestamped line, else the stripped text


def _clean(raw: str) -> str:
    return _ANSI.sub("", raw).translate(_CLEAN).rstrip()


def _physical_lines(text: str) -> tuple[list[str], bool]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n"), text.endswith("\n")


def looks_like_nwipe(text: str) -> bool:
    """Cheap sniffing: a line shaped like ``[2024/03/12 08:14:02]  notice: ...`` near the top,
    and a word only nwipe logs contain."""
    if not isinstance(text, str) or not text.strip():
        return False
    head = text[:200_000]
    lines, _ = _physical_lines(head)
    if not any(_SNIFF.match(_clean(line).lstrip()) for line in lines[:500]):
        return False
    lowered = head.lower()
    return any(marker in lowered for marker in _SNIFF_MARKERS)


def _read_lines(text: str) -> list[_Line]:
    lines, ends_with_newline = _physical_lines(text)
    last = len(lines) - 1
    out = []
    for index, raw in enumerate(lines):
        number = index + 1
        clean = _clean(raw)
        cut_short = index == last and not ends_with_newline   # the file stops inside this line
        match = _TIMESTAMP.match(clean.lstrip())
        if match:
            try:
                when = datetime(*(int(part) for part in match.groups()[:6]))
            except ValueError:
                if cut_short:
                    break
                raise NwipeLogError(
                    f"Date illisible (ligne {number}) : « {clean.strip()[:60]} » n'est pas une date valide.",
                    number) from None
            rest = match.group(7)
            level_match = _LEVEL.match(rest)
            if level_match:
                out.append(_Line(number, clean, when, level_match.group(1), level_match.group(2).strip()))
            else:
                out.append(_Line(number, clean, when, None, rest.strip()))
        elif _TIMESTAMP_LIKE.match(clean.lstrip()):
            if cut_short:
                break
            raise NwipeLogError(
                f"Date illisible (ligne {number}) : « {clean.strip()[:60]} » ; "
                "nwipe écrit « [AAAA/MM/JJ hh:mm:ss] ».", number)
        else:
            out.append(_Line(number, clean, None, None, clean.strip()))
    return out


# --- Messages ----------------------------------------------------------------------------------

_BANNER = re.compile(r"^nwipe\s+v?(\d+\.\d+(?:\.\d+)?)\b")
_SHREDOS = re.compile(r"^ShredOS\s+(\S+)")
_SHREDOS_NWIPE = re.compile(r"_(\d+\.\d+(?:\.\d+)?)(?=$|[-_])")
_OPTIONS_START = "Program options are set as follows"
_OPTION = re.compile(r"^(prng|method|rounds|verify|banner)\s*=\s*(.*)$")
_NOBLANK = "do not perform a final blank pass"
_FOUND = re.compile(r"^Found (?P<dev>/\S+?), (?P<bus>[^,]*), (?P<model>.*), "
                    r"(?P<size>\s*\d+(?:\.\d+)?\s*[KMGTP]?B), S/N=(?P<serial>.*)$")
_FOUND_OLD = re.compile(r"^Found (?P<dev>/\S+?), (?P<model>.*), "
                        r"(?P<size>\s*\d+(?:\.\d+)?\s*[KMGTP]?B), S/N=(?P<serial>.*)$")
_VENDOR = re.compile(r"^smartctl:\s*vendor:\s*(?P<vendor>.*)$", re.IGNORECASE)
_HAS_SERIAL = re.compile(r"^(?:Device )?(?P<dev>/\S+) has serial number (?P<serial>.*)$")
_SIZES = re.compile(r"^(?P<dev>/\S+), sect/blk/dev (?P<value>.*)$")
_SIZES_VALUE = re.compile(r"^\d+/\d+/(\d+)$")
_SIZE_OLD = re.compile(r"^Device '(?P<dev>[^']+)' is size (?P<value>.*?)\.?$")
_INVOKING = re.compile(r"^Invoking method '(?P<method>.*)' on (?P<dev>\S+)$")
_WRITTEN = re.compile(r"^(?P<bytes>\d+) bytes written to (?P<dev>\S+)$")
_VERIFY_ERRORS = re.compile(r"^(?P<count>\d+) verification errors on '(?P<dev>[^']+)'\.?$")
_WIPE_ERRORS = re.compile(r"^(?P<count>\d+) wipe errors on '(?P<dev>[^']+)'\.?$")
_HPA = re.compile(r"^(?P<state>No hidden (?:areas|sectors)|HIDDEN AREA (?:DETECTED|INDETERMINATE)!?) "
                  r"on (?P<dev>/[^\s,]+)")
_BLANKING = re.compile(r"^Blanking device (?P<dev>\S+)$")
_ABORTED_EARLY = "Nwipe was aborted by the user prior to the wipe starting"

_ERROR_TABLE = re.compile(r"^\*+\s*Error Summary\s*\*+$", re.IGNORECASE)
_STATUS_TABLE = re.compile(r"^\*+\s*Drive Status\s*\*+$", re.IGNORECASE)
_STARS = re.compile(r"^\*{10,}$")
_RULE = re.compile(r"^[-=_]{10,}$")
# Written so that no two repeats can share characters: each line is read in linear time, however
# long (a pattern like ``\s*!?\s*`` takes quadratic time on a line of spaces).
_ROW = re.compile(r"^\s*(?:(?P<flag>!)\s*)?(?P<dev>[^\s|!]+)\s*\|(?P<status>[^|]*)\|(?P<thru>[^|]*)\|"
                  r"\s*(?P<dur>\d+):(?P<min>[0-5]\d):(?P<sec>[0-5]\d)\s*\|\s?(?P<ident>.*)$")
_TOTALS = re.compile(r"^Total Throughput(?=\s)(?P<thru>[^,]*),\s*(?P<method>\S.*),\s*(?P<rounds>\d+)R\+"
                     r"(?P<blank>N?B)\+(?P<verify>NV|VL|VA)\s*$")

_VERIFY_CODES = {"NV": "Verify Off", "VL": "Verify Last", "VA": "Verify All"}
_VERIFY_WORDS = {"off": "Verify Off", "last pass": "Verify Last", "all passes": "Verify All",
                 "0": "Verify Off", "1": "Verify Last", "2": "Verify All"}
_ERASED = {"ERASED"}
_FAILED = {"FAILED", "FAIL", "FAILURE", "UABORTED", "ABORTED", "INSANITY"}
_NO_SERIAL = "(S/N: unknown)"


@dataclass
class _Drive:
    """What the log says about one device during one run."""
    name: str
    model: str | None = None
    serial: str | None = None          # from the "Found" line (may be a placeholder)
    serial_line: str | None = None     # from "... has serial number ..."
    bus: str | None = None
    manufacturer: str | None = None
    size_bytes: int | None = None
    hpa: str | None = None
    method: str | None = None
    started: _Line | None = None
    bytes_written: int | None = None
    verify_errors: int | None = None
    wipe_errors: int | None = None
    blanked: bool = False


@dataclass
class _Row:
    line: _Line
    token: str
    status: str
    duration: timedelta
    ident: str


def _serial_value(raw: str | None) -> tuple[str | None, str]:
    """(serial, state) where state is "ok", "missing" or "masked"."""
    value = (raw or "").strip()
    if not value or value == _NO_SERIAL or set(value) == {"?"}:
        return None, "missing"
    if set(value) == {"X"} and len(value) >= 8:
        return None, "masked"
    return value, "ok"


def _bus_value(raw: str) -> str | None:
    value = raw.strip()
    if value.upper().endswith("-SSD"):
        value = value[:-4].strip()
    return value or None


def _split_ident(ident: str) -> tuple[str | None, str | None]:
    """The "Model/Serial Number" cell; the model is cut to 17 characters by nwipe."""
    ident = ident.strip()
    if ident.endswith(_NO_SERIAL):
        return ident[: -len(_NO_SERIAL)].rstrip("/").strip() or None, None
    model, slash, serial = ident.rpartition("/")
    if not slash:
        return ident or None, None
    return model.strip() or None, serial.strip() or None


def _short_name(device: str) -> str:
    """The device as the summary tables print it (nwipe_strip_path): no directory, 8 characters."""
    return device.rsplit("/", 1)[-1][-8:]


class _Parser:
    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.version: str | None = None
        self.banner_version: str | None = None
        self.options: dict[str, object] = {}
        self.drives: dict[str, _Drive] = {}
        self.vendor: str | None = None
        self.table: str | None = None              # "errors" or "status" while inside a table
        self.table_start: _Line | None = None
        self.error_rows: dict[str, int] = {}
        self.status_rows: list[_Row] = []
        self.summaries = 0
        self.aborted_early = False
        self.reports: dict[str, tuple[DriveReport, list[str]]] = {}
        self.last_number = 0

    # -- driving --

    def run(self, lines: list[_Line]) -> NwipeLog:
        for line in lines:
            if line.text.strip():
                self.last_number = line.number
        for line in lines:
            if self.table and self._in_table(line):
                continue
            if line.when is None:
                self._untimestamped(line)
            else:
                self._message(line)
        return self._finish()

    def _finish(self) -> NwipeLog:
        if self.table == "status":
            raise NwipeLogError(
                f"Journal nwipe tronqué : le résumé de fin de passage est incomplet (ligne {self.last_number}) ; "
                f"le tableau « Drive Status » commencé ligne {self.table_start.number} ne se termine pas.",
                self.last_number)
        self._check_started_before_new_run(None)
        warnings: list[str] = []
        if self.table == "errors" or (self.summaries == 0 and not self.aborted_early):
            raise NwipeLogError(
                f"Journal nwipe tronqué : le résumé de fin de passage manque (ligne {self.last_number}).",
                self.last_number)
        if self.summaries == 0:
            warnings.append("Aucun effacement dans ce journal : nwipe a été arrêté avant le début de l'effacement.")
        drives = []
        for report, drive_warnings in self.reports.values():
            drives.append(report)
            warnings.extend(drive_warnings)
        return NwipeLog(tool="nwipe", tool_version=self.version, drives=drives, warnings=warnings)

    # -- untimestamped lines: tables and continuations --

    def _untimestamped(self, line: _Line) -> None:
        if _ERROR_TABLE.match(line.msg):
            self.table, self.table_start, self.error_rows = "errors", line, {}
        elif _STATUS_TABLE.match(line.msg):
            self.table, self.table_start, self.status_rows = "status", line, []
        # Anything else (wrapped messages, "Creating PDF report in ...") says nothing about a drive.

    def _in_table(self, line: _Line) -> bool:
        """Handle a line met inside a summary table; False lets the caller handle it as usual."""
        text = line.msg
        if self.table == "errors":
            if line.when is not None or _STATUS_TABLE.match(text):
                self.table = None
                return False
            if _STARS.match(text):
                self.table = None
            elif text and not _RULE.match(text):
                if "|" not in text:
                    self.table = None
                    return False
                self._error_row(line)
            return True
        # Drive Status table
        if line.when is not None:
            if line.level is None and text.startswith("Total Throughput"):
                self._close_summary(line)
                return True
            raise NwipeLogError(
                f"Journal nwipe tronqué : le résumé de fin de passage est incomplet (ligne {line.number}) ; "
                f"le tableau « Drive Status » commencé ligne {self.table_start.number} est interrompu.",
                line.number)
        if not text or _RULE.match(text):
            return True
        if _STARS.match(text):
            self._close_summary(None)
            return True
        if "|" in text and re.search(r"\bDevice\b", text) and re.search(r"\bStatus\b", text):
            return True
        match = _ROW.match(line.text)
        if not match:
            raise NwipeLogError(
                f"Ligne illisible dans le tableau « Drive Status » (ligne {line.number}) : « {text[:80]} ».",
                line.number)
        duration = timedelta(hours=int(match["dur"]), minutes=int(match["min"]), seconds=int(match["sec"]))
        self.status_rows.append(_Row(line, match["dev"], match["status"], duration, match["ident"]))
        return True

    def _error_row(self, line: _Line) -> None:
        cells = [cell.strip() for cell in line.msg.split("|")]
        if re.search(r"\bDevice\b", cells[0]):
            return                                     # the column titles
        token = cells[0].lstrip("!").strip()
        counts = [cell for cell in cells[1:] if cell]
        if not token or not counts or not all(cell.isdecimal() for cell in counts):
            raise NwipeLogError(
                f"Nombre d'erreurs illisible dans le tableau « Error Summary » (ligne {line.number}) : "
                f"« {line.msg[:80]} ».", line.number)
        self.error_rows[token] = sum(int(cell) for cell in counts)

    # -- timestamped messages --

    def _drive(self, name: str) -> _Drive:
        drive = self.drives.get(name)
        if drive is None:
            drive = self.drives[name] = _Drive(name)
        return drive

    def _message(self, line: _Line) -> None:
        msg = line.msg
        if match := _BANNER.match(msg):
            self._new_run(line)
            self.version = match.group(1)
            return
        if match := _SHREDOS.match(msg):
            self._new_run(line)
            versions = _SHREDOS_NWIPE.findall(match.group(1))
            self.version = versions[-1] if versions else None
            return
        if msg.startswith(_OPTIONS_START):
            self.options["blanking"] = True
            return
        if msg == _NOBLANK:
            self.options["blanking"] = False
            return
        if match := _OPTION.match(msg):
            self._option(match.group(1), match.group(2).strip(), line)
            return
        if match := _VENDOR.match(msg):
            self.vendor = match["vendor"].strip() or None
            return
        if (match := _FOUND.match(msg)) or (match := _FOUND_OLD.match(msg)):
            self._found(match)
            return
        if match := _HAS_SERIAL.match(msg):
            self._drive(match["dev"]).serial_line = match["serial"].strip()
            return
        if match := _SIZES.match(msg):
            value = _SIZES_VALUE.match(match["value"].strip())
            self._size(match["dev"], value.group(1) if value else match["value"], line)
            return
        if match := _SIZE_OLD.match(msg):
            self._size(match["dev"], match["value"], line)
            return
        if match := _INVOKING.match(msg):
            drive = self._drive(match["dev"])
            drive.method, drive.started = match["method"].strip() or None, line
            return
        if match := _WRITTEN.match(msg):
            drive = self._drive(match["dev"])
            drive.bytes_written = max(drive.bytes_written or 0, int(match["bytes"]))
            return
        if match := _VERIFY_ERRORS.match(msg):
            self._drive(match["dev"]).verify_errors = int(match["count"])
            return
        if match := _WIPE_ERRORS.match(msg):
            self._drive(match["dev"]).wipe_errors = int(match["count"])
            return
        if match := _HPA.match(msg):
            self._drive(match["dev"]).hpa = match["state"]
            return
        if match := _BLANKING.match(msg):
            self._drive(match["dev"]).blanked = True
            return
        if msg.startswith(_ABORTED_EARLY):
            self.aborted_early = True

    def _new_run(self, line: _Line) -> None:
        self._check_started_before_new_run(line)
        self.options = {}
        self.drives = {}
        self.vendor = None

    def _check_started_before_new_run(self, line: _Line | None) -> None:
        started = [drive for drive in self.drives.values() if drive.started is not None]
        if not started:
            return
        end = self.last_number if line is None else line.number - 1
        first = min(started, key=lambda drive: drive.started.number)
        raise NwipeLogError(
            f"Journal nwipe tronqué : le résumé de fin de passage manque (ligne {end}). "
            f"L'effacement de {first.name}, commencé ligne {first.started.number}, n'a pas de résultat.", end)

    def _option(self, name: str, value: str, line: _Line) -> None:
        if name == "banner":
            versions = _BANNER.findall(value) or _SHREDOS_NWIPE.findall(value)
            if versions and self.version is None:
                self.version = versions[-1]
        elif name == "rounds":
            if not value.isdecimal():
                raise NwipeLogError(f"Nombre de passages illisible (ligne {line.number}) : « {value} ».", line.number)
            self.options["rounds"] = int(value)
        elif name == "verify":
            words = re.search(r"\(([^)]*)\)", value)
            key = (words.group(1) if words else value).strip().lower()
            self.options["verify"] = _VERIFY_WORDS.get(key, value or None)
        else:
            self.options[name] = value or None

    def _found(self, match: re.Match) -> None:
        drive = self.drives[match["dev"]] = _Drive(match["dev"])
        groups = match.groupdict()
        model = match["model"].strip()
        if "bus" in groups:
            drive.bus = _bus_value(groups["bus"])
        elif model.startswith("ATA "):              # before 0.28 the model kept libparted's prefix
            model = model[4:].strip()
        drive.model = model or None
        drive.serial = match["serial"].strip()
        drive.manufacturer, self.vendor = self.vendor, None

    def _size(self, device: str, value: str, line: _Line) -> None:
        value = value.strip()
        if not value.isdecimal():
            raise NwipeLogError(
                f"Taille illisible pour {device} (ligne {line.number}) : « {value[:40]} » "
                "n'est pas un nombre d'octets.", line.number)
        self._drive(device).size_bytes = int(value)

    # -- end of a run --

    def _resolve(self, token: str) -> _Drive:
        candidates = [drive for name, drive in self.drives.items() if _short_name(name) == token]
        candidates.sort(key=lambda drive: drive.started is None)      # a drive wiped in this run first
        return candidates[0] if candidates else _Drive(token)

    def _close_summary(self, totals_line: _Line | None) -> None:
        totals = _TOTALS.match(totals_line.msg) if totals_line else None
        seen: set[str] = set()
        for row in self.status_rows:
            drive = self._resolve(row.token)
            seen.add(drive.name)
            report, warnings = self._report(drive, row, totals)
            key = report.serial_number or f"{report.device_name}#{self.summaries}"
            self.reports.pop(key, None)
            self.reports[key] = (report, warnings)
        for drive in self.drives.values():
            if drive.started is not None and drive.name not in seen:
                raise NwipeLogError(
                    f"Journal nwipe incohérent : l'effacement de {drive.name} a commencé ligne {drive.started.number} "
                    f"mais le disque manque au tableau « Drive Status » (ligne {self.table_start.number}).",
                    self.table_start.number)
        for drive in self.drives.values():
            drive.started = None
        self.table, self.status_rows, self.error_rows = None, [], {}
        self.summaries += 1

    def _report(self, drive: _Drive, row: _Row, totals: re.Match | None) -> tuple[DriveReport, list[str]]:
        word = row.status.strip().strip("-").strip()
        if word.upper() in _ERASED:
            erased = True
        elif word.upper() in _FAILED:
            erased = False
        else:
            raise NwipeLogError(
                f"Statut inconnu « {row.status.strip()} » pour {row.token} dans le tableau « Drive Status » "
                f"(ligne {row.line.number}).", row.line.number)

        ident_model, ident_serial = _split_ident(row.ident)
        model = drive.model or ident_model
        if drive.serial is not None:
            raw_serial = drive.serial or drive.serial_line
        else:
            raw_serial = drive.serial_line if drive.serial_line is not None else ident_serial
        serial, serial_state = _serial_value(raw_serial)

        if row.token in self.error_rows:
            errors = self.error_rows[row.token]
        elif drive.verify_errors is not None or drive.wipe_errors is not None:
            errors = (drive.verify_errors or 0) + (drive.wipe_errors or 0)
        else:
            errors = 0 if erased else None

        hidden_area = bool(drive.hpa and drive.hpa.upper().startswith("HIDDEN AREA"))
        if not erased:
            status = "fail"
        elif errors or hidden_area:
            status = "pass_with_warnings"
        else:
            status = "pass"

        started_at = ended_at = None
        if drive.started is not None:
            started_at = drive.started.when.replace(tzinfo=self.tz).astimezone(timezone.utc)
            ended_at = started_at + row.duration

        if totals:
            method = drive.method or totals["method"].strip()
            rounds = int(totals["rounds"])
            blanking = totals["blank"] == "B"
            verification = _VERIFY_CODES[totals["verify"]]
        else:
            method = drive.method or self.options.get("method")
            rounds = self.options.get("rounds")
            blanking = self.options.get("blanking", True if drive.blanked else None)
            verification = self.options.get("verify")

        report = DriveReport(
            device_name=drive.name, serial_number=serial, model=model, manufacturer=drive.manufacturer,
            size_bytes=drive.size_bytes, bus=drive.bus, method=method, prng=self.options.get("prng"),
            rounds=rounds, verification=verification, blanking=blanking, hpa_dco=drive.hpa,
            started_at=started_at, ended_at=ended_at, bytes_erased=drive.bytes_written, errors=errors,
            status=status, status_text=word or None)
        return report, self._warnings(report, serial_state, hidden_area)

    @staticmethod
    def _warnings(report: DriveReport, serial_state: str, hidden_area: bool) -> list[str]:
        name = report.device_name
        label = f"{name} ({report.model})" if report.model else name
        warnings = []
        if serial_state == "missing":
            warnings.append(f"Le disque {label} n'a pas de numéro de série dans le journal nwipe : "
                            "il faudra l'identifier autrement.")
        elif serial_state == "masked":
            warnings.append(f"Le numéro de série du disque {label} est masqué dans le journal "
                            "(nwipe lancé avec l'option -q) : il faudra l'identifier autrement.")
        if hidden_area and report.hpa_dco.upper().startswith("HIDDEN AREA DETECTED"):
            warnings.append(f"Zone cachée (HPA/DCO) détectée sur {name} : nwipe n'efface pas les secteurs cachés.")
        elif hidden_area:
            warnings.append(f"État HPA/DCO indéterminé sur {name} : nwipe ne peut pas garantir que d'éventuels "
                            "secteurs cachés ont été effacés.")
        if report.status_text and report.status_text.upper() in _ERASED and report.errors:
            warnings.append(f"nwipe déclare {name} effacé malgré {report.errors} erreur(s) "
                            "de passage ou de vérification.")
        return warnings


def check_size(text: str, max_lines: int = REPORT_MAX_LINES, max_line_chars: int = REPORT_MAX_LINE_CHARS) -> None:
    """Refuse a log of more than ``max_lines`` lines, or with a line of more than
    ``max_line_chars`` characters (nwipe's are under 300), before reading it: reading then costs
    time and memory in proportion to a bounded size."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.count("\n") + 1 > max_lines:
        raise NwipeLogError(f"Journal trop long : plus de {count_text(max_lines)} lignes "
                            f"(un passage de nwipe sur 24 disques en écrit environ 2 000).")
    if len(text) > max_line_chars:
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > max_line_chars:
                raise NwipeLogError(f"Ligne {number} trop longue ({count_text(len(line))} caractères) : nwipe "
                                    f"n'écrit pas de ligne de plus de {count_text(max_line_chars)} caractères.", number)


def parse_nwipe_log(text: str, tz: tzinfo = MARTINIQUE, *, max_lines: int = REPORT_MAX_LINES,
                    max_line_chars: int = REPORT_MAX_LINE_CHARS) -> NwipeLog:
    """Read an nwipe or ShredOS log: one ``DriveReport`` per wiped drive, times in UTC.

    ``tz`` is the time zone of the wiping machine's clock (nwipe writes local times without zone).
    Raises ``NwipeLogError`` (French message, line number) for a file that is not an nwipe log,
    a malformed line, a truncated run, or a log over the limits (``check_size``).
    """
    if not isinstance(text, str) or not text.strip():
        raise NwipeLogError("Journal nwipe vide.")
    check_size(text, max_lines, max_line_chars)
    if not looks_like_nwipe(text):
        first_number, first_text = next(
            ((number, _clean(raw).strip()) for number, raw in enumerate(_physical_lines(text)[0], 1)
             if _clean(raw).strip()), (None, ""))
        raise NwipeLogError(
            f"Ce fichier n'est pas un journal nwipe (ligne {first_number} : « {first_text[:60]} ») : "
            "aucune ligne « [AAAA/MM/JJ hh:mm:ss] niveau: message » écrite par nwipe ou ShredOS.", first_number)
    return _Parser(tz).run(_read_lines(text))

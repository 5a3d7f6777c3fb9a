"""Property tests of the parsers that read what users upload or scan (issue 15): whatever the
input, they answer with their domain's refusal — ``ValidationFailed`` (or the reader's own
documented error: ``NwipeLogError``, ``ReportFormatError``) — never another exception, and never
something the database cannot store. Inputs are arbitrary text and bytes, and real files
(tests/data) mutated line by line, so that the deep paths are reached too.

Each crash found is kept as an ``@example``, with what it was:
* an nwipe log with a long line of spaces in the « Drive Status » table, or of commas on the
  « Total Throughput » line: quadratic regular expressions (a 1 MB line: hours);
* a JSON report nested 100,000 levels deep: ``RecursionError`` (500);
* a JSON report with ``"\\u0000"`` or a lone ``"\\ud800"``: stored as such, then 500 on PostgreSQL
  (NUL) or on any database (surrogates);
* a report whose ``tool`` is longer than its column (120): 500 on PostgreSQL;
* a serial number of 60 « ß »: valid (100 characters at most) but upper-cased into 120 « S »,
  too long for its column: 500 on PostgreSQL (device list, report, storage medium);
* a scanned code with a lone surrogate: ``UnicodeEncodeError`` when the database reads it.

The database properties run on SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
Budgets are small (100 to 150 examples, no deadline) to keep CI fast."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import Conflict, NotFound, ValidationFailed
from inventory.codes import clean_identifier, normalise_scan
from inventory.importers import nwipe
from inventory.importers.generic import ReportFormatError, parse_csv, parse_json
from inventory.importers.nwipe import NwipeLogError, parse_nwipe_log
from inventory.services.csv_import import parse_rows
from inventory.services.erasure_import import read_report
from tests.helpers import make_workshop

DATA = Path(__file__).resolve().parents[1] / "data"
LOGS = [path.read_text(encoding="utf-8") for path in sorted((DATA / "nwipe").glob("*.txt"))]
REPORT = (DATA / "reports" / "station.json").read_text(encoding="utf-8")
PURE = settings(max_examples=150, deadline=None)
WITH_DB = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                             HealthCheck.too_slow])

# Any character, lone surrogates and controls included.
any_text = st.text(st.characters(exclude_categories=()), max_size=40)
tricky = st.sampled_from(["ß" * 60, "ﬃ" * 40, "\x00", "\ud800", " ", "", "-1", "1e400", "nan", "=1+1", "x" * 130,
                          "9" * 30, "1,5", '"', ";", ",", "\t", "é"])
cell = st.one_of(any_text, tricky)


def mutated(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with lines replaced, deleted (empty replacement) or cut short."""
    lines = text.split("\n")
    for kind, position, value in edits:
        index = position % (len(lines) or 1)
        if kind == 0:
            lines[index:index + 1] = [value] if value else []
        elif kind == 1:
            lines.insert(index, value)
        elif lines:
            lines[index] = lines[index][: len(value)]
    return "\n".join(lines)


edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.one_of(any_text, tricky)), max_size=6)
nwipe_logs = st.one_of(st.builds(mutated, st.sampled_from(LOGS), edits), any_text)
PATHOLOGICAL_ROW = ("[2024/03/12 08:14:02]  notice: nwipe 0.38\n"
                    "********************************* Drive Status *********************************\n"
                    + " " * 4_000 + "x\n")
PATHOLOGICAL_TOTALS = (LOGS[0].split("Total Throughput")[0] + "Total Throughput " + ",a" * 2_000 + "\n")


@PURE
@given(nwipe_logs)
@example(PATHOLOGICAL_ROW)
@example(PATHOLOGICAL_TOTALS)
@example("[2024/03/12 08:14:02]  notice: nwipe 0.38\n" + "x" * 5_000 + "\n")
def test_the_nwipe_reader_refuses_in_french_or_reads(text):
    try:
        log = parse_nwipe_log(text)
    except NwipeLogError as exc:
        assert exc.message
        return
    for drive in log.drives:
        assert drive.status in ("pass", "pass_with_warnings", "fail")


def test_the_nwipe_patterns_read_a_long_line_in_linear_time():
    """The two patterns that backtracked quadratically: a line four times longer must take about
    four times longer (sixteen before), whatever the machine's speed."""
    cases = [(nwipe._ROW, lambda n: " " * n + "x"),
             (nwipe._TOTALS, lambda n: "Total Throughput " + ",a" * (n // 2)),
             (nwipe._TOTALS, lambda n: "Total Throughput x," + " " * n + "a")]
    for pattern, line in cases:
        def best(n: int) -> float:
            text = line(n)
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                pattern.match(text)
                runs.append(time.perf_counter() - started)
            return min(runs)
        assert best(16_000) / max(best(4_000), 1e-6) < 8, pattern.pattern


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | cell,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["serial_number", "level", "technique", "result", "verified", "tool", "drives", "passes",
                         "capacity_gb", "started_at", "asset_tag"]) | any_text, inner, max_size=5),
    max_leaves=15)
DRIVE = {"serial_number": "S1", "level": "clear", "technique": "overwrite", "result": "pass", "verified": True}


def json_reports(value) -> list[str]:
    return [json.dumps(value), json.dumps({"drives": [value]}), json.dumps({"drives": [{**DRIVE, "model": value}]}),
            json.dumps({"tool": value, "drives": [DRIVE]})]


@PURE
@given(json_values)
@example("[" * 100_000)
@example({"serial_number": "\ud800"})
@example({"serial_number": "A\x00B"})
@example({"\ud800": 1})
def test_the_json_report_reader_refuses_in_french_or_reads(value):
    texts = [value] if isinstance(value, str) and value.startswith("[[[") else json_reports(value)
    for text in texts:
        try:
            report = parse_json(text)
        except ReportFormatError as exc:
            assert exc.message
        else:
            assert all(isinstance(d, dict) for d in report.drives)
            json.dumps(report.drives).encode("utf-8")          # storable as the import's JSON


csv_reports = st.builds(
    lambda header, rows, sep: sep.join(header) + "\n" + "\n".join(sep.join(r) for r in rows),
    st.lists(st.sampled_from(list(DRIVE) + ["passes", "capacity_gb", "tool", "tool_version", "started_at"]) | cell,
             max_size=6).map(lambda h: ["serial_number"] + h),
    st.lists(st.lists(cell | st.sampled_from(["pass", "clear", "overwrite", "true", "99999999999999999999"]),
                      max_size=7), max_size=4),
    st.sampled_from([",", ";"]))


@PURE
@given(csv_reports)
@example('serial_number,level\n"unterminated')
def test_the_csv_report_reader_refuses_in_french_or_reads(text):
    try:
        report = parse_csv(text)
    except ReportFormatError as exc:
        assert exc.message
    else:
        assert len(report.drives) == len(report.lines) >= 1


report_bytes = st.one_of(
    st.binary(max_size=300),
    nwipe_logs.map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps({"drives": [v]}).encode()),
    st.builds(mutated, st.just(REPORT), edits).map(lambda t: t.encode("utf-8", "surrogatepass")),
    csv_reports.map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@PURE
@given(report_bytes)
@example(json.dumps({"tool": "x" * 200, "drives": [DRIVE]}).encode())
@example(json.dumps({"drives": [{**DRIVE, "serial_number": "A\x00B"}]}).encode())
@example(json.dumps({"drives": [{**DRIVE, "model": "\ud800"}]}).encode())
def test_any_report_file_is_refused_in_french_or_read_into_storable_drives(content):
    try:
        fmt, tool, version, drives = read_report(content)
    except ValidationFailed as exc:
        assert exc.errors and exc.message
        return
    assert fmt in ("nwipe", "json", "csv")
    assert len(tool or "") <= 120 and len(version or "") <= 40
    stored = json.dumps(drives, default=str, ensure_ascii=False)
    stored.encode("utf-8")                                      # no lone surrogate
    assert "\x00" not in stored and "\\u0000" not in stored     # no NUL (PostgreSQL refuses it)
    for drive in drives:
        assert len(clean_identifier(drive.get("serial_number") or "")) <= 100


HEADER = ["category", "brand", "model", "serial_number", "imei", "cpu", "ram_gb", "storage_summary", "screen_in",
          "os", "weight_kg", "storage"]
BASE_ROW = ["laptop", "Dell", "Latitude", "SNX", "", "i5", "8", "SSD 256", "14", "W11", "1,6", "ssd:DSK:256"]


def device_csv(changes: dict[int, str], serial: int, separator: str = ";") -> bytes:
    """A valid device list of one row, with some cells replaced."""
    row = list(BASE_ROW)
    row[3], row[11] = f"SN{serial}", f"ssd:D{serial}:256"
    for index, value in changes.items():
        row[index] = value
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(HEADER)
    writer.writerow(row)
    return out.getvalue().encode("utf-8", "surrogatepass")


@PURE
@given(st.one_of(st.binary(max_size=300), st.builds(device_csv, st.dictionaries(st.integers(0, 11), cell, max_size=4),
                                                     st.integers(0, 10**6), st.sampled_from([";", ",", "\t"]))))
@example(b'\xef\xbb\xbf' + b',"' * 20_000 + b"\n")
@example(b"category;brand\x00")
def test_the_device_list_reader_refuses_in_french_or_reads(content):
    try:
        rows, problems = parse_rows(content)
    except ValidationFailed as exc:
        assert exc.errors["file"]
        return
    assert all(p.message for p in problems)
    assert all(isinstance(row, dict) for _line, row, _headers in rows)


@PURE
@given(cell)
@example("\ud800RK-000001")
@example("ß" * 60)
@example("\x85rk-000001\x9c")
def test_scanned_codes_and_identifiers_are_clean_and_storable(raw):
    for cleaned in (normalise_scan(raw), clean_identifier(raw)):
        cleaned.encode("utf-8")                                 # no lone surrogate
        assert len(cleaned) <= len(raw)                         # never longer: still fits its column
        assert not re.search(r"[\x00-\x1f\x7f]", normalise_scan(raw))
        assert cleaned == cleaned.strip()
    assert clean_identifier(clean_identifier(raw)) == clean_identifier(raw)


# --- with the database: what the parsers let through must be storable -------------------------

@pytest.fixture
def shop(session):
    return make_workshop(session)


@WITH_DB
@given(st.dictionaries(st.integers(0, 11), cell, max_size=3), st.integers(0, 10**9))
@example({3: "ß" * 60}, 0)
@example({11: "ssd:" + "ß" * 60 + ":256"}, 1)
def test_a_device_list_is_imported_whole_or_refused_in_french(session, shop, changes, serial):
    from inventory.services.csv_import import import_devices_csv

    try:
        result = import_devices_csv(session, shop["collection"].id, device_csv(changes, serial))
    except ValidationFailed as exc:
        assert exc.errors
        return
    assert result.ok == bool(result.devices) and all(p.message for p in result.problems)
    for device in result.devices:
        assert len(device.serial_number) <= 100


@WITH_DB
@given(st.dictionaries(st.sampled_from(["serial_number", "model", "asset_tag", "manufacturer", "tool", "tool_version",
                                        "device_name", "method", "started_at", "capacity_gb"]),
                       st.one_of(cell, st.integers(-5, 10**6)), max_size=3),
       st.one_of(st.none(), cell))
@example({"serial_number": "ß" * 60}, None)
@example({"tool": "nwipe"}, "x" * 200)
@example({"tool_version": "1"}, None)
def test_a_report_is_imported_or_refused_in_french(session, shop, drive, tool):
    from inventory.services.erasure_import import import_erasure_report

    content = json.dumps({"tool": tool, "tool_version": "9" * 50 if drive.get("tool_version") == "1" else None,
                          "drives": [{**DRIVE, **drive}]}).encode()
    try:
        outcome = import_erasure_report(session, content, collection_id=shop["collection"].id)
    except ValidationFailed as exc:
        assert exc.errors
        return
    assert outcome.matched + outcome.queued + outcome.duplicates == 1


@WITH_DB
@given(cell)
@example("\ud800")
@example("\ud800RK-000001")
@example("ß" * 200)
def test_any_scanned_code_is_resolved_or_refused_in_french(session, shop, users, raw):
    from inventory.services.scan import scan

    try:
        outcome = scan(session, raw, user_id=users["technicien"])
    except (ValidationFailed, NotFound, Conflict) as exc:
        assert exc.message
        return
    assert outcome.kind in ("device", "location", "collection")

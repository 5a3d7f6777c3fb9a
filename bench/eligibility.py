"""Benchmark of the eligibility batch path (not a timed test): N households from a CSV file to
decisions with ``decide_frame``, against the single path (``decide``, one row at a time) on the
same rows in the same run. Both paths must give the same decision, or the same first error, on
every row: the script exits with status 1 when they don't.

    .venv/bin/python bench/eligibility.py [--rows 100000] [--runs 3] [--single-runs 3] [--single-rows N] [--seed 2026]

Target: ≤ 1 s for 100,000 rows, CSV read included (best of --runs); the ratio compares the best
run of each path. Generating the CSV is not timed. Prints a Markdown table and writes it to
bench/results/ (git-ignored).
"""
from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from eligibility.engine import HouseholdFacts, InvalidHousehold, decide, decide_frame  # noqa: E402
from eligibility.rules import bundled_rule_sets, parse_rule_set  # noqa: E402

TARGET_SECONDS = 1.0   # for 100,000 rows
COLUMNS = ("commune_insee", "ages", "monthly_resources", "benefits")
OUTSIDE = ("97101", "97302", "97411", "75056")   # Guadeloupe, Guyane, La Réunion, Paris


def load_territory() -> dict[str, str]:
    with (ROOT / "core" / "data" / "communes.csv").open(encoding="utf-8", newline="") as f:
        return {row["insee_code"]: row["epci_short"] for row in csv.DictReader(f)}


def household(rng: random.Random, communes: list[str], benefits: list[str]) -> tuple[str, str, str, str]:
    """One CSV row: mostly valid Martinique households, about 2 % outside, about 1 % invalid."""
    commune = rng.choice(OUTSIDE) if rng.random() < 0.02 else rng.choice(communes)
    ages = [rng.randint(18, 95)] + [rng.randint(0, 95) for _ in range(rng.randint(0, 6))]
    cents = rng.randint(0, 600_000)
    codes = rng.sample(benefits, rng.choice((1, 1, 1, 2))) if rng.random() < 0.15 else []
    broken = rng.random()
    if broken < 0.003:
        cents = -rng.randint(1, 50_000)           # negative resources
    elif broken < 0.006:
        codes = codes + ["APL"]                   # a benefit the rules don't know
    elif broken < 0.009:
        ages = [rng.randint(0, 13) for _ in ages]  # no member aged 14 or more
    sign = "-" if cents < 0 else ""
    return commune, ";".join(map(str, ages)), f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}", ";".join(codes)


def write_csv(path: Path, rows: int, seed: int, communes: list[str], benefits: list[str]) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(household(rng, communes, benefits) for _ in range(rows))


def batch(path: Path, rules, territory) -> tuple[float, float, pd.DataFrame]:
    """CSV → decisions, the way an upload is read (every column as text). Returns (read s, decide s, out)."""
    started = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    read = time.perf_counter()
    out = decide_frame(frame, rules, territory)
    return read - started, time.perf_counter() - read, out


def single(path: Path, rules, territory, limit: int | None) -> tuple[float, list]:
    """CSV → decisions one row at a time: csv module, HouseholdFacts, decide. Returns (s, results)."""
    results: list = []
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            if limit is not None and n >= limit:
                break
            ages, resources, benefits = row["ages"], row["monthly_resources"], row["benefits"]
            facts = HouseholdFacts(row["commune_insee"], tuple(int(a) for a in ages.split(";")) if ages else (),
                                   Decimal(resources.replace(",", ".")) if resources else None,
                                   tuple(benefits.split(";")) if benefits else ())
            try:
                results.append(decide(facts, rules, territory))
            except InvalidHousehold as invalid:
                results.append(invalid)
    return time.perf_counter() - started, results


def as_single(result) -> tuple:
    """What is compared, as tests/eligibility/test_engine.py does: the decision, or the first error."""
    if isinstance(result, InvalidHousehold):
        field, messages = next(iter(result.errors.items()))
        return ("error", f"{field} : {messages[0]}")
    return (result.eligible, result.tier, result.consumption_units, result.resources_per_uc, result.epci, result.reasons)


def as_batch(row) -> tuple:
    if row.error is not None:
        return ("error", row.error)
    return (row.eligible, row.tier, row.consumption_units, row.resources_per_uc, row.epci, row.reasons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="batch runs (best and median are reported)")
    parser.add_argument("--single-runs", type=int, default=3, help="single-path runs (the best is reported)")
    parser.add_argument("--single-rows", type=int, default=None,
                        help="time the single path on the first N rows only and extrapolate")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rules = parse_rule_set(next(r for r in bundled_rule_sets() if r["id"] == "MQ-2026.1"))
    territory = load_territory()
    single_rows = min(args.single_rows or args.rows, args.rows)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "households.csv"
        write_csv(path, args.rows, args.seed, sorted(territory), list(rules.benefits))
        size_mb = path.stat().st_size / 1e6
        warm = Path(tmp) / "warm-up.csv"
        write_csv(warm, 1000, args.seed + 1, sorted(territory), list(rules.benefits))
        batch(warm, rules, territory)               # warm-up: imports, pandas' first-call costs
        single(warm, rules, territory, None)

        runs = [batch(path, rules, territory) for _ in range(args.runs)]
        singles = [single(path, rules, territory, single_rows) for _ in range(args.single_runs)]
    scale = args.rows / single_rows   # 1 when every row was timed, else the single path is extrapolated
    single_full = min(s for s, _ in singles) * scale
    single_median = statistics.median(s for s, _ in singles) * scale
    single_results = singles[-1][1]
    out = runs[-1][2]

    mismatches = [(i, theirs, mine) for i, (mine, theirs) in
                  enumerate(zip(map(as_batch, out.head(single_rows).itertuples()), map(as_single, single_results)))
                  if mine != theirs]
    errors = int(out["error"].notna().sum())
    outside = int((out["error"].isna() & out["epci"].isna()).sum())
    eligible = int((out["eligible"] == True).sum())  # noqa: E712 (object column)

    totals = [read + dec for read, dec, _ in runs]
    best = min(range(args.runs), key=lambda i: totals[i])
    best_read, best_decide, _ = runs[best]
    median_total = statistics.median(totals)
    per_100k = totals[best] * 100_000 / args.rows
    met = per_100k <= TARGET_SECONDS
    extrapolated = single_rows < args.rows

    lines = [
        f"# Eligibility batch benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.rows:,} households (seed {args.seed}, CSV {size_mb:.1f} MB): {eligible:,} eligible, "
        f"{outside:,} outside Martinique, {errors:,} invalid. Rule set {rules.id}. "
        f"Python {sys.version.split()[0]}, pandas {pd.__version__}.",
        f"Batch: `pd.read_csv(dtype=str)` + `decide_frame`, best and median of {args.runs} run(s). "
        f"Single: csv module + `HouseholdFacts` + `decide` row by row, best of {args.single_runs} run(s)"
        + (f" on the first {single_rows:,} rows, extrapolated to {args.rows:,}." if extrapolated else ", every row."),
        f"Both paths agree on {single_rows - len(mismatches):,} of {single_rows:,} rows compared.",
        "",
        "| Path | CSV read (s) | decide (s) | total (s) | median total (s) | rows/s | per 100,000 rows (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| batch (`decide_frame`) | {best_read:.3f} | {best_decide:.3f} | {totals[best]:.3f} | {median_total:.3f} "
        f"| {args.rows / totals[best]:,.0f} | {per_100k:.3f} |",
        f"| single (`decide`, row by row){' — extrapolated' if extrapolated else ''} | — | — | {single_full:.3f} | {single_median:.3f} "
        f"| {args.rows / single_full:,.0f} | {single_full * 100_000 / args.rows:.3f} |",
        "",
        f"Ratio single / batch (best): **{single_full / totals[best]:.1f}×**. "
        f"Target ≤ {TARGET_SECONDS:g} s per 100,000 rows: **{'met' if met else 'not met'}** ({per_100k:.3f} s).",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"eligibility-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.md").write_text(report, encoding="utf-8")

    if mismatches:
        for i, single_result, batch_result in mismatches[:5]:
            print(f"row {i + 1}: single {single_result!r}\n        batch  {batch_result!r}", file=sys.stderr)
        print(f"{len(mismatches):,} rows differ between the two paths.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

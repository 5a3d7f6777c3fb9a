"""The scan endpoint inside one process, next to the floor: where a scan's time goes.

``bench/scan.py`` measures over HTTP against gunicorn, where queueing and the machine's noise
blur the picture. This script calls ``POST /api/v1/scan`` and the floor's ``POST /floor``
through Flask's test client, in one process, on a database ``bench/scan.py`` has filled (run
it first), and prints per request: the median and best time of each, their ratio, and the SQL
statements a scan sends. With ``--profile`` it runs the scans again under cProfile and prints
the functions that take the most time.

    .venv/bin/python bench/scan_profile.py                         # the SQLite bench data
    .venv/bin/python bench/scan_profile.py --database postgresql   # BENCH_DATABASE_URL or rekonekt_bench
    .venv/bin/python bench/scan_profile.py --profile --requests 3000

It writes only what a scan and the floor write (the bench accounts' scan context, floor rows).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.database import app_environment  # noqa: E402 - the path above first
from bench.scan import (  # noqa: E402
    DEFAULT_PG_URL, PASSWORD, RESULTS, asset_tag, data_counts, postgres_problem,
)


def database_url(args) -> str:
    if args.database == "sqlite":
        path = RESULTS / f"bench-{args.devices}x{args.events_per_device}.db"
        if not path.exists():
            sys.exit(f"{path} does not exist: run bench/scan.py first (it fills the data)")
        return f"sqlite:///{path}"
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    problem = postgres_problem(url)
    if problem:
        sys.exit(f"PostgreSQL: {problem}")
    return url


def timed(call, codes: list[str]) -> list[float]:
    """Seconds per call, one per code."""
    times = []
    for code in codes:
        started = time.perf_counter()
        call(code)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--devices", type=int, default=100_000, help="as given to bench/scan.py")
    parser.add_argument("--events-per-device", type=int, default=10, help="as given to bench/scan.py")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests of each endpoint")
    parser.add_argument("--rounds", type=int, default=3, help="alternating floor/scan rounds")
    parser.add_argument("--station", default=None, help="station sent with each scan (default: none)")
    parser.add_argument("--profile", action="store_true", help="cProfile the scans afterwards")
    parser.add_argument("--top", type=int, default=35, help="functions listed by --profile")
    args = parser.parse_args(argv)

    url = database_url(args)
    counts = data_counts(url)
    if not counts or counts[0] < 2:
        sys.exit(f"no bench data in {url}: run bench/scan.py first")
    n_devices = counts[0]
    os.environ.update(app_environment(url))
    os.environ.setdefault("REKONEKT_INSTANCE_DIR", str(RESULTS / "instance"))

    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from bench.floor_app import create_floor_app

    app = create_app()
    floor = create_floor_app()
    scan_client, floor_client = app.test_client(), floor.test_client()
    answer = scan_client.post("/api/v1/security/login",
                              json={"username": "bench01", "password": PASSWORD, "provider": "db"})
    if answer.status_code != 200:
        sys.exit(f"login of bench01 failed ({answer.status_code}): run bench/scan.py first")
    headers = {"Authorization": f"Bearer {answer.json['access_token']}"}

    def scan(code: str) -> None:
        response = scan_client.post("/api/v1/scan", json={"code": code, "station": args.station},
                                    headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"scan of {code}: {response.status_code} {response.json}")

    def floor_call(code: str) -> None:
        response = floor_client.post("/floor", json={"code": code})
        if response.status_code != 200:
            raise RuntimeError(f"floor of {code}: {response.status_code}")

    rng = random.Random(972)

    def codes(n: int) -> list[str]:
        return [asset_tag(rng.randint(1, n_devices)) for _ in range(n)]

    # Statements per scan, counted on the app's engine (the principal cache is warm by then).
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    for code in codes(50):  # warm-up: caches, connections, compiled statements
        scan(code)
        floor_call(code)
    event.listen(engine, "before_cursor_execute", count)
    scan(codes(1)[0])
    event.remove(engine, "before_cursor_execute", count)

    results = {"floor": [], "scan": []}
    for _ in range(args.rounds):
        results["floor"] += timed(floor_call, codes(args.requests))
        results["scan"] += timed(scan, codes(args.requests))

    def ms(values: list[float], how) -> float:
        return 1000 * how(values)

    print(f"{url.split('@')[-1]} · {n_devices:,} devices · station {args.station!r} · "
          f"{args.rounds} rounds × {args.requests} requests of each, alternating")
    print(f"| Endpoint | median (ms) | best (ms) | p99 (ms) |\n|---|---:|---:|---:|")
    for name, values in results.items():
        ordered = sorted(values)
        print(f"| {name} | {ms(values, statistics.median):.3f} | {ms(values, min):.3f} "
              f"| {1000 * ordered[int(0.99 * (len(ordered) - 1))]:.3f} |")
    ratio = statistics.median(results["scan"]) / statistics.median(results["floor"])
    print(f"scan / floor (medians): {ratio:.2f}×")
    print(f"SQL statements in one scan: {len(statements)}")
    for statement in statements:
        print("   ", " ".join(statement.split())[:160])

    if args.profile:
        profiler = cProfile.Profile()
        batch = codes(args.requests)
        profiler.enable()
        for code in batch:
            scan(code)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The figures of ``make mutants``, per mutated module, read from mutmut's results in ``mutants/``.

``python -m tests.mutation_report`` prints a Markdown table (mutants, killed, survived, no test,
timeout, share killed) and the surviving mutants' names (``mutmut show NAME`` shows each diff).
It exits with status 1 when a module is below the target (90 % killed). A timeout counts as
killed: the mutant made the tests hang, so they noticed it.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

TARGET = 0.90
KILLED, SURVIVED, NO_TESTS = {1, 3}, {0}, {5, 33}
TIMEOUT = {36, 24, -24, 152, 255}


def results(root: Path = Path("mutants")) -> dict[str, dict[str, int | None]]:
    """{source path: {mutant name: exit code or None when not run}}."""
    found = {}
    for meta in sorted(root.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        found[str(meta.relative_to(root))[:-len(".meta")]] = data.get("exit_code_by_key", {})
    return found


def summarise(codes: dict[str, int | None]) -> Counter:
    counts = Counter(total=len(codes))
    for code in codes.values():
        kind = ("killed" if code in KILLED or code in TIMEOUT else "survived" if code in SURVIVED
                else "no tests" if code in NO_TESTS else "not run" if code is None else "other")
        counts[kind] += 1
        counts["timeout"] += code in TIMEOUT
    return counts


def main() -> int:
    found = results()
    if not found:
        print("Aucun résultat dans mutants/ : lancez d'abord `make mutants`.", file=sys.stderr)
        return 1
    print("| Module | Mutants | Killed | Survived | No test | Timeout | Killed % |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    below, survivors = [], []
    for path, codes in found.items():
        c = summarise(codes)
        share = c["killed"] / c["total"] if c["total"] else 1.0
        print(f"| `{path}` | {c['total']} | {c['killed']} | {c['survived']} | {c['no tests']} | {c['timeout']} "
              f"| {share * 100:.1f} % |")
        if share < TARGET:
            below.append(path)
        survivors += [name for name, code in codes.items() if code not in KILLED | TIMEOUT]
    if survivors:
        print("\nNot killed (survived, no test, not run or other):")
        for name in sorted(survivors):
            print(f"- {name}")
    if below:
        print(f"\nBelow {TARGET:.0%} killed: {', '.join(below)}", file=sys.stderr)
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())

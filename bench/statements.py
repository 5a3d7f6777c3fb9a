"""The SQL statements behind a request, for the benches that look into them (``bench/lists.py``,
``bench/dashboard.py``): each one counted and timed through SQLAlchemy's cursor events, the
slowest given an EXPLAIN, and shown on one line of a report."""
from __future__ import annotations

import time


class StatementClock:
    """Counts and times the SQL statements run on ``engine`` while it is open: ``seen`` holds
    (ms, statement, parameters) in the order they ran; clear it between requests."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.engine, self.seen = engine, []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(((time.perf_counter() - conn.info.pop("bench_started")) * 1000, statement, parameters))

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def explain(app, statement: str, parameters, *, lines: int, options: str = "ANALYZE",
            skipped: tuple[str, ...] = ()) -> list[str]:
    """The first ``lines`` lines of the statement's ``EXPLAIN (options)`` on the app's database,
    without the lines that start with one of ``skipped`` (leading spaces aside); the statement
    runs in a transaction rolled back."""
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN ({options}) " + statement, parameters).scalars().all()
        conn.rollback()
    plan = [line for line in plan if not line.strip().startswith(skipped)]
    return plan[:lines] + ([f"… ({len(plan) - lines} more lines)"] if len(plan) > lines else [])


def one_line(statement: str, width: int) -> str:
    """The statement on one line of at most ``width`` characters."""
    text = " ".join(statement.split())
    return text if len(text) <= width else text[:width - 1] + "…"

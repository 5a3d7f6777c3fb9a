"""Gapless counters for human-facing numbers (asset tags, collection references, later invoices).

A counter is a row incremented inside the caller's transaction. The row stays locked until
that transaction ends, so concurrent callers are served one after the other, and a rolled-back
transaction gives its number back: no gaps, no duplicates. A database sequence would leave gaps.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, String, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.base import Model


class Counter(Model):
    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)

    def __str__(self) -> str:
        return self.name


def next_value(session: Session, name: str) -> int:
    """Return the next number of counter ``name`` (1 for its first use).

    Must run inside the transaction that uses the number; it does not commit.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # Create the row on first use; a concurrent creator simply wins and we increment its row.
    session.execute(
        insert(Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    return session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()

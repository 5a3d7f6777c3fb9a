"""Numbered pages of a list whose first and last pages cost the same (issue 18).

A page is read with OFFSET … LIMIT, but from whichever end of the list is nearer: the last page
of a million rows is the first page of the same query in the reverse order, read back to front.
So the first and the last page read only their own rows (with an index that serves the order),
and a page in the middle reads at most half of the list. The order must be total (end it with a
unique column, such as the primary key), or a row could show on two pages.

One ``count`` per page tells how many pages there are; the rows of a page are read by one more
statement, whatever the page size."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

DEFAULT_SIZE = 50
MAX_SIZE = 200


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, its number (from 1), the page size and the list's count."""

    rows: list
    number: int
    size: int
    count: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.count / self.size))

    @property
    def first_row(self) -> int:
        """The position (from 1) of the page's first row in the list; 0 when the list is empty."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def numbers(self) -> list[int]:
        """The page numbers worth a link: the first, the last, and three each side of this one."""
        near = range(max(1, self.number - 3), min(self.pages, self.number + 3) + 1)
        return sorted({1, self.pages, *near})


def page_number(value: Any) -> int | str:
    """A page asked for in a query string: a number from 1 in ASCII digits, or ``"last"``;
    anything else is 1 (``str.isdigit`` also accepts « ² » or « ③ », which ``int`` refuses)."""
    text = str(value or "").strip().lower()
    if text == "last":
        return "last"
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 10 and int(text) > 0 else 1


def reverse(clause):
    """An ORDER BY term in the opposite direction (``x.asc()`` ↔ ``x.desc()``; a bare column is
    ascending). NULLs move with it on both engines, which put them at the same end of an
    ascending order as they take off a descending one."""
    if isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op:
        return clause.element.asc()
    if isinstance(clause, UnaryExpression) and clause.modifier is operators.asc_op:
        return clause.element.desc()
    return clause.desc()


def window(count: int, number: int | str, size: int) -> tuple[int, int, int, bool]:
    """(page number, offset, rows, reversed) of a page of ``size`` rows of a list of ``count``:
    read ``rows`` rows after ``offset`` in the list's order, or, when ``reversed``, in the reverse
    order (and turn them back)."""
    pages = max(1, ceil(count / size))
    number = pages if number == "last" else min(max(1, int(number)), pages)
    before = (number - 1) * size
    rows = max(0, min(size, count - before))
    after = count - before - rows
    if after < before:
        return number, after, rows, True
    return number, before, rows, False


def page_of(session, stmt: Select, order: Sequence, number: int | str = 1, size: int = DEFAULT_SIZE, *,
            count: int | None = None, scalars: bool = True) -> Page:
    """Page ``number`` (from 1, or ``"last"``; clamped to the pages there are) of ``stmt`` in
    ``order`` (ORDER BY terms, the last of them unique). ``count`` when the caller knows it;
    ``scalars`` for ORM objects, else rows. Loader options of ``stmt`` apply to the page's rows."""
    size = min(max(1, int(size)), MAX_SIZE)
    if count is None:
        count = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    number, offset, rows, backwards = window(count, number, size)
    if rows == 0:
        return Page([], number, size, count)
    terms = [reverse(term) for term in order] if backwards else list(order)
    result = session.execute(stmt.order_by(None).order_by(*terms).offset(offset).limit(rows))
    found = list(result.scalars().unique() if scalars else result.all())
    return Page(found[::-1] if backwards else found, number, size, count)

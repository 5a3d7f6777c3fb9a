"""Numbered pages read from the nearer end of the list (core/paging.py, issue 18): every page is
the same rows as a plain OFFSET in the list's order would give, on both engines, whichever end it
is read from; the last page reads no more than the first."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.paging import Page, page_number, page_of, reverse, window
from core.territory import Commune


@pytest.mark.parametrize("count, number, size, expected", [
    (0, 1, 10, (1, 0, 0, False)),
    (5, 1, 10, (1, 0, 5, False)),
    (25, 1, 10, (1, 0, 10, False)),
    (25, 2, 10, (2, 5, 10, True)),      # rows 11–20: 5 rows after them, 10 before
    (25, 3, 10, (3, 0, 5, True)),       # the last page: the first 5 rows in the reverse order
    (25, "last", 10, (3, 0, 5, True)),
    (25, 9, 10, (3, 0, 5, True)),       # past the end: the last page
    (30, 2, 10, (2, 10, 10, False)),    # the middle: as near from both ends, read forwards
    (1_000_000, 40_000, 25, (40_000, 0, 25, True)),
    (1_000_000, 39_999, 25, (39_999, 25, 25, True)),
])
def test_a_page_is_read_from_the_nearer_end(count, number, size, expected):
    assert window(count, number, size) == expected


def test_page_numbers_from_a_query_string():
    assert [page_number(v) for v in (None, "", "3", " 7 ", "last", "LAST", "0", "-2", "x", "9" * 12)] == \
        [1, 1, 3, 7, "last", "last", 1, 1, 1, 1]


@pytest.mark.parametrize("value", ["²", "³3", "①", "٣", "𝟗", "1²", "\x00", "1\x002"])
def test_a_page_number_that_is_not_ascii_digits_is_the_first_page(value):
    """``str.isdigit`` holds for « ² » and « ① », which ``int`` refuses: such a query string
    (?page=²) gave a ValueError, a server error, instead of the first page."""
    assert page_number(value) == 1


@pytest.mark.parametrize("count, number, size, expected", [
    (0, "last", 10, (1, 0, 0, False)),      # no rows: one empty page, whatever is asked
    (0, 7, 10, (1, 0, 0, False)),
    (10, 1, 10, (1, 0, 10, False)),         # exactly one page
    (10, "last", 10, (1, 0, 10, False)),
    (10, 2, 10, (1, 0, 10, False)),         # past the end of exactly one page
    (20, "last", 10, (2, 0, 10, True)),     # exactly two pages: the last is the first 10 reversed
    (11, 2, 10, (2, 0, 1, True)),           # one row on the last page
    (1, "last", 1, (1, 0, 1, False)),
])
def test_the_edges_of_a_list(count, number, size, expected):
    assert window(count, number, size) == expected


def test_a_page_says_where_it_is():
    page = Page(list(range(10)), 2, 10, 25)
    assert (page.pages, page.first_row, page.last_row) == (3, 11, 20)
    assert Page([], 1, 10, 0).pages == 1 and Page([], 1, 10, 0).first_row == 0
    assert Page([1], 10, 1, 40).numbers == [1, 7, 8, 9, 10, 11, 12, 13, 40]


def test_reversing_an_order_term():
    assert str(reverse(Commune.name.asc())) == str(Commune.name.desc())
    assert str(reverse(Commune.name.desc())) == str(Commune.name.asc())
    assert str(reverse(Commune.name)) == str(Commune.name.desc())


@pytest.mark.parametrize("order", [
    [Commune.insee_code.asc()],
    [Commune.epci_id.desc(), Commune.name.asc(), Commune.insee_code.asc()],
])
def test_every_page_holds_the_rows_an_offset_gives(session, order):
    everything = session.execute(select(Commune).order_by(*order)).scalars().all()
    assert len(everything) == 34
    for size in (1, 5, 34, 50):
        pages = -(-len(everything) // size)
        for number in range(1, pages + 1):
            page = page_of(session, select(Commune), order, number, size)
            assert page.rows == everything[(number - 1) * size:number * size], (size, number)
            assert (page.count, page.pages, page.number) == (34, pages, number)
        assert page_of(session, select(Commune), order, "last", size).rows == everything[(pages - 1) * size:]


def test_a_filtered_and_an_empty_list(session):
    order = [Commune.name.asc(), Commune.insee_code.asc()]
    stmt = select(Commune).where(Commune.name.like("Le %"))
    expected = session.execute(stmt.order_by(*order)).scalars().all()
    page = page_of(session, stmt, order, "last", 3)
    assert page.count == len(expected) and page.rows == expected[(page.pages - 1) * 3:]
    empty = page_of(session, select(Commune).where(Commune.name == "Nulle part"), order, 4, 3)
    assert (empty.rows, empty.count, empty.number, empty.pages) == ([], 0, 1, 1)
    last_of_none = page_of(session, select(Commune).where(Commune.name == "Nulle part"), order, "last", 3)
    assert (last_of_none.rows, last_of_none.number, last_of_none.first_row, last_of_none.last_row) == ([], 1, 0, 0)


def test_a_list_of_exactly_one_page_and_a_page_past_the_end(session):
    order = [Commune.insee_code.asc()]
    everything = session.execute(select(Commune).order_by(*order)).scalars().all()
    for number in (1, "last", 2, 99):
        page = page_of(session, select(Commune), order, number, len(everything))
        assert (page.rows, page.number, page.pages) == (everything, 1, 1), number
    beyond = page_of(session, select(Commune), order, 99, 10)
    assert (beyond.rows, beyond.number, beyond.first_row, beyond.last_row) == (everything[30:], 4, 31, 34)

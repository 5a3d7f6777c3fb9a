"""Flask-AppBuilder's list pages take from the address only what the page offers (issue 18
review): a sort by one of the list's sortable columns (``order_columns``, those an index serves
from either end), at most ``MAX_PAGE_SIZE`` rows a page, and page arguments that are numbers (a
French 400 otherwise, not a 500)."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.views import listing
from tests.app.test_list_statements import devices
from tests.helpers import login


def shown(answer) -> list[str]:
    assert answer.status_code == 200
    return re.findall(r'href="/devices/show/(\d+)', answer.get_data(as_text=True))


@contextmanager
def device_orders():
    """The ORDER BY clauses of the statements that read devices."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if "ORDER BY" in statement and "FROM device" in statement:
            seen.append(statement[statement.index("ORDER BY"):].split("\n")[0])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def three_devices(app, client, session):
    devices(app, session, 3)
    login(client, "agent.cacem")          # read-only stock: anyone who reads the list


def test_a_sort_by_a_column_the_list_does_not_offer_is_the_lists_own_order(client, three_devices):
    newest_first = shown(client.get("/devices/list/"))
    assert len(newest_first) == 3
    for column in ("brand", "os_licence_key", "notes"):      # not sortable: no index serves them
        with device_orders() as orders:
            rows = shown(client.get(f"/devices/list/?_oc_DeviceView={column}&_od_DeviceView=asc"))
        assert rows == newest_first, column
        assert orders and not any(column in order for order in orders), orders
    # A dotted path was a 500 (FAB joined the relation and failed); it is the list's own order too.
    assert shown(client.get("/devices/list/?_oc_DeviceView=collection.donor.name&_od_DeviceView=asc")) == newest_first
    # A sortable column still sorts.
    with device_orders() as orders:
        shown(client.get("/devices/list/?_oc_DeviceView=asset_tag&_od_DeviceView=asc"))
    assert any("asset_tag" in order for order in orders)


def test_a_page_holds_at_most_the_largest_size_offered(client, three_devices, monkeypatch):
    monkeypatch.setattr(listing, "MAX_PAGE_SIZE", 2)
    assert len(shown(client.get("/devices/list/?psize_DeviceView=1000000"))) == 2
    monkeypatch.setattr(listing, "MAX_PAGE_SIZE", 100)
    assert len(shown(client.get("/devices/list/?psize_DeviceView=1000000"))) == 3
    # Zero or less: the list's own size (a negative size showed no row).
    assert len(shown(client.get("/devices/list/?psize_DeviceView=-1"))) == 3
    assert len(shown(client.get("/devices/list/?psize_DeviceView=0"))) == 3


@pytest.mark.parametrize("query", ["page_DeviceView=x", "psize_DeviceView=x", "page_DeviceView=%C2%B2",
                                   "psize_DeviceView=" + "9" * 5000, "page_OtherView=x"])
def test_a_page_argument_that_is_not_a_number_is_refused_in_french(client, three_devices, query):
    answer = client.get(f"/devices/list/?{query}")
    assert answer.status_code == 400
    assert "Numéro ou taille de page : nombre entier attendu." in answer.get_data(as_text=True)


def test_show_and_edit_pages_refuse_it_too(client, three_devices):
    assert client.get("/communes/show/97213?page_CommuneView=x").status_code == 400
    admin = client.application.test_client()
    login(admin, "admin")
    assert admin.get("/sites/list/?page_SiteView=x").status_code == 400
    epci = re.search(r'href="/epci/edit/(\d+)', admin.get("/epci/list/").get_data(as_text=True)).group(1)
    assert admin.get(f"/epci/edit/{epci}?psize_X=x").status_code == 400
    assert admin.get(f"/epci/edit/{epci}").status_code == 200

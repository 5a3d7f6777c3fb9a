"""The list pages at a national scale (issue 18): pages whose last one is reachable and holds the
oldest rows, Flask-AppBuilder lists read from either end in every order, search fields that name
a collection or a location by its code (with suggestions from a small JSON endpoint of the list,
with the list's permission) instead of a list of every one of them. Statement counts:
``test_list_statements.py``."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from inventory.models import Device
from tests.app.test_list_statements import devices, households, validated
from tests.browser import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, live_server  # noqa: F401  (fixture)
from tests.helpers import login, make_device, make_workshop


def rows(page: str, pattern: str) -> list[str]:
    return re.findall(pattern, page)


def links(page: str, param: str = "page") -> dict[str, int]:
    """rel → page number of the pager's links (first, prev, next, last)."""
    found = re.findall(rf'<a href="[^"]*[?&](?:amp;)?{param}=(\d+)[^"]*" rel="(\w+)"', page)
    return {rel: int(number) for number, rel in found}


def test_the_households_list_pages_down_to_the_oldest(app, client, session, monkeypatch):
    import eligibility.queries as queries

    monkeypatch.setattr(queries, "HOUSEHOLDS_PER_PAGE", 2)
    households(app, session, 5)
    login(client, "admin")
    first = client.get("/households/").get_data(as_text=True)
    newest = rows(first, r'href="/households/(\d+)"')
    assert len(newest) == 2 and newest == sorted(newest, key=int, reverse=True)
    assert "Lignes 1 à 2 sur 5" in first
    assert links(first) == {"next": 2, "last": 3}
    last = client.get(f"/households/?page={links(first)['last']}").get_data(as_text=True)
    oldest = rows(last, r'href="/households/(\d+)"')
    assert len(oldest) == 1 and int(oldest[0]) < min(int(n) for n in newest)
    assert "Lignes 5 à 5 sur 5" in last and links(last) == {"first": 1, "prev": 2}
    middle = client.get("/households/?page=2").get_data(as_text=True)
    every = newest + rows(middle, r'href="/households/(\d+)"') + oldest
    assert every == sorted(set(every), key=int, reverse=True)          # each once, newest first
    # Past the end, or « last »: the last page; nonsense: the first.
    assert rows(client.get("/households/?page=99").get_data(as_text=True), r'href="/households/(\d+)"') == oldest
    assert rows(client.get("/households/?page=last").get_data(as_text=True), r'href="/households/(\d+)"') == oldest
    assert rows(client.get("/households/?page=x").get_data(as_text=True), r'href="/households/(\d+)"') == newest


def test_the_pager_keeps_the_search_and_is_plain_links(app, client, session, monkeypatch):
    import eligibility.queries as queries

    monkeypatch.setattr(queries, "HOUSEHOLDS_PER_PAGE", 2)
    households(app, session, 5)
    login(client, "admin")
    page = client.get("/households/?q=Foyer").get_data(as_text=True)
    assert re.search(r'<nav class="rk-pager" aria-label="Pages de la liste">', page)
    assert re.search(r'href="/households/\?q=Foyer&amp;page=3" rel="last">Dernière page</a>', page)
    assert 'aria-current="page"' in page


def test_the_waiting_list_pages_in_priority_order(app, client, session, monkeypatch):
    import distribution.queries as queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    validated(app, session, 5)          # every other household is a senior: priority 3
    login(client, "technicien")
    pages = [client.get(f"/distribution/waiting-list/?page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    shown = [r for page in pages for r in rows(page, r'href="/distribution/waiting-list/(\d+)"')]
    from distribution.services.reservations import waiting_list

    expected = [str(w.request.id) for w in waiting_list(db.session, app.config["PRIORITY_WEIGHTS"])]
    assert shown == expected and len(shown) == 5
    assert "Personne de 60 ans ou plus" in pages[0]


@pytest.mark.parametrize("order", ["", "&_oc_DeviceView=asset_tag&_od_DeviceView=asc",
                                   "&_oc_DeviceView=state&_od_DeviceView=desc",
                                   "&_oc_DeviceView=category&_od_DeviceView=asc"])
def test_a_flask_appbuilder_list_gives_each_row_once_from_either_end(app, client, session, order):
    devices(app, session, 5)
    shop = make_workshop(session)
    for category in ("tablet", "monitor"):
        make_device(session, shop["collection"].id, category=category, storage=None)
    login(client, "technicien")
    seen = []
    for page in range(4):        # 7 devices, 2 a page: the last page holds one
        html = client.get(f"/devices/list/?psize_DeviceView=2&page_DeviceView={page}{order}").get_data(as_text=True)
        seen.append(rows(html, r'href="/devices/show/(\d+)'))
    assert [len(p) for p in seen] == [2, 2, 2, 1]
    flat = [pk for p in seen for pk in p]
    assert sorted(flat, key=int) == sorted({str(d.id) for d in db.session.query(Device)}, key=int)
    if not order:                                     # the list's own order: newest first
        assert flat == sorted(flat, key=int, reverse=True)


def test_the_device_search_names_a_collection_by_its_reference(app, client, session):
    devices(app, session, 3)
    login(client, "agent.cacem")            # read-only stock: the list's search and its suggestions
    chosen = db.session.query(Device).order_by(Device.id).first()
    reference, code = chosen.collection.reference, chosen.location.code
    page = client.get("/devices/list/").get_data(as_text=True)
    # The search form offers a text field with suggestions, not an option per collection.
    search = page[page.index("new AdminFilters("):]
    search = search[:search.index("</script>")]
    assert re.search(r'data-autocomplete=\\?"/devices/autocomplete/collection\\?"', search)
    assert reference not in search and code not in search and "option" not in search
    for value in (reference, reference.lower(), f" {reference} "):
        found = client.get("/devices/list/", query_string={"_flt_0_collection": value}).get_data(as_text=True)
        assert rows(found, r'href="/devices/show/(\d+)') == [str(chosen.id)], value
    others = client.get("/devices/list/", query_string={"_flt_1_collection": reference}).get_data(as_text=True)
    rest = rows(others, r'href="/devices/show/(\d+)')
    assert str(chosen.id) not in rest and len(rest) == 2
    at = client.get("/devices/list/", query_string={"_flt_0_location": code}).get_data(as_text=True)
    assert rows(at, r'href="/devices/show/(\d+)') == [str(chosen.id)]
    nothing = client.get("/devices/list/", query_string={"_flt_0_collection": "COL-0000-0000"}).get_data(as_text=True)
    assert rows(nothing, r'href="/devices/show/(\d+)') == []


def test_suggestions_come_from_the_list_with_its_permission(app, client, session):
    devices(app, session, 3)
    chosen = db.session.query(Device).order_by(Device.id).first()
    reference = chosen.collection.reference
    login(client, "technicien")
    answer = client.get("/devices/autocomplete/collection", query_string={"q": reference[-4:]})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert {"value": reference, "label": f"{reference} — {chosen.collection.donor.name} (02/03/2026)"} in answer.json
    by_donor = client.get("/devices/autocomplete/collection", query_string={"q": chosen.collection.donor.name}).json
    assert [s["value"] for s in by_donor] == [reference]
    bins = client.get("/devices/autocomplete/location", query_string={"q": chosen.location.code.lower()}).json
    assert [s["value"] for s in bins] == [chosen.location.code]
    assert client.get("/devices/autocomplete/collection", query_string={"q": "%"}).json == []   # not a wildcard
    assert client.get("/devices/autocomplete/collection").json == []
    assert client.get("/devices/autocomplete/household").status_code == 404
    communes = client.get("/sites/autocomplete/commune", query_string={"q": "lamen"}).json
    assert communes == [{"value": "97213", "label": "Le Lamentin (97213)"}]
    # Whoever may not see the list gets no suggestion either.
    prescripteur, agent = app.test_client(), app.test_client()
    login(prescripteur, "prescripteur")
    assert prescripteur.get("/devices/autocomplete/collection", query_string={"q": "COL"}).status_code == 403
    login(agent, "agent.cacem")
    assert agent.get("/locations/autocomplete/site", query_string={"q": "S"}).status_code == 403


def test_the_snapshot_queue_suggests_collections(app, client, session):
    shop = make_workshop(session)
    login(client, "technicien")
    answer = client.get("/snapshots/queue/collections", query_string={"q": shop["collection"].reference})
    assert answer.json == [{"value": shop["collection"].reference,
                            "label": f"{shop['collection'].reference} — Donateur Test (02/03/2026)"}]
    agent = app.test_client()
    login(agent, "agent.cacem")
    assert agent.get("/snapshots/queue/collections", query_string={"q": "COL"}).status_code == 403


def test_the_suggestion_script_is_the_apps_own(app, client, session):
    login(client, "technicien")
    page = client.get("/devices/list/").get_data(as_text=True)
    assert re.search(r'<script src="/static/js/autocomplete.js" nonce="[^"]+"></script>', page)
    script = client.get("/static/js/autocomplete.js")
    assert script.status_code == 200 and b"data-autocomplete" in script.data and b"http" not in script.data


@NEEDS_CHROMIUM
def test_a_typed_collection_is_suggested_then_searched_in_a_browser(app, session, live_server):
    """In Chromium: the device list's « Collection » filter is a text field; typing part of a
    reference fills its suggestions from the app (no CSP violation), and searching keeps only
    that collection's devices."""
    from playwright.sync_api import sync_playwright

    from tests.app.test_csp_in_a_browser import sign_in

    devices(app, session, 3)
    chosen = db.session.query(Device).order_by(Device.id).first()
    reference = chosen.collection.reference
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        sign_in(page, live_server, "technicien")
        page.goto(f"{live_server}/devices/list/")
        page.click("a.accordion-toggle[href='#accordion1_href']")          # « Rechercher »
        page.click("#filter_form button.dropdown-toggle")
        page.click("#filter_form a.filter[name='collection']")
        field = page.locator("input[name='_flt_0_collection']")
        assert field.get_attribute("aria-label") == "Collecte"
        field.type(reference[:-1])
        page.wait_for_function("""() => {
            const input = document.querySelector("input[name='_flt_0_collection']");
            const list = input.list;
            return list && list.options.length > 0;
        }""")
        values = page.eval_on_selector("input[name='_flt_0_collection']",
                                       "input => [...input.list.options].map(o => o.value)")
        assert reference in values
        field.fill(reference)
        field.press("Enter")
        page.wait_for_url("**_flt_0_collection=*")
        shown = re.findall(r'href="/devices/show/(\d+)', page.content())
        assert set(shown) == {str(chosen.id)}
        browser.close()
    assert problems == [], problems

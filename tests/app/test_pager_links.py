"""The page links of the lists (``rekonekt/paging.html``, ``app.templating.list_page_url``) keep the
query's other arguments in the query string: an argument named like one of ``url_for``'s own
(``endpoint``, ``_external``, ``_anchor``…) is a query argument like any other, never a 500 nor an
absolute address or a fragment in the links (issue 18 review)."""
from __future__ import annotations

import re

import pytest

from app.templating import list_page_url
from tests.app.test_list_statements import households
from tests.helpers import login


def last_link(page: str) -> str:
    found = re.search(r'<a href="([^"]*)" rel="last">', page)
    assert found, "no link to the last page"
    return found.group(1)


@pytest.fixture
def five_households(app, client, session, monkeypatch):
    import eligibility.queries as queries

    monkeypatch.setattr(queries, "HOUSEHOLDS_PER_PAGE", 2)
    households(app, session, 5)
    login(client, "admin")


def test_an_argument_named_endpoint_is_kept_in_the_query(client, five_households):
    answer = client.get("/households/?endpoint=x&q=Foyer")
    assert answer.status_code == 200
    assert last_link(answer.get_data(as_text=True)) == "/households/?endpoint=x&amp;q=Foyer&amp;page=3"


def test_url_for_options_in_the_query_are_plain_arguments(client, five_households):
    answer = client.get("/households/?_external=1&_anchor=top&_method=POST&q=Foyer")
    assert answer.status_code == 200
    link = last_link(answer.get_data(as_text=True))
    assert link == "/households/?_external=1&amp;_anchor=top&amp;_method=POST&amp;q=Foyer&amp;page=3"
    assert "#" not in link and "//" not in link


def test_repeated_arguments_are_kept_and_the_page_replaced(app):
    with app.test_request_context("/snapshots/queue?tag=a&tag=b&page=4&endpoint=x"):
        assert list_page_url("page", 2, "SnapshotQueueView.queue") == \
            "/snapshots/queue?tag=a&tag=b&page=2&endpoint=x"
        assert list_page_url("disks", 3, "SnapshotQueueView.queue") == \
            "/snapshots/queue?tag=a&tag=b&page=4&endpoint=x&disks=3"

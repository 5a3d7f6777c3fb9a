"""The « Jetons de poste » page speaks the page's language, its example name too (issue 18
review: the name field's example was written in French in the template, outside the catalog)."""
from __future__ import annotations

from tests.helpers import login


def name_field(html: str) -> str:
    start = html.index('<input class="form-control" id="name"')
    return html[start:html.index(">", start)]


def test_the_example_station_name_goes_through_the_catalog(client, session):
    login(client, "admin")
    french = name_field(client.get("/station-tokens/").get_data(as_text=True))
    assert 'placeholder="ex. : Poste de réception Lamentin"' in french
    client.get("/lang/en")
    try:
        english = name_field(client.get("/station-tokens/").get_data(as_text=True))
        assert 'placeholder="e.g. Reception station Lamentin"' in english
    finally:
        client.get("/lang/fr")

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


def test_each_revocation_checkbox_names_its_token_for_a_screen_reader(client, session):
    from html import unescape

    from app.station_tokens import create_token

    login(client, "admin")
    for name in ("Poste A", "Poste B"):
        create_token(session, name, created_by_id=None)
    page = unescape(client.get("/station-tokens/").get_data(as_text=True))
    for name in ("Poste A", "Poste B"):
        assert f'Je confirme<span class="sr-only"> la révocation de « {name} »</span>' in page

"""A searched text longer than any code or name is refused with the French error page naming the
search (issue 18 review): on SQLite, the embedded default, a LIKE pattern of more than 50,000
bytes was a 500 on every list's search and on the households page."""
from __future__ import annotations

import pytest

from app.views.listing import TYPED_MAX
from tests.helpers import login

MESSAGE = f"Recherche : {TYPED_MAX} caractères au plus par champ."
HUGE = "A" * 60_000


@pytest.mark.parametrize("url, argument", [
    ("/devices/list/", "_flt_2_brand"),          # contains
    ("/devices/list/", "_flt_0_brand"),          # starts with
    ("/devices/list/", "_flt_0_collection"),     # a collection named by its reference
    ("/users/list/", "_flt_2_username"),
    ("/households/", "q"),
])
def test_a_huge_search_is_refused_in_french(client, session, url, argument):
    login(client, "admin")
    answer = client.get(url, query_string={argument: HUGE})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "Requête refusée" in page and MESSAGE in page
    # The longest name a search compares is searched as before.
    assert client.get(url, query_string={argument: "A" * TYPED_MAX}).status_code == 200

"""The new-household form enters the household and its first request together: a refused request
brings the form back (422) with the error beside the need, and nothing is written."""
from __future__ import annotations

from html import unescape

from sqlalchemy import func, select

from eligibility.models import Household
from tests.app.test_eligibility_ui import FORM
from tests.helpers import login


def test_a_refused_first_request_writes_no_household(client, session):
    token = login(client, "prescripteur")
    answer = client.post("/households/new", data={**FORM, "need": "spaceship", "csrf_token": token})
    assert answer.status_code == 422
    page = unescape(answer.get_data(as_text=True))
    assert "Catégorie inconnue : valeurs acceptées :" in page and 'value="Rosine"' in page
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 0

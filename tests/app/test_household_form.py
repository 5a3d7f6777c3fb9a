"""The new-household form enters the household and its first request together: a refused request
brings the form back (422) with the error beside the need, and nothing is written."""
from __future__ import annotations

from html import unescape

import pytest

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


MEMBER_FIELDS = {f"member_{i}_{field}" for i in range(1, 9) for field in ("relation", "birth_date", "age")}


def base_form(**members) -> dict:
    """FORM without its members, with ``members`` instead."""
    return {**{k: v for k, v in FORM.items() if k not in MEMBER_FIELDS}, **members}


def test_the_empty_member_rows_preselect_no_relationship(client):
    """Issue 16, defect 8: the eight empty rows each showed « Conjoint » as if chosen."""
    login(client, "prescripteur")
    page = unescape(client.get("/households/new").get_data(as_text=True))
    for i in range(1, 9):
        select_html = page[page.index(f'name="member_{i}_relation"'):]
        select_html = select_html[:select_html.index("</select>")]
        options = select_html.split("<option")[1:]
        assert options[0].startswith(' value=""') and "— choisir —" in options[0], i
        assert "selected" not in select_html, i
        assert "Conjoint" in select_html


def test_empty_member_rows_are_ignored_on_save(client, session):
    token = login(client, "prescripteur")
    form = base_form(member_1_relation="spouse", member_1_age="72",
                     **{f"member_{i}_{f}": "" for i in range(2, 9) for f in ("relation", "birth_date", "age")})
    answer = client.post("/households/new", data={**form, "csrf_token": token})
    assert answer.status_code == 302, unescape(answer.get_data(as_text=True))[:2000]
    household = session.execute(select(Household)).scalar_one()
    assert sorted(m.relation for m in household.members) == ["head", "spouse"]


@pytest.mark.parametrize("row, message", [
    ({"member_3_relation": "child"}, "Personne 4 : indiquez sa date de naissance ou son âge."),
    ({"member_2_age": "9"}, "Personne 3 : choisissez son lien avec le demandeur."),
    ({"member_5_birth_date": "2015-03-01"}, "Personne 6 : choisissez son lien avec le demandeur."),
    ({"member_2_relation": "child", "member_2_age": "300"}, "Personne 3 : âge : Âge de 0 à 125 ans attendu."),
])
def test_a_half_filled_member_row_is_refused_naming_the_row_and_the_field(client, session, row, message):
    token = login(client, "prescripteur")
    form = base_form(member_1_relation="spouse", member_1_age="72", **row)
    answer = client.post("/households/new", data={**form, "csrf_token": token})
    assert answer.status_code == 422
    page = unescape(answer.get_data(as_text=True))
    assert message in page
    assert 'value="Rosine"' in page                      # the form comes back filled in
    assert session.execute(select(func.count()).select_from(Household)).scalar_one() == 0


def test_several_errors_come_back_together(client, session):
    token = login(client, "prescripteur")
    form = base_form(member_1_relation="spouse", member_2_age="9", member_3_relation="child", phone="12")
    page = unescape(client.post("/households/new", data={**form, "csrf_token": token}).get_data(as_text=True))
    assert "Personne 3 : choisissez son lien avec le demandeur." in page
    assert "Personne 4 : indiquez sa date de naissance ou son âge." in page
    assert "Personne 2 : indiquez sa date de naissance ou son âge." in page
    assert 'id="phone-error"' in page                     # the schema's errors too, in the same answer

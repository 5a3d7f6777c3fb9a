"""Sites are created through ``inventory.services.reference``, which holds the rule of their code
(2 to 10 letters or digits, stored in capitals without blanks) for every entry point."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import ValidationFailed
from inventory.models import Site
from inventory.services.reference import check_site, create_site

CODE_RULE = "Code court de 2 à 10 lettres ou chiffres attendu (par exemple LAM)."


def sites(session) -> int:
    return session.execute(select(func.count()).select_from(Site)).scalar_one()


def test_the_code_is_stored_in_capitals_without_blanks(session):
    site = create_site(session, code=" la m ", name=" Atelier du Lamentin ", kind="workshop", commune_insee="97213")
    assert (site.code, site.name) == ("LAM", "Atelier du Lamentin")


@pytest.mark.parametrize("code", ["", "L", "LAMENTIN-01", "ÉCOLE", "ABCDEFGHIJK", None])
def test_a_code_that_is_not_2_to_10_letters_or_digits_is_refused(session, code):
    with pytest.raises(ValidationFailed) as refused:
        create_site(session, code=code, name="Atelier", kind="workshop")
    assert refused.value.errors == {"code": [CODE_RULE]}
    assert sites(session) == 0


def test_a_code_already_taken_is_refused(session):
    create_site(session, code="LAM", name="Atelier du Lamentin", kind="workshop")
    with pytest.raises(ValidationFailed) as refused:
        create_site(session, code="lam", name="Autre atelier", kind="warehouse")
    assert refused.value.errors == {"code": ["Le code de site LAM existe déjà."]}
    assert sites(session) == 1


def test_check_site_says_every_wrong_field_at_once(session):
    with pytest.raises(ValidationFailed) as refused:
        check_site(session, code="X", name=" ", kind="castle", commune_insee="99999")
    assert set(refused.value.errors) == {"code", "name", "kind", "commune"}

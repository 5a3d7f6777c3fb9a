"""Reference data: the 3 EPCI and 34 communes of Martinique."""
from __future__ import annotations

from sqlalchemy import func, select

from core.territory import Commune, Epci, communes_for_postal_code, load_territory


def test_communes_and_epci_are_loaded(session):
    epcis = {e.short_name: len(e.communes) for e in session.execute(select(Epci)).scalars()}
    assert epcis == {"CACEM": 4, "CAP Nord": 18, "Espace Sud": 12}
    lamentin = session.get(Commune, "97213")
    assert lamentin.name == "Le Lamentin" and lamentin.epci.short_name == "CACEM"
    assert lamentin.postal_code_list == "97232"
    assert session.get(Commune, "97209").postal_code_list == "97200, 97234"


def test_insee_code_and_postal_code_are_different_things(session):
    # 97213 is Le Lamentin's INSEE code but Gros-Morne's postal code.
    assert [c.name for c in communes_for_postal_code(session, "97213")] == ["Gros-Morne"]
    assert [c.name for c in communes_for_postal_code(session, "97218")] == ["Basse-Pointe", "Grand'Rivière", "Macouba"]
    assert len(communes_for_postal_code(session, "97250")) == 3


def test_loading_twice_changes_nothing(session):
    before = session.execute(select(func.count(Commune.insee_code))).scalar_one()
    assert load_territory(session) == {"epci": 3, "communes": 34}
    assert session.execute(select(func.count(Commune.insee_code))).scalar_one() == before == 34


def test_an_epci_is_single_agent_or_not_never_unknown(session):
    """Pure reference data edited by Admin on the generic form: the database holds the rule
    (four-eyes waived or not, never unknown), whatever path writes it."""
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        session.execute(update(Epci).where(Epci.short_name == "CACEM").values(single_agent=None))
        session.flush()
    session.rollback()
    assert session.execute(select(Epci.single_agent).where(Epci.short_name == "CACEM")).scalar_one() is False

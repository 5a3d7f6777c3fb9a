"""Who sees and decides on which household, as a matrix of actors × households: the pure rules
(``can_see``, ``can_decide``, the handover's roles) and the same rules as SQL (``scope``), which
must agree row for row."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.errors import Forbidden, NotFound
from core.territory import Commune
from distribution.access import bookable_household, is_animateur, is_stock_manager, require_stock_manager
from core.actor import Actor, actor_of
from eligibility.access import (
    HOUSEHOLD_NOT_FOUND,
    REQUEST_NOT_FOUND,
    can_decide,
    can_see,
    household_for,
    request_for,
    visible_households,
    visible_requests,
)
from eligibility.models import Household
from eligibility.services.requests import create_request
from tests.helpers import actor, make_household

CACEM, CAP_NORD = 1, 2
REFERRER, OTHER_REFERRER = 10, 11


def person(*roles, epci=None, user_id=99, organisation=None) -> Actor:
    return Actor(user_id, "Quelqu'un", frozenset(roles), epci, organisation)


ADMIN = person("Admin")
AGENT_CACEM = person("Agent EPCI", epci=CACEM)
AGENT_UNBOUND = person("Agent EPCI")                        # an agent without an EPCI sees nothing
PRESCRIPTEUR = person("Prescripteur", user_id=REFERRER)
OTHER_PRESCRIPTEUR = person("Prescripteur", user_id=OTHER_REFERRER)
ANONYMOUS_PRESCRIPTEUR = person("Prescripteur", user_id=None)
AGENT_AND_PRESCRIPTEUR = person("Agent EPCI", "Prescripteur", epci=CAP_NORD, user_id=REFERRER)
TECHNICIEN = person("Technicien")
ANIMATEUR = person("Animateur")
NOBODY = person()


def household(epci: int, referrer: int | None) -> Household:
    return Household(commune=Commune(insee_code="97213", epci_id=epci), referrer_user_id=referrer)


IN_CACEM_BY_REFERRER = household(CACEM, REFERRER)
IN_CAP_NORD_BY_OTHER = household(CAP_NORD, OTHER_REFERRER)

# actor → (sees the CACEM household referred by REFERRER, sees the CAP Nord one by OTHER_REFERRER,
#          decides on the first, decides on the second)
MATRIX = [
    (ADMIN, True, True, True, True),
    (AGENT_CACEM, True, False, True, False),
    (AGENT_UNBOUND, False, False, False, False),
    (PRESCRIPTEUR, True, False, False, False),
    (OTHER_PRESCRIPTEUR, False, True, False, False),
    (ANONYMOUS_PRESCRIPTEUR, False, False, False, False),
    (AGENT_AND_PRESCRIPTEUR, True, True, False, True),
    (TECHNICIEN, False, False, False, False),
    (ANIMATEUR, False, False, False, False),
    (NOBODY, False, False, False, False),
]


@pytest.mark.parametrize("who,sees_first,sees_second,decides_first,decides_second", MATRIX)
def test_who_sees_and_decides(who, sees_first, sees_second, decides_first, decides_second):
    assert can_see(who, IN_CACEM_BY_REFERRER) is sees_first
    assert can_see(who, IN_CAP_NORD_BY_OTHER) is sees_second
    assert bool(can_decide(who, IN_CACEM_BY_REFERRER)) is decides_first
    assert bool(can_decide(who, IN_CAP_NORD_BY_OTHER)) is decides_second


def test_a_household_without_a_commune_is_seen_only_by_admin_and_its_referrer():
    homeless = Household(commune=None, referrer_user_id=REFERRER)
    assert can_see(ADMIN, homeless) and can_see(PRESCRIPTEUR, homeless)
    assert not can_see(AGENT_CACEM, homeless)


@pytest.mark.parametrize("who,admin,agent,prescripteur,stock,animateur", [
    (ADMIN, True, False, False, True, False),
    (AGENT_CACEM, False, True, False, False, False),
    (AGENT_UNBOUND, False, False, False, False, False),
    (PRESCRIPTEUR, False, False, True, False, False),
    (TECHNICIEN, False, False, False, True, False),
    (ANIMATEUR, False, False, False, False, True),
    (NOBODY, False, False, False, False, False),
])
def test_roles(who, admin, agent, prescripteur, stock, animateur):
    assert (who.is_admin, who.is_agent, who.is_prescripteur) == (admin, agent, prescripteur)
    assert (is_stock_manager(who), is_animateur(who)) == (stock, animateur)
    if stock:
        require_stock_manager(who)
    else:
        with pytest.raises(Forbidden) as refused:
            require_stock_manager(who)
        assert refused.value.message == ("Seuls l'atelier (technicien) et l'administrateur gèrent les réservations "
                                         "et les remises.")


def test_actor_of_a_user():
    user = SimpleNamespace(id=7, username="lea", is_authenticated=True, epci_id=CACEM, organisation_id=4,
                           roles=[SimpleNamespace(name="Agent EPCI")], get_full_name=lambda: " Léa Marie ")
    assert actor_of(user) == Actor(7, "Léa Marie", frozenset({"Agent EPCI"}), CACEM, 4)
    nameless = SimpleNamespace(**{**vars(user), "get_full_name": lambda: " "})
    assert actor_of(nameless).name == "lea"
    assert actor_of(SimpleNamespace(**{**vars(user), "get_full_name": lambda: None})).name == "lea"
    assert actor_of(None) == Actor(None, None, frozenset())
    anonymous = SimpleNamespace(**{**vars(user), "is_authenticated": False})
    assert actor_of(anonymous) == Actor(None, None, frozenset())
    bare = SimpleNamespace(id=8, username="x", roles=[], get_full_name=lambda: "X")   # no binding attributes
    assert actor_of(bare) == Actor(8, "X", frozenset(), None, None)


# --- the same rules in SQL --------------------------------------------------------------------

@pytest.fixture
def three(app, session, users):
    """Households in CACEM (referred by the prescripteur), in Espace Sud (by the prescripteur)
    and in CAP Nord (entered by the admin), each with a request."""
    made = {
        "cacem": make_household(app, session, phone="0696 11 11 11", last_name="Un"),
        "sud": make_household(app, session, phone="0696 22 22 22", last_name="Deux", commune_insee="97217"),
        "nord": make_household(app, session, "admin", phone="0696 33 33 33", last_name="Trois", commune_insee="97222"),
    }
    for item in made.values():
        create_request(session, actor(app, "admin"), item, "laptop")
    session.commit()
    return {name: h.id for name, h in made.items()}


@pytest.mark.parametrize("username,expected", [
    ("admin", {"cacem", "sud", "nord"}),
    ("agent.cacem", {"cacem"}),
    ("agent.espacesud", {"sud"}),
    ("prescripteur", {"cacem", "sud"}),
    ("technicien", set()),
    ("partenaire", set()),
    ("animateur", set()),
])
def test_the_sql_scope_agrees_with_the_rule(app, session, three, username, expected):
    who = actor(app, username)
    seen = set(session.execute(visible_households(who).with_only_columns(Household.id)).scalars())
    assert {name for name, key in three.items() if key in seen} == expected
    requests = session.execute(visible_requests(who)).scalars().all()
    assert {r.household_id for r in requests} == {three[n] for n in expected}
    for name, key in three.items():
        assert can_see(who, session.get(Household, key)) is (name in expected)
        if name in expected:
            assert household_for(session, who, str(key)).id == key
        else:
            with pytest.raises(NotFound) as hidden:
                household_for(session, who, key)
            assert hidden.value.message == HOUSEHOLD_NOT_FOUND


@pytest.mark.parametrize("key", ["abc", None, "", "1.5", 10**9])
def test_a_bad_or_unknown_id_is_not_found(app, session, key):
    with pytest.raises(NotFound) as household:
        household_for(session, actor(app, "admin"), key)
    assert household.value.message == HOUSEHOLD_NOT_FOUND
    with pytest.raises(NotFound) as request:
        request_for(session, actor(app, "admin"), key)
    assert request.value.message == REQUEST_NOT_FOUND


def test_a_request_is_found_only_with_its_household(app, session, three):
    request_id = session.execute(select(Household).where(Household.id == three["nord"])).scalar_one().requests[0].id
    assert request_for(session, actor(app, "admin"), str(request_id)).id == request_id
    with pytest.raises(NotFound) as hidden:
        request_for(session, actor(app, "agent.cacem"), request_id)
    assert hidden.value.message == REQUEST_NOT_FOUND


def test_booking_a_household_on_a_workshop(app, session, three):
    nord = three["nord"]
    for username in ("admin", "technicien"):
        assert bookable_household(session, actor(app, username), str(nord)).id == nord
    assert bookable_household(session, actor(app, "agent.cacem"), three["cacem"]).id == three["cacem"]
    assert bookable_household(session, actor(app, "prescripteur"), three["sud"]).id == three["sud"]
    for username, key in (("agent.cacem", nord), ("prescripteur", nord), ("technicien", "x"), ("technicien", 10**9)):
        with pytest.raises(NotFound) as hidden:
            bookable_household(session, actor(app, username), key)
        assert hidden.value.message == HOUSEHOLD_NOT_FOUND
    for username in ("animateur", "partenaire"):
        with pytest.raises(Forbidden) as refused:
            bookable_household(session, actor(app, username), nord)
        assert refused.value.message == "Votre rôle ne permet pas d'inscrire un foyer à un atelier."
    # An anonymised household can no longer be booked, even by the workshop.
    session.get(Household, nord).anonymised_at = session.get(Household, nord).created_at
    session.commit()
    with pytest.raises(NotFound):
        bookable_household(session, actor(app, "technicien"), nord)


def test_a_former_referrer_who_changed_role_no_longer_sees_the_households(app, session, three, users):
    """Seeing one's referred households comes with the Prescripteur role, not with the id."""
    former = Actor(users["prescripteur"], "Ancien prescripteur", frozenset({"Technicien"}))
    assert session.execute(visible_households(former)).scalars().all() == []
    assert not can_see(former, session.get(Household, three["cacem"]))

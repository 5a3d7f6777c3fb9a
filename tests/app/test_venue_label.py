"""A workshop's venue is named with its kind once (issue 16, defect 8): « Cyberbase du Marin
(point numérique) (point numérique) » was seen on the handover form and the workshop list, where
the templates added the kind to a name that already said it. One helper
(``distribution.vocabulary.venue_label``) names the venue for every page and document."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from distribution.models import Reservation
from distribution.services.reservations import reserve
from distribution.vocabulary import venue_label
from tests.helpers import actor, login, make_session, make_workshop, stock_device, validated_request


@pytest.mark.parametrize("name, kind, label", [
    ("Cyberbase du Marin", "digital_point", "Cyberbase du Marin (point numérique)"),
    ("Cyberbase du Marin (point numérique)", "digital_point", "Cyberbase du Marin (point numérique)"),
    ("Cyberbase du Marin (Point Numérique)", "digital_point", "Cyberbase du Marin (Point Numérique)"),
    ("Atelier mobile — bourg du Lorrain", "mobile_stop", "Atelier mobile — bourg du Lorrain"),
    ("Place de la mairie", "mobile_stop", "Place de la mairie (atelier mobile)"),
    ("Atelier du Lamentin", "site", "Atelier du Lamentin (atelier du programme)"),
    ("  Médiathèque ", None, "Médiathèque"),
])
def test_venue_label(name, kind, label):
    assert venue_label(name, kind) == label


def page(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    return html.unescape(answer.get_data(as_text=True))


def test_the_kind_shows_once_on_the_workshop_list_and_the_handover_form(app, client, session):
    shop = make_workshop(session)
    item = validated_request(app, session, commune_insee="97213")
    laptop = stock_device(session, shop, "laptop", "A")
    doubled = make_session(app, session, commune="97213", venue_kind="digital_point",
                           venue_name="Cyberbase du Marin (point numérique)", days=3)
    plain = make_session(app, session, commune="97213", venue_kind="digital_point", venue_name="Médiathèque du Lamentin",
                         days=4)
    reservation = reserve(session, actor(app, "technicien"), item.id, laptop.asset_tag)

    login(client, "technicien")
    for url in ("/distribution/workshops/", f"/distribution/workshops/{doubled.id}",
                f"/distribution/reservations/{reservation.id}"):
        shown = page(client.get(url))
        assert "Cyberbase du Marin (point numérique)" in shown, url
        assert "(point numérique) (point numérique)" not in shown, url
        if url != f"/distribution/workshops/{doubled.id}":
            assert "Médiathèque du Lamentin (point numérique)" in shown, url
    assert session.execute(select(Reservation)).scalar_one().id == reservation.id
    assert plain.venue_label == "Médiathèque du Lamentin (point numérique)"

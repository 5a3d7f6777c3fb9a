"""A search field that names a record (``app.views.listing``) finds a record by its whole name,
however long the column lets it be (an organisation's name: 200 characters), and suggests it
(issue 18 review: the typed text was cut at 80 characters, so choosing the suggestion of a donor
with a longer name found nothing)."""
from __future__ import annotations

import re
from datetime import date

from inventory.services.collections import create_collection
from inventory.services.reference import create_organisation
from tests.helpers import login, make_workshop

LONG_NAME = ("Association martiniquaise pour le réemploi solidaire des équipements informatiques "
             "des entreprises, des collectivités et des particuliers du Centre et du Sud")


def test_a_donor_with_a_long_name_is_suggested_then_found(app, client, session):
    assert 80 < len(LONG_NAME) <= 200
    shop = make_workshop(session)
    donor = create_organisation(session, kind="donor", name=LONG_NAME, siret=None, commune_insee="97213")
    collection = create_collection(session, donor=donor.id, collected_on=date(2026, 3, 5), site=shop["site"].id)
    login(client, "technicien")
    suggested = client.get("/collections/autocomplete/donor", query_string={"q": LONG_NAME})
    assert suggested.status_code == 200 and [s["value"] for s in suggested.json] == [LONG_NAME]
    found = client.get("/collections/list/", query_string={"_flt_0_donor": LONG_NAME}).get_data(as_text=True)
    assert re.findall(r'href="/collections/show/(\d+)', found) == [str(collection.id)]
    others = client.get("/collections/list/", query_string={"_flt_1_donor": LONG_NAME}).get_data(as_text=True)
    assert re.findall(r'href="/collections/show/(\d+)', others) == [str(shop["collection"].id)]


def test_a_text_longer_than_any_name_is_refused(app, client, session):
    make_workshop(session)
    login(client, "technicien")
    too_long = "Donateur Test" + " " * 3 + "x" * 300
    for argument in ("_flt_0_donor", "_flt_1_donor"):          # « est », « n'est pas »
        answer = client.get("/collections/list/", query_string={argument: too_long})
        assert answer.status_code == 400, argument
        assert "Recherche : 200 caractères au plus par champ." in answer.get_data(as_text=True)

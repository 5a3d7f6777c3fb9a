"""Flask-AppBuilder's generic add and edit pages write through the services
(app/views/service_forms.py): their rules apply, a refusal writes nothing and shows the form
again with the French message."""
from __future__ import annotations

from decimal import Decimal
from html import unescape

from core.organisations import Organisation
from inventory.models import Collection, Device, Location, Site
from inventory.services.reference import create_location, create_organisation
from tests.helpers import login, make_device, make_workshop


def page_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_a_device_description_is_edited_through_its_service(client, session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    device.os_licence_key = "XXXXX-11111"
    session.commit()
    token = login(client, "technicien")
    answer = client.post(f"/devices/edit/{device.id}", data={
        "csrf_token": token, "brand": "  Lenovo ", "model": "ThinkPad T480", "cpu": "", "ram_gb": "16",
        "storage_summary": "", "screen_in": "14", "os": "Linux Mint", "os_licence_key": "", "weight_kg": "1.6"})
    assert answer.status_code == 302
    session.expire_all()
    stored = session.get(Device, device.id)
    assert (stored.brand, stored.model, stored.ram_gb, stored.os) == ("Lenovo", "ThinkPad T480", Decimal("16"), "Linux Mint")
    assert stored.cpu is None and stored.os_licence_key is None       # blank is none, as through the API


def test_an_organisation_edit_refused_by_the_service_writes_nothing(client, session):
    taken = create_organisation(session, kind="donor", name="Caraïbes Télécom", siret="73282932000074")
    other = create_organisation(session, kind="donor", name="Mairie du Robert")
    token = login(client, "admin")
    answer = client.post(f"/organisations/edit/{other.id}", data={
        "csrf_token": token, "kind": "donor", "name": "Ville du Robert", "siret": taken.siret})
    page = page_of(answer)
    assert answer.status_code == 200
    assert "Ce SIRET est déjà celui de « Caraïbes Télécom »." in page
    assert 'value="Ville du Robert"' in page                           # the form comes back as typed
    session.expire_all()
    stored = session.get(Organisation, other.id)
    assert (stored.name, stored.siret) == ("Mairie du Robert", None)   # nothing half-written


def test_an_organisation_is_added_through_its_service(client, session):
    token = login(client, "admin")
    client.post("/organisations/add", data={"csrf_token": token, "kind": "referrer", "name": "  CCAS du Robert  ",
                                            "siret": "732 829 320 00074"})
    stored = session.query(Organisation).one()
    assert (stored.name, stored.siret, stored.kind) == ("CCAS du Robert", "73282932000074", "referrer")


def test_a_site_edit_keeps_its_code_and_cleans_its_fields(client, session):
    shop = make_workshop(session)
    site = shop["site"]
    token = login(client, "admin")
    answer = client.post(f"/sites/edit/{site.id}", data={"csrf_token": token, "name": " Atelier du Lamentin ",
                                                         "kind": "warehouse", "address": "   "})
    assert answer.status_code == 302
    session.expire_all()
    stored = session.get(Site, site.id)
    assert (stored.code, stored.name, stored.kind, stored.address) == (site.code, "Atelier du Lamentin", "warehouse", None)


def test_a_location_is_renamed_and_deactivated_through_its_service(client, session):
    shop = make_workshop(session)
    location = create_location(session, site_id=shop["site"].id, label="Z-09", name="Étagère du fond", kind="shelf")
    token = login(client, "technicien")
    answer = client.post(f"/locations/edit/{location.id}", data={"csrf_token": token, "name": "  Bac du fond ", "kind": "bin"})
    assert answer.status_code == 302
    session.expire_all()
    stored = session.get(Location, location.id)
    assert (stored.code, stored.name, stored.kind, stored.active) == (location.code, "Bac du fond", "bin", False)


def test_a_collection_edit_goes_through_its_service(client, session):
    shop = make_workshop(session)
    collection = shop["collection"]
    token = login(client, "technicien")
    answer = client.post(f"/collections/edit/{collection.id}", data={
        "csrf_token": token, "declared_count": "40", "weight_kg": "120.5", "notes": "  Deuxième enlèvement  "})
    assert answer.status_code == 302
    session.expire_all()
    stored = session.get(Collection, collection.id)
    assert (stored.declared_count, stored.weight_kg, stored.notes) == (40, Decimal("120.5"), "Deuxième enlèvement")


def test_admin_can_turn_the_single_agent_waiver_on_and_off(client, session):
    """Unticking a box means "no": the generic form used to refuse it (« Ce champ est requis. »)."""
    from core.territory import Epci

    cacem = session.query(Epci).filter_by(short_name="CACEM").one()
    token = login(client, "admin")
    try:
        assert client.post(f"/epci/edit/{cacem.id}", data={"csrf_token": token, "single_agent": "y"}).status_code == 302
        session.expire_all()
        assert session.get(Epci, cacem.id).single_agent is True
        assert client.post(f"/epci/edit/{cacem.id}", data={"csrf_token": token}).status_code == 302
        session.expire_all()
        assert session.get(Epci, cacem.id).single_agent is False
    finally:
        session.get(Epci, cacem.id).single_agent = False          # reference data outlives the test
        session.commit()

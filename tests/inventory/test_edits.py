"""Correcting a device's description and a collection's figures: through their services, in one
unit of work, with the schema's French messages."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, ValidationFailed
from core.schemas import load
from inventory.models import Collection, Device
from inventory.schemas import CollectionEditIn, DeviceEditIn
from inventory.services.collections import update_collection
from inventory.services.devices import update_device
from tests.helpers import make_device, make_workshop

DESCRIPTION = {"brand": "Lenovo", "model": "ThinkPad T480", "cpu": "Intel Core i5-8350U", "ram_gb": "16",
               "storage_summary": "SSD 256 Go", "screen_in": "14", "os": "Linux Mint 22",
               "os_licence_key": "", "weight_kg": "1.580"}


@pytest.fixture
def shop(session):
    return make_workshop(session)


def test_a_device_description_is_corrected(session, shop):
    device = make_device(session, shop["collection"].id)
    update_device(session, device.id, load(DeviceEditIn(), DESCRIPTION))
    session.expire_all()
    stored = session.get(Device, device.id)
    assert (stored.brand, stored.model, stored.cpu, stored.os) == ("Lenovo", "ThinkPad T480", "Intel Core i5-8350U",
                                                                   "Linux Mint 22")
    assert (stored.ram_gb, stored.screen_in, stored.weight_kg) == (Decimal("16"), Decimal("14"), Decimal("1.580"))
    assert stored.os_licence_key is None          # blank is none, not an empty text


@pytest.mark.parametrize("field, value, message", [
    ("weight_kg", "-1", "poids (kg) (weight_kg) : Nombre positif ou nul et au plus 1000 attendu."),
    ("screen_in", "0", "écran (pouces) (screen_in) : Nombre strictement positif et au plus 120 attendu."),
    ("brand", "", "marque (brand) : Texte de 1 à 80 caractères attendu."),
    ("ram_gb", "beaucoup", "mémoire vive (Go) (ram_gb) : Nombre attendu (par exemple 2.5)."),
])
def test_a_wrong_description_is_refused_naming_the_field(field, value, message):
    with pytest.raises(ValidationFailed) as refused:
        load(DeviceEditIn(), {**DESCRIPTION, field: value})
    assert message in refused.value.message


def test_the_identity_of_a_device_is_not_edited_here():
    with pytest.raises(ValidationFailed) as refused:
        load(DeviceEditIn(), {**DESCRIPTION, "serial_number": "OTHER"})
    assert refused.value.errors == {"serial_number": ["Champ inconnu."]}


def test_an_unknown_device_is_not_found(session):
    with pytest.raises(NotFound):
        update_device(session, 999_999, load(DeviceEditIn(), DESCRIPTION))


def test_a_device_changed_by_someone_else_meanwhile_is_a_conflict(session, shop):
    device = make_device(session, shop["collection"].id)
    session.refresh(device)                         # this editor read version n
    with Session(session.get_bind()) as other:      # someone else saves version n + 1
        other.get(Device, device.id).brand = "HP"
        other.commit()
    with pytest.raises(Conflict, match="modifié par quelqu'un d'autre"):
        update_device(session, device.id, load(DeviceEditIn(), DESCRIPTION))
    session.expire_all()
    assert session.get(Device, device.id).brand == "HP"


def test_a_collection_is_corrected(session, shop):
    collection = shop["collection"]
    update_collection(session, collection.id, load(CollectionEditIn(), {"declared_count": 12, "weight_kg": "85.5",
                                                                        "notes": "  Lot du 2e étage  "}))
    session.expire_all()
    stored = session.get(Collection, collection.id)
    assert (stored.declared_count, stored.weight_kg, stored.notes) == (12, Decimal("85.5"), "Lot du 2e étage")


def test_a_collection_count_cannot_be_negative(session, shop):
    with pytest.raises(ValidationFailed) as refused:
        load(CollectionEditIn(), {"declared_count": -3})
    assert refused.value.errors == {"declared_count": ["Nombre positif ou nul attendu."]}
    with pytest.raises(NotFound):
        update_collection(session, 999_999, {"declared_count": 1})


def test_reference_rows_are_corrected_through_their_services(session, shop):
    from core.organisations import Organisation
    from inventory.models import Location, Site
    from inventory.services.reference import create_organisation, update_location, update_organisation, update_site

    location = shop["bin_a"]
    update_location(session, location.id, name="  ", kind="shelf", active=False)
    assert (location.name, location.kind, location.active) == ("A01", "shelf", False)   # blank name: its label

    with pytest.raises(ValidationFailed) as refused:
        update_site(session, shop["site"].id, name="Atelier", kind="workshop", organisation_id=999_999)
    assert refused.value.errors == {"organisation": ["Organisation n° 999999 inconnue."]}
    update_site(session, shop["site"].id, name=" Atelier Nord ", kind="warehouse", commune_insee="97222")
    assert (shop["site"].code, shop["site"].name, shop["site"].commune_insee) == ("LAM", "Atelier Nord", "97222")

    other = create_organisation(session, kind="donor", name="Autre", siret="73282932000074")
    with pytest.raises(ValidationFailed) as refused:
        update_organisation(session, shop["donor"].id, kind="donor", name="Renommé", siret=other.siret)
    assert refused.value.errors == {"siret": ["Ce SIRET est déjà celui de « Autre »."]}
    session.expire_all()
    assert session.get(Organisation, shop["donor"].id).name == "Donateur Test"
    for missing in (lambda: update_location(session, 999_999, name="x", kind="bin", active=True),
                    lambda: update_site(session, 999_999, name="x", kind="workshop"),
                    lambda: update_organisation(session, 999_999, kind="donor", name="x")):
        with pytest.raises(NotFound):
            missing()
    assert session.get(Location, location.id).active is False and session.get(Site, shop["site"].id).kind == "warehouse"

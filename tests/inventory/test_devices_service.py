"""Registering devices, with a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import ValidationFailed
from inventory.models import Device, DeviceEvent, StorageMedium
from core.schemas import load
from inventory.schemas import DeviceIn
from inventory.services.devices import DuplicateIdentifier
from tests.helpers import make_device, make_workshop


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_registration_gives_tag_state_media_and_first_event(session, users):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id, user_id=users["technicien"],
                         location=shop["bin_a"].code, specs={"cpu": "i5", "ram_gb": "8", "os": "Windows 11"})
    assert device.asset_tag == "RK-000001"
    assert device.state == "received"
    assert device.location.code == "LOC-LAM-A01"
    assert [m.kind for m in device.media] == ["ssd"]
    events = session.execute(select(DeviceEvent).where(DeviceEvent.device_id == device.id)).scalars().all()
    assert [(e.kind, e.from_state, e.to_state, e.user_id, e.location_id) for e in events] == [
        ("received", None, "received", users["technicien"], shop["bin_a"].id)
    ]
    assert events[0].at.tzinfo is not None
    second = make_device(session, shop["collection"].id)
    assert second.asset_tag == "RK-000002"


def test_phones_and_tablets_get_internal_flash_by_default(session):
    shop = make_workshop(session)
    phone = make_device(session, shop["collection"].id, category="smartphone", imei="490154203237518")
    assert [(m.kind, m.serial_number) for m in phone.media] == [("flash", None)]
    monitor = make_device(session, shop["collection"].id, category="monitor", storage=None)
    assert monitor.media == []


def test_serials_are_trimmed_and_upper_cased(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id, serial_number="  5cd12ab  ")
    assert device.serial_number == "5CD12AB"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("imei", "490154203237517", "IMEI invalide : la clé de contrôle de cet IMEI est fausse (vérifiez la saisie)."),
        ("imei", "12345", "IMEI invalide : un IMEI compte exactement 15 chiffres."),
    ],
)
def test_bad_imei_is_refused_and_nothing_written(session, field, value, message):
    shop = make_workshop(session)
    with pytest.raises(ValidationFailed) as refused:
        make_device(session, shop["collection"].id, category="smartphone", **{field: value})
    assert refused.value.errors[field] == [message]
    assert _count(session, Device) == 0 and _count(session, DeviceEvent) == 0


def test_imei_only_for_phones_and_tablets(session):
    shop = make_workshop(session)
    with pytest.raises(ValidationFailed) as refused:
        make_device(session, shop["collection"].id, category="laptop", imei="490154203237518")
    assert refused.value.errors["imei"] == ["Un IMEI ne s'indique que pour un smartphone ou une tablette."]


def test_duplicate_serial_and_imei_are_conflicts(session):
    shop = make_workshop(session)
    first = make_device(session, shop["collection"].id, category="smartphone", imei="490154203237518",
                        serial_number="ABC123")
    with pytest.raises(DuplicateIdentifier) as dup:
        make_device(session, shop["collection"].id, category="smartphone", imei="490154203237518",
                    serial_number="abc123")
    assert dup.value.errors == {
        "serial_number": [f"Numéro de série ABC123 déjà enregistré pour l'appareil {first.asset_tag}."],
        "imei": [f"IMEI 490154203237518 déjà enregistré pour l'appareil {first.asset_tag}."],
    }
    assert _count(session, Device) == 1


def test_unknown_collection_and_location(session):
    make_workshop(session)
    with pytest.raises(ValidationFailed) as refused:
        make_device(session, 9999, location="LOC-NOPE-1")
    assert refused.value.errors["collection"] == ["Collecte n° 9999 inconnue."]
    assert refused.value.errors["location"] == ["Emplacement « LOC-NOPE-1 » inconnu (code LOC-… attendu)."]


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"category": "toaster"}, "category", "Catégorie inconnu(e) : valeurs acceptées : laptop, desktop, tablet, smartphone, monitor, printer, network, other."),
        ({"weight_kg": "-1"}, "weight_kg", "Nombre positif ou nul et au plus 1000 attendu."),
        ({"brand": ""}, "brand", "Texte de 1 à 80 caractères attendu."),
        ({"collection": "abc"}, "collection", "Nombre entier attendu."),
        ({"colour": "red"}, "colour", "Champ inconnu."),
        ({"storage": [{"kind": "floppy"}]}, "storage.0.kind", "Type de support inconnu(e) : valeurs acceptées : hdd, ssd, nvme, emmc, flash, sdcard."),
    ],
)
def test_schema_refuses_bad_input_in_french(data, field, message):
    base = {"collection": 1, "category": "laptop", "brand": "HP", "model": "X", "serial_number": "S1"}
    with pytest.raises(ValidationFailed) as refused:
        load(DeviceIn(), {**base, **data})
    assert refused.value.errors[field] == [message]
    assert refused.value.message.startswith("Données refusées.")


def test_missing_fields_are_named(session):
    with pytest.raises(ValidationFailed) as refused:
        load(DeviceIn(), {})
    assert set(refused.value.errors) == {"collection", "category", "brand", "model", "serial_number"}
    assert "numéro de série (serial_number) : Champ obligatoire." in refused.value.message


def test_media_are_stored_with_capacity(session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id, storage=[
        {"kind": "hdd", "serial_number": "wd-1", "capacity_gb": "500"},
        {"kind": "nvme", "serial_number": "nv-2", "capacity_gb": "256.5"},
    ])
    media = session.execute(select(StorageMedium).order_by(StorageMedium.id)).scalars().all()
    assert [(m.kind, m.serial_number, float(m.capacity_gb)) for m in media] == [
        ("hdd", "WD-1", 500.0), ("nvme", "NV-2", 256.5)]
    assert device.media == media

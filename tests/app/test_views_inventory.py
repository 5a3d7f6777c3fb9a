"""The workshop pages end to end through the test client, as a logged-in technician."""
from __future__ import annotations

import base64
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from core.settings import set_setting
from core.organisations import Organisation
from inventory.models import Collection, Device, ErasureRecord, Location
from tests.helpers import login, make_device, make_workshop, passing_checklist


@pytest.fixture
def shop(session):
    return make_workshop(session)


@pytest.fixture
def csrf(client, session):
    return login(client, "technicien")


def text_of(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def count(session, model) -> int:
    session.expire_all()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_open_a_collection(client, shop, csrf, session):
    answer = client.post("/collections/add", data={
        "csrf_token": csrf, "donor": shop["donor"].id, "collected_on": "2026-05-04", "site": shop["site"].id,
        "declared_count": "3", "weight_kg": "12,5", "notes": "Palette 1"})
    assert answer.status_code == 302
    created = session.execute(select(Collection).order_by(Collection.id.desc())).scalars().first()
    assert created.reference == "COL-2026-0002" and float(created.weight_kg) == 12.5
    page = text_of(client.get(answer.headers["Location"]))
    assert "Collecte COL-2026-0002 ouverte" in page
    assert "0 enregistré(s) sur 3 annoncé(s)" in page


def test_bad_collection_form_shows_french_errors_and_writes_nothing(client, shop, csrf, session):
    answer = client.post("/collections/add", data={
        "csrf_token": csrf, "donor": "", "collected_on": "04/05/2026", "site": shop["site"].id, "declared_count": "-2"})
    assert answer.status_code == 422
    page = text_of(answer)
    assert "Date attendue au format AAAA-MM-JJ." in page
    assert "Nombre positif ou nul attendu." in page
    assert "Champ obligatoire." in page
    assert count(session, Collection) == 1


def test_register_devices_one_after_another(client, shop, csrf, session):
    form = {"csrf_token": csrf, "collection": shop["collection"].id, "category": "laptop", "brand": "HP",
            "model": "EliteBook 840", "serial_number": "5cd7", "ram_gb": "8", "screen_in": "14,0",
            "weight_kg": "1,5", "medium_kind_0": "ssd", "medium_serial_0": "s3z9", "medium_capacity_0": "256",
            "location": "LOC-LAM-A01", "next": "another"}
    answer = client.post("/devices/add", data=form)
    assert answer.status_code == 302 and f"collection={shop['collection'].id}" in answer.headers["Location"]
    page = text_of(client.get(answer.headers["Location"]))
    assert "RK-000001 enregistré : HP EliteBook 840 (n° de série 5CD7)." in page
    device = session.execute(select(Device)).scalar_one()
    assert [(m.kind, m.serial_number) for m in device.media] == [("ssd", "S3Z9")]
    assert float(device.weight_kg) == 1.5 and device.location.code == "LOC-LAM-A01"

    duplicate = client.post("/devices/add", data={**form, "serial_number": "5CD7"})
    assert duplicate.status_code == 422
    assert "Numéro de série 5CD7 déjà enregistré pour l'appareil RK-000001." in text_of(duplicate)
    assert count(session, Device) == 1

    phone = client.post("/devices/add", data={"csrf_token": csrf, "collection": shop["collection"].id,
                                              "category": "smartphone", "brand": "Samsung", "model": "A52",
                                              "serial_number": "R58", "imei": "490154203237517", "next": "show"})
    assert phone.status_code == 422
    assert "IMEI invalide : la clé de contrôle de cet IMEI est fausse (vérifiez la saisie)." in text_of(phone)


def test_device_sheet_actions(client, shop, csrf, session):
    device = make_device(session, shop["collection"].id)
    sheet = text_of(client.get(f"/devices/show/{device.id}"))
    assert "→ Effacement" in sheet and "Historique" in sheet
    assert client.post(f"/devices/{device.id}/transition",
                       data={"csrf_token": csrf, "to": "wiping", "version": device.version}).status_code == 302
    answer = client.post(f"/devices/{device.id}/erasure", data={
        "csrf_token": csrf, "medium_serial": device.media[0].serial_number, "level": "purge",
        "technique": "ata-secure-erase", "tool": "hdparm", "result": "pass", "verified": "1"})
    assert answer.status_code == 302
    assert count(session, ErasureRecord) == 1
    client.post(f"/devices/{device.id}/transition", data={"csrf_token": csrf, "to": "grading"})
    sheet = text_of(client.get(f"/devices/show/{device.id}"))
    assert "Contrôle qualité" in sheet and "Santé de la batterie (% de la capacité d'origine)" in sheet
    form = {f"item_{key}": ("1" if value is True else "93") for key, value in passing_checklist("laptop").items()}
    missing = client.post(f"/devices/{device.id}/grade", data={"csrf_token": csrf, "cosmetic": "A",
                                                              **{k: v for k, v in form.items() if k != "item_webcam"}},
                          follow_redirects=True)
    assert "Élément manquant : Webcam." in text_of(missing)
    client.post(f"/devices/{device.id}/grade", data={"csrf_token": csrf, "cosmetic": "A", **form})
    client.post(f"/devices/{device.id}/transition", data={"csrf_token": csrf, "to": "in_stock"})
    client.post(f"/devices/{device.id}/move", data={"csrf_token": csrf, "location": "LOC-LAM-B02"})
    session.expire_all()
    device = session.get(Device, device.id)
    assert (device.state, device.grade, device.location.code) == ("in_stock", "A", "LOC-LAM-B02")
    sheet = text_of(client.get(f"/devices/show/{device.id}"))
    assert "Contrôle qualité → En stock" in sheet
    assert "Purge — ATA Secure Erase — Réussi, vérifié (hdparm)" in sheet
    refused = client.post(f"/devices/{device.id}/transition", data={"csrf_token": csrf, "to": "wiping"}, follow_redirects=True)
    assert "ne peut pas passer à « Effacement »" in text_of(refused)


def test_form_without_csrf_token_is_refused(client, shop, csrf, session):
    device = make_device(session, shop["collection"].id)
    answer = client.post(f"/devices/{device.id}/transition", data={"to": "wiping"})
    assert answer.status_code == 400
    session.expire_all()
    assert session.get(Device, device.id).state == "received"


GOOD_CSV = (
    "catégorie;marque;modèle;numéro de série;imei;ram;poids (kg);supports\n"
    "Ordinateur portable;Dell;Latitude 5490;SN-A1;;8;1,6;ssd:S3Z9:256\n"
    "smartphone;Samsung;Galaxy A52;SN-A2;490154203237518;6;0,19;\n"
    "monitor;Dell;P2419H;SN-A3;;;3,3;\n"
)


def test_csv_import_all_rows(client, shop, csrf, session):
    answer = client.post(f"/collections/{shop['collection'].id}/import",
                         data={"csrf_token": csrf, "file": (__import__("io").BytesIO(GOOD_CSV.encode("cp1252")), "liste.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    page = text_of(client.get(answer.headers["Location"]))
    assert "3 appareil(s) importé(s) : RK-000001 à RK-000003." in page
    assert "3 enregistré(s) sur 10 annoncé(s)" in page
    devices = session.execute(select(Device).order_by(Device.id)).scalars().all()
    assert [(d.category, d.serial_number, [m.kind for m in d.media]) for d in devices] == [
        ("laptop", "SN-A1", ["ssd"]), ("smartphone", "SN-A2", ["flash"]), ("monitor", "SN-A3", [])]


def test_csv_import_with_errors_imports_nothing_and_reports_each_problem(client, shop, csrf, session):
    make_device(session, shop["collection"].id, serial_number="TAKEN")
    bad = (
        "category,brand,model,serial_number,imei,weight_kg,storage\n"
        "laptop,Dell,Latitude,OK-1,,1.5,\n"
        "toaster,Dell,Latitude,OK-2,,1.5,\n"
        "smartphone,Apple,iPhone,TAKEN,490154203237517,-1,\n"
        "laptop,,X,OK-1,,,floppy:1:2\n"
    )
    answer = client.post(f"/collections/{shop['collection'].id}/import",
                         data={"csrf_token": csrf, "file": (__import__("io").BytesIO(bad.encode()), "bad.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    page = text_of(answer)
    assert "Import refusé : 7 problème(s). Aucun appareil n'a été enregistré." in page
    assert count(session, Device) == 1
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page).group(1)
    report = base64.b64decode(href).decode("utf-8-sig").splitlines()
    assert report[0] == "ligne;colonne;message"
    problems = {(line, column): message for line, column, message in (r.split(";", 2) for r in report[1:])}
    assert set(problems) == {("3", "category"), ("4", "imei"), ("4", "weight_kg"), ("4", "serial_number"),
                             ("5", "brand"), ("5", "serial_number"), ("5", "storage")}
    assert "Catégorie inconnu(e)" in problems[("3", "category")]
    assert problems[("4", "serial_number")] == "Numéro de série TAKEN déjà enregistré pour l'appareil RK-000001."
    assert problems[("4", "imei")].startswith("IMEI invalide")
    assert problems[("5", "serial_number")] == "Numéro de série OK-1 présent deux fois (déjà ligne 2)."
    assert "type de support « floppy » inconnu" in problems[("5", "storage")]


def test_csv_import_spots_duplicates_inside_the_file_and_bad_headers(client, shop, csrf, session):
    dup = "category,brand,model,serial_number\nlaptop,A,B,SAME\nlaptop,A,B,same\n"
    answer = client.post(f"/collections/{shop['collection'].id}/import",
                         data={"csrf_token": csrf, "file": (__import__("io").BytesIO(dup.encode()), "d.csv")},
                         content_type="multipart/form-data")
    assert "Numéro de série SAME présent deux fois (déjà ligne 2)." in text_of(answer)
    headers = "colour,brand\nred,A\n"
    answer = client.post(f"/collections/{shop['collection'].id}/import",
                         data={"csrf_token": csrf, "file": (__import__("io").BytesIO(headers.encode()), "h.csv")},
                         content_type="multipart/form-data")
    page = text_of(answer)
    assert "Colonne inconnue." in page and "Colonne obligatoire absente (catégorie)." in page
    assert count(session, Device) == 0


def test_import_template_downloads(client, shop, csrf):
    answer = client.get("/collections/import-template.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.get_data().decode("utf-8-sig").startswith("category;brand;model;serial_number")


def test_create_a_location(client, shop, csrf, session):
    answer = client.post("/locations/add", data={"csrf_token": csrf, "site": shop["site"].id, "label": "c07",
                                                 "name": "Bac C07", "kind": "bin"})
    assert answer.status_code == 302
    assert session.execute(select(Location).where(Location.code == "LOC-LAM-C07")).scalar_one().name == "Bac C07"
    again = client.post("/locations/add", data={"csrf_token": csrf, "site": shop["site"].id, "label": "C07"})
    assert again.status_code == 422 and "L'emplacement LOC-LAM-C07 existe déjà." in text_of(again)


def test_organisation_with_bad_siret_is_refused(client, shop, csrf, session):
    answer = client.post("/organisations/add", data={"csrf_token": csrf, "kind": "donor", "name": "Entreprise X",
                                                     "siret": "12345678901234"}, follow_redirects=True)
    assert "SIRET invalide : la clé de contrôle de ce SIRET est fausse" in text_of(answer)
    assert count(session, Organisation) == 1
    good = client.post("/organisations/add", data={"csrf_token": csrf, "kind": "donor", "name": "Entreprise Y",
                                                   "siret": "732 829 320 00074"}, follow_redirects=True)
    assert good.status_code == 200
    assert session.execute(select(Organisation.siret).where(Organisation.name == "Entreprise Y")).scalar_one() == "73282932000074"


def test_scan_page_is_keyboard_first_and_offline(client, csrf):
    page = client.get("/scan/").get_data(as_text=True)
    assert re.search(r'<input id="scan-code"[^>]*autofocus', page)
    assert '<label for="scan-code">' in page and '<label for="scan-station">' in page
    assert "/static/js/scan.js" in page
    assert not re.search(r'(src|href)="https?://', page)


def test_demo_banner_shows_while_demo_data_is_loaded(client, csrf, session):
    assert "Données de démonstration chargées" not in text_of(client.get("/"))
    set_setting(session, "demo_data_loaded", "1")
    session.commit()
    assert "Données de démonstration chargées" in text_of(client.get("/"))


def test_account_pages_work_for_the_signed_in_user(client, csrf, session):
    info = client.get("/users/userinfo/")
    assert info.status_code == 200 and "technicien" in info.get_data(as_text=True)
    edit = client.get("/userinfoeditview/form")
    assert edit.status_code == 200
    saved = client.post("/userinfoeditview/form", data={"csrf_token": csrf, "first_name": "Théo", "last_name": "Martin"})
    assert saved.status_code == 302
    assert "Théo Martin" in client.get("/").get_data(as_text=True)
    assert client.get("/resetmypassword/form").status_code == 200
    # The accounts are shared by the whole session's tests: give the name back.
    client.post("/userinfoeditview/form", data={"csrf_token": csrf, "first_name": "Technicien", "last_name": "Test"})
    assert "Théo Martin" not in client.get("/").get_data(as_text=True)


def test_device_edit_refuses_a_negative_weight(client, shop, csrf, session):
    device = make_device(session, shop["collection"].id)
    answer = client.post(f"/devices/edit/{device.id}", data={
        "csrf_token": csrf, "brand": "Dell", "model": "Latitude 5490", "weight_kg": "-2"})
    assert answer.status_code == 200  # the form again, with its error
    assert "Poids de 0 à 1000 kg attendu." in text_of(answer)
    session.expire_all()
    assert session.get(Device, device.id).weight_kg is None
    saved = client.post(f"/devices/edit/{device.id}", data={
        "csrf_token": csrf, "brand": "Dell", "model": "Latitude 5490 vPro", "weight_kg": "1.7"})
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(Device, device.id).model == "Latitude 5490 vPro"

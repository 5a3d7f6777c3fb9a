"""Certificates of data sanitisation: refusal, content, numbering, QR code, verification."""
from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from core.errors import Conflict, NotFound
from inventory.certificate_pdf import Programme
from inventory.services.certificates import (
    CertificateRefused,
    collection_certificate,
    device_certificate,
    issue_collection_certificate,
    issue_device_certificate,
    issued_collection_certificate,
    issued_device_certificate,
    mask_serial,
    normalise_code,
    verify,
)
from inventory.services.erasures import record_erasure
from inventory.services.transitions import transition
from tests.helpers import make_device, make_workshop
from tests.system_tools import rasterise, zbar

PROGRAMME = Programme("Programme Test", "Zone de la Lézarde, 97232 Le Lamentin", "97200001000017", "contact@test.invalid")
BASE = "https://rekonekt.test"


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def shop(session):
    return make_workshop(session)


def wipe(session, device, serial, *, result="pass", verified=True, level="purge", technique="ata-secure-erase", **extra):
    return record_erasure(session, device.asset_tag, {
        "medium_serial": serial, "level": level, "technique": technique, "tool": "hdparm", "tool_version": "9.65",
        "passes": 1, "verification_method": "Lecture complète", "result": result, "verified": verified,
        "sanitised_by": "Léa Marie", "sanitised_by_role": "Technicienne",
        "verified_by": "Joël Bellay", "verified_by_role": "Responsable d'atelier", **extra,
    })


def test_refused_while_a_medium_is_not_sanitised(session, shop):
    device = make_device(session, shop["collection"].id, storage=[
        {"kind": "ssd", "serial_number": "S3Z9NB0K123456"}, {"kind": "hdd", "serial_number": "WD-FAIL-1"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "S3Z9NB0K123456")
    wipe(session, device, "WD-FAIL-1", result="fail", verified=False, technique="overwrite", level="clear")
    with pytest.raises(CertificateRefused) as refused:
        device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert [(m["serial_number"], m["state"]) for m in refused.value.missing] == [("WD-FAIL-1", "failed")]
    assert refused.value.message.startswith("Certificat impossible : 1 support(s) pas encore effacé(s) ni détruit(s).")
    # Destroying the failed disk completes the set.
    wipe(session, device, "WD-FAIL-1", level="destroy", technique="drill", verified=False)
    certificate = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert certificate.summary["destroyed_count"] == 1 and certificate.summary["sanitised_count"] == 1


def test_device_certificate_holds_every_field(session, shop):
    device = make_device(session, shop["collection"].id, storage=[
        {"kind": "ssd", "serial_number": "S3Z9NB0K123456", "manufacturer": "Samsung", "model": "SSD 860 EVO", "capacity_gb": "256"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "S3Z9NB0K123456", bytes_erased=256060514304, destination="reuse")
    certificate = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert certificate.number.startswith("CERT-") and certificate.number.endswith("-00001")
    assert certificate.pdf_sha256 == hashlib.sha256(certificate.pdf).hexdigest()
    text = " ".join(text_of(certificate.pdf).split())
    for expected in [
        "Certificat d'effacement des données", "NIST SP 800-88", "décret n° 2022-190",
        "Programme Test", "Zone de la Lézarde, 97232 Le Lamentin", "SIRET 97200001000017",
        certificate.number, "Donateur Test", shop["collection"].reference,
        certificate.verification_code, f"{BASE}/verify/{certificate.verification_code}",
        device.asset_tag, "Dell Latitude 5490", "S3Z9NB0K123456", "Samsung SSD 860 EVO", "256 Go",
        "Purge", "ATA Secure Erase", "hdparm 9.65, 1 passe(s)", "Lecture complète : conforme", "Réussi",
        "Léa Marie (Technicienne)", "Joël Bellay (Responsable d'atelier)", "Réemploi",
        "Effacement réalisé par", "Effacement vérifié par", "Date, lieu et signature",
    ]:
        assert expected in text, expected


def test_asking_again_returns_the_same_certificate_until_the_records_change(session, shop):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "AAA111"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "AAA111")
    first = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    again = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert again.id == first.id and again.number == first.number
    wipe(session, device, "AAA111", level="destroy", technique="shred")
    renewed = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert renewed.id != first.id and renewed.number.endswith("-00002")


def test_issuing_says_whether_the_certificate_is_new(session, shop):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "NEW111"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "NEW111")
    first, new = issue_device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert new
    again, new = issue_device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert (again.id, new) == (first.id, False)
    summary, new = issue_collection_certificate(session, shop["collection"].id, programme=PROGRAMME, base_url=BASE)
    assert new and summary.kind == "collection"
    assert issue_collection_certificate(session, shop["collection"].id, programme=PROGRAMME,
                                        base_url=BASE) == (summary, False)


def test_fetching_an_issued_certificate_never_issues_one(session, shop):
    """The lookups behind GET …/certificate.pdf (moved from app/api/certificates.py): the latest
    issued certificate, or a French NotFound; no number is consumed."""
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "GET111"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "GET111")
    with pytest.raises(NotFound) as none:
        issued_device_certificate(session, device.asset_tag)
    assert none.value.message.startswith(f"Aucun certificat d'effacement n'a encore été émis pour l'appareil {device.asset_tag}")
    with pytest.raises(NotFound) as none:
        issued_collection_certificate(session, shop["collection"].id)
    assert none.value.message.startswith("Aucun certificat d'effacement n'a encore été émis pour la collecte "
                                         f"{shop['collection'].reference}")
    with pytest.raises(NotFound) as unknown:
        issued_collection_certificate(session, 999_999)
    assert unknown.value.message == "Collecte n° 999999 inconnue."
    with pytest.raises(NotFound):
        issued_device_certificate(session, "RK-UNKNOWN")
    first = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    wipe(session, device, "GET111", level="destroy", technique="shred")
    latest = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert latest.id != first.id
    assert issued_device_certificate(session, device.asset_tag).id == latest.id
    summary = collection_certificate(session, shop["collection"].id, programme=PROGRAMME, base_url=BASE)
    assert issued_collection_certificate(session, shop["collection"].id).id == summary.id
    assert issued_device_certificate(session, device.asset_tag).id == latest.id   # not the summary


def test_collection_certificate_lists_every_medium(session, shop):
    laptop = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "LAPTOP-SSD-1"}])
    phone = make_device(session, shop["collection"].id, category="smartphone")
    make_device(session, shop["collection"].id, category="monitor", storage=None)
    for device in (laptop, phone):
        transition(session, device.asset_tag, "wiping")
    wipe(session, laptop, "LAPTOP-SSD-1")
    with pytest.raises(CertificateRefused) as refused:
        collection_certificate(session, shop["collection"].id, programme=PROGRAMME, base_url=BASE)
    assert [m["asset_tag"] for m in refused.value.missing] == [phone.asset_tag]
    wipe(session, phone, None, technique="factory-reset")
    certificate = collection_certificate(session, shop["collection"].id, programme=PROGRAMME, base_url=BASE)
    text = " ".join(text_of(certificate.pdf).split())
    assert "Supports de données couverts : 2" in text
    assert laptop.asset_tag in text and phone.asset_tag in text and "LAPTOP-SSD-1" in text
    assert "Réinitialisation d'usine" in text and "Mémoire interne (flash)" in text
    assert certificate.summary["media_count"] == 2 and certificate.kind == "collection"


def test_no_certificate_for_a_device_without_media(session, shop):
    monitor = make_device(session, shop["collection"].id, category="monitor", storage=None)
    with pytest.raises(Conflict) as nothing:
        device_certificate(session, monitor.asset_tag, programme=PROGRAMME, base_url=BASE)
    assert nothing.value.message == "Aucun support de données donné à certifier : rien à effacer ici."


def test_codes_and_masks():
    assert mask_serial("S3Z9NB0K123456") == "••••••••••3456"
    assert mask_serial("AB") == "AB" and mask_serial(None) == "—"
    assert normalise_code("abcd efgh-jkmn-pqrs") == "ABCD-EFGH-JKMN-PQRS"
    assert normalise_code("0OIL-1111-2222-3333") == "0011-1111-2222-3333"


def test_verification(session, shop):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "VERIFY-1"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "VERIFY-1")
    certificate = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    genuine = verify(session, certificate.verification_code.lower(), pdf=certificate.pdf)
    assert genuine.genuine and genuine.hash_matches is True
    tampered = verify(session, certificate.verification_code, pdf=certificate.pdf + b"%tampered")
    assert tampered.genuine and tampered.hash_matches is False
    unknown = verify(session, "0000-0000-0000-0000")
    assert unknown.certificate is None and not unknown.genuine


def _rasterise(pdf: bytes, tmp_path):
    """The first page, drawn by pdftoppm (skips without poppler-utils or libzbar0)."""
    zbar()
    (page,) = rasterise(pdf, tmp_path, 150, name="certificate", pages=1)
    return page


def test_the_qr_code_decodes_to_the_verification_address(session, shop, tmp_path):
    device = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "QR-1"}])
    transition(session, device.asset_tag, "wiping")
    wipe(session, device, "QR-1")
    certificate = device_certificate(session, device.asset_tag, programme=PROGRAMME, base_url=BASE)
    image = _rasterise(certificate.pdf, tmp_path)
    qr = zbar()
    found = [symbol.data.decode() for symbol in qr.decode(image, symbols=[qr.ZBarSymbol.QRCODE])]
    assert found == [f"{BASE}/verify/{certificate.verification_code}"]


def test_the_collection_certificate_qr_code_leads_a_donor_to_the_verification(client, session, shop, tmp_path):
    """The end of the chain: a donor scans the QR code of the collection's certificate and
    opens the public page, without an account."""
    laptop = make_device(session, shop["collection"].id, storage=[{"kind": "ssd", "serial_number": "DONOR-SSD-1"}])
    phone = make_device(session, shop["collection"].id, category="smartphone")
    for device in (laptop, phone):
        transition(session, device.asset_tag, "wiping")
    wipe(session, laptop, "DONOR-SSD-1")
    wipe(session, phone, None, technique="factory-reset")
    certificate = collection_certificate(session, shop["collection"].id, programme=PROGRAMME, base_url=BASE)
    image = _rasterise(certificate.pdf, tmp_path)  # skips, saying why, without poppler or zbar
    qr = zbar()
    (url,) = [symbol.data.decode() for symbol in qr.decode(image, symbols=[qr.ZBarSymbol.QRCODE])]
    assert url.startswith(f"{BASE}/verify/")
    page = client.get(url[len(BASE):])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Certificat authentique." in html
    assert certificate.number in html and "Donateur Test" in html and "2 couvert(s) : 2 effacé(s), 0 détruit(s)" in html

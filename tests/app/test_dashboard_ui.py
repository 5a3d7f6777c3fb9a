"""The dashboard as each role sees it, its exports (read back with pandas, equal to the API) and
the reports: a donor partner sees what became of their devices and downloads the certificates,
an agent sees their EPCI's figures, the admin produces the half-year impact report."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pandas as pd
import pytest
from pypdf import PdfReader

from app.extensions import db
from core.clock import local_today
from inventory.certificate_pdf import Programme
from inventory.services.certificates import collection_certificate
from reporting.impact import current_half
from reporting.vocabulary import INDICATOR
from tests.helpers import bearer, login
from tests.reporting.scenario import build_scenario

PERIOD = f"from=2020-01-01&to={(local_today() + timedelta(days=1)).isoformat()}"


@pytest.fixture
def scenario(app, session):
    data = build_scenario(app, session)
    data["certificate"] = collection_certificate(session, data["shop"]["collection"].id, programme=Programme("P"),
                                                 base_url="https://rekonekt.test")
    from inventory.services.certificates import device_certificate

    data["device_certificate"] = device_certificate(session, data["results"][0].invoice.device.asset_tag,
                                                    programme=Programme("P"), base_url="https://rekonekt.test")
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = data["shop"]["donor"].id
    db.session.commit()
    yield data
    partner.organisation_id = None
    db.session.commit()


def text_of(content: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)).replace("\u00a0", " ")


def test_done_when_a_donor_sees_what_became_of_their_devices_and_downloads_the_certificate(client, scenario):
    login(client, "partenaire")
    page = client.get(f"/dashboard/?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vos dons" in html and "Donateur : Donateur Test" in html
    assert "Réemployés (remis à des foyers)" in html and "Le Lamentin" in html and "Fort-de-France" in html
    for absent in ("Jean-Baptiste", "FOY-", "Éloïse", "Demandes par statut"):
        assert absent not in html, absent       # never a household's identity, nor household tables
    number = scenario["certificate"].number
    assert number in html
    device_number = scenario["device_certificate"].number
    assert device_number in html and client.get(f"/dashboard/certificates/{device_number}.pdf").status_code == 200
    pdf = client.get(f"/dashboard/certificates/{number}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    report = client.get(f"/dashboard/donor-report.pdf?{PERIOD}")
    assert report.status_code == 200
    text = text_of(report.data)
    assert "Donateur Test" in text and "Le Lamentin" in text and number in text
    # Another donor's data, or the programme-wide figures, are out of reach.
    assert client.get(f"/dashboard/?{PERIOD}&donor={scenario['shop']['donor'].id + 1}").status_code in (403, 422)
    assert client.get("/dashboard/certificates/CERT-NOT-MINE.pdf").status_code == 404


def test_done_when_an_agent_sees_their_epci(client, scenario):
    login(client, "agent.espacesud")
    html = client.get(f"/dashboard/?{PERIOD}").get_data(as_text=True)
    assert "EPCI : Espace Sud" in html
    table = pd.read_csv(io.BytesIO(client.get(f"/dashboard/export/households_epci.csv?{PERIOD}").data), sep=";")
    assert table.to_dict("records") == [{"EPCI": "Espace Sud", "Validés": 1, "Équipés": 0}]
    assert client.get(f"/dashboard/?{PERIOD}&epci=CACEM").status_code == 403


def test_done_when_the_admin_produces_the_half_year_impact_report(client, scenario):
    login(client, "admin")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Produire le rapport d" in html
    period = current_half(local_today())
    answer = client.get(f"/dashboard/impact.pdf?period={period}")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = text_of(answer.data)
    for fragment in ("Rapport d'impact", "Appareils collectés", "Foyers équipés", "Aide solidaire totale",
                     "CACEM", "Espace Sud", "460,00 €"):
        assert fragment in text, fragment
    assert client.get("/dashboard/impact.pdf?period=2026-S3").status_code == 422


def test_exports_open_with_pandas_and_equal_the_api(client, scenario):
    login(client, "admin")
    api = client.get(f"/api/v1/indicators?{PERIOD}", headers=bearer(client, "admin")).json
    # The CSV as a French spreadsheet reads it: « ; » between fields, a decimal comma.
    # An empty cell (an indicator with no value here: no mobile workshop, no attendance rate) reads as NaN.
    csv = pd.read_csv(io.BytesIO(client.get(f"/dashboard/export/indicators.csv?{PERIOD}").data), sep=";",
                      decimal=",")
    xlsx = pd.read_excel(io.BytesIO(client.get(f"/dashboard/export/indicators.xlsx?{PERIOD}").data))
    for frame in (csv, xlsx):
        assert list(frame.columns) == ["Indicateur", "Valeur"]
        values = dict(zip(frame["Indicateur"], frame["Valeur"]))
        heading = {key: INDICATOR[key].heading for key in api if key in INDICATOR}
        assert set(values) == set(heading.values())          # French labels, never a key
        for key in ("devices_collected", "devices_distributed", "households_equipped", "internet_offer_referrals"):
            assert int(values[heading[key]]) == api[key], key
        for key in ("paid_total", "aide_solidaire_total", "weight_reused_kg", "median_days_reception_to_handover"):
            assert float(values[heading[key]]) == float(api[key]), key
    # A rate: 0.5 in the API, a fraction with a percent format in the XLSX, 50 (per cent) in the CSV.
    rate = heading["workshop_attendance_rate"]
    assert rate == "Taux de présence aux ateliers (%)" and api["workshop_attendance_rate"] == 0.5
    assert dict(zip(xlsx["Indicateur"], xlsx["Valeur"]))[rate] == 0.5
    assert dict(zip(csv["Indicateur"], csv["Valeur"]))[rate] == 50
    workbook = pd.read_excel(io.BytesIO(client.get(f"/dashboard/export/all.xlsx?{PERIOD}").data), sheet_name=None)
    assert "Indicateurs de la période" in workbook and "Flux mensuels d'appareils" in workbook
    monthly = workbook["Flux mensuels d'appareils"]
    assert int(monthly["Remis"].sum()) == api["devices_distributed"]
    assert int(monthly["Collectés"].sum()) == api["devices_collected"]


@pytest.mark.parametrize("username", ["technicien", "prescripteur", "animateur"])
def test_other_roles_have_no_dashboard(client, session, username):
    login(client, username)
    assert client.get("/dashboard/").status_code == 403


def test_the_dashboard_shows_french_labels_and_french_figures_never_a_key(client, scenario):
    """Issue 16, defect 3: the indicators by their French label, each value written by its kind
    (« 460,00 € », « 50 % », « 3 kg », « 15 jours »); no « Clé » column, no ``devices_collected``,
    no ``890.00`` nor ``0.5`` anywhere in a table."""
    login(client, "admin")
    html = client.get(f"/dashboard/?{PERIOD}").get_data(as_text=True)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", html, re.S)]
    headers = re.findall(r'<th scope="col">(.*?)</th>', html)
    assert "Clé" not in headers
    for key in INDICATOR:
        assert key not in html, key
    pairs = dict(zip(cells[::2], cells[1::2]))          # the indicators table comes first: label, value
    assert pairs["Aide solidaire totale"] == "460,00\u00a0€"
    assert pairs["Taux de présence aux ateliers"] == "50\u00a0%"
    assert pairs["Poids recyclé"] == "3\u00a0kg"
    assert pairs["Délai médian de la réception à la remise"] == "15\u00a0jours"
    assert pairs["Satisfaction moyenne (sur 5)"] == "4,00"
    for cell in cells:
        assert not re.fullmatch(r"-?\d+\.\d+", cell), cell         # no English decimal
        assert cell not in ("None", "True", "False", ""), cells

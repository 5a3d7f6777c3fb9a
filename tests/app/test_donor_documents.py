"""Each role gets exactly the dashboard documents the README promises it (issue 15, defect 4):
Admin everything; a Partenaire their own organisation's donor report and certificates (never the
programme's impact report); an Agent EPCI their EPCI's dashboard and impact report, but no donor's
documents nor donor filter (a donor's tables follow the devices into every EPCI); other roles,
and a Partenaire bound to no organisation, nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from core.clock import local_today
from inventory.certificate_pdf import Programme
from inventory.services.certificates import collection_certificate
from inventory.services.reference import create_organisation
from reporting.impact import current_half
from tests.app.test_dashboard_ui import text_of
from tests.helpers import bearer, login
from tests.reporting.scenario import build_scenario

PERIOD = f"from=2020-01-01&to={(local_today() + timedelta(days=1)).isoformat()}"


@pytest.fixture
def documents(app, session):
    data = build_scenario(app, session)
    donor = data["shop"]["donor"]
    certificate = collection_certificate(session, data["shop"]["collection"].id, programme=Programme("P"),
                                         base_url="https://rekonekt.test")
    other = create_organisation(session, kind="donor", name="Autre donateur", siret=None, commune_insee="97209")
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = donor.id
    db.session.commit()
    yield {"donor": donor.id, "other": other.id, "number": certificate.number}
    partner.organisation_id = None
    db.session.commit()


def urls(d: dict) -> dict[str, str]:
    return {
        "donor report": f"/dashboard/donor-report.pdf?{PERIOD}&donor={d['donor']}",
        "certificate": f"/dashboard/certificates/{d['number']}.pdf?donor={d['donor']}",
        "certificate, no donor named": f"/dashboard/certificates/{d['number']}.pdf",
        "impact report": f"/dashboard/impact.pdf?period={current_half(local_today())}",
        "dashboard of the donor": f"/dashboard/?{PERIOD}&donor={d['donor']}",
        "export of the donor": f"/dashboard/export/all.xlsx?{PERIOD}&donor={d['donor']}",
    }


ALL = {"donor report", "certificate", "certificate, no donor named", "impact report", "dashboard of the donor",
       "export of the donor"}
# What each account may download (200); every other document is refused (403).
ALLOWED = {
    "admin": ALL,
    "partenaire": ALL - {"impact report"},
    "agent.cacem": {"impact report"},
    "agent.espacesud": {"impact report"},
    "technicien": set(),
    "prescripteur": set(),
    "animateur": set(),
}


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_role_gets_exactly_its_documents(client, documents, username):
    login(client, username)
    for name, url in urls(documents).items():
        answer = client.get(url)
        expected = 200 if name in ALLOWED[username] else 403
        assert answer.status_code == expected, (username, name, answer.status_code)
    api = client.get(f"/api/v1/indicators?{PERIOD}&donor={documents['donor']}", headers=bearer(client, username))
    assert api.status_code == (200 if username in ("admin", "partenaire") else 403), username


@pytest.mark.parametrize("username", ["agent.cacem", "agent.espacesud"])
def test_an_agent_never_gets_a_donors_programme_wide_report(client, documents, username):
    """The defect: an agent got the Admin's PDF (other EPCIs' figures included) and every certificate."""
    login(client, username)
    for url in (f"/dashboard/donor-report.pdf?{PERIOD}&donor={documents['donor']}",
                f"/dashboard/donor-report.pdf?{PERIOD}",
                f"/dashboard/certificates/{documents['number']}.pdf?donor={documents['donor']}"):
        answer = client.get(url)
        assert answer.status_code == 403 and not answer.data.startswith(b"%PDF"), url


def test_the_partner_gets_the_admins_report_for_their_organisation(app, documents):
    admin, partner = app.test_client(), app.test_client()
    login(admin, "admin")
    login(partner, "partenaire")
    theirs = admin.get(f"/dashboard/donor-report.pdf?{PERIOD}&donor={documents['donor']}")
    mine = partner.get(f"/dashboard/donor-report.pdf?{PERIOD}")
    assert mine.status_code == theirs.status_code == 200
    strip = lambda text: text.split("Produit le")[0]   # noqa: E731 - the generation time may differ
    assert "Le Lamentin" in text_of(mine.data) and strip(text_of(mine.data)) == strip(text_of(theirs.data))


def test_a_partner_reaches_no_other_donor(client, documents):
    login(client, "partenaire")
    assert client.get(f"/dashboard/donor-report.pdf?{PERIOD}&donor={documents['other']}").status_code == 403
    assert client.get(f"/dashboard/certificates/{documents['number']}.pdf?donor={documents['other']}").status_code == 403


def test_a_certificate_of_another_donor_is_not_found(client, documents):
    login(client, "admin")
    answer = client.get(f"/dashboard/certificates/{documents['number']}.pdf?donor={documents['other']}")
    assert answer.status_code == 404
    assert client.get("/dashboard/certificates/CERT-1999-00001.pdf").status_code == 404


def test_the_admin_names_a_donor_for_the_donor_report(client, documents):
    login(client, "admin")
    answer = client.get(f"/dashboard/donor-report.pdf?{PERIOD}")
    assert answer.status_code == 422 and "Choisissez un donateur" in answer.get_data(as_text=True)


def test_a_partner_bound_to_no_organisation_gets_nothing(app, client, documents):
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = None
    db.session.commit()
    login(client, "partenaire")
    for url in urls(documents).values():
        assert client.get(url).status_code == 403, url

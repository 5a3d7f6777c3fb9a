"""The Partenaire's journey in Chromium (issue 16): the dashboard of their donations, its filters
(category, period), and every download it offers (each table as CSV and XLSX, every table as
XLSX, the donor report as PDF) answering 200 with its content type, and readable.

Every step is checked by ``tests/e2e/harness.py`` (which says what, and where the screenshots go);
skipped, with its reason, where Chromium is absent.
"""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl

from core.clock import utcnow
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, pdf_text  # noqa: F401  (fixture)
from tests.helpers import advance, make_device, make_workshop, stock_device

pytestmark = NEEDS_CHROMIUM

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_partner_dashboard_and_downloads(app, journey, session):
    shop = make_workshop(session)
    partner = app.appbuilder.sm.find_user("partenaire")
    partner.organisation_id = shop["donor"].id
    session.commit()
    for category in ("laptop", "laptop", "desktop"):
        stock_device(session, shop, category, "B")
    advance(session, make_device(session, shop["collection"].id), "grading")
    walk = journey("partenaire")
    page = walk.page

    walk.menu(None, "Tableau de bord", "tableau de bord")
    body = page.inner_text("body")
    assert "Donateur Test" in body or "Vos dons" in body
    page.select_option("#category", "laptop")
    with walk.navigation("filtre catégorie"):
        page.click("form.rk-filters button[type=submit]")
    assert "category=laptop" in page.url
    start = (utcnow() - timedelta(days=30)).date()
    page.fill("#from", start.isoformat())
    with walk.navigation("filtre période"):
        page.click("form.rk-filters button[type=submit]")
    assert f"from={start.isoformat()}" in page.url

    links = page.eval_on_selector_all(".rk-dashboard a[href*='/dashboard/']",
                                      "as => as.map(a => [a.textContent.trim(), a.getAttribute('href')])")
    kinds = {"csv": 0, "xlsx": 0, "pdf": 0}
    for text, href in links:
        path = href.split("?")[0]
        if path.endswith(".csv"):
            body = walk.fetch(href, "text/csv").decode("utf-8-sig")
            assert list(csv.reader(io.StringIO(body))), href
            kinds["csv"] += 1
        elif path.endswith(".xlsx"):
            openpyxl.load_workbook(io.BytesIO(walk.fetch(href, XLSX)))
            kinds["xlsx"] += 1
        elif path.endswith(".pdf"):
            assert "Donateur Test" in pdf_text(walk.fetch(href, "application/pdf")), href
            kinds["pdf"] += 1
    assert kinds["csv"] >= 3 and kinds["xlsx"] >= 4 and kinds["pdf"] >= 1, (kinds, links)
    walk.finish()

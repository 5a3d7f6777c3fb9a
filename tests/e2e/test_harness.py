"""The journeys' checks can fail: each kind of problem the harness looks for, put on a page served
at the app's address, is reported (and what is French and formatted is not)."""
from __future__ import annotations

import pytest

from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey, python_values  # noqa: F401  (fixture)

BAD_PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Contrôle</title></head><body>
<nav class="navbar"><ul class="navbar-nav"><li><a href="/users/list/">Utilisateurs</a></li>
  <li><a href="/nowhere/">Nulle part</a></li></ul></nav>
<main><h1>Fiche</h1>
<dl><dt>IMEI</dt><dd>None</dd><dt>Actif</dt><dd>True</dd><dt>Rôle</dt><dd>[Technicien]</dd>
<dt>Enregistré le</dt><dd>2026-12-04 00:21:58.153776+00:00</dd><dt>Poids</dt><dd>Decimal('1.600')</dd></dl>
<input type="text" name="unlabelled">
<img src="http://example.invalid/tracker.png" alt="">
<img src="/harness-broken.png" alt="">
<script>console.error("erreur volontaire"); notAFunction();</script>
</main></body></html>"""


def test_python_values_are_found_and_french_text_is_not():
    found = python_values("IMEI None · Actif True · Verrou False · Rôle [Admin] · Membres [] · "
                          "Enregistré le 2026-12-04 00:21:58 · Decimal('8.0')")
    assert [f.split(" : ")[0] for f in found] == ["None", "True", "False", "une liste Python [...]",
                                                  "une liste Python [...]", "une date ISO", "Decimal("]
    assert python_values("Facture F-2026-00001 du 04/12/2026 10:01 — RK-000001, LOC-LAM-A01, 1 800,00 € ; "
                         "Nonette, Truelle, Falsification ; consentement-2026-01 ; MQ-2026.1") == []


@NEEDS_CHROMIUM
def test_each_problem_of_a_page_is_reported(journey, session):
    walk = journey("technicien")
    page = walk.page
    page.route(f"{walk.base}/harness-check", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=BAD_PAGE))
    page.route(f"{walk.base}/harness-broken.png", lambda route: route.fulfill(status=500, body="boom"))
    page.goto(f"{walk.base}/harness-check")
    walk.check("page fautive")
    report = "\n".join(walk.problems)
    for expected in ["None : « None »", "True : « True »", "une liste Python [...] : « [Technicien] »",
                     "une date ISO : « 2026-12-04 »", "Decimal( : « Decimal( »",
                     "requête hors de l'application : GET http://example.invalid/tracker.png",
                     "réponse 500 : GET", "erreur dans la console : erreur volontaire",
                     "erreur de script : ", "notAFunction",
                     "entrée de menu /users/list/ : 403", "entrée de menu /nowhere/ : 404",
                     "axe label (critical)"]:
        assert expected in report, (expected, report)
    with pytest.raises(AssertionError, match="problème"):
        walk.finish()

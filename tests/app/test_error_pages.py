"""Every error a page can meet answers the app's French error page, never Werkzeug's English one
or a bare line of text: 400 (a form posted without its CSRF token), 405, 413, 500; the API keeps
its French JSON (tests/app/test_api_csrf.py, test_edge_inputs.py)."""
from __future__ import annotations

import re

import pytest

from tests.helpers import login

ENGLISH = ("Bad Request", "Method Not Allowed", "Internal Server Error", "The browser (or proxy)",
           "The method is not allowed", "Request Entity Too Large", "The CSRF token is missing")


def visible(answer) -> str:
    html = answer.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_french_page(answer, status: int, *phrases: str) -> None:
    assert answer.status_code == status
    assert answer.mimetype == "text/html"
    text = visible(answer)
    assert '<html lang="fr"' in answer.get_data(as_text=True)
    assert "Retour à l'accueil" in text, text[:300]
    for phrase in phrases:
        assert phrase in text, (phrase, text[:400])
    for english in ENGLISH:
        assert english not in text


def test_a_form_posted_without_its_csrf_token_is_a_french_page(client, session):
    login(client, "technicien")
    answer = client.post("/logout/", data={})
    assert_french_page(answer, 400, "Requête refusée", "Jeton CSRF manquant ou invalide")


def test_a_method_a_page_does_not_take_is_a_french_page(client, session):
    login(client, "technicien")
    answer = client.delete("/scan/")
    assert_french_page(answer, 405, "Requête refusée", "Méthode HTTP non acceptée")


def test_an_unexpected_error_on_a_page_is_a_french_page(app, client, session, monkeypatch):
    login(client, "technicien")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "ScanView.station", broken)
    answer = client.get("/scan/")
    assert_french_page(answer, 500, "Une erreur est survenue", "Erreur interne")
    assert "boom" not in visible(answer)


def test_when_the_error_page_itself_fails_a_french_text_still_answers(app, client, session, monkeypatch):
    import app.errors as errors

    login(client, "technicien")
    monkeypatch.setitem(app.view_functions, "ScanView.station", lambda *a, **k: 1 / 0)
    monkeypatch.setattr(errors, "render_template", lambda *a, **k: 1 / 0)
    answer = client.get("/scan/")
    assert answer.status_code == 500
    assert answer.get_data(as_text=True).startswith("Erreur interne")


@pytest.mark.parametrize("path", ["/api/v1/scan"])
def test_the_api_keeps_its_json(client, session, path):
    login(client, "technicien")
    answer = client.post(path, json={"code": "RK-000001"})
    assert answer.status_code == 400 and answer.is_json and answer.json["message"].startswith("Jeton CSRF")

"""The « Tournée » installable page (issue 20): the shell for Animateurs and the workshop, its
manifest and service worker public and free of data, every file the worker keeps served by the
app itself (nothing from elsewhere), and the worker's cache named after those files."""
from __future__ import annotations

import json
import re

from app.views import tour as tour_view
from tests.helpers import login, logout


def test_the_shell_is_for_tour_roles_and_holds_no_personal_data(client, session):
    login(client, "animateur")
    page = client.get("/tour/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="tour-config" nonce="[^"]+">(.*?)</script>',
                                  html, re.S).group(1))
    assert config["api"] == "/api/v1/tours" and config["worker"] == "/tour/sw.js" and config["scope"] == "/tour/"
    assert config["stock_manager"] is False and config["text"]["offline"] == "Hors ligne"
    assert "Préparer une tournée" in html and '<html lang="fr">' in html
    assert 'rel="manifest" href="/tour/manifest.webmanifest"' in html
    # Only the app's own files: no address elsewhere.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    logout(client)
    login(client, "prescripteur")
    assert client.get("/tour/").status_code == 403


def test_manifest_and_worker_are_public_and_the_worker_keeps_only_the_page_s_files(client, session):
    manifest = client.get("/tour/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert (body["name"], body["short_name"], body["lang"]) == ("Rekonekt — Tournée", "Tournée", "fr")
    assert body["start_url"] == body["scope"] == "/tour/" and body["display"] == "standalone"
    for icon in body["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
    worker = client.get("/tour/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    script = worker.get_data(as_text=True)
    cache = re.search(r'var CACHE = "(rk-tour-[0-9a-f]{12})";', script).group(1)
    precache = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", script).group(1))
    assert precache[0] == "/tour/" and len(precache) == len(tour_view.STATIC_FILES) + 1
    for url in precache[1:]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert "no-store" not in answer.headers.get("Cache-Control", "")
    # Never the API: personal data stay in the page's IndexedDB.
    assert "/api/" not in script
    assert cache == tour_view.cache_name(client.application.static_folder)


def test_the_cache_name_follows_the_files(tmp_path):
    for name in (*tour_view.STATIC_FILES, tour_view.WORKER):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("v1")
    first = tour_view.cache_name(str(tmp_path))
    tour_view.cache_name.cache_clear()
    (tmp_path / "js/tour.js").write_text("v2")
    assert tour_view.cache_name(str(tmp_path)) != first
    tour_view.cache_name.cache_clear()

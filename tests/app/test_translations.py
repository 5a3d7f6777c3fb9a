"""French is the default language: the catalog is complete and compiled, pages speak French."""
from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.helpers import login

CATALOG = Path(__file__).resolve().parents[2] / "app" / "translations" / "fr" / "LC_MESSAGES"


def test_catalog_is_complete_and_compiled():
    po = read_po((CATALOG / "messages.po").open("rb"), locale="fr")
    mo = read_mo((CATALOG / "messages.mo").open("rb"))
    untranslated = [m.id for m in po if m.id and not m.string]
    assert untranslated == []
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, "run: make translations"


def test_pages_are_in_french(client, session):
    login_page = client.get("/login/").get_data(as_text=True)
    assert "Se connecter" in login_page
    login(client, "technicien")
    home = client.get("/").get_data(as_text=True)
    for text in ("Poste de scan", "Inventaire", "Appareils", "Collectes", "Nouvelle collecte"):
        assert text in home
    devices = client.get("/devices/list/").get_data(as_text=True)
    assert "N° d&#39;inventaire" in devices or "N° d'inventaire" in devices


def test_english_is_available(client, session):
    login(client, "technicien")
    client.get("/lang/en")
    home = client.get("/").get_data(as_text=True)
    assert "Scan station" in home and "New collection" in home


def test_every_ui_string_is_in_the_catalog():
    """Strings added to the code or templates must be translated (run ``make translations``)."""
    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parents[2]
    method_map = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(root), method_map, keywords=keywords)
    }
    po = read_po((CATALOG / "messages.po").open("rb"), locale="fr")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id and m.string}
    assert sorted(found - translated) == []

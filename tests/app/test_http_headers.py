"""HTTP protections (app/headers.py): CSP with a nonce, no framing, no sniffing, same-origin
referrer, no-store on everything but static files, HSTS and Secure cookies over https; and no
script on the main pages that the CSP would block."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from config import Config
from tests.helpers import bearer, login, make_device, make_household, make_workshop

COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_common(answer) -> None:
    for name, value in COMMON.items():
        assert answer.headers.get(name) == value, name


def test_a_page_has_every_protection(client, session):
    login(client, "technicien")
    answer = client.get("/scan/")
    assert answer.status_code == 200
    assert_common(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    policy = directives(answer.headers["Content-Security-Policy"])
    nonce = re.search(r"'nonce-([^']+)'", answer.headers["Content-Security-Policy"]).group(1)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-eval'" not in answer.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in " ".join(policy["script-src"] + policy["style-src"])
    # A fresh nonce for each answer.
    assert nonce not in client.get("/scan/").headers["Content-Security-Policy"]


def test_the_login_page_and_an_error_page_are_protected_too(client, session):
    for answer in (client.get("/login/"), client.get("/nowhere")):
        assert_common(answer)
        assert answer.headers["Cache-Control"] == "no-store"
        assert "script-src 'self' 'nonce-" in answer.headers["Content-Security-Policy"]


def test_an_api_answer_is_protected_and_not_stored(client, session):
    answer = client.get("/api/v1/sites", headers=bearer(client, "technicien"))
    assert answer.status_code == 200 and answer.is_json
    assert_common(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    refused = client.get("/api/v1/sites")
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"
    assert_common(refused)


def test_a_document_is_not_stored_but_stays_viewable(app, client, session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    answer = client.get(f"/api/v1/labels?kind=device&tags={device.asset_tag}&format=roll-62x29",
                        headers=bearer(client, "technicien"))
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert_common(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("url", ["/static/css/rekonekt.css", "/static/js/scan.js",
                                 "/static/appbuilder/js/jquery-latest.js"])
def test_a_static_file_is_protected_and_may_be_cached(client, session, url):
    answer = client.get(url)
    assert answer.status_code == 200
    assert_common(answer)
    assert "no-store" not in answer.headers.get("Cache-Control", "")
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_no_hsts_when_served_over_plain_http(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    answer = client.get("/login/")
    assert "Strict-Transport-Security" not in answer.headers
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_the_session_cookie_is_secure_httponly_and_lax_over_https(client, session):
    answer = client.get("/login/")          # the CSRF token is kept in the session
    cookie = next(value for value in answer.headers.getlist("Set-Cookie") if value.startswith("session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly"} <= attributes
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_exactly_when_the_public_address_is_https(tmp_path, monkeypatch):
    monkeypatch.setenv("REKONEKT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://rekonekt.example.org")
    https = Config()
    assert https.SESSION_COOKIE_SECURE and https.REMEMBER_COOKIE_SECURE
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    plain = Config()
    assert not plain.SESSION_COOKIE_SECURE and not plain.REMEMBER_COOKIE_SECURE
    for config in (https, plain):
        assert config.SESSION_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_HTTPONLY
        assert config.SESSION_COOKIE_SAMESITE == config.REMEMBER_COOKIE_SAMESITE == "Lax"


# --- no script the CSP would block ---------------------------------------------------------

class ScriptAudit(HTMLParser):
    """What a page holds that a CSP without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.styles: list[dict] = []
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "style":
            self.styles.append(attributes)
        self.handlers += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]
        self.javascript_urls += [value for name, value in attrs
                                 if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:")]


def audit(answer) -> ScriptAudit:
    assert answer.status_code == 200, answer.status_code
    nonce = re.search(r"'nonce-([^']+)'", answer.headers["Content-Security-Policy"]).group(1)
    found = ScriptAudit()
    found.feed(answer.get_data(as_text=True))
    for script in found.scripts:
        source = script.get("src")
        if source is not None:
            assert source.startswith("/") and not source.startswith("//"), source    # the app's own files
        else:
            assert script.get("nonce") == nonce, f"inline script without the page's nonce: {script}"
    assert all(style.get("nonce") == nonce for style in found.styles)
    assert found.handlers == [] and found.javascript_urls == []
    return found


def test_the_main_pages_hold_no_script_the_csp_would_block(app, client, session):
    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    household = make_household(app, session)
    audit(client.get("/login/"))
    login(client, "admin")
    pages = ["/", "/scan/", "/devices/list/", f"/devices/show/{device.id}", "/devices/add",
             f"/collections/show/{shop['collection'].id}", "/collections/add", "/erasures/queue",
             "/households/", "/households/new", f"/households/{household.id}", "/requests/",
             "/distribution/waiting-list/", "/distribution/workshops/", "/dashboard/", "/users/list/",
             "/users/add", "/resetmypassword/form", "/swagger/v1"]
    inline = 0
    for url in pages:
        found = audit(client.get(url))
        inline += sum(1 for script in found.scripts if "src" not in script)
    assert inline > 0          # the pages do run inline scripts: the nonce is what lets them

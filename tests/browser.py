"""What the browser tests share: the system's Chromium (skipped with its reason when absent), its
flags for a sandboxed, offline machine, the app served on a free local port (``live_server``) and
the browser launched on it (``chromium``)."""
from __future__ import annotations

import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.system_tools import require_chromium

CHROMIUM = require_chromium()
NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent (apt install chromium)")

# Nothing may reach the internet.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its line per request (a journey makes hundreds): what a
    browser test must know of the answers, it reads from the browser."""

    def log_request(self, code="-", size="-") -> None:
        pass


@pytest.fixture
def live_server(app, session):
    """The test app served on 127.0.0.1 (threaded), once, on SQLite; yields its base URL."""
    if app.config["DB_KIND"] != "sqlite":
        pytest.skip("the browser test runs once, on SQLite")
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def chromium(live_server):
    """(the system's Chromium, launched offline; the app's base URL). Closed after the test."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser, live_server
        browser.close()

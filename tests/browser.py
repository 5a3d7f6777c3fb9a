"""What the browser tests share: the system's Chromium (skipped with its reason when absent), its
flags for a sandboxed, offline machine, and the app served on a free local port."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.system_tools import require_chromium

CHROMIUM = require_chromium()
NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent (apt install chromium)")

# Nothing may reach the internet.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app, session):
    """The test app served on 127.0.0.1 (threaded), once, on SQLite; yields its base URL."""
    if app.config["DB_KIND"] != "sqlite":
        pytest.skip("the browser test runs once, on SQLite")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)

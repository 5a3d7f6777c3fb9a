"""The « Tournée » page (issue 20): an installable web app that runs a mobile workshop offline.

``/tour/`` is the shell (no personal data: everything the tour holds is downloaded through the API
into the browser's IndexedDB). ``/tour/sw.js`` (the service worker, scope ``/tour/``) and
``/tour/manifest.webmanifest`` are public: a browser fetches a manifest without credentials, and
neither holds data. The worker's cache is named after the files it keeps, so a new release
replaces it."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from distribution.tour.rules import TOUR_MAX_AGE_HOURS, TOUR_SYNC_BATCH
from distribution.vocabulary import InternetAccess, PaymentMethod

STATIC_FILES = ("css/tour.css", "js/tour-format.js", "js/tour-chain.js", "js/tour-store.js", "js/tour-print.js",
                "js/tour.js", "img/tour-192.png", "img/tour-512.png", "img/favicon.svg")
WORKER = "js/tour-sw.js"


@lru_cache(maxsize=4)
def cache_name(static_folder: str) -> str:
    """« rk-tour-<12 hex> »: the SHA-256 of the files the worker keeps, and of the worker itself."""
    digest = hashlib.sha256()
    for name in (*STATIC_FILES, WORKER):
        digest.update(name.encode() + b"\0" + (Path(static_folder) / name).read_bytes())
    return f"rk-tour-{digest.hexdigest()[:12]}"


class TourView(BaseView):
    route_base = "/tour"
    class_permission_name = "Tours"
    base_permissions = ["can_read"]
    default_view = "shell"

    @expose("/")
    @has_access
    @permission_name("read")
    def shell(self):
        from core.actor import actor_of
        from distribution.access import is_stock_manager

        actor = actor_of(self.appbuilder.sm.current_user)
        return self.render_template(
            "distribution/tour.html", title=_l("Tour"), stock_manager=is_stock_manager(actor),
            user_id=actor.id, max_age_hours=TOUR_MAX_AGE_HOURS, batch=TOUR_SYNC_BATCH,
            payment_methods=PaymentMethod.choices(), internet_access=InternetAccess.choices(),
            static_files=STATIC_FILES)

    @expose("/sw.js")
    def worker(self):
        folder = current_app.static_folder
        script = (Path(folder) / WORKER).read_text(encoding="utf-8")
        precache = [url_for("TourView.shell")] + [url_for("static", filename=name) for name in STATIC_FILES]
        head = f"var CACHE = {json.dumps(cache_name(folder))};\nvar PRECACHE = {json.dumps(precache)};\n"
        return Response(head + script, mimetype="text/javascript")

    @expose("/manifest.webmanifest")
    def manifest(self):
        body = {
            "name": str(_l("Rekonekt — Tour")), "short_name": str(_l("Tour")), "lang": "fr",
            "start_url": url_for("TourView.shell"), "scope": url_for("TourView.shell"), "display": "standalone",
            "background_color": "#ffffff", "theme_color": "#0b5394",
            "icons": [{"src": url_for("static", filename=f"img/tour-{size}.png"), "sizes": f"{size}x{size}",
                       "type": "image/png"} for size in (192, 512)],
        }
        return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")

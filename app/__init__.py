"""The Rekonekt web application (Flask-AppBuilder 5)."""
from __future__ import annotations

import importlib
import logging
from pathlib import Path

from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: object | None = None) -> Flask:
    """Build the application. ``config`` is an object whose upper-case attributes are settings;
    by default ``config.Config()`` reads the environment."""
    from flask_appbuilder import AppBuilder

    from app.extensions import csrf, db, migrate

    if config is None:
        from config import Config

        config = Config()

    app = Flask(__name__)
    app.config.from_object(config)
    # The roles are the web edge's grants on its views (app/roles.py); a test config may bring its own.
    from app.roles import ROLES

    app.config.setdefault("FAB_ROLES", ROLES)
    _configure_logging(app)
    _behind_proxies(app)
    from app import headers

    # First registered, so its after_request runs last: its headers have the final say.
    headers.register(app)

    # Import every model so that the metadata is complete (Alembic and FAB both need it).
    importlib.import_module("app.models")

    db.init_app(app)
    from core.types import render_alembic_item

    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True,
                     render_item=render_alembic_item)
    # CSRF before AppBuilder: FAB exempts its own API blueprints only when CSRF already exists.
    csrf.init_app(app)

    with app.app_context():
        from core.db import tune_engine

        tune_engine(db.engine)
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from app.registry import register_all

        register_all(app, appbuilder)
    return app


def _behind_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, the client's address and scheme are the ones
    they forward (the login guard counts failures per address)."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _configure_logging(app: Flask) -> None:
    if not app.logger.handlers or app.config.get("TESTING"):
        return
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

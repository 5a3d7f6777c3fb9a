"""Bare extension instances, bound to an application in ``create_app``."""
from __future__ import annotations

from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from core.base import Model

# Objects stay readable after the commit that ends each use case (one session per request).
db = SQLA(metadata=Model.metadata, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()

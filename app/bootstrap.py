"""Bringing a database up to date: migrations, reference data, roles, and demo data on an
empty database. Used by ``run.py`` and by ``flask rekonekt prepare``; idempotent."""
from __future__ import annotations

import logging

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from app.extensions import db
from core.territory import load_territory

log = logging.getLogger(__name__)


def prepare(app: Flask, *, demo: bool, demo_password: str) -> dict:
    """Migrate, load reference data, create the roles and, on an empty database with ``demo``,
    load the demo data. Returns what was done."""
    with app.app_context():
        upgrade()
        counts = load_territory(db.session)
        from inventory.services.grading import ensure_templates

        ensure_templates(db.session)
        from eligibility.services.rulesets import load_bundled

        rule_sets = load_bundled(db.session)
        from distribution.services.grids import load_bundled_grids

        grids = load_bundled_grids(db.session)
        app.appbuilder.sm.ensure_roles()
        db.session.commit()
        user_model = app.appbuilder.sm.user_model
        empty = db.session.execute(select(func.count(user_model.id))).scalar_one() == 0
        demo_loaded = False
        if demo and empty:
            from app.demo import load_demo

            load_demo(app, password=demo_password)
            demo_loaded = True
        from app.templating import DEMO_SETTING
        from core.settings import get_setting

        return {"territory": counts, "rule_sets": rule_sets, "price_grids": grids, "demo_loaded": demo_loaded, "empty": empty and not demo_loaded,
                "demo_present": get_setting(db.session, DEMO_SETTING) == "1"}

"""Template helpers: the display layer (``core.display``: the ``display`` filter, Martinique time,
French numbers), state labels, the page's language and the demo banner."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from babel.numbers import format_decimal
from flask import Flask, request, url_for

from core.display import display, french_date, local_datetime, number  # noqa: F401  (imported from here too)
from eligibility.identity import display_phone
from eligibility.vocabulary import AuditAction, ProofKind, Relationship, RequestStatus, Situation
from inventory.disk_health import REPLACE, health_lines
from inventory.lifecycle import State
from core.vocabulary import Category, OrganisationKind
from inventory.vocabulary import ErasureLevel, ErasureResult, ErasureTechnique, Grade, MediumKind, Station

DEMO_SETTING = "demo_data_loaded"
QUERY_SAFE = "!$'()*,/:;?@"     # left as they are in a query string, as Werkzeug's url_for leaves them


def money(value: Decimal | None) -> str:
    """1 234,56 € — always two decimals."""
    if value is None:
        return ""
    text = format_decimal(value, format="#,##0.00", locale="fr_FR").replace("\u202f", "\u00a0")
    return f"{text}\u00a0€"


def list_page_url(param: str, number: int, endpoint: str | None = None) -> str:
    """The address of page ``number`` of a list whose page is the query argument ``param``: this
    page (``request.endpoint``) or ``endpoint``, the query's other arguments kept as they were.
    They stay in the query string and are never handed to ``url_for`` as keywords, where
    ``?endpoint=…`` failed (two values for url_for's own argument: 500) and ``?_external=1`` or
    ``?_anchor=…`` were read as url_for's options."""
    args = request.args.copy()
    args[param] = str(number)
    path = url_for(endpoint) if endpoint else url_for(request.endpoint, **(request.view_args or {}))
    return path + "?" + urlencode(list(args.items(multi=True)), safe=QUERY_SAFE)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        display=display,
        local_datetime=local_datetime,
        french_date=french_date,
        number=number,
        money=money,
        state_label=State.label_of,
        category_label=Category.label_of,
        medium_label=MediumKind.label_of,
        organisation_kind_label=OrganisationKind.label_of,
        grade_label=Grade.label_of,
        station_label=Station.label_of,
        erasure_level_label=ErasureLevel.label_of,
        erasure_result_label=ErasureResult.label_of,
        technique_label=ErasureTechnique.label_of,
        request_status_label=RequestStatus.label_of,
        relation_label=Relationship.label_of,
        proof_label=ProofKind.label_of,
        situation_label=Situation.label_of,
        audit_action_label=AuditAction.label_of,
        phone=display_phone,
        disk_health=health_lines,
    )
    app.jinja_env.globals["disk_replace"] = REPLACE   # « Disque à remplacer » (inventory/disk_health.py)
    app.jinja_env.globals["list_page_url"] = list_page_url   # rekonekt/paging.html

    @app.context_processor
    def page_language():
        """``<html lang>`` of every page (app/templates/appbuilder/init.html): the language shown."""
        from flask_babel import get_locale

        locale = get_locale()
        return {"page_lang": locale.language if locale else app.config.get("BABEL_DEFAULT_LOCALE", "fr")}

    @app.context_processor
    def demo_banner():
        from app.extensions import db
        from core.settings import get_setting

        try:
            loaded = get_setting(db.session, DEMO_SETTING) == "1"
        except Exception:  # before the first migration there is no settings table
            db.session.rollback()
            loaded = False
        return {"demo_data_loaded": loaded}

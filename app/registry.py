"""The one function that registers every view, API, blueprint, error handler and template
helper. Imports are local so that importing ``app`` never drags the views in (and no import
cycle goes through the application object)."""
from __future__ import annotations

from flask import Flask
from flask_appbuilder import AppBuilder


def register_all(app: Flask, appbuilder: AppBuilder) -> None:
    from app import cli, templating
    from app.api.distribution import BookingApi, InvoiceApi, ReservationApi, WorkshopApi
    from app.api.eligibility import EligibilityApi, HouseholdApi, RequestApi
    from app.api.reporting import IndicatorApi
    from app.api.erasures import ErasureApi
    from app.api.labels import LabelApi
    from app.api.mobile_units import MobileUnitApi
    from app.api.inventory import ChecklistApi, CollectionApi, DeviceApi, OrganisationApi, SiteApi
    from app.api.scan import ScanApi
    from app.api.snapshots import SnapshotApi
    from app.api.stocktakes import StocktakeApi
    from app.api.tours import TourApi, TourOfficeApi
    from app.errors import register_error_handlers
    from app.extensions import csrf
    from app.health import blueprint as health_blueprint
    from app.verify import blueprint as verify_blueprint
    from app.views import register_views

    app.register_blueprint(health_blueprint)
    csrf.exempt(health_blueprint)
    app.register_blueprint(verify_blueprint)
    register_error_handlers(app)
    templating.register(app)
    cli.register(app)

    for api in (OrganisationApi, SiteApi, CollectionApi, DeviceApi, ScanApi, ErasureApi, ChecklistApi, LabelApi,
                EligibilityApi, HouseholdApi, RequestApi, ReservationApi, InvoiceApi, WorkshopApi, BookingApi,
                IndicatorApi, SnapshotApi, StocktakeApi, MobileUnitApi, TourApi, TourOfficeApi):
        appbuilder.add_api(api)
    register_views(appbuilder)
    # Last: every model view registered (FAB's security views too) shows its columns in French.
    from app.column_display import apply_to_views

    apply_to_views(appbuilder.baseviews)

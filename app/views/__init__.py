"""The web pages (Flask-AppBuilder views). Thin: parse the form, call one service, flash the
French outcome, render.

The menu, left to right: Poste de scan, Foyers, Inventaire, Remise, Ateliers, Tableau de bord,
Administration (accounts, roles and reference data, Admin only). Each role sees only the entries
its grants open (``app.roles``); ``tests/app/test_menus.py`` opens every entry as every role."""
from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def register_views(appbuilder: AppBuilder) -> None:
    from app.views.collections import CollectionView
    from app.views.devices import DeviceView
    from app.views.distribution import InvoiceView, ReservationView, WaitingListView, WorkshopView
    from app.views.price_grids import PriceGridView
    from app.views.dashboard import DashboardView
    from app.views.eligibility_admin import AuditLogView, BatchCheckView, RuleSetView
    from app.views.erasures import ErasureQueueView
    from app.views.households import HouseholdView, RequestView
    from app.views.reference import CommuneView, EpciView, LocationView, OrganisationView, SiteView
    from app.views.roles import RolesView
    from app import station_tokens
    from app.security import ADMINISTRATION
    from app.views.labels import LabelView, PrintStationView
    from app.views.mobile_units import MobileUnitView
    from app.views.scan import ScanView
    from app.views.snapshot_queue import EvidenceView, SnapshotQueueView
    from app.views.station_tokens import StationTokenView
    from app.views.stocktakes import StocktakeView
    from app.views.tour import TourView
    from app.views.tours_office import TourOfficeView
    from app.views.workshop import ChecklistTemplateView, SparePartView

    appbuilder.add_view(ScanView, "Scan", label=_l("Scan station"), icon="fa-barcode")
    appbuilder.add_view(RequestView, "Request queue", label=_l("Request queue"), icon="fa-inbox",
                        category="Eligibility", category_label=_l("Households"), category_icon="fa-users")
    appbuilder.add_view(HouseholdView, "Households", label=_l("Households"), icon="fa-users", category="Eligibility")
    appbuilder.add_link("New household", label=_l("New household"), href="/households/new", icon="fa-user-plus",
                        category="Eligibility")
    appbuilder.add_view(BatchCheckView, "Batch check", label=_l("Batch check (CSV/XLSX)"), icon="fa-table",
                        category="Eligibility")
    appbuilder.add_view(DeviceView, "Devices", label=_l("Devices"), icon="fa-laptop",
                        category="Inventory", category_label=_l("Inventory"), category_icon="fa-cubes")
    appbuilder.add_view(CollectionView, "Collections", label=_l("Collections"), icon="fa-truck",
                        category="Inventory")
    appbuilder.add_view(ErasureQueueView, "Erasure queue", label=_l("Erasure review queue"), icon="fa-inbox",
                        category="Inventory")
    appbuilder.add_view(SnapshotQueueView, "Snapshot queue", label=_l("Snapshots waiting"), icon="fa-hdd-o",
                        category="Inventory")
    appbuilder.add_view_no_menu(EvidenceView)
    appbuilder.add_view(StocktakeView, "Stocktakes", label=_l("Stocktakes"), icon="fa-check-square-o",
                        category="Inventory")
    appbuilder.add_view(LabelView, "Labels", label=_l("Print labels"), icon="fa-print", category="Inventory")
    appbuilder.add_view(PrintStationView, "Print stations", label=_l("Print stations"), icon="fa-sliders",
                        category="Inventory")
    appbuilder.add_view(SparePartView, "Spare parts", label=_l("Spare-part stock"), icon="fa-cogs",
                        category="Inventory")
    appbuilder.add_separator("Inventory")
    appbuilder.add_view(OrganisationView, "Organisations", label=_l("Organisations"), icon="fa-building",
                        category="Inventory")
    appbuilder.add_view(SiteView, "Sites", label=_l("Sites"), icon="fa-warehouse", category="Inventory")
    appbuilder.add_view(LocationView, "Locations", label=_l("Locations"), icon="fa-map-marker",
                        category="Inventory")
    appbuilder.add_view(WaitingListView, "Waiting list", label=_l("Waiting list"), icon="fa-list-ol",
                        category="Distribution", category_label=_l("Handover"), category_icon="fa-handshake-o")
    appbuilder.add_view(ReservationView, "Reservations", label=_l("Reservations"), icon="fa-bookmark",
                        category="Distribution")
    appbuilder.add_view(InvoiceView, "Invoices", label=_l("Invoices"), icon="fa-file-text-o", category="Distribution")
    # The tours back at the office: what each sent back, settling it, a lost device (issue 20).
    appbuilder.add_view(TourOfficeView, "Tour office", label=_l("Tours"), icon="fa-bus", category="Distribution")
    # Admin only: the points of sale on the road and their invoice series (issue 20).
    appbuilder.add_view(MobileUnitView, "MobileUnits", label=_l("Mobile units"), icon="fa-truck",
                        category="Distribution")
    # Top level: Animateurs see the Workshops menu but not the "Distribution" category.
    # « Ateliers »: the sessions and, for Animateurs and the workshop, the mobile workshop's offline
    # page (issue 20). A category, not two top-level entries: Admin's menu stays one row at 1366 px.
    appbuilder.add_view(WorkshopView, "Workshops", label=_l("Workshop sessions"), icon="fa-calendar",
                        category="Workshops", category_label=_l("Workshops"), category_icon="fa-calendar")
    appbuilder.add_view(TourView, "Tours", label=_l("Tour (offline)"), icon="fa-bus", category="Workshops")
    appbuilder.add_view(DashboardView, "Dashboard", label=_l("Dashboard"), icon="fa-bar-chart")

    # Administration (Admin): the accounts (registered by the security manager), the roles, the
    # rules and reference data.
    appbuilder.add_view(RolesView, "Roles", label=_l("Roles"), icon="fa-id-badge", category=ADMINISTRATION)
    appbuilder.add_view(StationTokenView, "Station tokens", label=_l("Station tokens"), icon="fa-key",
                        category=ADMINISTRATION)
    # A station token is answered before Flask-AppBuilder's hooks (app.station_tokens).
    station_tokens.register(current_app._get_current_object())
    appbuilder.add_separator(ADMINISTRATION)
    appbuilder.add_view(RuleSetView, "Rule sets", label=_l("Eligibility rule sets"), icon="fa-balance-scale",
                        category=ADMINISTRATION)
    appbuilder.add_view(PriceGridView, "Price grids", label=_l("Solidarity price grids"), icon="fa-eur",
                        category=ADMINISTRATION)
    appbuilder.add_view(ChecklistTemplateView, "Checklist templates", label=_l("Quality-control checklists"),
                        icon="fa-list-check", category=ADMINISTRATION)
    appbuilder.add_view(AuditLogView, "Audit log", label=_l("Income audit log"), icon="fa-eye",
                        category=ADMINISTRATION)
    appbuilder.add_separator(ADMINISTRATION)
    appbuilder.add_view(CommuneView, "Communes", label=_l("Communes"), icon="fa-map", category=ADMINISTRATION)
    appbuilder.add_view(EpciView, "EPCI", label=_l("EPCI"), icon="fa-landmark", category=ADMINISTRATION)
    # The security manager registered the accounts first: the category goes to the far right.
    appbuilder.menu.menu.sort(key=lambda item: item.name == ADMINISTRATION)

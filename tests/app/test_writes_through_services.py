"""Every write of a page goes through a service: no ModelView lets Flask-AppBuilder's generic
add or edit commit a model by itself (SQLAInterface.add/edit), except pure reference data edited
by Admin only whose rules the database holds (listed here with the test that proves it)."""
from __future__ import annotations

from flask_appbuilder import ModelView

from app.views.service_forms import ServiceForms

# View → why FAB's own edit is enough.
DATABASE_RULES = {
    "EpciView": "single_agent NOT NULL (tests/core/test_territory.py), Admin only (app/roles.py)",
}


def test_generic_add_and_edit_go_through_services(app):
    offenders = []
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView) or view.datamodel.obj.__tablename__.startswith("ab_"):
            continue                 # accounts and roles: Flask-AppBuilder's own security pages
        name = type(view).__name__
        permissions = set(view.base_permissions or ())
        own_add = "add" in type(view).__dict__         # an exposed add of its own, calling a service
        if "can_add" in permissions and not (own_add or isinstance(view, ServiceForms)):
            offenders.append(f"{name} : ajout générique")
        if "can_edit" in permissions and not isinstance(view, ServiceForms) and name not in DATABASE_RULES:
            offenders.append(f"{name} : modification générique")
        if "can_delete" in permissions:
            offenders.append(f"{name} : suppression générique")
    assert offenders == []


def test_the_check_sees_the_views_that_write(app):
    writers = {type(v).__name__ for v in app.appbuilder.baseviews
               if isinstance(v, ModelView) and {"can_add", "can_edit"} & set(v.base_permissions or ())}
    assert {"DeviceView", "CollectionView", "OrganisationView", "SiteView", "LocationView", "EpciView",
            "SparePartView"} <= writers

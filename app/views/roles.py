"""The « Rôles » page (Admin): what each role may do, in French, read from the role definitions
that Flask-AppBuilder enforces (``app.roles``, installed as its built-in roles) and resolved
against the permissions the application registers. Read-only: roles are changed in code."""
from __future__ import annotations

from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from app.roles import role_rights


class RolesView(BaseView):
    route_base = "/roles"
    class_permission_name = "Roles"
    base_permissions = ["can_read"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        sm = self.appbuilder.sm
        roles = [role_rights(name, grants, self.appbuilder) for name, grants in sm.builtin_roles.items()]
        return self.render_template("rekonekt/roles.html", title=_("Roles"), roles=roles)

"""The home page: what each role can do from here."""
from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose


class HomeView(IndexView):
    index_template = "rekonekt/home.html"

    @expose("/")
    def index(self):
        user = g.user if getattr(g, "user", None) is not None and g.user.is_authenticated else None
        return self.render_template(self.index_template, user=user)

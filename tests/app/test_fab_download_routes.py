"""Flask-AppBuilder's ``/download/<filename>`` routes of every model view (users, roles, groups,
devices…) answered a 500 (``KeyError: UPLOAD_FOLDER``): no model has a file column, so they lead
nowhere and answer 404 (issue 15, defect 11)."""
from __future__ import annotations

import pytest

from tests.helpers import login


def download_routes(app) -> list[str]:
    from flask_appbuilder import ModelView

    return sorted(rule.rule.replace("<string:filename>", "x") for rule in app.url_map.iter_rules()
                  if getattr(app.view_functions[rule.endpoint], "__func__", None) is ModelView.download)


def test_every_model_view_download_answers_404(app, client, session):
    routes = download_routes(app)
    assert {"/users/download/x", "/roles/download/x", "/groups/download/x", "/devices/download/x"} <= set(routes)
    login(client, "admin")
    for url in routes + ["/users/download/../../config.py"]:
        answer = client.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert "Erreur interne" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("username", [None, "technicien"])
def test_the_download_routes_answer_404_to_everyone(client, session, username):
    if username:
        login(client, username)
    for url in ("/users/download/x", "/roles/download/x", "/groups/download/x"):
        assert client.get(url).status_code == 404, url

"""Flask-AppBuilder's ``/download/<filename>`` routes of every model view (users, devices…)
answered a 500 (``KeyError: UPLOAD_FOLDER``): no model has a file column, so they lead nowhere
and answer 404 (issue 15, defect 11)."""
from __future__ import annotations

import pytest

from tests.helpers import login


def download_routes(app) -> list[str]:
    from flask_appbuilder import ModelView

    return sorted(rule.rule.replace("<string:filename>", "x") for rule in app.url_map.iter_rules()
                  if getattr(app.view_functions[rule.endpoint], "__func__", None) is ModelView.download)


def test_every_model_view_download_answers_404(app, client, session):
    routes = download_routes(app)
    assert {"/users/download/x", "/devices/download/x"} <= set(routes)
    login(client, "admin")
    for url in routes + ["/users/download/../../config.py"]:
        answer = client.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert "Erreur interne" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("username", [None, "technicien"])
def test_the_download_routes_answer_404_to_everyone(client, session, username):
    if username:
        login(client, username)
    for url in ("/users/download/x", "/devices/download/x"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("method,url", [
    ("POST", "/users/action/no-such-action/1"),      # was a 500 (None.func)
    ("POST", "/devices/action/no-such-action/1"),
    ("POST", "/devices/action_post"),                # no action field: was a 400 from a KeyError
])
def test_unknown_actions_answer_404(client, session, method, url):
    csrf = login(client, "admin")
    answer = client.open(url, method=method, data={"csrf_token": csrf} if method == "POST" else None)
    assert answer.status_code == 404, answer.status_code


def test_a_known_action_still_runs(client, session):
    from tests.helpers import make_device, make_workshop

    shop = make_workshop(session)
    device = make_device(session, shop["collection"].id)
    csrf = login(client, "technicien")
    answer = client.post("/devices/action_post", data={"csrf_token": csrf, "action": "print_labels",
                                                       "rowid": [str(device.id)]})
    assert answer.status_code == 302 and "/labels/" in answer.headers["Location"]

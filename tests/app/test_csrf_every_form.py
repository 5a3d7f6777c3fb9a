"""Every page that takes a POST refuses it without the page's CSRF token (issue 18 review), the
routes added since (the snapshot queue's forms, the reception print station, the station tokens)
included: Admin, who may post everywhere, gets the French 400 page and nothing changes. The API
has its own rule (a session needs X-CSRFToken): tests/app/test_api_csrf.py."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from inventory.models import DeviceSnapshot
from tests.app.test_route_matrix import routes, seeded, url_of  # noqa: F401  (seeded: the fixture)
from tests.helpers import login


def test_every_page_post_needs_the_csrf_token(app, seeded):
    from app.station_tokens import StationToken
    from distribution.tour.models import MobileUnit

    client = app.test_client()
    login(client, "admin")
    before = (db.session.execute(select(func.count()).select_from(StationToken)).scalar_one(),
              db.session.execute(select(func.count()).select_from(DeviceSnapshot)).scalar_one(),
              db.session.execute(select(func.count()).select_from(MobileUnit)).scalar_one())
    posts = [rule for rule, method in routes(app) if method == "POST" and not rule.startswith("/api/")]
    assert "/print-stations/reception" in posts and "/station-tokens/" in posts and "/mobile-units/" in posts
    assert {"/distribution/tours/<int(min=1, max=2147483647):tour_id>/lost",
            "/distribution/tours/<int(min=1, max=2147483647):tour_id>/actions/"
            "<string(minlength=36, maxlength=36):action_key>/resolve"} <= set(posts)
    wrong = []
    for rule in posts:
        answer = client.post(url_of(rule, seeded), data={"name": "Poste sans jeton", "reception_station": ""})
        if answer.status_code != 400 or "Jeton CSRF manquant ou invalide" not in answer.get_data(as_text=True):
            wrong.append(f"POST {rule}: {answer.status_code}")
    assert wrong == [], "\n".join(wrong)
    db.session.expire_all()
    assert (db.session.execute(select(func.count()).select_from(StationToken)).scalar_one(),
            db.session.execute(select(func.count()).select_from(DeviceSnapshot)).scalar_one(),
            db.session.execute(select(func.count()).select_from(MobileUnit)).scalar_one()) == before

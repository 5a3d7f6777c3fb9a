"""The overbooking reproduced over HTTP, as the issue found it with `make run` on SQLite: households
booked at the same instant on a small session, each request in its own thread, connection and
transaction. The capacity holds on both engines."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from distribution.models import Booking
from tests.helpers import bearer, make_session, validated_request

pytestmark = pytest.mark.concurrency


@pytest.mark.parametrize("households, capacity", [(8, 2), (10, 3)])
def test_simultaneous_bookings_over_http_never_exceed_the_capacity(app, client, session, race, households, capacity):
    workshop_id = make_session(app, session, capacity=capacity).id
    ids = [validated_request(app, session, phone=f"0696 80 00 {i:02d}", last_name=f"Foyer{i}").household_id
           for i in range(households)]
    session.commit()
    headers = bearer(client, "technicien")
    contest = race(households)

    def book_over_http(index: int) -> tuple[int, str]:
        http = app.test_client()
        contest.meet()
        answer = http.post(f"/api/v1/workshops/{workshop_id}/bookings", json={"household_id": ids[index]},
                           headers=headers)
        return answer.status_code, answer.json["status"]

    outcomes = sorted(o.value for o in contest.run(book_over_http))
    assert outcomes == sorted([(201, "booked")] * capacity + [(201, "waitlisted")] * (households - capacity))
    session.expire_all()
    booked = session.execute(select(func.count(Booking.id)).where(Booking.session_id == workshop_id,
                                                                  Booking.status == "booked")).scalar_one()
    assert booked == capacity

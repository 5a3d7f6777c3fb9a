"""A restarted PostgreSQL server costs no request an error (issue 18).

``pool_pre_ping`` used to send ``SELECT 1`` at every checkout: a round trip on every request.
Now a pooled connection is checked without one (``core.db``: an idle connection whose socket
has something to read was closed by the server), and only such a connection is pinged and
replaced, with every connection opened before it. A restart closes every connection of the
pool: here the server is asked to end them (``pg_terminate_backend``), as a restart does."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from config import Config
from tests.conftest import postgres_url
from tests.helpers import bearer, make_device, make_workshop


def test_no_ping_on_every_checkout():
    options = Config.SQLALCHEMY_ENGINE_OPTIONS
    assert "pool_pre_ping" not in options and options["pool_recycle"] == 3600


def _end_backends(pids: list[int]) -> None:
    """What a restart does to these connections: the server ends them."""
    killer = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                     {"pids": pids})
        deadline = time.monotonic() + 10
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS int[]))"),
                           {"pids": pids}).scalar() and time.monotonic() < deadline:
            time.sleep(0.02)
    killer.dispose()


def _pooled_backends(engine) -> list[int]:
    """The server process ids of the connections waiting in ``engine``'s pool."""
    held = [engine.raw_connection() for _ in range(engine.pool.checkedin())]
    try:
        return [c.driver_connection.info.backend_pid for c in held]
    finally:
        for connection in held:
            connection.close()


@pytest.fixture
def postgres(database):
    if database != "postgresql":
        pytest.skip("SQLite is a file: no server to restart")


def test_requests_after_a_restart_are_answered(app, client, session, postgres):
    shop = make_workshop(session)
    tag = make_device(session, shop["collection"].id).asset_tag
    headers = bearer(client, "technicien")
    assert client.post("/api/v1/scan", json={"code": tag}, headers=headers).status_code == 200
    session.close()
    pids = _pooled_backends(db.engine)
    assert pids
    _end_backends(pids)
    for _ in range(3):                                  # the first request, and the ones after it
        answer = client.post("/api/v1/scan", json={"code": tag}, headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    assert not set(_pooled_backends(db.engine)) & set(pids)


def test_without_the_check_the_first_request_would_fail(postgres):
    """The scenario above is real: a pool that neither pings nor checks hands out the dead
    connection, and its first statement fails."""
    engine = create_engine(postgres_url())
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    _end_backends(_pooled_backends(engine))
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()

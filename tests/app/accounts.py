"""An account of one test only: the shared accounts of tests/conftest.py keep their tokens
(tests/helpers.token caches one per account for the whole run), so a test that signs out,
changes a password or disables an account does it to its own."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import delete

from app.security import RekonektUser
from tests.helpers import PASSWORD


@contextmanager
def throwaway_account(app, session, username: str, role: str = "Technicien"):
    sm = app.appbuilder.sm
    user = sm.add_user(username, "Jean", "Table", f"{username}@example.invalid", sm.find_role(role),
                       password=PASSWORD)
    assert user, "account not created"
    try:
        yield user
    finally:
        session.rollback()
        user = sm.find_user(username)
        user.roles = []
        session.flush()
        session.execute(delete(RekonektUser).where(RekonektUser.id == user.id))
        session.commit()
        sm.forget_principal(user.id)

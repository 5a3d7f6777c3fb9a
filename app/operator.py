"""Who is acting, as the services record it: the signed-in user's id, full name and roles."""
from __future__ import annotations

from flask import g


def operator_name(user) -> str | None:
    if user is None:
        return None
    return (user.get_full_name() or "").strip() or user.username


def operator_role(user) -> str | None:
    if user is None or not user.roles:
        return None
    return ", ".join(role.name for role in user.roles)


def current_operator() -> tuple[int | None, str | None, str | None]:
    """(id, name, role) of the user signed in to the page being served."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None, None
    return user.id, operator_name(user), operator_role(user)

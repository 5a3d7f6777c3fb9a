"""Domain errors. Each carries a French message meant for the user, and the HTTP layer maps
its kind to a status code; the domain itself knows nothing of HTTP."""
from __future__ import annotations


class DomainError(Exception):
    """Base class: ``message`` is French and safe to show to the user."""

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    """Input refused. ``errors`` maps a field name to its French messages."""

    def __init__(self, errors: dict[str, list[str]] | str, message: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {"_": [errors]}
        self.errors = errors
        if message is None:
            message = " ".join(
                f"{field} : {msg}" if field != "_" else msg
                for field, msgs in errors.items()
                for msg in msgs
            )
        super().__init__(message)


class NotFound(DomainError):
    """The object named does not exist."""


class Conflict(DomainError):
    """The request is valid but clashes with the current state (duplicate, concurrent change…)."""


class TransitionRefused(Conflict):
    """The lifecycle refuses a state change; ``allowed`` lists the states it would accept."""

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message, allowed=allowed)
        self.allowed = allowed


class Forbidden(DomainError):
    """The user may use this feature but not on this object (e.g. the four-eyes rule)."""

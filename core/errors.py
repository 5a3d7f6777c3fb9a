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
    """Input refused. ``errors`` maps a field name to its French messages.

    The field names are keys for programs (an API's ``errors``, a form's highlighted field); the
    user reads ``message``, which by default is the messages alone: each names its own field in
    French (« Code court de 2 à 10 lettres… »), and a key such as ``code`` or ``offset_x`` is never
    shown to a person."""

    def __init__(self, errors: dict[str, list[str]] | str, message: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {"_": [errors]}
        self.errors = errors
        if message is None:
            message = " ".join(msg for msgs in errors.values() for msg in msgs)
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

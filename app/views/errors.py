"""Domain errors at the HTML edge: ``domain_errors``, the decorator that answers a view method's
``DomainError`` (the pages' counterpart of ``app.api.base.domain_endpoint``), and the status each
kind of error is answered with.

On a domain error the decorator rolls the session back (nothing half-written stays in it), then:

* an error of a kind listed in ``abort_on`` answers the error page of its status (404 for
  NotFound, 403 for Forbidden), with no message: what the user may not see does not exist;
* an error of a kind listed in ``render_on``, when the view names a ``render`` method, re-renders
  the page: the method receives the exception (``errors`` holds the per-field messages of a
  ValidationFailed) and the view method's arguments, and returns the page, which is answered with
  ``status`` or else the status of the error's kind. Before it, ``render_flash`` is flashed:
  the error's message (True), a summary of one's own (a text), or nothing (False) when the page
  says it all;
* any other error flashes its French message ("danger") and redirects to
  ``redirect_to(view, *args, **kwargs)``, a URL computed from the view method's arguments.

An error that none of these answers is raised again, as it would be without the decorator.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from flask import abort, flash, redirect
from flask_babel import LazyString

from app.extensions import db
from core.errors import Conflict, DomainError, Forbidden, NotFound

ViewMethod = TypeVar("ViewMethod", bound=Callable[..., Any])
ErrorKinds = tuple[type[DomainError], ...]


def status_of(exc: DomainError) -> int:
    """The HTTP status of an error's kind, as the JSON API answers it."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):      # TransitionRefused included
        return 409
    return 422


def field_errors(exc: DomainError) -> dict[str, list[str]]:
    """The per-field messages of the error, ``{}`` when it has none."""
    return getattr(exc, "errors", None) or {}


def domain_errors(*, redirect_to: Callable[..., str] | None = None, render: str | None = None,
                  render_on: ErrorKinds = (DomainError,), render_flash: bool | str | LazyString = True,
                  status: int | None = None, abort_on: ErrorKinds = ()) -> Callable[[ViewMethod], ViewMethod]:
    """Answer the domain errors of the decorated view method (see the module's docstring).

    Place it last, right above the method, so that ``has_access`` checks rights before it runs.
    """

    def decorate(method: ViewMethod) -> ViewMethod:
        @functools.wraps(method)
        def wrapper(view, *args, **kwargs):
            try:
                return method(view, *args, **kwargs)
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, abort_on):
                    abort(status_of(exc))
                if render is not None and isinstance(exc, render_on):
                    if render_flash:
                        flash(exc.message if render_flash is True else str(render_flash), "danger")
                    return getattr(view, render)(exc, *args, **kwargs), status or status_of(exc)
                if redirect_to is None:
                    raise
                flash(exc.message, "danger")
                return redirect(redirect_to(view, *args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorate

"""The one place that says what time it is: aware UTC datetimes, shown in Martinique time.

``clock_set_to`` lets a block of code run as if it were another moment: every service, every
model default (``default=utcnow``) and ``local_today`` then read that moment. The demo loader
uses it to write a past history (households entered weeks ago, workshops already held) through
the same services as real use; nothing that serves a request sets it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

MARTINIQUE = ZoneInfo("America/Martinique")

_set_to: ContextVar[datetime | None] = ContextVar("rekonekt_clock_set_to", default=None)


def utcnow() -> datetime:
    """Current time, timezone-aware, in UTC (the moment of ``clock_set_to`` inside one)."""
    moment = _set_to.get()
    return moment if moment is not None else datetime.now(timezone.utc)


@contextmanager
def clock_set_to(moment: datetime) -> Iterator[datetime]:
    """Within the block (and in this thread or task only), the clock reads ``moment``, which must
    be timezone-aware. Blocks nest; leaving one gives back the time before it."""
    if moment.tzinfo is None:
        raise ValueError("clock_set_to needs a timezone-aware datetime")
    token = _set_to.set(moment.astimezone(timezone.utc))
    try:
        yield moment
    finally:
        _set_to.reset(token)


def to_local(moment: datetime | None) -> datetime | None:
    """The same instant in Martinique time (UTC−4, no daylight saving)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(MARTINIQUE)


def local_today() -> date:
    """Today's date in Martinique, which is what a user means by "today"."""
    return utcnow().astimezone(MARTINIQUE).date()

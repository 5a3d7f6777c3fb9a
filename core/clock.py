"""The one place that says what time it is: aware UTC datetimes, shown in Martinique time."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

MARTINIQUE = ZoneInfo("America/Martinique")


def utcnow() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


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

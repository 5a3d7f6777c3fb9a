"""A workshop booking as an iCalendar file (.ics, RFC 5545), to add to a phone or computer calendar.
Pure rendering: a dict in (instants as aware datetimes), bytes out; no database and no Flask.

Times are written in Martinique local time with their VTIMEZONE, so a calendar shows the hour the
household was told; a reminder fires the day before. A cancelled session (``cancelled`` true) is
an event with STATUS:CANCELLED, « Annulé » in its title, and no reminder."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

MARTINIQUE = ZoneInfo("America/Martinique")
PRODID = "-//Rekonekt//Ateliers//FR"


def _local(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("booking times must be timezone-aware datetimes")
    return instant.astimezone(MARTINIQUE)


def booking_ics(data: dict) -> bytes:
    """The .ics bytes of one booking: a calendar holding one event and its reminder (none when the
    session is cancelled: the event says so and is marked cancelled)."""
    starts_at, ends_at = _local(data["starts_at"]), _local(data["ends_at"])
    topic = data["topic_label"]
    cancelled = bool(data.get("cancelled"))
    location = ", ".join(part for part in (data.get("venue"), data.get("address"), data.get("commune")) if part)
    description = [
        *(["Annulé : cet atelier n'aura pas lieu."] if cancelled else []),
        f"Atelier de prise en main — {topic}.",
        f"Le {starts_at:%d/%m/%Y}, de {starts_at:%H:%M} à {ends_at:%H:%M} (heure de la Martinique).",
        f"Lieu : {location}.",
        f"Votre inscription : {data.get('status_label')}.",
        "Venez avec votre appareil et son chargeur.",
        f"Atelier proposé par {data.get('programme_name')}.",
    ]
    if data.get("programme_contact"):
        description.append(f"Contact : {data['programme_contact']}.")

    event = Event()
    event.add("uid", f"booking-{data['booking_id']}@rekonekt")
    event.add("dtstamp", datetime.now(timezone.utc))
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", ("Annulé — " if cancelled else "") + f"Atelier de prise en main — {topic}")
    event.add("location", location)
    event.add("description", "\n".join(description))
    if cancelled:
        event.add("status", "CANCELLED")
    else:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(days=-1))
        alarm.add("description", f"Demain à {starts_at:%H:%M} : atelier de prise en main — {topic}, {data.get('venue')}.")
        event.add_component(alarm)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    # A VTIMEZONE covering only the event's year is one plain observance (no DST in Martinique).
    first, last = date(starts_at.year, 1, 1), date(ends_at.year + 1, 1, 1)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    # icalendar explains that range in an English COMMENT, which some calendars show: in French.
    for zone in calendar.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)
        zone.add("comment", timezone_comment(first, last))
    return calendar.to_ical()


def timezone_comment(first: date, last: date) -> str:
    return (f"Heure de la Martinique (UTC−4, sans heure d'été), décrite pour la période du "
            f"{first:%d/%m/%Y} au {last:%d/%m/%Y}.")

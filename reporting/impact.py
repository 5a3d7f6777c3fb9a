"""The half-yearly impact report: the indicators of a half-year (``2026-S2``) beside those of the
previous one, per EPCI and per month, ready for ``reporting.impact_pdf``; and the donor's own
report, ready for ``reporting.donor_pdf``."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import to_local, utcnow
from core.errors import ValidationFailed
from core.territory import Epci
from reporting.charts import french_number
from reporting.dashboard import flow_tables
from reporting.donor import donor_name, donor_tables
from reporting.filters import Filters
from reporting.indicators import indicators
from reporting.vocabulary import INDICATOR, Kind, figure_text
from reporting.queries import checked_filters

# The indicators of each part of the report, by key: labels and kinds are reporting.vocabulary's.
GROUPS = [
    ("Appareils", ["devices_collected", "devices_sanitised", "devices_graded", "devices_distributed",
                   "devices_recycled"]),
    ("Foyers", ["households_validated", "households_equipped", "median_days_reception_to_handover"]),
    ("Ateliers", ["workshop_sessions", "workshop_attendance_rate", "satisfaction_avg"]),
    ("Ateliers mobiles et tournées", ["mobile_sessions", "mobile_attendance_rate", "mobile_walk_ins",
                                      "handovers_on_tour", "households_reached_on_tour"]),
    ("Accès à internet", ["internet_access_rate", "internet_offer_referrals"]),
    ("Environnement et argent", ["weight_reused_kg", "weight_recycled_kg", "reference_value_total", "paid_total",
                                 "aide_solidaire_total"]),
]
DONOR_REQUIRED = "Choisissez un donateur (paramètre donor) pour produire son rapport."


def half_year(period: str) -> tuple[date, date, str]:
    """``2026-S1`` → (2026-01-01, 2026-06-30, "1er semestre 2026"); ValidationFailed otherwise."""
    match = re.fullmatch(r"(\d{4})-S([12])", (period or "").strip().upper())
    if not match:
        raise ValidationFailed({"period": ["Semestre attendu sous la forme AAAA-S1 ou AAAA-S2 (par exemple 2026-S2)."]})
    year, half = int(match.group(1)), int(match.group(2))
    if half == 1:
        return date(year, 1, 1), date(year, 6, 30), f"1er semestre {year}"
    return date(year, 7, 1), date(year, 12, 31), f"2e semestre {year}"


def previous_half(period: str) -> str:
    year, half = int(period[:4]), int(period[-1])
    return f"{year - 1}-S2" if half == 1 else f"{year}-S1"


def current_half(today: date) -> str:
    return f"{today.year}-S{1 if today.month <= 6 else 2}"


def recent_halves(today: date, count: int = 4) -> list[str]:
    periods, period = [], current_half(today)
    for _ in range(count):
        periods.append(period)
        period = previous_half(period)
    return periods


def shown(key: str, value) -> str:
    """The indicator's value as French text (« 1 234,56 € », « 75 % », « 120,4 kg »…)."""
    return figure_text(value, INDICATOR[key].kind)


def change(key: str, current, previous) -> str:
    if current is None or previous is None:
        return "—"
    current, previous = float(current), float(previous)
    if INDICATOR[key].kind is Kind.RATE:
        return ("+" if current >= previous else "") + french_number((current - previous) * 100, 1) + "\u00a0pt"
    if previous == 0:
        return "—" if current == 0 else "nouveau"
    ratio = (current - previous) / previous * 100
    return ("+" if ratio >= 0 else "") + french_number(ratio, 1) + "\u00a0%"


def impact_data(session: Session, period: str, base: Filters, *, programme_name: str, scope: str) -> dict:
    """Everything the impact report shows for ``period`` within ``base``'s EPCI, donor and category.
    ValidationFailed on ``period`` (not a half-year) or on a filter naming no row."""
    start, end, label = half_year(period)
    checked_filters(session, base)
    before = previous_half(period.strip().upper())
    previous_start, previous_end, previous_label = half_year(before)
    current_filters, previous_filters = base.with_period(start, end), base.with_period(previous_start, previous_end)
    current, previous = indicators(session, current_filters), indicators(session, previous_filters)
    groups = [{"title": title, "rows": [{"label": INDICATOR[key].label, "current": shown(key, current[key]),
                                         "previous": shown(key, previous[key]),
                                         "change": change(key, current[key], previous[key])} for key in keys]}
              for title, keys in GROUPS]
    epcis = session.execute(select(Epci).order_by(Epci.short_name)).scalars().all()
    rows = []
    for epci in epcis:
        if base.epci_id is not None and epci.id != base.epci_id:
            continue
        figures = indicators(session, Filters(start, end, epci.id, base.donor_id, base.category))
        rows.append([epci.short_name, shown("households_validated", figures["households_validated"]),
                     shown("households_equipped", figures["households_equipped"]),
                     shown("devices_distributed", figures["devices_distributed"]),
                     shown("aide_solidaire_total", figures["aide_solidaire_total"])])
    monthly = flow_tables(session, current_filters)[0]
    return {
        "programme_name": programme_name, "period": period.strip().upper(), "period_label": label,
        "from": start.strftime("%d/%m/%Y"), "to": end.strftime("%d/%m/%Y"), "previous_label": previous_label,
        "scope": scope, "generated_at": to_local(utcnow()).strftime("%d/%m/%Y %H:%M"), "groups": groups,
        "indicators": [row for group in groups for row in group["rows"]],
        "by_epci": {"columns": ["EPCI", "Foyers validés", "Foyers équipés", "Appareils remis", "Aide solidaire"],
                    "rows": rows},
        "monthly": {"months": [r[0] for r in monthly.rows],
                    "series": [["Collectés", [r[1] for r in monthly.rows]], ["Remis", [r[4] for r in monthly.rows]],
                               ["Recyclés", [r[5] for r in monthly.rows]]]},
        "equipped_by_epci": [[name, n] for name, n in current["equipped_by_epci"].items()
                             if base.epci_id is None or name in [r[0] for r in rows]],
    }


def donor_report_data(session: Session, f: Filters, *, programme_name: str, period_label: str | None) -> dict:
    """The donor's report. ValidationFailed on ``donor`` when ``f`` names no donor (or one no row
    has): a report of nobody's devices would look like a donor who gave nothing."""
    if f.donor_id is None:
        raise ValidationFailed({"donor": [DONOR_REQUIRED]}, message=DONOR_REQUIRED)
    checked_filters(session, f)
    totals, _by_epci, by_commune, collections, _certificates = donor_tables(session, f)
    return {
        "programme_name": programme_name, "donor_name": donor_name(session, f.donor_id), "period_label": period_label,
        "generated_at": to_local(utcnow()).strftime("%d/%m/%Y %H:%M"),
        "totals": [[label, french_number(n, 0)] for label, n in totals.rows],
        "by_commune": [[e, c, french_number(n, 0)] for e, c, n in by_commune.rows],
        "collections": [{"reference": r[0], "collected_on": r[1], "devices": french_number(r[2], 0),
                         "certificate": None if r[7] == "—" else r[7],
                         "outcomes": f"{r[4]} remis, {r[5]} recyclés, {r[6]} à l'atelier"} for r in collections.rows],
    }

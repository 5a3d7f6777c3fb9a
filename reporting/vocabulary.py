"""The reporting vocabulary, defined once: each indicator's key (the API's, in English), its French
label and its kind (a count, an amount of money, a rate, a weight, a number of days, a score), and
how a figure of each kind is written for people: French text on the dashboard and in the PDFs
(``figure_text``), a typed cell in the CSV and XLSX exports (``export_cell``).

The API (``GET /api/v1/indicators``) keeps the keys and its own plain values; everything a person
reads goes through here: « Aide solidaire totale : 1 234,56 € », never ``aide_solidaire_total:
1234.56``."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from core.money import euros
from core.spreadsheets import Money, Percent
from reporting.charts import french_number

NONE = "—"
NBSP = "\u00a0"


class Kind(Enum):
    """What a figure counts or measures, and so how it is written."""

    COUNT = "count"      # « 1 234 »
    MONEY = "money"      # « 1 234,56 € »
    RATE = "rate"        # a fraction (0.75) shown « 75 % »
    KG = "kg"            # « 120,4 kg »
    DAYS = "days"        # « 12,5 jours », « 1 jour »
    SCORE = "score"      # a mean out of 5: « 4,25 »


# The unit a CSV heading names, where the file's plain number does not say it.
UNITS = {Kind.MONEY: "€", Kind.RATE: "%", Kind.KG: "kg", Kind.DAYS: "jours"}


@dataclass(frozen=True)
class Indicator:
    """One indicator: ``str()`` is its French label, as a table's row label shows it."""

    key: str
    label: str
    kind: Kind

    @property
    def heading(self) -> str:
        """The label with its unit, « Poids réemployé (kg) », for exports, whose cells are plain numbers."""
        unit = UNITS.get(self.kind)
        return f"{self.label} ({unit})" if unit else self.label

    def __str__(self) -> str:
        return self.label


INDICATORS: tuple[Indicator, ...] = (
    Indicator("devices_collected", "Appareils collectés", Kind.COUNT),
    Indicator("devices_sanitised", "Appareils effacés", Kind.COUNT),
    Indicator("devices_graded", "Appareils notés", Kind.COUNT),
    Indicator("devices_distributed", "Appareils remis aux foyers", Kind.COUNT),
    Indicator("devices_recycled", "Appareils recyclés", Kind.COUNT),
    Indicator("households_validated", "Foyers validés", Kind.COUNT),
    Indicator("households_equipped", "Foyers équipés", Kind.COUNT),
    Indicator("workshop_sessions", "Ateliers tenus", Kind.COUNT),
    Indicator("workshop_attendance_rate", "Taux de présence aux ateliers", Kind.RATE),
    Indicator("satisfaction_avg", "Satisfaction moyenne (sur 5)", Kind.SCORE),
    Indicator("internet_access_rate", "Foyers équipés ayant accès à internet", Kind.RATE),
    Indicator("internet_offer_referrals", "Orientations vers une offre sociale internet", Kind.COUNT),
    Indicator("weight_reused_kg", "Poids réemployé", Kind.KG),
    Indicator("weight_recycled_kg", "Poids recyclé", Kind.KG),
    Indicator("reference_value_total", "Valeur de référence des appareils remis", Kind.MONEY),
    Indicator("paid_total", "Total payé par les foyers", Kind.MONEY),
    Indicator("aide_solidaire_total", "Aide solidaire totale", Kind.MONEY),
    Indicator("median_days_reception_to_handover", "Délai médian de la réception à la remise", Kind.DAYS),
    Indicator("mobile_sessions", "Ateliers mobiles tenus", Kind.COUNT),
    Indicator("mobile_attendance_rate", "Taux de présence aux ateliers mobiles", Kind.RATE),
    Indicator("mobile_walk_ins", "Participants sans inscription aux ateliers mobiles", Kind.COUNT),
    Indicator("handovers_on_tour", "Appareils remis en tournée", Kind.COUNT),
    Indicator("households_reached_on_tour", "Foyers touchés en tournée", Kind.COUNT),
)
INDICATOR = {indicator.key: indicator for indicator in INDICATORS}


# The mobile workshop's tables on the dashboard (title, columns, short XLSX sheet name).
MOBILE_BY_YEAR = ("Ateliers mobiles par année",
                  ["Année", "Ateliers", "Places réservées", "Présents", "Absents", "Taux de présence",
                   "Participants sans inscription"], None)
TOUR_HOUSEHOLDS = ("Foyers touchés en tournée par commune",
                   ["Commune", "EPCI", "Par un atelier", "Par une remise", "Participants sans inscription", "Total"],
                   "Foyers touchés en tournée")


def _number(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def decimal_text(value, digits: int = 1) -> str:
    """A number the French way with at most ``digits`` decimals and no trailing zero:
    « 1 234,5 », « 75 », « 0,3 »; « — » for nothing."""
    number = _number(value)
    if number is None:
        return NONE
    rounded = round(number, digits)
    return french_number(int(rounded) if rounded == rounded.to_integral_value() else rounded, digits)


def figure_text(value, kind: Kind) -> str:
    """A figure of ``kind`` as French text: « 1 234 », « 1 234,56 € », « 75 % », « 120,4 kg »,
    « 12,5 jours », « 4,25 »; « — » when there is none (a figure the filter cannot attribute)."""
    number = _number(value)
    if number is None:
        return NONE
    if kind is Kind.MONEY:
        return euros(number)
    if kind is Kind.RATE:
        return f"{decimal_text(number * 100, 1)}{NBSP}%"
    if kind is Kind.KG:
        return f"{decimal_text(number, 1)}{NBSP}kg"
    if kind is Kind.DAYS:
        return f"{decimal_text(number, 1)}{NBSP}{'jour' if abs(number) < 2 else 'jours'}"
    if kind is Kind.SCORE:
        return french_number(float(number), 2)
    return decimal_text(number, 0)


def month_label(month: str) -> str:
    """``2026-07`` (as the queries group by month) → « 07/2026 », as French readers write it."""
    year, _, number = month.partition("-")
    return f"{number}/{year}" if number else month


@dataclass(frozen=True)
class Figure:
    """A figure and its kind, as a table holds it: ``str()`` is its French text (the page), and
    ``export_cell`` makes it a number for the spreadsheets."""

    value: int | float | Decimal | str | None
    kind: Kind

    def __str__(self) -> str:
        return figure_text(self.value, self.kind)


def indicator_figure(figures: dict, key: str) -> Figure:
    """The API's value of ``key`` in ``figures``, with the indicator's kind."""
    return Figure(figures[key], INDICATOR[key].kind)


def cell_text(value) -> str:
    """What a dashboard cell shows: an indicator by its label, a figure by its French text, a
    number the French way (« 12,3 », « 1 234 »), nothing as « — »; text as it is."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (Indicator, Figure)):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return decimal_text(value, 0 if isinstance(value, int) else 1)
    return str(value)


def export_cell(value):
    """A dashboard cell for ``core.spreadsheets``: an indicator by its label and unit, money as
    ``Money``, a rate as ``Percent``, other figures as plain numbers; the rest as it is."""
    if isinstance(value, Indicator):
        return value.heading
    if not isinstance(value, Figure):
        return value
    number = _number(value.value)
    if number is None:
        return None
    if value.kind is Kind.MONEY:
        return Money(number)
    if value.kind is Kind.RATE:
        return Percent(number)
    if value.kind is Kind.COUNT:
        return int(number)
    return float(number)

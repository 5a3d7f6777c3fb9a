"""The dashboard's tables, each aggregated in SQL: stock (state × category, grade, site, ageing),
flow (per month; median and 90th percentile time per stage and from reception to handover),
households (requests by status; validated and equipped per EPCI, commune and tier; waiting time),
workshops (and the mobile workshops by year, the households reached on tour by commune), internet
access, environment and money. Filters and scoping as in reporting.indicators,
whose figures come from the summaries; the other tables read the records (reporting.records)."""
from __future__ import annotations

import unicodedata

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.dialects.postgresql import INTERVAL
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.territory import Commune, Epci
from distribution.models import Booking, Invoice, Reservation, WorkshopSession
from distribution.tour.models import WorkshopWalkIn
from distribution.vocabulary import BookingGroup, BookingStatus, InternetAccess
from eligibility.models import Household, Request
from eligibility.vocabulary import RequestStatus
from inventory.lifecycle import State, StateGroup
from inventory.models import Collection, Device, DeviceEvent, Site
from core.vocabulary import Category
from inventory.vocabulary import Grade
from reporting.filters import Filters, with_sites
from reporting.indicators import indicators
from reporting.records import (
    EPCI_NAMES,
    counted_event,
    days_between,
    device_events,
    handed_over_reservations,
    handovers,
    median_of,
    mobile_sessions_held,
    percentile_of,
    scope_devices,
    sessions_held,
    tour_reach_by_commune,
)
from reporting.tables import Table
from reporting.vocabulary import (
    INDICATOR,
    INDICATORS,
    MOBILE_BY_YEAR,
    TOUR_HOUSEHOLDS,
    Figure,
    Kind,
    indicator_figure,
    month_label,
)

# Martinique is UTC−4 all year (no daylight saving): a month in Martinique time is the UTC month
# of the instant shifted by four hours.
def month_of(column, dialect: str):
    if dialect == "postgresql":
        return func.to_char(column - literal("4 hours").cast(INTERVAL()), "YYYY-MM")
    return func.strftime("%Y-%m", column, "-4 hours")


def year_of(column, dialect: str):
    """The Martinique year of an instant, as text (« 2026 »)."""
    if dialect == "postgresql":
        return func.to_char(column - literal("4 hours").cast(INTERVAL()), "YYYY")
    return func.strftime("%Y", column, "-4 hours")



def _current_devices(f: Filters, *columns):
    return scope_devices(select(*columns).select_from(Device), f)


def stock_tables(session: Session, f: Filters, now=None) -> list[Table]:
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    by_state_category = session.execute(_current_devices(f, Device.state, Device.category, func.count())
                                        .group_by(Device.state, Device.category)).all()
    grid = {(s, c): n for s, c, n in by_state_category}
    categories = [c for c in Category.values() if any(grid.get((s, c)) for s in State.values())]
    state_rows = [[State.label_of(s)] + [grid.get((s, c), 0) for c in categories] + [sum(grid.get((s, c), 0) for c in categories)]
                  for s in State.values()]
    grades = dict(session.execute(_current_devices(f, Device.grade, func.count())
                                  .where(Device.state == State.IN_STOCK.value).group_by(Device.grade)).all())
    by_site = session.execute(
        scope_devices(select(Site.name, func.count()).select_from(Device)
                      .join(Collection, Collection.id == Device.collection_id)
                      .join(Site, Site.id == Collection.site_id), f, site_joined=True)
        .where(Device.state.in_(StateGroup.IN_WORKSHOP)).group_by(Site.name).order_by(Site.name)).all()
    # Ageing: days since each device's last state change, for devices still in the workshop.
    last_change = (select(DeviceEvent.device_id, func.max(DeviceEvent.at).label("since"))
                   .where(DeviceEvent.kind.in_(("received", "transition"))).group_by(DeviceEvent.device_id).subquery())
    age = days_between(literal(now.replace(tzinfo=None)), last_change.c.since, dialect)
    ageing = session.execute(
        _current_devices(f, Device.state, func.count(), func.avg(age), func.max(age))
        .join(last_change, last_change.c.device_id == Device.id)
        .where(Device.state.in_(StateGroup.IN_WORKSHOP)).group_by(Device.state)).all()
    oldest = session.execute(
        _current_devices(f, Device.asset_tag, Device.state, Device.category, age.label("age"))
        .join(last_change, last_change.c.device_id == Device.id)
        .where(Device.state.in_(StateGroup.IN_WORKSHOP)).order_by(age.desc(), Device.asset_tag).limit(10)).all()
    ages = {s: (n, avg, top) for s, n, avg, top in ageing}
    slowest = max(ages, key=lambda s: ages[s][2], default=None)
    return [
        Table("stock_state_category", "Appareils par état et catégorie",
              ["État"] + [Category.label_of(c) for c in categories] + ["Total"], state_rows,
              {"kind": "bar", "items": [(row[0], row[-1]) for row in state_rows]}),
        Table("stock_grade", "Appareils en stock par note", ["Note", "Appareils"],
              [[Grade.label_of(g), grades.get(g, 0)] for g in Grade.values()],
              {"kind": "bar", "items": [(g, grades.get(g, 0)) for g in Grade.values()]}),
        Table("stock_site", "Appareils à l'atelier par site", ["Site", "Appareils"], [[n, c] for n, c in by_site],
              {"kind": "bar", "items": [(n, c) for n, c in by_site]}),
        Table("stock_ageing", "Ancienneté dans l'état actuel (jours)",
              ["État", "Appareils", "Moyenne (jours)", "Maximum (jours)"],
              [[State.label_of(s), ages[s][0], round(float(ages[s][1]), 1), round(float(ages[s][2]), 1)]
               for s in StateGroup.IN_WORKSHOP if s in ages],
              {"kind": "bar", "unit": " j", "items": [(State.label_of(s), round(float(ages[s][2]), 1))
                                                     for s in StateGroup.IN_WORKSHOP if s in ages],
               "highlight": State.label_of(slowest) if slowest else None},
              sheet="Ancienneté dans l'état (jours)"),
        Table("stock_oldest", "Les dix appareils les plus anciens dans leur état",
              ["N° d'inventaire", "État", "Catégorie", "Jours"],
              [[t, State.label_of(s), Category.label_of(c), round(float(a), 1)] for t, s, c, a in oldest],
              sheet="Appareils les plus anciens"),
    ]


def flow_tables(session: Session, f: Filters) -> list[Table]:
    dialect = session.get_bind().dialect.name
    month = month_of(DeviceEvent.at, dialect).label("month")
    rows = session.execute(device_events(
        f, month, *(func.sum(case((counted_event(name), 1), else_=0))
                    for name in ("received", "sanitised", "graded", "recycled")),
    ).group_by(month).order_by(month)).all()
    # Handovers (as devices_distributed): one invoice each, by the household's EPCI.
    handed_month = month_of(Invoice.issued_at, dialect).label("month")
    handed = dict(session.execute(handovers(f, handed_month, func.count()).group_by(handed_month)).all())
    events = {m: [int(v or 0) for v in values] for m, *values in rows}
    monthly = [[month_label(m), *events.get(m, [0, 0, 0, 0])[:3], handed.get(m, 0), events.get(m, [0, 0, 0, 0])[3]]
               for m in sorted(set(events) | set(handed))]
    # Time per stage: for each state change in the period, the time since the device's previous
    # change (LAG over the device's events) is the time it spent in the state it leaves.
    ordered = (select(DeviceEvent.device_id, DeviceEvent.from_state, DeviceEvent.at,
                      func.lag(DeviceEvent.at).over(partition_by=DeviceEvent.device_id,
                                                    order_by=(DeviceEvent.at, DeviceEvent.id)).label("previous"))
               .where(DeviceEvent.kind.in_(("received", "transition"))))
    ordered = scope_devices(ordered.join(Device, Device.id == DeviceEvent.device_id), f).subquery()
    stage_rows = []
    for state in map(State, StateGroup.STAGES):
        values = (select(days_between(ordered.c.at, ordered.c.previous, dialect).label("x"))
                  .where(ordered.c.from_state == state.value, ordered.c.previous.is_not(None),
                         ordered.c.at >= f.start_utc, ordered.c.at < f.end_utc).subquery())
        count = session.execute(select(func.count()).select_from(values)).scalar_one()
        stage_rows.append([state.label, count, median_of(session, values), percentile_of(session, values, 90)])
    waits = handovers(f, days_between(Invoice.issued_at, Device.created_at, dialect).label("x")).subquery()
    count = session.execute(select(func.count()).select_from(waits)).scalar_one()
    stage_rows.append(["De la réception à la remise", count, median_of(session, waits), percentile_of(session, waits, 90)])
    columns = ["Mois", "Collectés", "Effacés", "Notés", "Remis", "Recyclés"]
    return [
        Table("flow_monthly", "Flux mensuels d'appareils", columns, monthly,
              {"kind": "columns", "categories": [r[0] for r in monthly],
               "series": [(columns[i], [r[i] for r in monthly]) for i in range(1, 6)]}),
        Table("flow_stage_times", "Temps par étape (jours)", ["Étape", "Passages", "Médiane", "90e centile"], stage_rows,
              {"kind": "bar", "unit": " j", "items": [(r[0], r[2] or 0) for r in stage_rows]}),
    ]


def household_tables(session: Session, f: Filters) -> list[Table]:
    """Requests and households. None under a donor filter: a household is not a donor's (what a
    donor's devices became, per EPCI and commune, is in ``reporting.donor``)."""
    if f.donor_id is not None:
        return []
    dialect = session.get_bind().dialect.name
    scope = [Commune.epci_id == f.epci_id] if f.epci_id is not None else []
    category = [Request.category == f.category] if f.category else []
    by_status = dict(session.execute(
        select(Request.status, func.count()).join(Household, Household.id == Request.household_id)
        .join(Commune, Commune.insee_code == Household.commune_insee).where(*scope, *category)
        .group_by(Request.status)).all())
    status_rows = [[RequestStatus.label_of(s), by_status.get(s, 0)] for s in RequestStatus.values()]
    validated_at = and_(Request.decided_at >= f.start_utc, Request.decided_at < f.end_utc,
                        Request.status.in_((RequestStatus.VALIDATED.value, RequestStatus.EQUIPPED.value)))
    equipped_at = and_(Request.equipped_at >= f.start_utc, Request.equipped_at < f.end_utc)
    per_commune = session.execute(
        select(Epci.short_name, Commune.insee_code, Commune.name,
               func.count(func.distinct(case((validated_at, Request.household_id)))),
               func.count(func.distinct(case((equipped_at, Request.household_id)))))
        .select_from(Commune).join(Epci, Epci.id == Commune.epci_id)
        .outerjoin(Household, Household.commune_insee == Commune.insee_code)
        .outerjoin(Request, and_(Request.household_id == Household.id, *category))
        .where(*scope).group_by(Epci.short_name, Commune.insee_code, Commune.name)
        .order_by(Epci.short_name, Commune.name)).all()
    epci_totals: dict[str, list[int]] = {}
    for epci, _code, _name, validated, equipped in per_commune:
        totals = epci_totals.setdefault(epci, [0, 0])
        totals[0] += validated
        totals[1] += equipped
    by_tier = session.execute(
        select(Request.tier, func.count(func.distinct(Request.household_id)))
        .join(Household, Household.id == Request.household_id).join(Commune, Commune.insee_code == Household.commune_insee)
        .where(validated_at, *scope, *category).group_by(Request.tier).order_by(Request.tier)).all()
    waits = (select(days_between(Request.equipped_at, Request.decided_at, dialect).label("x"))
             .join(Household, Household.id == Request.household_id).join(Commune, Commune.insee_code == Household.commune_insee)
             .where(equipped_at, *scope, *category).subquery())
    count = session.execute(select(func.count()).select_from(waits)).scalar_one()
    return [
        Table("households_requests", "Demandes par statut (aujourd'hui)", ["Statut", "Demandes"], status_rows,
              {"kind": "bar", "items": [(r[0], r[1]) for r in status_rows]}, sheet="Demandes par statut"),
        Table("households_epci", "Foyers validés et équipés par EPCI", ["EPCI", "Validés", "Équipés"],
              [[e, *epci_totals.get(e, [0, 0])] for e in EPCI_NAMES if f.epci_id is None or e in epci_totals],
              {"kind": "bar", "items": [(e, epci_totals.get(e, [0, 0])[1]) for e in EPCI_NAMES if e in epci_totals]},
              sheet="Foyers par EPCI"),
        Table("households_commune", "Foyers validés et équipés par commune", ["EPCI", "Commune", "Code INSEE", "Validés", "Équipés"],
              [[e, n, c, v, q] for e, c, n, v, q in per_commune],
              {"kind": "tiles", "title": "Foyers équipés par commune",
               "values": {c: q for _e, c, _n, _v, q in per_commune}}, sheet="Foyers par commune"),
        Table("households_tier", "Foyers validés par palier", ["Palier", "Foyers"], [[f"Palier {t}", n] for t, n in by_tier],
              {"kind": "bar", "items": [(f"Palier {t}", n) for t, n in by_tier]}),
        Table("households_wait", "Attente entre validation et remise (jours)", ["Remises", "Médiane", "90e centile"],
              [[count, median_of(session, waits), percentile_of(session, waits, 90)]],
              sheet="Attente avant remise (jours)"),
    ]


def workshop_and_access_tables(session: Session, f: Filters, figures: dict, now=None) -> list[Table]:
    now = now or utcnow()
    tables = []
    if f.donor_id is None:
        held = sessions_held(f, WorkshopSession.id, now=now).subquery()
        booked = session.execute(select(func.count()).select_from(Booking).where(
            Booking.session_id.in_(select(held.c.id)),
            Booking.status.in_(BookingGroup.SEATED))
        ).scalar_one()
        tables.append(Table("workshops", "Ateliers de prise en main",
                            ["Indicateur", "Valeur"],
                            [[INDICATOR["workshop_sessions"], figures["workshop_sessions"]], ["Places réservées", booked],
                             *([INDICATOR[key], indicator_figure(figures, key)]
                               for key in ("workshop_attendance_rate", "satisfaction_avg"))]))
        tables += mobile_tables(session, f, now)
    kinds = dict(session.execute(handed_over_reservations(f, Reservation.internet_access, func.count())
                                 .group_by(Reservation.internet_access)).all())
    tables.append(Table("internet", "Accès à internet des foyers équipés", ["Accès", "Foyers"],
                        [[InternetAccess.label_of(k), kinds.get(k, 0)] for k in InternetAccess.values()]
                        + [["Non renseigné", kinds.get(None, 0)],
                           [INDICATOR["internet_access_rate"], indicator_figure(figures, "internet_access_rate")],
                           [INDICATOR["internet_offer_referrals"], figures["internet_offer_referrals"]]],
                        {"kind": "bar", "items": [(InternetAccess.label_of(k), kinds.get(k, 0)) for k in InternetAccess.values()]},
                        sheet="Accès à internet"))
    return tables


def mobile_tables(session: Session, f: Filters, now) -> list[Table]:
    """« Ateliers mobiles par année » (sessions held, booked seats, present, absent, attendance
    rate, walk-ins, by Martinique year) and « Foyers touchés en tournée par commune » (households
    present at a mobile workshop, handed a device on tour, walk-ins, and the total counting a
    household once: its sum is ``households_reached_on_tour``). Not a donor's: call it without a
    donor filter."""
    year = year_of(WorkshopSession.starts_at, session.get_bind().dialect.name).label("year")
    held = mobile_sessions_held(f, WorkshopSession.id.label("id"), year, now=now).subquery()
    sessions = dict(session.execute(select(held.c.year, func.count()).group_by(held.c.year)).all())
    seats = {y: (int(s or 0), int(a or 0), int(n or 0)) for y, s, a, n in session.execute(
        select(held.c.year, func.sum(case((Booking.status.in_(BookingGroup.SEATED), 1), else_=0)),
               func.sum(case((Booking.status == BookingStatus.ATTENDED.value, 1), else_=0)),
               func.sum(case((Booking.status == BookingStatus.NO_SHOW.value, 1), else_=0)))
        .select_from(held).join(Booking, Booking.session_id == held.c.id).group_by(held.c.year)).all()}
    walk_ins = dict(session.execute(select(held.c.year, func.count()).select_from(held)
                                    .join(WorkshopWalkIn, WorkshopWalkIn.session_id == held.c.id)
                                    .group_by(held.c.year)).all())
    by_year = []
    for y in sorted(sessions):
        seated, attended, no_show = seats.get(y, (0, 0, 0))
        rate = round(attended / (attended + no_show), 4) if attended + no_show else None
        by_year.append([str(y), sessions[y], seated, attended, no_show, Figure(rate, Kind.RATE), walk_ins.get(y, 0)])

    reached = tour_reach_by_commune(session, f, now)
    places = {code: (name, epci) for code, name, epci in session.execute(
        select(Commune.insee_code, Commune.name, Epci.short_name).join(Epci, Epci.id == Commune.epci_id)
        .where(Commune.insee_code.in_(list(reached)))).all()} if reached else {}
    communes = sorted(reached, key=lambda code: (_sortable(places[code][0]), code))
    by_commune = [[*places[c], reached[c][0], reached[c][1], reached[c][3], reached[c][2] + reached[c][3]]
                  for c in communes]
    title, columns, sheet = MOBILE_BY_YEAR
    tour_title, tour_columns, tour_sheet = TOUR_HOUSEHOLDS
    return [
        Table("mobile_by_year", title, columns, by_year,
              {"kind": "bar", "items": [(row[0], row[1]) for row in by_year]}, sheet=sheet),
        Table("tour_households_commune", tour_title, tour_columns, by_commune,
              {"kind": "tiles", "values": {c: reached[c][2] + reached[c][3] for c in communes}}, sheet=tour_sheet),
    ]


def _sortable(name: str) -> str:
    """A commune's name as French readers sort it: accents and case aside (« Le Lamentin »
    between « Le François » and « Le Lorrain »)."""
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c)).casefold()


def indicator_rows(figures: dict, keys: tuple[str, ...]) -> list[list]:
    """[indicator, figure] rows: the page shows « Poids réemployé | 120,4 kg », the exports
    « Poids réemployé (kg) | 120.4 » as a number (``reporting.vocabulary``)."""
    return [[INDICATOR[key], indicator_figure(figures, key)] for key in keys]


def environment_tables(figures: dict) -> list[Table]:
    return [
        Table("environment", "Réemploi et recyclage", ["Indicateur", "Valeur"],
              indicator_rows(figures, ("devices_distributed", "weight_reused_kg", "devices_recycled",
                                       "weight_recycled_kg")),
              {"kind": "bar", "unit": " kg", "items": [("Réemployé", figures["weight_reused_kg"]),
                                                      ("Recyclé", figures["weight_recycled_kg"])]}),
        Table("money", "Valeur et aide solidaire", ["Indicateur", "Montant"],
              indicator_rows(figures, ("reference_value_total", "paid_total", "aide_solidaire_total"))),
    ]


def indicator_table(figures: dict) -> Table:
    """The API's scalar figures by their French label (``reporting.vocabulary``), each with its kind."""
    return Table("indicators", "Indicateurs de la période", ["Indicateur", "Valeur"],
                 indicator_rows(figures, tuple(indicator.key for indicator in INDICATORS)))


def dashboard(session: Session, f: Filters, now=None) -> tuple[dict, list[tuple[str, list[Table]]]]:
    """(the indicators, the dashboard's sections as (French title, tables)); a section with no
    table under these filters is left out."""
    f = with_sites(session, f)
    figures = indicators(session, f, now=now)
    sections = [
        ("Indicateurs", [indicator_table(figures)]),
        ("Stock", stock_tables(session, f, now)),
        ("Flux", flow_tables(session, f)),
        ("Foyers", household_tables(session, f)),
        ("Ateliers et accès à internet", workshop_and_access_tables(session, f, figures, now)),
        ("Environnement et argent", environment_tables(figures)),
    ]
    return figures, [(title, tables) for title, tables in sections if tables]

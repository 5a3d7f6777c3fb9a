"""The chart that goes with a table (server-side SVG; the table stays beside it for accessibility)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.territory import Commune, Epci
from reporting.charts import bar_chart, commune_tiles, grouped_columns
from reporting.tables import Table


def communes_of(session: Session) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in session.execute(
        select(Commune.insee_code, Commune.name, Epci.short_name).join(Epci, Epci.id == Commune.epci_id)
        .order_by(Commune.insee_code)).all()]


def svg_for(table: Table, communes: list[tuple[str, str, str]]) -> str | None:
    chart = table.chart
    if not chart:
        return None
    title = chart.get("title", table.title)
    if chart["kind"] == "bar":
        return bar_chart(title, chart["items"], unit=chart.get("unit", ""), highlight=chart.get("highlight"))
    if chart["kind"] == "columns":
        return grouped_columns(title, chart["categories"], chart["series"], unit=chart.get("unit", ""))
    if chart["kind"] == "tiles":
        return commune_tiles(title, chart["values"], communes)
    raise ValueError(f"unknown chart kind {chart['kind']!r}")

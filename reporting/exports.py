"""Tables to CSV (semicolon, UTF-8 with BOM, as French spreadsheets expect) and XLSX (pandas and
openpyxl): one table, or every table of a dashboard as one workbook."""
from __future__ import annotations

import io
import re

import pandas as pd

from reporting.tables import Table


def frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(table.rows, columns=table.columns)


def to_csv(table: Table) -> bytes:
    return frame(table).to_csv(index=False, sep=";").encode("utf-8-sig")


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Tableau"
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def to_xlsx(tables: list[Table]) -> bytes:
    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for table in tables:
            frame(table).to_excel(writer, sheet_name=_sheet_name(table.title, used), index=False)
    return buffer.getvalue()

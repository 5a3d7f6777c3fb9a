"""Benchmark of label rendering (not a timed test): 1,000 device labels on Avery L7160 sheets
and on a 62 × 29 mm roll, with labels/ (reportlab, vector bars), against the way HTML-template
label engines do it in the same run: an HTML/CSS page with python-barcode SVG images, through
WeasyPrint.

    .venv/bin/python bench/labels.py [--labels 1000] [--runs 3]

Targets: ≤ 0.4 s for 1,000 sheet labels, ≥ 30× faster than WeasyPrint, ≤ 300 bytes per label
on sheets and ≤ 1 KB on rolls. Prints a Markdown table and writes it to bench/results/.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from html import escape
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labels.data import LabelData  # noqa: E402
from labels.formats import get_format  # noqa: E402
from labels.pdf import render_pdf  # noqa: E402


def device_labels(count: int) -> list[LabelData]:
    return [LabelData(f"RK-{n:06d}", "Ordinateur portable — Dell Latitude 5490",
                      ("Intel Core i5-8350U · 8 Go · SSD 256 Go", "Note B · Données effacées le 02/03/2026"))
            for n in range(1, count + 1)]


def weasyprint_html(labels: list[LabelData], format_id: str) -> str:
    """The HTML-template way: one absolutely positioned box per label, an inline SVG barcode."""
    from barcode import Code128
    from barcode.writer import SVGWriter

    fmt = get_format(format_id)
    page_w, page_h = fmt.page_size
    boxes = []
    for index, label in enumerate(labels):
        buffer = BytesIO()
        Code128(label.code, writer=SVGWriter()).write(buffer, options={"write_text": False, "quiet_zone": 2.5})
        svg = buffer.getvalue().decode().split("?>", 1)[-1]
        position = index % fmt.per_page + 1
        left, top = fmt.cell_origin(position) if fmt.kind == "sheet" else (0, 0)
        page_break = "page-break-before: always;" if index and (fmt.kind == "roll" or position == 1) else ""
        boxes.append(
            f'<div class="page" style="{page_break}">' if page_break or index == 0 else ""
        )
        boxes.append(
            f'<div class="label" style="left:{left}mm;top:{top}mm">'
            f"<b>{escape(label.title or '')}</b><br>{'<br>'.join(escape(line) for line in label.lines)}"
            f'<div class="bars">{svg}</div><div>{escape(label.code)}</div></div>'
        )
        if (fmt.kind == "roll") or position == fmt.per_page or index == len(labels) - 1:
            boxes.append("</div>")
    css = (f"@page {{ size: {page_w}mm {page_h}mm; margin: 0 }} body {{ margin: 0; font: 7pt Helvetica, sans-serif }}"
           f".page {{ position: relative; width: {page_w}mm; height: {page_h}mm }}"
           f".label {{ position: absolute; width: {fmt.width}mm; height: {fmt.height}mm; overflow: hidden; padding: 1.5mm; box-sizing: border-box }}"
           ".bars svg { width: 100%; height: 9mm }")
    return f"<html><head><style>{css}</style></head><body>{''.join(boxes)}</body></html>"


def timed(function, runs: int) -> tuple[float, bytes]:
    times, output = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        output = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-runs", type=int, default=1)
    args = parser.parse_args()
    labels = device_labels(args.labels)
    render_pdf(labels[:5], get_format("avery-l7160"))  # warm-up (imports, font metrics)

    rows = []
    for format_id in ("avery-l7160", "roll-62x29"):
        fmt = get_format(format_id)
        ours, pdf = timed(lambda: render_pdf(labels, fmt), args.runs)
        try:
            import weasyprint

            html = weasyprint_html(labels, format_id)
            theirs, baseline = timed(lambda: weasyprint.HTML(string=html).write_pdf(), args.baseline_runs)
        except ImportError:
            theirs, baseline = None, b""
        rows.append((format_id, ours, len(pdf) / len(labels), theirs, len(baseline) / len(labels) if baseline else None))

    lines = [
        f"# Label rendering benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.labels} device labels; labels/ median of {args.runs} runs, WeasyPrint {args.baseline_runs} run(s), same process.",
        "Targets: sheets ≤ 0.4 s per 1,000 labels, ≥ 30× faster than WeasyPrint, ≤ 300 B/label on sheets, ≤ 1 KB/label on rolls.",
        "",
        "| Format | labels/ (s) | per 1,000 (s) | bytes/label | WeasyPrint (s) | WeasyPrint bytes/label | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for format_id, ours, size, theirs, their_size in rows:
        per_thousand = ours * 1000 / args.labels
        speedup = f"{theirs / ours:.0f}×" if theirs else "—"
        lines.append(f"| {format_id} | {ours:.3f} | {per_thousand:.3f} | {size:.0f} | "
                     f"{f'{theirs:.2f}' if theirs else '—'} | {f'{their_size:.0f}' if their_size else '—'} | {speedup} |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"labels-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.md").write_text(report)


if __name__ == "__main__":
    main()

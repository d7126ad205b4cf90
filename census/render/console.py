"""Tables for the terminal and for text files: a `Grid` as a Rich table, CSV or Markdown, and any result as JSON.
Numbers are written the one way every text output writes them (counts as integers, shares with one decimal).
Every CSV carries no live formula: a text cell a spreadsheet would run is made text (`census.privacy.neutralise_cell`).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table as RichTable

from ..privacy import neutralise_cell, neutralise_frame
from .rows import Grid

STYLES = {"total": "bold", "subtotal": "italic"}
FILE_WIDTH = 160  # a table written to a file is as wide as it needs, up to this


def cell_text(v: Any) -> str:
    """A cell as text: "" for an empty cell, shares with one decimal, everything else as written."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def json_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def grid_table(grid: Grid, title: str | None = None, caption: str | None = None) -> RichTable:
    t = RichTable(title=title, caption=caption, caption_justify="left")
    for i, h in enumerate(grid.header):
        t.add_column(h, justify="left" if i < grid.label_columns else "right", overflow="fold")
    for cells, style in grid.rows:
        t.add_row(*map(cell_text, cells), style=STYLES.get(style, ""))
    return t


def rendered(*renderables: Any, width: int = FILE_WIDTH) -> str:
    """Rich renderables as plain text (for a file)."""
    buf = io.StringIO()
    con = Console(file=buf, width=width, highlight=False)
    for r in renderables:
        con.print(r)
    return buf.getvalue()


def grid_csv(grid: Grid) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(map(neutralise_cell, grid.header))
    w.writerows([neutralise_cell(cell_text(c)) if isinstance(c, str) else cell_text(c) for c in cells] for cells, _ in grid.rows)
    return buf.getvalue()


def dicts_csv(rows: list[dict], fallback: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else fallback, lineterminator="\n")
    w.writeheader()
    w.writerows({k: neutralise_cell(v) for k, v in r.items()} for r in rows)
    return buf.getvalue()


def frame_csv(df: pd.DataFrame) -> str:
    """A frame (an export, a list) as CSV, its text cells neutralised."""
    return neutralise_frame(df).to_csv(index=False, lineterminator="\n")


def grid_markdown(grid: Grid, title: str | None = None) -> str:
    labels = grid.label_columns
    lines = ["| " + " | ".join(grid.header) + " |", "|" + "---|" * labels + "---:|" * (len(grid.header) - labels)]
    for cells, style in grid.rows:
        lines.append("| " + " | ".join(f"**{cell_text(x)}**" if style == "total" and cell_text(x) else cell_text(x) for x in cells) + " |")
    return (f"**{title}**\n\n" if title else "") + "\n".join(lines)

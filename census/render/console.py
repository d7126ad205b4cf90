"""Tables for the terminal and for text files: a `Grid` as Rich tables, CSV or Markdown, and any result as JSON.
Numbers are written the one way every text output writes them (counts as integers, shares with one decimal).
Every CSV carries no live formula: a text cell a spreadsheet would run is made text (`census.privacy.neutralise_cell`).

A table on the terminal never splits a number or a share across lines: every column is at least as wide as its
widest number, headings wrap instead, and a table wider than the terminal is printed in parts, each repeating
the label columns (`grid_tables`)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pandas as pd
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from ..privacy import neutralise_cell, neutralise_frame
from .rows import Grid, cell_text

STYLES = {"total": "bold", "subtotal": "italic"}
_WHOLE = re.compile(r"[0-9A-Za-z*.%+-]{0,24}")  # a cell never wrapped: a number, an id, a masked number
FILE_WIDTH = 160  # a table written to a file is as wide as it needs, up to this


def json_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


LABEL_WIDTH = 16  # a label column is at most this wide (its text wraps beyond)
HEADING_WIDTH = 12  # a number column is widened for its heading up to this
HEADING_LINES = 4  # … and is at least wide enough for its heading to take no more lines than this


def _heading_width(text: str) -> int:
    """The narrowest a heading can wrap to: its longest word, a Chinese character being a word of its own."""
    words = [w for part in text.split() for w in ([part] if part.isascii() else list(part))]
    return max((cell_len(w) for w in words), default=1)


def grid_tables(grid: Grid, title: str | None = None, caption: str | None = None, width: int = 80) -> list:
    """The grid as Rich tables that fit in `width` columns: one when it fits, else parts of as many value columns
    as fit (a share stays with its count), each with the label columns; the title as a line over the first part,
    the caption as a line under the last (each as wide as the terminal, not the table). Column widths are set here
    so that no number is ever cut or wrapped."""
    texts = [[cell_text(c) for c in cells] for cells, _style in grid.rows]
    n = len(grid.header)
    labels = grid.label_columns

    def widest(i: int) -> int:
        return max((cell_len(r[i]) for r in texts if i < len(r)), default=0)

    least = [max(widest(i), _heading_width(grid.header[i]), min(-(-cell_len(grid.header[i]) // HEADING_LINES), HEADING_WIDTH))
             if i >= labels else max(min(widest(i), LABEL_WIDTH), _heading_width(grid.header[i]), 2) for i in range(n)]
    wanted = [max(least[i], min(cell_len(grid.header[i]), HEADING_WIDTH)) if i >= labels else max(least[i], widest(i))
              for i in range(n)]  # a label column as wide as its longest label, when there is room
    groups: list[list[int]] = []  # value columns that stay together: a count and the share after it
    for i in range(labels, n):
        if groups and i in grid.percent_columns and (i - 1) not in grid.percent_columns and groups[-1][-1] == i - 1:
            groups[-1].append(i)
        else:
            groups.append([i])

    def room(cols: list[int], widths: list[int]) -> int:
        return width - (sum(widths[i] for i in cols) + 3 * len(cols) + 1)  # padding of 1 each side, a border each

    pages: list[list[int]] = []
    page: list[int] = []
    for g in groups:
        if page and room(list(range(labels)) + page + g, least) < 0:
            pages.append(page)
            page = []
        page += g
    pages.append(page)
    tables = []
    for value_cols in pages:
        cols = list(range(labels)) + value_cols
        widths = list(least)
        spare = room(cols, widths)
        for i in sorted(cols, key=lambda i: wanted[i] - least[i]):  # widen the columns that want least first
            share = min(wanted[i] - widths[i], spare // max(1, len([j for j in cols if wanted[j] > widths[j]])))
            if share > 0:
                widths[i] += share
                spare -= share
        t = RichTable()
        for i in cols:
            t.add_column(grid.header[i], justify="left" if i < labels else "right", overflow="fold", width=widths[i])
        for (_cells, style), row in zip(grid.rows, texts, strict=True):
            t.add_row(*(row[i] for i in cols), style=STYLES.get(style, ""))
        tables.append(t)
    return [*([Text(title)] if title else []), *tables, *([Text(caption)] if caption else [])]


def grid_table(grid: Grid, title: str | None = None, caption: str | None = None) -> RichTable:
    """The grid as one Rich table (for output of any width); `grid_tables` fits a width."""
    t = RichTable(title=title, caption=caption, caption_justify="left")
    texts = [[cell_text(c) for c in cells] for cells, _style in grid.rows]
    for i, h in enumerate(grid.header):
        column = [r[i] for r in texts if i < len(r)]
        whole = bool(column) and all(_WHOLE.fullmatch(v) for v in column)  # numbers and codes (P0000012, 320114****1234)
        t.add_column(h, justify="left" if i < grid.label_columns else "right", overflow="fold", no_wrap=whole,
                     min_width=max(map(cell_len, column)) if whole else None)
    for cells, (_cells, style) in zip(texts, grid.rows, strict=True):
        t.add_row(*cells, style=STYLES.get(style, ""))
    return t


def natural_width(grid: Grid) -> int:
    """How wide the grid is as one table with no cell wrapped (borders and padding included)."""
    widths = [cell_len(h) for h in grid.header]
    for cells, _style in grid.rows:
        for i, c in enumerate(cells[:len(widths)]):
            widths[i] = max(widths[i], cell_len(cell_text(c)))
    return sum(widths) + 3 * len(widths) + 1


def grid_records(grid: Grid, title: str | None = None) -> Text:
    """A list too wide for the terminal, one row to a paragraph ("人员编号：P0000012；姓名：张伟；…"), empty cells
    left out, so that no value is cut."""
    lines = [title] if title else []
    for cells, style in grid.rows:
        if style:  # 合计：117人
            lines.append("：".join(cell_text(c) for c in cells if cell_text(c)))
            continue
        lines.append("· " + "；".join(f"{h}：{cell_text(c)}" for h, c in zip(grid.header, cells, strict=False) if cell_text(c)))
    return Text("\n".join(lines))


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
    w.writerows([neutralise_cell(cell_text(c)) if isinstance(c, str) else cell_text(c) for c in cells] for cells, _style in grid.rows)
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

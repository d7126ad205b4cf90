"""Excel workbooks as offices print them: the formats of every workbook census writes (title, bold bordered
header, 小计 in italics, 合计 in bold, counts and shares as numbers), sheets written top to bottom with column widths
that fit their content, page setup for A4, and native charts over a sheet's tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from ..errors import CensusError
from ..privacy import prepare_private_file
from .rows import Grid


@dataclass
class Placed:
    """Where a table landed: its header row, first and last leaf rows (the 合计 row excluded), column count."""

    header_row: int
    first_row: int
    last_row: int
    columns: int


def _text_width(value: Any) -> int:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class Book:
    """An xlsxwriter workbook with the report's formats."""

    def __init__(self, path: Path):
        self.path = path
        # text stays text: a cell reading "=…" is not made a formula, nor "http://…" a link (data from the ledgers)
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.subtitle = add({"bold": True, "font_size": 12})
        self.head = add({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#DDEBF7"})
        self.note = add({"font_color": "#404040"})
        self.paragraph = add({"text_wrap": True, "valign": "top", "font_size": 11})
        self.answer = add({"bg_color": "#FFF2CC", "border": 1})  # a cell for a clerk to fill in
        self.hint = add({"italic": True, "font_color": "#595959"})
        self.cells: dict[tuple[str, str], Any] = {}
        for style, extra in (("", {}), ("subtotal", {"italic": True}), ("total", {"bold": True})):
            self.cells[style, "text"] = add({"border": 1, **extra})
            self.cells[style, "int"] = add({"border": 1, "num_format": "0", **extra})
            self.cells[style, "pct"] = add({"border": 1, "num_format": "0.0", **extra})
            self.cells[style, "masked"] = add({"border": 1, "align": "right", **extra})

    def sheet(self, name: str) -> Sheet:
        return Sheet(self, name)

    def discard(self) -> None:
        """Give up without writing anything (xlsxwriter writes the file only on close)."""
        self.wb.fileclosed = True

    def close(self) -> None:
        try:
            prepare_private_file(self.path)  # created 0600: xlsxwriter then writes into it, keeping its mode
            self.wb.close()
        except (FileCreateError, OSError) as e:
            raise CensusError(f"{self.path}: cannot write the workbook ({e.__context__ or e}); close it in Excel or WPS, or choose another file.") from None


class Sheet:
    """One worksheet being written top to bottom; tracks the column widths its content needs."""

    def __init__(self, book: Book, name: str):
        self.book = book
        self.name = name
        self.sh = book.wb.add_worksheet(name)
        self.row = 0
        self.widths: dict[int, int] = {}
        self.span = 1  # columns the title is merged over

    def _fit(self, col: int, value: Any, limit: int = 40) -> None:
        self.widths[col] = min(max(self.widths.get(col, 0), _text_width(value) + 2), limit)

    def title(self, text: str, span: int, gap: int = 1) -> None:
        self.span = max(span, 1)
        if self.span > 1:
            self.sh.merge_range(0, 0, 0, self.span - 1, text, self.book.title)
        else:
            self.sh.write_string(0, 0, text, self.book.title)
            self._fit(0, text, 60)
        self.sh.set_row(0, 28)
        self.row = 1 + gap

    def line(self, text: str, fmt: Any = None, gap: int = 1) -> None:
        self.sh.write_string(self.row, 0, text, fmt if fmt is not None else self.book.note)
        self.row += gap

    def paragraph(self, text: str, span: int) -> int:
        """A wrapped paragraph merged over `span` columns; returns its row."""
        row = self.row
        span = max(span, 2)
        self.sh.merge_range(row, 0, row, span - 1, text, self.book.paragraph)
        chars_per_line = max(sum(self.widths.get(c, 10) for c in range(span)) / 2.1, 10)
        self.sh.set_row(row, 16 * max(1, math.ceil(_text_width(text) / 2 / chars_per_line)) + 6)
        self.row += 2
        return row

    def table(self, t: Grid) -> Placed:
        b = self.book
        if t.subtitle:
            self.sh.write_string(self.row, 0, t.subtitle, b.subtitle)
            self.row += 1
        header_row = self.row
        self.sh.write_row(header_row, 0, t.header, b.head)
        for j, h in enumerate(t.header):
            self._fit(j, h, 24)
        self.row += 1
        first = self.row
        last = first - 1
        for cells, style in t.rows:
            for j, v in enumerate(cells):
                self._cell(self.row, j, v, style, j < t.label_columns, j in t.percent_columns)
            if style != "total":
                last = self.row
            self.row += 1
        if t.foot:
            self.sh.write_string(self.row, 0, t.foot, b.note)
            self.row += 1
        self.row += 1
        return Placed(header_row, first, last, len(t.header))

    def _cell(self, r: int, c: int, v: Any, style: str, label: bool, percent: bool) -> None:
        fmts = self.book.cells
        if v is None:
            self.sh.write_blank(r, c, None, fmts[style, "text"])
        elif isinstance(v, bool):
            self.sh.write_string(r, c, "是" if v else "否", fmts[style, "text"])
        elif isinstance(v, int | float):
            self.sh.write_number(r, c, v, fmts[style, "pct" if percent or isinstance(v, float) else "int"])
        else:
            self.sh.write_string(r, c, str(v), fmts[style, "text" if label else "masked"])
        if v is not None:
            self._fit(c, v)

    def finish(self, freeze: tuple[int, int] | None, repeat: tuple[int, int] | None) -> None:
        for c in range(max([*self.widths, self.span - 1], default=0) + 1):
            self.sh.set_column(c, c, max(self.widths.get(c, 10), 8))
        if freeze:
            self.sh.freeze_panes(*freeze)
        self.sh.set_landscape()
        self.sh.set_paper(9)  # A4
        self.sh.fit_to_pages(1, 0)
        if repeat:
            self.sh.repeat_rows(*repeat)


def one_table_sheet(book: Book, name: str, title: str, table: Grid) -> tuple[Sheet, Placed]:
    """A sheet holding one table: title, table, footnote; frozen under the header, header repeated in print."""
    s = book.sheet(name)
    s.title(title, len(table.header), gap=0)
    placed = s.table(table)
    s.finish((placed.header_row + 1, table.label_columns), (0, placed.header_row))
    return s, placed


def write_table_workbook(path: Path, title: str, grid: Grid) -> None:
    """One sheet: a title row, a bold bordered header, the rows (合计 bold), the footnote; frozen panes,
    A4 landscape, fit to one page wide. Counts and shares are numbers."""
    book = Book(Path(path))
    one_table_sheet(book, "统计表", title, grid)
    book.close()


def add_chart(book: Book, s: Sheet, placed: Placed, kind: str, title: str, series_cols: list[int],
               anchor_row: int) -> None:
    """A native chart over a placed table: categories from its first column, one series per column in
    `series_cols` (named by the header cell), the 合计 row left out."""
    if placed.last_row < placed.first_row:
        return
    chart_type, subtype = {"stacked_column": ("column", "stacked"), "column": ("column", None), "bar": ("bar", None),
                           "pie": ("pie", None)}[kind]
    chart = book.wb.add_chart({"type": chart_type, **({"subtype": subtype} if subtype else {})})
    for col in series_cols:
        series = {
            "name": [s.name, placed.header_row, col],
            "categories": [s.name, placed.first_row, 0, placed.last_row, 0],
            "values": [s.name, placed.first_row, col, placed.last_row, col],
        }
        if kind == "pie":
            series["data_labels"] = {"percentage": True, "category": True, "leader_lines": True}
        elif len(series_cols) == 1:
            series["data_labels"] = {"value": True}
        chart.add_series(series)
    chart.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    if kind != "pie":
        chart.set_y_axis({"name": "人数", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        if len(series_cols) == 1:
            chart.set_legend({"none": True})
        else:
            chart.set_legend({"position": "bottom"})
    s.sh.insert_chart(anchor_row, 0, chart, {"x_scale": 1.6, "y_scale": 1.3})

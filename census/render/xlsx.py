"""Excel workbooks as offices print them. A sheet is collected first (title, lines, paragraphs, tables, charts) and
laid out when it is finished: column widths that fit the content, column headings wrapped inside a row tall enough
for them, every text merged over the sheet's width and wrapped, A4 portrait or landscape with the print scale
that fits the page width, the page breaks placed so no table is split needlessly and no chart is cut, the title
(and a single table's header) repeated on every printed page, a continued table's header written again after the
break, and page numbers in the footer (`census.render.pages` does the arithmetic).

Counts and shares are numbers (shares a column of their own), 小计 rows are italic, the 合计 row bold."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from ..errors import CensusError
from ..i18n import _
from ..privacy import prepare_private_file
from ..vocab import SECONDARY_MARK
from . import pages
from .pages import Block, PageSetup, column_chars, column_px, lines_in, row_height, text_px
from .rows import Grid, cell_text

TITLE_PT, SUBTITLE_PT = 14, 12
CHART_HEIGHT_PX = 320
CHART_MIN_WIDTH_PX = 560
LABEL_MAX_PX = 300  # a label column wider than this wraps its text
GAP_PT = 9.0


@dataclass
class Placed:
    """Where a table landed: its header row, first and last leaf rows (the 合计 row excluded), column count."""

    header_row: int = -1
    first_row: int = -1
    last_row: int = -1
    columns: int = 0


@dataclass
class _Text:
    text: str
    style: str  # title, subtitle, note, hint, paragraph
    gap: int = 0  # empty rows after it


@dataclass
class _Table:
    grid: Grid
    placed: Placed = field(default_factory=Placed)
    charted: bool = False


@dataclass
class _Chart:
    table: int
    kind: str
    title: str
    series: list[int]


_Row = tuple[float, Callable[[int], None]]  # (height in points, writer of the row at a sheet row)


class Book:
    """An xlsxwriter workbook with the formats of every workbook census writes."""

    def __init__(self, path: Path):
        self.path = path
        # text stays text: a cell reading "=…" is not made a formula, nor "http://…" a link (data from the ledgers)
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
        add = self.wb.add_format
        wrap = {"text_wrap": True, "valign": "vcenter"}
        self.formats = {
            "title": add({"bold": True, "font_size": TITLE_PT, "align": "center", **wrap}),
            "subtitle": add({"bold": True, "font_size": SUBTITLE_PT, **wrap}),
            "note": add({"font_color": "#404040", **wrap}),
            "hint": add({"italic": True, "font_color": "#595959", **wrap}),
            "paragraph": add({"font_size": 11, "text_wrap": True, "valign": "top"}),
        }
        self.head = add({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7", **wrap})
        self.answer = add({"bg_color": "#FFF2CC", "border": 1, "align": "center", "valign": "vcenter"})  # a clerk fills it in
        self.sheets: list[Sheet] = []
        self.cells: dict[tuple[str, str], Any] = {}
        for style, extra in (("", {}), ("subtotal", {"italic": True}), ("total", {"bold": True})):
            self.cells[style, "text"] = add({"border": 1, **wrap, **extra})
            self.cells[style, "int"] = add({"border": 1, "num_format": "0", "valign": "vcenter", **extra})
            self.cells[style, "pct"] = add({"border": 1, "num_format": "0.0", "valign": "vcenter", **extra})
            self.cells[style, "masked"] = add({"border": 1, "align": "right", "valign": "vcenter", **extra})

    def sheet(self, name: str) -> Sheet:
        s = Sheet(self, name)
        self.sheets.append(s)
        return s

    def discard(self) -> None:
        """Give up without writing anything (xlsxwriter writes the file only on close)."""
        self.wb.fileclosed = True

    def close(self) -> None:
        try:
            prepare_private_file(self.path)  # created 0600: xlsxwriter then writes into it, keeping its mode
            self.wb.close()
        except (FileCreateError, OSError) as e:
            raise CensusError(_("{path}：无法写入工作簿（{reason}）；请在Excel或WPS中关闭该文件，或换一个文件名。").format(
                path=self.path, reason=e.__context__ or e)) from None


class Sheet:
    """One worksheet: its content is collected in order and laid out by `finish`."""

    def __init__(self, book: Book, name: str):
        self.book = book
        self.name = name
        self.sh = book.wb.add_worksheet(name)
        self.items: list[_Text | _Table | _Chart] = []
        self.widths: dict[int, float] = {}  # the least width of a column, in characters
        self.hidden: set[int] = set()  # columns kept for census (read back) but not shown or printed
        self.page_title: str | None = None  # printed in the page header (for a sheet without a title row)
        self.freeze_columns: int | None = None  # columns kept in view when scrolling (default: the label columns)
        self.label_max_px: float = LABEL_MAX_PX  # a text column wider than this wraps its text
        self.setup: PageSetup | None = None
        self.pages = 1
        self.breaks: list[int] = []
        self.repeat: tuple[int, int] | None = None

    # ------------------------------------------------------------------------------------------ content
    def title(self, text: str) -> None:
        self.items.append(_Text(text, "title"))

    def line(self, text: str, style: str = "note", gap: int = 1) -> None:
        self.items.append(_Text(text, style, gap - 1 if gap else 0))

    def paragraph(self, text: str) -> None:
        self.items.append(_Text(text, "paragraph", 1))

    def table(self, grid: Grid) -> int:
        """Add a table; returns its handle (for `chart` and `placed`)."""
        self.items.append(_Table(grid))
        return len(self.items) - 1

    def chart(self, table: int, kind: str, title: str, series: list[int]) -> None:
        """A native chart over a table's cells, below everything added so far: categories from its first column,
        one series per column in `series` (named by the header cell), the 合计 row left out."""
        t = self.items[table]
        assert isinstance(t, _Table)
        t.charted = True
        self.items.append(_Chart(table, kind, title, series))

    def placed(self, table: int) -> Placed:
        t = self.items[table]
        assert isinstance(t, _Table)
        return t.placed

    # ------------------------------------------------------------------------------------------ layout
    def finish(self) -> None:
        """Lay the sheet out and write it (see the module's docstring). A sheet of one table (and no paragraphs)
        is frozen under its header and repeats title and header on every page; a sheet of several repeats its
        title, and a table continued after a page break gets its header again."""
        tables = [it for it in self.items if isinstance(it, _Table)]
        ncols = max([len(t.grid.header) for t in tables] + [max(self.widths, default=0) + 1])
        px = self._column_px(tables, ncols)
        shown = [c for c in range(ncols) if c not in self.hidden]
        charts = any(isinstance(it, _Chart) for it in self.items)
        # a narrow sheet is widened (its first column) to hold its title on one line and to match its charts
        titles = [text_px(it.text, TITLE_PT, True) + 2 * pages.PAD_PX for it in self.items if isinstance(it, _Text) and it.style == "title"]
        target = min(max([*titles, CHART_MIN_WIDTH_PX if charts else 0]), PageSetup(False, 100).width_px * pages.FILL)
        if shown and sum(px[c] for c in shown) < target:
            px[shown[0]] += target - sum(px[c] for c in shown)
        content = sum(px[c] for c in shown)
        self.setup = pages.page_setup(content)
        chart_px = min(content, self.setup.width_px * 100 / self.setup.scale * pages.FILL)
        span = [c for c in shown]
        width = sum(px[c] for c in span)
        single = len(tables) == 1 and not any(isinstance(it, _Text) and it.style == "paragraph" for it in self.items)
        blocks: list[tuple[Block, list[_Row]]] = []
        header_row_at = None
        row = 0
        for it in self.items:
            if isinstance(it, _Text):
                rows = self._text_rows(it, span, width)
            elif isinstance(it, _Table):
                rows, block = self._table_rows(it, px, span, width, repeat_header=not single and not it.charted)
                if single:
                    header_row_at = row + block.header
                blocks.append((block, rows))
                row += len(rows)
                continue
            else:
                rows = self._chart_rows(it, chart_px)
            blocks.append((Block([h for h, _ in rows]), rows))
            row += len(rows)
        title_rows = 1 if self.items and isinstance(self.items[0], _Text) and self.items[0].style == "title" else 0
        last_repeat = header_row_at if header_row_at is not None else (title_rows - 1)
        heights = [h for b, _ in blocks for h in b.heights]
        repeated = sum(heights[: last_repeat + 1]) if last_repeat >= 0 else 0.0
        plan = pages.paginate([b for b, _ in blocks], self.setup.capacity_pt, repeated)
        self.pages = plan.pages
        self._write(blocks, plan, px, ncols)
        if last_repeat >= 0:
            self.repeat = (0, last_repeat)
            self.sh.repeat_rows(0, last_repeat)
        if header_row_at is not None:
            t = tables[0]
            columns = t.grid.label_columns if self.freeze_columns is None else self.freeze_columns
            self.sh.freeze_panes(t.placed.header_row + 1, columns)
        elif title_rows:
            self.sh.freeze_panes(1, 0)
        self._page_setup()

    def _column_px(self, tables: list[_Table], ncols: int) -> list[float]:
        """Each column as wide as its widest cell (a label column at most LABEL_MAX_PX, wrapping beyond) and its
        heading (a heading of more than eight characters wraps to two balanced lines)."""
        px = [column_px(self.widths.get(c, 0)) if c in self.widths else 0.0 for c in range(ncols)]
        for t in tables:
            g = t.grid
            for c, h in enumerate(g.header):
                data = max((text_px(cell_text(cells[c]), bold=style == "total") for cells, style in g.rows if c < len(cells)),
                           default=0.0)
                if c < g.label_columns or any(isinstance(cells[c], str) and len(cells[c]) > 3 for cells, _ in g.rows):
                    data = min(data, self.label_max_px - pages.PAD_PX)
                head = text_px(h, bold=True)
                need = head * 1.1 if head <= text_px("字" * 8, bold=True) + 0.5 else head / 2 + 8
                px[c] = max(px[c], data + pages.PAD_PX, need + pages.PAD_PX, 48)
        for c in self.hidden:
            px[c] = column_px(8)
        return px

    def _text_rows(self, it: _Text, span: list[int], width: float) -> list[_Row]:
        size = {"title": TITLE_PT, "subtitle": SUBTITLE_PT}.get(it.style, 11)
        bold = it.style in ("title", "subtitle")
        n = lines_in(it.text, width, size, bold)
        height = row_height(n, size) + (8 if it.style == "title" else 0)
        fmt = self.book.formats[it.style]

        def write(r: int) -> None:
            self._merged(r, span, it.text, fmt)

        return [(height, write), *[(GAP_PT, _blank) for _ in range(it.gap)]]

    def _table_rows(self, it: _Table, px: list[float], span: list[int], width: float,
                    repeat_header: bool) -> tuple[list[_Row], Block]:
        g, b, placed = it.grid, self.book, it.placed
        placed.columns = len(g.header)
        rows: list[_Row] = []
        if g.subtitle:
            rows.append((row_height(lines_in(g.subtitle, width, SUBTITLE_PT, True), SUBTITLE_PT),
                         lambda r: self._merged(r, span, g.subtitle, b.formats["subtitle"])))
        head_lines = max(lines_in(h, px[c], bold=True) for c, h in enumerate(g.header) if c not in self.hidden)

        def header(r: int) -> None:
            self.sh.write_row(r, 0, g.header, b.head)
            if placed.header_row < 0:
                placed.header_row = r

        header_at = len(rows)
        rows.append((row_height(head_lines), header))
        groups = g.groups or [1] * len(g.rows)
        breakable = set()
        i = 0
        for size in groups:
            breakable.add(len(rows) + i)
            i += size
        for k, (cells, style) in enumerate(g.rows):
            n = max([lines_in(cell_text(v), px[c], bold=style == "total") for c, v in enumerate(cells)
                     if isinstance(v, str) and c not in self.hidden] or [1])
            rows.append((row_height(n), self._body_writer(it, k, cells, style)))
        if g.foot:
            rows.append((row_height(lines_in(g.foot, width)), lambda r: self._merged(r, span, g.foot, b.formats["note"])))
        rows.append((GAP_PT, _blank))
        return rows, Block([h for h, _ in rows], head=header_at + 1, header=header_at, splittable=True,
                           repeat_header=repeat_header, breakable=frozenset(breakable))

    def _body_writer(self, it: _Table, k: int, cells: list, style: str) -> Callable[[int], None]:
        g, placed = it.grid, it.placed
        group_start = {}
        pos = 0
        for size in g.groups or []:
            group_start[pos] = size
            pos += size

        def write(r: int) -> None:
            if style != "total":
                placed.first_row = r if placed.first_row < 0 else placed.first_row
                placed.last_row = r
            for j, v in enumerate(cells):
                if j in g.merged and g.groups:
                    if k in group_start:
                        fmt = self.book.answer if j in g.input_columns else self.book.cells[style, "text"]
                        if group_start[k] > 1:
                            self.sh.merge_range(r, j, r + group_start[k] - 1, j, "", fmt)
                        self._cell(r, j, v, style, fmt=fmt)
                    continue
                if j in g.input_columns:
                    self.sh.write_blank(r, j, None, self.book.answer) if v in (None, "") else self.sh.write(r, j, v, self.book.answer)
                    continue
                self._cell(r, j, v, style, label=j < g.label_columns, percent=j in g.percent_columns)

        return write

    def _chart_rows(self, it: _Chart, width_px: float) -> list[_Row]:
        n = math.ceil(CHART_HEIGHT_PX * 0.75 / 15.0) + 1

        def write(r: int) -> None:
            t = self.items[it.table]
            assert isinstance(t, _Table)
            _insert_chart(self, t.placed, it, r, width_px)

        return [(15.0, write), *[(15.0, _blank) for _ in range(n - 1)]]

    def _write(self, blocks: list[tuple[Block, list[_Row]]], plan: pages.Pagination, px: list[float], ncols: int) -> None:
        at = {(b, row): again for b, row, again in plan.breaks}
        r = 0
        for bi, (block, rows) in enumerate(blocks):
            for k, (height, write) in enumerate(rows):
                if (bi, k) in at:
                    self.breaks.append(r)
                    table = self.items[bi]  # one block for each item
                    if at[bi, k] and block.header is not None and isinstance(table, _Table):
                        self.sh.set_row(r, block.heights[block.header])
                        self.sh.write_row(r, 0, table.grid.header, self.book.head)
                        r += 1
                self.sh.set_row(r, height)
                write(r)
                r += 1
        for c in range(ncols):
            if c in self.hidden:
                self.sh.set_column(c, c, column_chars(px[c]), None, {"hidden": True})
            else:
                self.sh.set_column(c, c, column_chars(px[c]))
        if self.breaks:
            self.sh.set_h_pagebreaks(self.breaks)

    def _page_setup(self) -> None:
        s, m = self.sh, pages.MARGINS_IN
        assert self.setup is not None
        s.set_paper(9)  # A4
        s.set_landscape() if self.setup.landscape else s.set_portrait()
        s.set_print_scale(self.setup.scale)
        s.set_margins(left=m["left"], right=m["right"], top=m["top"], bottom=m["bottom"])
        s.center_horizontally()
        s.set_footer("&C" + _("第 &P 页，共 &N 页"), {"margin": pages.HEADER_FOOTER_IN})
        if self.page_title:
            s.set_header("&C&\"-,Bold\"" + self.page_title.replace("&", "&&"), {"margin": pages.HEADER_FOOTER_IN})

    # ------------------------------------------------------------------------------------------ cells
    def _merged(self, r: int, span: list[int], text: str, fmt: Any) -> None:
        if len(span) > 1:
            self.sh.merge_range(r, span[0], r, span[-1], text, fmt)
        else:
            self.sh.write_string(r, span[0] if span else 0, text, fmt)

    def _cell(self, r: int, c: int, v: Any, style: str, label: bool = True, percent: bool = False, fmt: Any = None) -> None:
        fmts = self.book.cells
        if v is None or v == "":
            self.sh.write_blank(r, c, None, fmt or fmts[style, "text"])
        elif isinstance(v, bool):
            self.sh.write_string(r, c, "是" if v else "否", fmt or fmts[style, "text"])
        elif isinstance(v, int | float):
            self.sh.write_number(r, c, v, fmt or fmts[style, "pct" if percent or isinstance(v, float) else "int"])
        else:
            mark = not label and (str(v).startswith("<") or str(v) == SECONDARY_MARK)  # a suppressed count, aligned as counts are
            self.sh.write_string(r, c, str(v), fmt or fmts[style, "masked" if mark else "text"])


def _blank(r: int) -> None:
    return None


def _insert_chart(s: Sheet, placed: Placed, it: _Chart, row: int, width_px: float) -> None:
    if placed.last_row < placed.first_row or placed.first_row < 0:
        return
    kind = it.kind
    chart_type, subtype = {"stacked_column": ("column", "stacked"), "column": ("column", None), "bar": ("bar", None),
                           "pie": ("pie", None)}[kind]
    chart = s.book.wb.add_chart({"type": chart_type, **({"subtype": subtype} if subtype else {})})
    for col in it.series:
        series = {
            "name": [s.name, placed.header_row, col],
            "categories": [s.name, placed.first_row, 0, placed.last_row, 0],
            "values": [s.name, placed.first_row, col, placed.last_row, col],
        }
        if kind == "pie":
            series["data_labels"] = {"percentage": True, "category": True, "leader_lines": True}
        elif len(it.series) == 1:
            series["data_labels"] = {"value": True}
        chart.add_series(series)
    chart.set_title({"name": it.title, "name_font": {"size": 12, "bold": True}})
    if kind != "pie":
        chart.set_y_axis({"name": _("人数"), "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"none": True} if len(it.series) == 1 else {"position": "bottom"})
    chart.set_size({"width": int(width_px), "height": CHART_HEIGHT_PX})
    s.sh.insert_chart(row, 0, chart, {"object_position": 3})


def one_table_sheet(book: Book, name: str, title: str, table: Grid, chart: tuple[str, str, list[int]] | None = None) -> Sheet:
    """A sheet holding one table (title, table, footnote, and a chart of it when asked): frozen under the header,
    title and header repeated on every printed page."""
    s = book.sheet(name)
    s.title(title)
    handle = s.table(table)
    if chart:
        s.chart(handle, *chart)
    s.finish()
    return s


def write_table_workbook(path: Path, title: str, grid: Grid) -> None:
    """One sheet: a title row, a bold bordered header, the rows (合计 bold), the footnote; frozen panes, A4 at the
    scale that fits the page width, title and header repeated on every page. Counts and shares are numbers."""
    book = Book(Path(path))
    one_table_sheet(book, _("统计表"), title, grid)
    book.close()

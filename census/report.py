"""Report workbooks: the district's statistical report as one formatted .xlsx, sheet by sheet from a layout.

District offices hand in a workbook, not a terminal table. `build_report` reads a layout (the packaged
`schemas/reports/default.yaml` unless one is given; checked by `validate_layout` before any work is done) and
writes one sheet per entry: the summary paragraphs, the published tables, the data-quality account and the
coverage list that drives 补查. Every number comes from `census.tally` (`tally`, `crosstab`, `narrative`), so
the workbook agrees with `census tally`; `ReportResult.numbers` returns what was written for tests and scripts.

Published tables (kinds tally, crosstab, structure, representatives) take `suppress` N: cells under N read "<N"
and complementary suppression hides the fewest further cells so that none can be recovered from the margins.
Charts are native Excel charts over the tables' cells, so they render in Excel and WPS and follow edits.
`write_table_workbook` writes the one-sheet workbook of `census tally --format xlsx` with the same formatting.
"""

from __future__ import annotations

import math
import statistics
import string
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from .errors import CensusError, UsageError
from .schema import Text, _keyed, _Model, read_yaml, schemas_dir, validate
from .store import Workspace

KINDS = ("narrative", "tally", "crosstab", "structure", "representatives", "quality", "coverage")
PUBLISHED = ("tally", "crosstab", "structure", "representatives")  # the kinds `suppress` applies to
PLACEHOLDERS = ("district", "year", "scheme")
DEFAULT_BY = {"tally": ["category"], "structure": ["sex", "age_band", "education", "political_status", "party"],
              "representatives": ["category", "street"]}
DEFAULT_TITLES = {  # tally and crosstab titles are built from their dimensions (`_default_title`)
    "structure": "{district}{scheme}结构统计表", "representatives": "{district}{scheme}代表人士统计表",
    "quality": "{district}数据质量报告", "coverage": "{district}各社区（村）普查覆盖情况",
}
KIND_LABELS = {"community_ledger": "社区台账", "unit_ledger": "单位台账", "household_register": "住户台帐",
               "questionnaire": "问卷", "other": "其他"}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "conflict": "冲突", "quarantine": "隔离"}
URBAN_RURAL = {"1": "城镇", "2": "乡村"}
_BAD_SHEET_CHARS = set("[]:*?/\\")
SECONDARY = "×"  # a cell hidden by complementary suppression


# ============================================================================================ the layout file
class ChartDef(_Model):
    type: Literal["stacked_column", "column", "bar", "pie"]
    by: Text | None = None
    title: Text | None = None


class SheetDef(_Model):
    name: Text
    kind: Literal["narrative", "tally", "crosstab", "structure", "representatives", "quality", "coverage"]
    title: Text | None = None
    by: list[Text] | None = None
    rows: Text | None = None
    cols: Text | None = None
    chart: ChartDef | None = None

    @model_validator(mode="after")
    def _check(self) -> SheetDef:
        from .tally import DIMENSIONS

        if not self.name.strip() or len(self.name) > 31 or set(self.name) & _BAD_SHEET_CHARS:
            raise _keyed(("name",), "a sheet name needs 1 to 31 characters and none of [ ] : * ? / \\")
        if self.title is not None:
            _check_template(self.title, ("title",))
        if self.by is not None:
            if self.kind not in DEFAULT_BY:
                raise _keyed(("by",), f"a {self.kind} sheet takes no `by`")
            if not self.by:
                raise _keyed(("by",), "give at least one dimension")
            for i, d in enumerate(self.by):
                if d not in DIMENSIONS:
                    raise _keyed(("by", i), f"{d!r} is not a dimension; use one of {', '.join(DIMENSIONS)}")
            if len(set(self.by)) != len(self.by):
                raise _keyed(("by",), "each dimension may be given once")
        if self.kind == "crosstab":
            for key in ("rows", "cols"):
                value = getattr(self, key)
                if value is None:
                    raise _keyed((key,), "a crosstab needs `rows` and `cols`")
                if value not in DIMENSIONS:
                    raise _keyed((key,), f"{value!r} is not a dimension; use one of {', '.join(DIMENSIONS)}")
            if self.rows == self.cols:
                raise _keyed(("cols",), "`rows` and `cols` must be different dimensions")
        elif self.rows is not None or self.cols is not None:
            raise _keyed(("rows" if self.rows is not None else "cols",), "only a crosstab sheet takes `rows` and `cols`")
        if self.chart is not None:
            self._check_chart()
        return self

    def _check_chart(self) -> None:
        chart = self.chart
        allowed = {"crosstab": ("stacked_column", "column", "bar"), "structure": ("column", "bar", "pie"),
                   "tally": ("column", "bar", "pie")}.get(self.kind)
        if allowed is None:
            raise _keyed(("chart",), f"a {self.kind} sheet has no chart; charts go on tally, crosstab and structure sheets")
        if chart.type not in allowed:
            raise _keyed(("chart", "type"), f"a {self.kind} sheet takes a chart of type {', '.join(allowed)}")
        if self.kind == "tally" and len(self.by or DEFAULT_BY["tally"]) != 1:
            raise _keyed(("chart",), "a chart needs a tally by one dimension")
        if self.kind == "crosstab" and self.rows == "community":
            raise _keyed(("chart",), "the community table is too long for a chart; chart the street table")
        if self.kind == "structure":
            dims = self.by or DEFAULT_BY["structure"]
            if chart.by is None or chart.by not in dims:
                raise _keyed(("chart", "by"), f"say which table to draw: one of {', '.join(dims)}")
        elif chart.by is not None:
            raise _keyed(("chart", "by"), "only a structure sheet's chart takes `by`")
        if chart.title is not None:
            _check_template(chart.title, ("chart", "title"))


class LayoutFile(_Model):
    version: int = 1
    title: Text = "{district}新的社会阶层人士统计报告（{year}年）"
    sheets: list[SheetDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LayoutFile:
        _check_template(self.title, ("title",))
        seen: dict[str, int] = {}
        for i, s in enumerate(self.sheets):
            key = s.name.casefold()
            if key in seen:
                raise _keyed(("sheets", i, "name"), f"{s.name!r} is already the name of sheet {seen[key]}")
            seen[key] = i
        return self


def _check_template(text: str, path: tuple) -> None:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as e:
        raise _keyed(path, f"{text!r} is not a valid title ({e}); write braces only around {{district}}, {{year}} or {{scheme}}") from None
    for name in names:
        if name not in PLACEHOLDERS:
            raise _keyed(path, f"unknown placeholder {{{name}}}; use {{district}}, {{year}} or {{scheme}}")


def validate_layout(data: Any, source: str) -> LayoutFile:
    """Validate a report layout (the YAML mapping with top-level `sheets`); one SchemaError naming the key path."""
    return validate(LayoutFile, data, source)


def default_layout_path() -> Path:
    return schemas_dir() / "reports" / "default.yaml"


def load_layout(path: Path | str | None = None) -> LayoutFile:
    """The layout at `path`, or the packaged default; validated."""
    path = Path(path) if path is not None else default_layout_path()
    return validate_layout(read_yaml(path), str(path))


# ============================================================================================ formatting
@dataclass
class _Table:
    """One table as written: header, rows of (cells, style) with style "", "subtotal" or "total"; numbers are
    numbers, a suppressed cell is the text "<N", None is an empty cell."""

    header: list[str]
    rows: list[tuple[list, str]]
    subtitle: str | None = None
    foot: str | None = None
    label_columns: int = 1
    percent_columns: frozenset[int] = frozenset()


@dataclass
class _Placed:
    """Where a table landed: its header row, first and last leaf rows (the 合计 row excluded), column count."""

    header_row: int
    first_row: int
    last_row: int
    columns: int


def _hidden_mark(count: int, threshold: int) -> str:
    """How a suppressed cell reads: "<N" for a small cell, "×" for a cell hidden only so that no small cell can
    be recovered by subtraction (writing "<N" there would misstate it)."""
    return f"<{threshold}" if 0 < count < threshold else SECONDARY


def _suppression_note(threshold: int | None, cells: list) -> str:
    small = f"<{threshold}"
    if not threshold or not (small in cells or SECONDARY in cells):
        return ""
    note = f"“{small}”表示1至{threshold - 1}人"
    if SECONDARY in cells:
        note += f"；“{SECONDARY}”表示为防止由合计推算而一并隐去的数值"
    return note + "。"


def _text_width(value: Any) -> int:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class _Book:
    """An xlsxwriter workbook with the report's formats."""

    def __init__(self, path: Path):
        import xlsxwriter

        self.path = path
        self.wb = xlsxwriter.Workbook(str(path))
        add = self.wb.add_format
        self.title = add({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self.subtitle = add({"bold": True, "font_size": 12})
        self.head = add({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#DDEBF7"})
        self.note = add({"font_color": "#404040"})
        self.paragraph = add({"text_wrap": True, "valign": "top", "font_size": 11})
        self.cells: dict[tuple[str, str], Any] = {}
        for style, extra in (("", {}), ("subtotal", {"italic": True}), ("total", {"bold": True})):
            self.cells[style, "text"] = add({"border": 1, **extra})
            self.cells[style, "int"] = add({"border": 1, "num_format": "0", **extra})
            self.cells[style, "pct"] = add({"border": 1, "num_format": "0.0", **extra})
            self.cells[style, "masked"] = add({"border": 1, "align": "right", **extra})

    def sheet(self, name: str) -> _Sheet:
        return _Sheet(self, name)

    def discard(self) -> None:
        """Give up without writing anything (xlsxwriter writes the file only on close)."""
        self.wb.fileclosed = True

    def close(self) -> None:
        from xlsxwriter.exceptions import FileCreateError

        try:
            self.wb.close()
        except FileCreateError as e:
            raise CensusError(f"{self.path}: cannot write the workbook ({e.__context__ or e}); close it in Excel or WPS, or choose another file.") from None


class _Sheet:
    """One worksheet being written top to bottom; tracks the column widths its content needs."""

    def __init__(self, book: _Book, name: str):
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

    def table(self, t: _Table) -> _Placed:
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
        return _Placed(header_row, first, last, len(t.header))

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


def _one_table_sheet(book: _Book, name: str, title: str, table: _Table) -> tuple[_Sheet, _Placed]:
    """A sheet holding one table: title, table, footnote; frozen under the header, header repeated in print."""
    s = book.sheet(name)
    s.title(title, len(table.header), gap=0)
    placed = s.table(table)
    s.finish((placed.header_row + 1, table.label_columns), (0, placed.header_row))
    return s, placed


def write_table_workbook(path: Path, title: str, header: list[str], body: list[tuple[list[str], str]], foot: str,
                         label_columns: int = 1) -> None:
    """One sheet: a title row, a bold bordered header, the rows (合计 bold), the footnote; frozen panes,
    A4 landscape, fit to one page wide. Numeric cells are written as numbers."""
    rows = [([int(v) if j >= label_columns and v.isdigit() else v for j, v in enumerate(cells)], style) for cells, style in body]
    book = _Book(Path(path))
    _one_table_sheet(book, "统计表", title, _Table(header, rows, foot=foot, label_columns=label_columns))
    book.close()


# ============================================================================================ the report
@dataclass
class ReportResult:
    """What `build_report` wrote: the file, its sheets in order, and the numbers of each sheet (by sheet name)."""

    path: Path
    sheets: list[str]
    numbers: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "sheets": list(self.sheets), "numbers": self.numbers}


@dataclass
class _Context:
    ws: Workspace
    scheme: str
    as_of: date
    suppress: int | None
    district: str
    scheme_title: str

    def fill(self, template: str) -> str:
        return template.format(district=self.district, year=self.as_of.year, scheme=self.scheme_title)


def build_report(ws: Workspace, output: Path, scheme: str = "current4", as_of: date | None = None,
                 layout: Path | None = None, suppress: int | None = None) -> ReportResult:
    """Write the report workbook to `output` from `layout` (default: schemas/reports/default.yaml).

    `as_of` dates the report (ages, the year in the title; default today). `suppress` N hides published cells
    under N as "<N", with complementary suppression. Linking is not run here: call `ensure_linked` first."""
    from .classify import compiled_schemes
    from .schema import load_schemas
    from .tally import check_request

    check_request(scheme, [])
    if suppress is not None and suppress < 2:
        raise UsageError(f"--suppress must be at least 2, not {suppress}.")
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: the report is an Excel workbook; give a file name ending in .xlsx.")
    if not output.parent.exists():
        raise UsageError(f"{output}: the folder {output.parent} does not exist.")
    spec = load_layout(layout)
    schemes = compiled_schemes(load_schemas())
    ctx = _Context(ws, scheme, as_of or date.today(), suppress,
                   ws.scalar("SELECT name FROM regions WHERE level = 'district'") or "", schemes[scheme].file.title)
    book = _Book(output)
    result = ReportResult(output, [])
    try:
        for sheet in spec.sheets:
            title = ctx.fill(spec.title if sheet.kind == "narrative" and sheet.title is None else sheet.title or _default_title(sheet))
            sheet_ctx = replace(ctx, suppress=suppress if sheet.kind in PUBLISHED else None)
            result.numbers[sheet.name] = _WRITERS[sheet.kind](book, sheet_ctx, sheet, title)
            result.sheets.append(sheet.name)
    except BaseException:
        book.discard()
        raise
    book.close()
    return result


def _default_title(sheet: SheetDef) -> str:
    from .tally import DIMENSION_LABELS

    if sheet.kind == "crosstab":
        if (sheet.rows, sheet.cols) == ("street", "category"):
            return "{district}各街道{scheme}分类统计表"
        if (sheet.rows, sheet.cols) == ("community", "category"):
            return "{district}各社区（村）{scheme}分类统计表"
        return "{district}{scheme}统计表（" + f"{DIMENSION_LABELS[sheet.rows]}×{DIMENSION_LABELS[sheet.cols]}）"
    if sheet.kind == "tally":
        by = sheet.by or DEFAULT_BY["tally"]
        if by == ["category"]:
            return "{district}{scheme}分类统计表"
        return "{district}{scheme}统计表（按" + "、".join(DIMENSION_LABELS[d] for d in by) + "）"
    return DEFAULT_TITLES.get(sheet.kind, "{district}新的社会阶层人士统计报告（{year}年）")


# -------------------------------------------------------------------------------------------- shared pieces
def _known_values(ctx: _Context, dim: str) -> list[str]:
    """Values a one-dimension table always lists (even at 0): the scheme's new-class categories, the register's
    streets, the code tables' labels, the age bands."""
    from .classify import compiled_schemes
    from .schema import load_schemas
    from .tally import DEFAULT_AGE_BANDS

    schemas = load_schemas()
    if dim == "category":
        s = compiled_schemes(schemas)[ctx.scheme]
        return [c for c in s.order if s.group[c] == "new_class"]
    if dim == "street":
        return [n for (n,) in ctx.ws.query("SELECT name FROM regions WHERE level = 'street' ORDER BY code")]
    if dim in ("sex", "education", "political_status"):
        return list(schemas.codes[dim].codes)
    if dim == "party":
        return ["中共党员", "党外"]
    if dim == "representative":
        return ["代表人士", "非代表人士"]
    if dim == "age_band":
        b = DEFAULT_AGE_BANDS
        return [f"<{b[0]}", *(f"{lo}-{hi - 1}" for lo, hi in zip(b, b[1:], strict=False)), f"≥{b[-1]}"]
    return []


def _one_dim(ctx: _Context, dim: str, where: dict[str, str] | None = None):
    """A tally by one dimension with shares of the total, suppressed when asked, and its table rows listing every
    known value (0 where nobody is)."""
    from .tally import DIMENSION_LABELS, tally

    t = tally(ctx.ws, ctx.scheme, [dim], where, ctx.as_of, percent="total", suppress=ctx.suppress,
              complementary=bool(ctx.suppress))
    index = {r[dim]: i for i, r in enumerate(t.rows)}
    values = list(dict.fromkeys([*_known_values(ctx, dim), *index]))
    rows: list[tuple[list, str]] = []
    for v in values:
        i = index.get(v)
        if i is None:
            rows.append(([v, 0, 0.0 if t.total else None], ""))
        elif i in t.hidden:
            rows.append(([v, _hidden_mark(t.rows[i]["count"], ctx.suppress), None], ""))
        else:
            rows.append(([v, t.rows[i]["count"], t.rows[i].get("percent")], ""))
    rows.append((["合计", t.total, 100.0 if t.total else None], "total"))
    table = _Table([DIMENSION_LABELS.get(dim, dim), "人数", "占比（%）"], rows, percent_columns=frozenset({2}))
    table.foot = _suppression_note(ctx.suppress, [r[0][1] for r in rows]) or None
    return t, table


def _add_chart(book: _Book, s: _Sheet, placed: _Placed, kind: str, title: str, series_cols: list[int],
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


# -------------------------------------------------------------------------------------------- 1. narrative
def _write_narrative(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    from .classify import compiled_schemes
    from .schema import load_schemas
    from .tally import narrative, tally

    schemes = compiled_schemes(load_schemas())
    other = next((n for n in schemes if n != ctx.scheme), None)
    ws = ctx.ws
    s = book.sheet(sheet.name)
    span = 8
    s.widths = {0: 30, **{c: 12 for c in range(1, span)}}
    s.title(title, span)
    main = schemes[ctx.scheme].file
    s.line(f"统计口径：{main.title}" + (f"，依据{main.basis}" if main.basis else "") + f"；统计时点：{ctx.as_of.isoformat()}。")
    s.row += 1
    texts = {ctx.scheme: narrative(ws, ctx.scheme)}
    s.line(f"一、{main.title}", book.subtitle)
    s.paragraph(texts[ctx.scheme], span)
    if other:
        texts[other] = narrative(ws, other)
        s.line(f"二、{schemes[other].file.title}（供对照）", book.subtitle)
        s.paragraph(texts[other], span)
    t = tally(ws, ctx.scheme, ["representative"], as_of=ctx.as_of)
    figures: dict[str, int] = {main.title: t.total}
    figures.update(t.outside_total)
    figures["待核实"] = t.unresolved
    figures["不属于统计范围"] = t.excluded
    if other:
        figures[schemes[other].file.title] = tally(ws, other, ["category"], as_of=ctx.as_of).total
    figures["人员总数（去重后）"] = int(ws.scalar("SELECT count(*) FROM persons") or 0)
    figures["来源记录数"] = int(ws.scalar("SELECT count(*) FROM records WHERE status = 'record'") or 0)
    figures["代表人士"] = sum(r["count"] for r in t.rows if r["representative"] == "代表人士")
    rows = [([k, v], "") for k, v in figures.items()]
    s.table(_Table(["主要数据", "人数"], rows, subtitle="三、主要数据"))
    s.finish((1, 0), (0, 0))
    return {"kind": "narrative", "title": title, "narratives": texts, "figures": figures}


# -------------------------------------------------------------------------------------------- 2. tally
def _write_tally(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    from .tally import DIMENSION_LABELS, footnote, tally

    by = sheet.by or DEFAULT_BY["tally"]
    if len(by) == 1:
        t, table = _one_dim(ctx, by[0])
    else:
        t = tally(ctx.ws, ctx.scheme, by, None, ctx.as_of, percent="total", suppress=ctx.suppress,
                  complementary=bool(ctx.suppress))
        table = _Table([*(DIMENSION_LABELS.get(d, d) for d in by), "人数", "占比（%）"], _long_rows(t),
                       label_columns=len(by), percent_columns=frozenset({len(by) + 1}))
    table.foot = footnote(t.outside_total, t.unresolved, t.excluded) + _suppression_note(ctx.suppress, [c for r, _ in table.rows for c in r])
    s, placed = _one_table_sheet(book, sheet.name, title, table)
    if sheet.chart:
        _add_chart(book, s, placed, sheet.chart.type, sheet.chart.title or title, [1], s.row + 1)
    return {"kind": "tally", **t.to_dict()}


def _long_rows(t) -> list[tuple[list, str]]:
    """A nested tally's leaves with 小计 after each group of the leading dimensions and the 合计 last."""
    depth = len(t.by)
    out: list[tuple[list, str]] = []

    def close(prev: tuple, nxt: tuple | None) -> None:
        for level in range(depth - 1, 0, -1):
            prefix = prev[:level]
            if nxt is None or nxt[:level] != prefix:
                n = t.subtotals.get(prefix, 0)
                out.append(([*prefix, "小计", *[""] * (depth - level - 1), n, round(100.0 * n / t.total, 1) if t.total else None], "subtotal"))

    prev: tuple | None = None
    for i, r in enumerate(t.rows):
        values = tuple(r[d] for d in t.by)
        if prev is not None:
            close(prev, values)
        hidden = i in t.hidden
        out.append(([*values, _hidden_mark(r["count"], t.suppress) if hidden else r["count"], None if hidden else r.get("percent")], ""))
        prev = values
    if prev is not None:
        close(prev, None)
    out.append((["合计", *[""] * (depth - 1), t.total, 100.0 if t.total else None], "total"))
    return out


# -------------------------------------------------------------------------------------------- 3/4. crosstab
def _write_crosstab(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    from .tally import DIMENSION_LABELS, crosstab, footnote

    if sheet.rows == "community":
        return _write_community_table(book, ctx, sheet, title)
    ct = crosstab(ctx.ws, ctx.scheme, sheet.rows, sheet.cols, as_of=ctx.as_of, suppress=ctx.suppress,
                  complementary=bool(ctx.suppress))
    header = [DIMENSION_LABELS.get(ct.row_dim, ct.row_dim), *ct.col_values, "合计"]
    rows: list[tuple[list, str]] = []
    for r in ct.row_values:
        cells = [_hidden_mark(ct.value(r, c), ct.suppress) if (r, c) in ct.hidden else ct.value(r, c) for c in ct.col_values]
        rows.append(([r, *cells, ct.row_totals.get(r, 0)], ""))
    rows.append((["合计", *(ct.col_totals.get(c, 0) for c in ct.col_values), ct.total], "total"))
    foot = footnote(ct.outside_total, ct.unresolved, ct.excluded) + _suppression_note(ct.suppress, [c for r, _ in rows for c in r])
    table = _Table(header, rows, foot=foot)
    s, placed = _one_table_sheet(book, sheet.name, title, table)
    if sheet.chart:
        _add_chart(book, s, placed, sheet.chart.type, sheet.chart.title or title,
                   list(range(1, len(ct.col_values) + 1)), s.row + 1)
    return {"kind": "crosstab", **ct.to_dict()}


def _write_community_table(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    """Communities × `cols`, grouped by street with 小计 rows: every community of the register (0 where nobody
    is), then any place the records name outside it. Suppression protects every published sum, 小计 included."""
    from .suppress import complementary, primary
    from .tally import DIMENSION_LABELS, UNKNOWN, crosstab, footnote, sort_key, tally

    ws = ctx.ws
    ct = crosstab(ws, ctx.scheme, "community", sheet.cols, as_of=ctx.as_of)
    cols = list(ct.col_values)
    t = tally(ws, ctx.scheme, ["street", "community", sheet.cols], as_of=ctx.as_of)
    counts = {(r["street"], r["community"], r[sheet.cols]): r["count"] for r in t.rows}
    streets = [n for (n,) in ws.query("SELECT name FROM regions WHERE level = 'street' ORDER BY code")]
    groups: dict[str, list[str]] = {st: [] for st in streets}
    for st, cm in ws.query("""SELECT s.name, c.name FROM regions c JOIN regions s ON s.level = 'street' AND s.code = c.parent_code
                              WHERE c.level = 'community' ORDER BY s.code, c.code"""):
        groups.setdefault(st, []).append(cm)
    seen = sorted({(st, cm) for st, cm, _ in counts}, key=lambda k: (sort_key({}, "street")(k[0]), sort_key({}, "community")(k[1])))
    for st, cm in seen:
        if cm not in groups.setdefault(st, []):
            groups[st].append(cm)
    groups = {st: cms for st, cms in groups.items() if cms}
    keys = [(st, cm, c) for st, cms in groups.items() for cm in cms for c in cols]
    values = [counts.get(k, 0) for k in keys]
    hidden: set[int] = set()
    if ctx.suppress:
        pos = {k: i for i, k in enumerate(keys)}
        sums = [[pos[st, cm, c] for c in cols] for st, cms in groups.items() for cm in cms]
        sums += [[pos[st, cm, c] for cm in cms] for st, cms in groups.items() for c in cols]
        sums += [[pos[st, cm, c] for cm in cms for c in cols] for st, cms in groups.items()]
        sums += [[pos[st, cm, c] for st, cms in groups.items() for cm in cms] for c in cols]
        sums.append(list(range(len(keys))))
        hidden = complementary(values, sums, primary(values, ctx.suppress))
    shown = {k: (_hidden_mark(values[i], ctx.suppress) if i in hidden else values[i]) for i, k in enumerate(keys)}
    rows: list[tuple[list, str]] = []
    out_rows: list[dict] = []
    for st, cms in groups.items():
        for cm in cms:
            cells = [shown[st, cm, c] for c in cols]
            n = sum(counts.get((st, cm, c), 0) for c in cols)
            rows.append(([st, cm, *cells, n], ""))
            out_rows.append({"street": st, "community": cm, "cells": {c: (None if isinstance(v, str) else v) for c, v in zip(cols, cells, strict=True)},
                             "total": n})
        sub = [sum(counts.get((st, cm, c), 0) for cm in cms) for c in cols]
        rows.append(([st, "小计", *sub, sum(sub)], "subtotal"))
    col_totals = [sum(counts.get((st, cm, c), 0) for st, cms in groups.items() for cm in cms) for c in cols]
    rows.append((["合计", "", *col_totals, sum(col_totals)], "total"))
    unplaced = sum(n for (st, cm, _), n in counts.items() if cm == UNKNOWN)
    foot = footnote(ct.outside_total, ct.unresolved, ct.excluded)
    if unplaced:
        foot += f"“{UNKNOWN}”行为未能确定所属社区（村）的{unplaced}名人员。"
    foot += _suppression_note(ctx.suppress, list(shown.values()))
    table = _Table([DIMENSION_LABELS["street"], DIMENSION_LABELS.get("community", "社区"), *cols, "合计"], rows,
                   foot=foot, label_columns=2)
    _one_table_sheet(book, sheet.name, title, table)
    return {"kind": "crosstab", "scheme": ctx.scheme, "rows_dim": "community", "cols_dim": sheet.cols, "columns": cols,
            "rows": out_rows, "column_totals": dict(zip(cols, col_totals, strict=True)), "total": sum(col_totals),
            "outside_total": ct.outside_total, "unresolved": ct.unresolved, "excluded": ct.excluded,
            **({"suppressed_below": ctx.suppress} if ctx.suppress else {})}


# -------------------------------------------------------------------------------------------- 5. structure
_NUMERALS = "一二三四五六七八九十"


def _write_structure(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    from .tally import DIMENSION_LABELS, footnote

    by = sheet.by or DEFAULT_BY["structure"]
    s = book.sheet(sheet.name)
    s.title(title, 3)
    s.line(f"统计时点：{ctx.as_of.isoformat()}；占比为占新的社会阶层人士总数的百分比。")
    numbers: dict[str, Any] = {"kind": "structure"}
    placed: dict[str, _Placed] = {}
    last = None
    for k, dim in enumerate(by):
        t, table = _one_dim(ctx, dim)
        table.subtitle = f"（{_NUMERALS[k % 10]}）按{DIMENSION_LABELS.get(dim, dim)}"
        placed[dim] = s.table(table)
        numbers[dim] = t.to_dict()
        last = t
    if last is not None:
        s.line(footnote(last.outside_total, last.unresolved, last.excluded))
    if sheet.chart:
        dim = sheet.chart.by
        _add_chart(book, s, placed[dim], sheet.chart.type, sheet.chart.title or f"按{DIMENSION_LABELS.get(dim, dim)}", [1], s.row + 1)
    s.finish((1, 0), (0, 0))
    return numbers


# -------------------------------------------------------------------------------------------- 6. representatives
def _write_representatives(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    from .tally import DIMENSION_LABELS, footnote

    by = sheet.by or DEFAULT_BY["representatives"]
    where = {"representative": "代表人士"}
    s = book.sheet(sheet.name)
    s.title(title, 3)
    tables = [(dim, *_one_dim(ctx, dim, where)) for dim in by]
    total = tables[0][1].total if tables else 0
    s.line(f"新的社会阶层代表人士共{total}名。", book.subtitle, gap=2)
    numbers: dict[str, Any] = {"kind": "representatives", "total": total}
    for k, (dim, t, table) in enumerate(tables):
        table.subtitle = f"（{_NUMERALS[k % 10]}）按{DIMENSION_LABELS.get(dim, dim)}"
        table.header[1] = "代表人士"
        s.table(table)
        numbers[dim] = t.to_dict()
    if tables:
        t = tables[0][1]
        s.line("代表人士中" + footnote(t.outside_total, t.unresolved, t.excluded))
    s.finish((1, 0), (0, 0))
    return numbers


# -------------------------------------------------------------------------------------------- 7. quality
def _write_quality(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    from .quality import CODES
    from .tally import tally

    ws = ctx.ws
    s = book.sheet(sheet.name)
    s.title(title, 6)
    sources = ws.query("SELECT path, kind, data_rows, records, quarantined, warnings FROM sources ORDER BY path")
    rows: list[tuple[list, str]] = [([p, KIND_LABELS.get(k, k), d, r, q, w], "") for p, k, d, r, q, w in sources]
    sums = [sum(x[i] for x in sources) for i in range(2, 6)]
    rows.append((["合计", f"{len(sources)}个文件", *sums], "total"))
    s.table(_Table(["文件", "类型", "数据行", "记录", "隔离行", "警告"], rows, subtitle="（一）已导入的来源文件", label_columns=2))

    quarantined = ws.query("SELECT reason, count(*) FROM records WHERE status = 'quarantined' GROUP BY reason ORDER BY 2 DESC, 1")
    rows = [([code, CODES[code].title if code in CODES else "", n], "") for code, n in quarantined]
    rows.append((["合计", "", sum(n for _, n in quarantined)], "total"))
    s.table(_Table(["原因代码", "说明", "行数"], rows, subtitle="（二）隔离行（未作为记录）按原因", label_columns=2))

    order = {c: i for i, c in enumerate(CODES)}
    severity_order = {"error": 0, "warning": 1, "conflict": 2}
    issues = sorted(ws.query("SELECT code, severity, count(*) FROM issues WHERE severity <> 'quarantine' GROUP BY ALL"),
                    key=lambda x: (severity_order.get(x[1], 9), order.get(x[0], 999), x[0]))
    rows = [([code, CODES[code].title if code in CODES else "", SEVERITY_LABELS.get(sev, sev), n], "") for code, sev, n in issues]
    rows.append((["合计", "", "", sum(n for *_, n in issues)], "total"))
    s.table(_Table(["问题代码", "说明", "级别", "条数"], rows, subtitle="（三）数据问题按代码", label_columns=3))

    t = tally(ws, ctx.scheme, ["category"], as_of=ctx.as_of)
    review_pairs = int(ws.scalar("SELECT count(*) FROM pairs WHERE status = 'review'") or 0)
    conflicts = int(ws.scalar("""SELECT count(*) FROM issues WHERE severity = 'conflict'
                                 AND field IN ('category', 'community', 'birth_date')""") or 0)
    figures = {
        "人员总数（去重后）": int(ws.scalar("SELECT count(*) FROM persons") or 0),
        "无有效身份证号的人员": int(ws.scalar("SELECT count(*) FROM persons WHERE NOT has_valid_id") or 0),
        "类别待核实的人员": t.unresolved,
        "待核查：疑似同一人（对）": review_pairs,
        "待核查：信息冲突（项）": conflicts,
        "待核查事项合计": review_pairs + conflicts,
    }
    rows = [([k, v], "") for k, v in figures.items()]
    rows.append((["关联结果是否最新", "是" if ws.link_current else "否（请运行 census link）"], ""))
    s.table(_Table(["项目", "数量"], rows, subtitle="（四）人员与待核查事项"))
    s.line("待核查事项可用 census review export -o 核查清单.xlsx 导出，由街道、社区核实后用 census review apply 导回。")
    s.finish((1, 0), (0, 0))
    return {
        "kind": "quality",
        "sources": [{"file": p, "kind": k, "rows": d, "records": r, "quarantined": q, "warnings": w} for p, k, d, r, q, w in sources],
        "quarantined": dict(quarantined), "issues": {code: n for code, _, n in issues},
        **{"persons": figures["人员总数（去重后）"], "no_valid_id": figures["无有效身份证号的人员"], "unresolved": t.unresolved,
           "review_pairs": review_pairs, "conflicts": conflicts, "link_current": ws.link_current},
    }


# -------------------------------------------------------------------------------------------- 8. coverage
def _write_coverage(book: _Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    """Every community of the register with its count; 补查 where nobody was found or fewer than half the
    street's median — the communities whose ledgers are most likely incomplete."""
    from .classify import compiled_schemes
    from .schema import load_schemas
    from .tally import UNKNOWN, tally

    ws = ctx.ws
    s_def = compiled_schemes(load_schemas())[ctx.scheme]
    outside_cats = [c for c in s_def.order if s_def.group[c] == "outside"]
    t = tally(ws, ctx.scheme, ["street", "community"], as_of=ctx.as_of)
    counts = {(r["street"], r["community"]): r["count"] for r in t.rows}
    outside: dict[tuple[str, str, str], int] = {
        (st, cm, cat): n for st, cm, cat, n in ws.query(
            f"""SELECT coalesce(p.street, '{UNKNOWN}'), coalesce(p.community, '{UNKNOWN}'), c.category, count(*)
                FROM persons p JOIN classifications c USING (person_id)
                WHERE c.scheme = ? AND c.grp = 'outside' GROUP BY ALL""", [ctx.scheme])}
    register = ws.query("""SELECT s.name, s.code, c.name, c.code, c.type
                           FROM regions c JOIN regions s ON s.level = 'street' AND s.code = c.parent_code
                           WHERE c.level = 'community' ORDER BY s.code, c.code""")
    medians: dict[str, float] = {}
    for st in dict.fromkeys(r[0] for r in register):
        medians[st] = statistics.median(counts.get((st, cm), 0) for s2, _, cm, _, _ in register if s2 == st)
    rows: list[tuple[list, str]] = []
    out: list[dict] = []
    for st, st_code, cm, cm_code, typ in register:
        n = counts.get((st, cm), 0)
        med = medians[st]
        if n == 0:
            advice, why = "补查", "未登记到新的社会阶层人士"
        elif n < med / 2:
            advice, why = "补查", f"少于本街道各社区中位数（{med:g}人）的一半"
        else:
            advice, why = "", ""
        others = [outside.get((st, cm, c), 0) for c in outside_cats]
        kind = URBAN_RURAL.get((typ or "")[:1], "")
        rows.append(([st, st_code, cm, cm_code, f"{typ}{kind}" if typ else "", n, *others, advice, why], ""))
        out.append({"street": st, "street_code": st_code, "community": cm, "code": cm_code, "type": typ, "count": n,
                    "outside": dict(zip(outside_cats, others, strict=True)), "street_median": med, "advice": advice})
    total = sum(r["count"] for r in out)
    rows.append((["合计", "", f"{len(out)}个社区（村）", "", "", total, *(sum(r["outside"][c] for r in out) for c in outside_cats),
                  f"{sum(r['advice'] == '补查' for r in out)}个需补查", ""], "total"))
    registered = {(st, cm) for st, _, cm, _, _ in register}
    unplaced = sum(n for k, n in counts.items() if k not in registered)
    foot = "补查建议：社区（村）未登记到新的社会阶层人士，或人数少于本街道各社区（村）中位数的一半。"
    if unplaced:
        foot += f"另有{unplaced}名新的社会阶层人士未能确定所属社区（村），未列入上表。"
    header = ["街道", "街道代码", "社区（村）", "社区代码", "城乡分类", "新的社会阶层人士", *outside_cats, "补查建议", "说明"]
    _one_table_sheet(book, sheet.name, title, _Table(header, rows, foot=foot, label_columns=5))
    return {"kind": "coverage", "rows": out, "total": total, "unplaced": unplaced}


_WRITERS = {
    "narrative": _write_narrative, "tally": _write_tally, "crosstab": _write_crosstab, "structure": _write_structure,
    "representatives": _write_representatives, "quality": _write_quality, "coverage": _write_coverage,
}

__all__ = ["KINDS", "LayoutFile", "ReportResult", "SheetDef", "build_report", "default_layout_path", "load_layout",
           "validate_layout", "write_table_workbook"]

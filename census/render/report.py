"""Report workbooks: the district's statistical report as one formatted .xlsx, sheet by sheet from a layout.

District offices hand in a workbook, not a terminal table. `build_report` reads a layout (the packaged
`schemas/reports/default.yaml` unless one is given; checked before any work is done) and writes one sheet per
entry: the summary paragraphs, the published tables, the data-quality account and the coverage list that drives
补查. Every number comes from `census.tables` (`tally`, `crosstab`, `narrative` and the report's own numbers), so
the workbook agrees with `census tally`; `ReportResult.numbers` returns what was written for tests and scripts.

Published tables (kinds tally, crosstab, structure, representatives) take `suppress` N: cells under N read "<N"
and complementary suppression hides the fewest further cells so that none can be recovered from the margins.
Charts are native Excel charts over the tables' cells, so they render in Excel and WPS and follow edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from ..categories.schemes import compiled_schemes
from ..config import load_layout, load_schemas
from ..config.layouts import DEFAULT_BY, DEFAULT_TITLES, PUBLISHED, SheetDef
from ..errors import UsageError
from ..i18n import _
from ..pipeline import ensure_current
from ..tables.dimensions import check_request, known_values
from ..tables.report import community_table, coverage, key_figures, quality
from ..tables.tally import crosstab, narrative, tally
from ..vocab import (
    MULTI_VALUED,
    REPRESENTATIVE,
    SEVERITY_LABELS,
    SOURCE_KIND_LABELS,
    SUBTOTAL,
    TOTAL,
    UNKNOWN,
    URBAN_RURAL,
)
from ..workspace import Workspace
from ..workspace.queries import district_name
from ..workspace.rounds import previous_round, table_round
from .document import DocumentResult, build_document
from .report_rounds import write_arrangements, write_changes
from .rows import (
    Grid,
    code_title,
    crosstab_grid,
    dimension_label,
    footnote,
    suppression_note,
    table_note,
    tally_grid,
)
from .xlsx import Book, one_table_sheet

_NUMERALS = "一二三四五六七八九十"


@dataclass
class ReportResult:
    """What `build_report` wrote: the file, its sheets in order, the numbers of each sheet (by sheet name) and the
    pages each sheet prints on (A4, as laid out)."""

    path: Path
    sheets: list[str]
    numbers: dict[str, dict] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "sheets": list(self.sheets), "numbers": self.numbers, "pages": dict(self.pages)}


@dataclass
class _Context:
    ws: Workspace
    scheme: str
    as_of: date
    suppress: int | None
    district: str
    scheme_title: str
    round: str | None = None  # the round (year) the report is of

    def fill(self, template: str) -> str:
        return template.format(district=self.district, year=self.round or self.as_of.year, scheme=self.scheme_title)

    def of(self, dims: list[str]) -> str | None:
        """The round a table of `dims` counts: the report's, unless rounds are side by side in it."""
        return None if "round" in dims else self.round


def build_report(ws: Workspace, output: Path, scheme: str = "current4", as_of: date | None = None,
                 layout: Path | None = None, suppress: int | None = None,
                 round: str | int | None = None) -> ReportResult | DocumentResult:
    """Write the report of a round (default: the latest; the year of the report is the round's) to `output`: a
    workbook (.xlsx) from `layout` (default: schemas/reports/default.yaml), or the written report (.docx,
    `census.render.document.build_document`; the layout gives its title).

    `as_of` dates the report (ages; default today). `suppress` N hides published cells under N as "<N", with
    complementary suppression. Stale persons are linked and classified first. A changes sheet (年度变化) is written
    only when the workspace holds an earlier round."""
    check_request(scheme, [])
    if suppress is not None and suppress < 2:
        raise UsageError(_("--suppress 至少为2，不能是{n}。").format(n=suppress))
    output = Path(output)
    if output.suffix.lower() not in (".xlsx", ".docx"):
        raise UsageError(_("{path}：报告的文件名应以 .xlsx（Excel工作簿）或 .docx（Word文档）结尾。").format(path=output))
    if not output.parent.exists():
        raise UsageError(_("{path}：文件夹{folder}不存在。").format(path=output, folder=output.parent))
    spec = load_layout(layout)
    if output.suffix.lower() == ".docx":
        return build_document(ws, output, scheme, as_of, suppress, title=spec.title, round=round)
    ensure_current(ws)
    schemes = compiled_schemes(load_schemas())
    ctx = _Context(ws, scheme, as_of or date.today(), suppress, district_name(ws), schemes[scheme].file.title,
                   table_round(ws, round))
    book = Book(output)
    result = ReportResult(output, [])
    try:
        for sheet in spec.sheets:
            if sheet.kind == "changes" and previous_round(ws, ctx.round) is None:
                continue  # the first round has nothing to compare with
            title = ctx.fill(spec.title if sheet.kind == "narrative" and sheet.title is None else sheet.title or _default_title(sheet))
            sheet_ctx = replace(ctx, suppress=suppress if sheet.kind in PUBLISHED else None)
            result.numbers[sheet.name] = _WRITERS[sheet.kind](book, sheet_ctx, sheet, title)
            result.sheets.append(sheet.name)
    except BaseException:
        book.discard()
        raise
    book.close()
    result.pages = {s.name: s.pages for s in book.sheets}
    return result


def _default_title(sheet: SheetDef) -> str:
    if sheet.kind == "crosstab":
        if (sheet.rows, sheet.cols) == ("street", "category"):
            return "{district}各街道{scheme}分类统计表"
        if (sheet.rows, sheet.cols) == ("community", "category"):
            return "{district}各社区（村）{scheme}分类统计表"
        return "{district}{scheme}统计表（" + f"{dimension_label(sheet.rows)}×{dimension_label(sheet.cols)}）"
    if sheet.kind == "tally":
        by = sheet.by or DEFAULT_BY["tally"]
        if by == ["category"]:
            return "{district}{scheme}分类统计表"
        return "{district}{scheme}统计表（按" + "、".join(dimension_label(d) for d in by) + "）"
    return DEFAULT_TITLES.get(sheet.kind, "{district}新的社会阶层人士统计报告（{year}年）")


def _one_dim(ctx: _Context, dim: str, where: dict[str, str] | None = None):
    """A tally by one dimension with shares of the total, suppressed when asked, listing every known value (0
    where nobody is)."""
    t = tally(ctx.ws, ctx.scheme, [dim], where, ctx.as_of, percent="total", suppress=ctx.suppress,
              complementary=bool(ctx.suppress) and dim not in MULTI_VALUED, round=ctx.of([dim]))
    grid = tally_grid(t, known_values(ctx.ws, ctx.scheme, dim))
    grid.foot = suppression_note(ctx.suppress, grid.cells()) or None
    return t, grid


# -------------------------------------------------------------------------------------------- 1. narrative
def _write_narrative(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    schemes = compiled_schemes(load_schemas())
    other = next((n for n in schemes if n != ctx.scheme), None)
    s = book.sheet(sheet.name)
    s.widths = {0: 30, **{c: 11 for c in range(1, 5)}}  # as wide as a portrait page
    s.title(title)
    main = schemes[ctx.scheme].file
    basis = _("，依据{basis}").format(basis=main.basis) if main.basis else ""
    s.line(_("统计口径：{scheme}{basis}；统计时点：{date}。").format(scheme=main.title, basis=basis, date=ctx.as_of.isoformat()), gap=2)
    texts = {ctx.scheme: narrative(ctx.ws, ctx.scheme, round=ctx.round)}
    s.line(_("一、{scheme}").format(scheme=main.title), "subtitle")
    s.paragraph(texts[ctx.scheme])
    if other:
        texts[other] = narrative(ctx.ws, other, round=ctx.round)
        s.line(_("二、{scheme}（供对照）").format(scheme=schemes[other].file.title), "subtitle")
        s.paragraph(texts[other])
    figures = key_figures(ctx.ws, ctx.scheme, other, ctx.as_of, ctx.round)
    s.table(Grid([_("主要数据"), _("人数")], [([k, v], "") for k, v in figures.items()], subtitle=_("三、主要数据")))
    s.finish()
    return {"kind": "narrative", "title": title, "narratives": texts, "figures": figures}


# -------------------------------------------------------------------------------------------- 2. tally
def _write_tally(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    by = sheet.by or DEFAULT_BY["tally"]
    if len(by) == 1:
        t, grid = _one_dim(ctx, by[0])
    else:
        # rounds side by side: each round's shares are of its own total
        t = tally(ctx.ws, ctx.scheme, by, None, ctx.as_of, percent="row" if by[0] == "round" else "total", suppress=ctx.suppress,
                  complementary=bool(ctx.suppress) and not set(by) & set(MULTI_VALUED), round=ctx.of(by))
        grid = tally_grid(t)
    grid.foot = table_note(t.outside_total, t.unresolved, t.excluded, ctx.suppress, grid, t.by_round)
    one_table_sheet(book, sheet.name, title, grid, (sheet.chart.type, sheet.chart.title or title, [1]) if sheet.chart else None)
    return {"kind": "tally", **t.to_dict()}


# -------------------------------------------------------------------------------------------- 3/4. crosstab
def _write_crosstab(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    if sheet.rows == "community":
        return _write_community_table(book, ctx, sheet, title)
    ct = crosstab(ctx.ws, ctx.scheme, sheet.rows, sheet.cols, as_of=ctx.as_of, suppress=ctx.suppress,
                  complementary=bool(ctx.suppress) and not {sheet.rows, sheet.cols} & set(MULTI_VALUED),
                  round=ctx.of([sheet.rows, sheet.cols]))
    grid = crosstab_grid(ct)
    grid.foot = table_note(ct.outside_total, ct.unresolved, ct.excluded, ct.suppress, grid, ct.by_round)
    chart = (sheet.chart.type, sheet.chart.title or title, list(range(1, len(ct.col_values) + 1))) if sheet.chart else None
    one_table_sheet(book, sheet.name, title, grid, chart)
    return {"kind": "crosstab", **ct.to_dict()}


def _write_community_table(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    """Communities × `cols`, grouped by street with 小计 rows; suppression protects every published sum."""
    ct = community_table(ctx.ws, ctx.scheme, sheet.cols, ctx.as_of, ctx.suppress, ctx.round)
    rows: list[tuple[list, str]] = []
    out_rows: list[dict] = []
    for st, cms in ct.groups.items():
        for cm in cms:
            cells = [ct.shown[st, cm, c] for c in ct.cols]
            n = ct.row_total(st, cm)
            rows.append(([st, cm, *cells, n], ""))
            out_rows.append({"street": st, "community": cm, "total": n,
                             "cells": {c: (None if isinstance(v, str) else v) for c, v in zip(ct.cols, cells, strict=True)}})
        sub = ct.street_totals(st)
        rows.append(([st, SUBTOTAL, *sub, sum(sub)], "subtotal"))
    col_totals = ct.col_totals()
    rows.append(([TOTAL, "", *col_totals, sum(col_totals)], "total"))
    foot = footnote(ct.outside_total, ct.unresolved, ct.excluded)
    if ct.unplaced:
        foot += f"“{UNKNOWN}”行为未能确定所属社区（村）的{ct.unplaced}名人员。"
    foot += suppression_note(ctx.suppress, list(ct.shown.values()))
    grid = Grid([dimension_label("street"), dimension_label("community"), *ct.cols, TOTAL], rows, foot=foot, label_columns=2)
    one_table_sheet(book, sheet.name, title, grid)
    return {"kind": "crosstab", "scheme": ctx.scheme, "rows_dim": "community", "cols_dim": sheet.cols, "columns": ct.cols,
            "rows": out_rows, "column_totals": dict(zip(ct.cols, col_totals, strict=True)), "total": sum(col_totals),
            "outside_total": ct.outside_total, "unresolved": ct.unresolved, "excluded": ct.excluded,
            **({"suppressed_below": ctx.suppress} if ctx.suppress else {})}


# -------------------------------------------------------------------------------------------- 5. structure
def _write_structure(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    by = sheet.by or DEFAULT_BY["structure"]
    s = book.sheet(sheet.name)
    s.title(title)
    s.line(_("统计时点：{date}；占比为占新的社会阶层人士总数的百分比。").format(date=ctx.as_of.isoformat()), gap=2)
    numbers: dict[str, Any] = {"kind": "structure"}
    placed: dict[str, int] = {}
    last = None
    for k, dim in enumerate(by):
        t, grid = _one_dim(ctx, dim)
        grid.subtitle = _("（{n}）按{dimension}").format(n=_NUMERALS[k % 10], dimension=dimension_label(dim))
        placed[dim] = s.table(grid)
        numbers[dim] = t.to_dict()
        last = t
    if last is not None:
        s.line(footnote(last.outside_total, last.unresolved, last.excluded), gap=2)
    if sheet.chart:
        dim = sheet.chart.by
        s.chart(placed[dim], sheet.chart.type, sheet.chart.title or _("按{dimension}").format(dimension=dimension_label(dim)), [1])
    s.finish()
    return numbers


# -------------------------------------------------------------------------------------------- 6. representatives
def _write_representatives(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    by = sheet.by or DEFAULT_BY["representatives"]
    s = book.sheet(sheet.name)
    s.title(title)
    tables = [(dim, *_one_dim(ctx, dim, {"representative": REPRESENTATIVE})) for dim in by]
    total = tables[0][1].total if tables else 0
    s.line(_("新的社会阶层代表人士共{n}名。").format(n=total), "subtitle", gap=2)
    numbers: dict[str, Any] = {"kind": "representatives", "total": total}
    for k, (dim, t, grid) in enumerate(tables):
        grid.subtitle = _("（{n}）按{dimension}").format(n=_NUMERALS[k % 10], dimension=dimension_label(dim))
        grid.header[1] = REPRESENTATIVE
        s.table(grid)
        numbers[dim] = t.to_dict()
    numbers["arrangement"] = write_arrangements(s, ctx, f"（{_NUMERALS[len(tables) % 10]}）")
    if tables:
        t = tables[0][1]
        s.line(_("代表人士中") + footnote(t.outside_total, t.unresolved, t.excluded))
    s.finish()
    return numbers


# -------------------------------------------------------------------------------------------- 7. quality
def _write_quality(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    q = quality(ctx.ws, ctx.scheme, ctx.as_of, ctx.round)
    s = book.sheet(sheet.name)
    s.title(title)
    rows: list[tuple[list, str]] = [([p, SOURCE_KIND_LABELS.get(k, k), d, r, n, w], "") for p, k, d, r, n, w in q.sources]
    rows.append(([TOTAL, _("{n}个文件").format(n=len(q.sources)), *(sum(x[i] for x in q.sources) for i in range(2, 6))], "total"))
    s.table(Grid([_("文件"), _("类型"), _("数据行"), _("记录"), _("隔离行"), _("警告")], rows,
                 subtitle=_("（一）已导入的来源文件"), label_columns=2))
    rows = [([code_title(code), n], "") for code, n in q.quarantined]
    rows.append(([TOTAL, sum(n for _, n in q.quarantined)], "total"))
    s.table(Grid([_("隔离原因"), _("行数")], rows, subtitle=_("（二）隔离行（未作为记录）按原因")))
    rows = [([code_title(code), SEVERITY_LABELS.get(sev, sev), n], "") for code, sev, n in q.issues]
    rows.append(([TOTAL, "", sum(n for *_, n in q.issues)], "total"))
    s.table(Grid([_("数据问题"), _("级别"), _("条数")], rows, subtitle=_("（三）数据问题按类型"), label_columns=2))
    rows = [([k, v], "") for k, v in q.figures.items()]
    rows.append(([_("关联结果是否最新"), _("是") if q.link_current else _("否（请先完成人员关联再出报告）")], ""))
    s.table(Grid([_("项目"), _("数量")], rows, subtitle=_("（四）人员与待核查事项")))
    s.line(_("待核查事项（疑似同一人、信息冲突）可导出为核查清单，交街道、社区核实填写后导回；"
             "核实结论在以后每次统计中继续有效。"), "hint")
    s.finish()
    return {
        "kind": "quality",
        "sources": [{"file": p, "kind": k, "rows": d, "records": r, "quarantined": n, "warnings": w} for p, k, d, r, n, w in q.sources],
        "quarantined": dict(q.quarantined), "issues": {code: n for code, _, n in q.issues},
        "persons": q.figures["人员总数（去重后）"], "no_valid_id": q.figures["无有效身份证号的人员"], "unresolved": q.unresolved,
        "review_pairs": q.review_pairs, "conflicts": q.conflicts, "link_current": q.link_current,
    }


# -------------------------------------------------------------------------------------------- 8. coverage
def _write_coverage(book: Book, ctx: _Context, sheet: SheetDef, title: str) -> dict:
    cov = coverage(ctx.ws, ctx.scheme, ctx.as_of, ctx.round)
    rows: list[tuple[list, str]] = []
    for r in cov.rows:
        kind = URBAN_RURAL.get((r.type or "")[:1], "")
        rows.append(([r.street, r.street_code, r.community, r.code, f"{r.type}{kind}" if r.type else "", r.count,
                      *(r.outside[c] for c in cov.outside_categories), r.advice, r.why], ""))
    rows.append(([TOTAL, "", f"{len(cov.rows)}个社区（村）", "", "", cov.total,
                  *(sum(r.outside[c] for r in cov.rows) for c in cov.outside_categories),
                  f"{sum(r.advice == '补查' for r in cov.rows)}个需补查", ""], "total"))
    foot = "补查建议：社区（村）未登记到新的社会阶层人士，或人数少于本街道各社区（村）中位数的一半。"
    if cov.unplaced:
        foot += f"另有{cov.unplaced}名新的社会阶层人士未能确定所属社区（村），未列入上表。"
    header = ["街道", "街道代码", "社区（村）", "社区代码", "城乡分类", "新的社会阶层人士", *cov.outside_categories, "补查建议", "说明"]
    one_table_sheet(book, sheet.name, title, Grid(header, rows, foot=foot, label_columns=5))
    return {"kind": "coverage", "total": cov.total, "unplaced": cov.unplaced,
            "rows": [{"street": r.street, "street_code": r.street_code, "community": r.community, "code": r.code, "type": r.type,
                      "count": r.count, "outside": r.outside, "street_median": r.street_median, "advice": r.advice}
                     for r in cov.rows]}


_WRITERS = {
    "narrative": _write_narrative, "tally": _write_tally, "crosstab": _write_crosstab, "structure": _write_structure,
    "representatives": _write_representatives, "quality": _write_quality, "coverage": _write_coverage,
    "changes": write_changes,
}

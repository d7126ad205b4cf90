"""The written report (.docx): what a district sends upward, laid out as an official document (GB/T 9704-2012,
`census.render.official`).

    title                     the report layout's title ("雨花台区新的社会阶层人士统计报告（2026年）")
    一、总体情况               the narrative paragraphs of both schemes (全区共有…，其中…)
    二、分类情况               表1 by category
    三、分布情况               表2 streets × categories
    四、结构情况               （一）性别 （二）年龄 （三）学历 （四）政治面貌, each a sentence and a table
    五、代表人士               a sentence, the tables by category and by street
    六、统计方法说明           sources, how records became persons, who is not counted, the review still open

Every number comes from `census.tables` (tally, crosstab, narrative, the report's quality and link figures) —
none is computed here — and `DocumentResult.numbers` returns them for tests and scripts. With `suppress` N the
published tables (and the sentences read from them) show cells under N as "<N", as the workbook does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from docx.opc.exceptions import OpcError

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..errors import CensusError
from ..i18n import _
from ..pipeline import ensure_current
from ..privacy import prepare_private_file
from ..tables.dimensions import known_values
from ..tables.report import link_figures, quality
from ..tables.tally import crosstab, narrative, tally
from ..vocab import (
    DEFAULT_AGE_BANDS,
    NON_CPC,
    REPRESENTATIVE,
    SOURCE_KIND_LABELS,
    UNKNOWN,
    age_band_labels,
)
from ..workspace import Workspace
from ..workspace.queries import district_name
from ..workspace.rounds import table_round
from . import official
from .rows import (
    cell_text,
    code_title,
    crosstab_grid,
    dimension_label,
    footnote,
    suppression_note,
    tally_grid,
)

_NUMERALS = "一二三四五六七八九十"
STRUCTURE = ("sex", "age_band", "education", "political_status")
DEFAULT_TITLE = "{district}新的社会阶层人士统计报告（{year}年）"


@dataclass
class DocumentResult:
    """What `build_document` wrote: the file, its section headings in order, and the numbers of each part."""

    path: Path
    sections: list[str]
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "sections": list(self.sections), "numbers": self.numbers}


def age_words(label: str, bands: tuple[int, ...] = DEFAULT_AGE_BANDS) -> str:
    """An age band as a document writes it: "<30" → "30岁以下", "30-39" → "30—39岁", "≥60" → "60岁及以上"."""
    labels = age_band_labels(bands)
    if label == labels[0]:
        return _("{n}岁以下").format(n=bands[0])
    if label == labels[-1]:
        return _("{n}岁及以上").format(n=bands[-1])
    if label in labels:
        lo, hi = label.split("-")
        return _("{lo}—{hi}岁").format(lo=lo, hi=hi)
    return label


def _value_words(dim: str, value: str) -> str:
    if value == UNKNOWN:
        return _("{dimension}未知").format(dimension=dimension_label(dim))
    if dim == "age_band":
        return age_words(value)
    if dim == "sex":
        return {"男": _("男性"), "女": _("女性")}.get(value, value)
    return value


class _Writer:
    def __init__(self, ws: Workspace, scheme: str, as_of: date, suppress: int | None, title: str, round_: str):
        self.ws, self.scheme, self.as_of, self.suppress, self.round = ws, scheme, as_of, suppress, round_
        self.schemes = compiled_schemes(load_schemas())
        self.district = district_name(ws)
        self.scheme_title = self.schemes[scheme].file.title
        self.title = title.format(district=self.district, year=round_, scheme=self.scheme_title)
        self.doc = official.new_document(self.title, self.district or _("新的社会阶层人士统计"))
        self.sections: list[str] = []
        self.numbers: dict[str, Any] = {}
        self.tables = 0

    # ------------------------------------------------------------------------------------------ pieces
    def heading(self, level: int, text: str) -> None:
        if level == 1:
            text = _("{n}、{text}").format(n=_NUMERALS[len(self.sections) % 10], text=text)
            self.sections.append(text)
        official.heading(self.doc, text, level)

    def table(self, caption: str, header: list[str], rows: list[tuple[list, str]], note: str, labels: int = 1) -> None:
        self.tables += 1
        official.caption(self.doc, _("表{n}　{caption}").format(n=self.tables, caption=caption))
        official.table(self.doc, header, [([cell_text(c) for c in cells], style) for cells, style in rows], labels)
        if note:
            official.note(self.doc, _("注：") + note)

    def one_dim(self, dim: str, where: dict[str, str] | None = None):
        t = tally(self.ws, self.scheme, [dim], where, self.as_of, percent="total", suppress=self.suppress, round=self.round,
                  complementary=bool(self.suppress))
        return t, tally_grid(t, known_values(self.ws, self.scheme, dim))

    def shares(self, dim: str, grid) -> str:
        """"男性250名，占50.8%；女性230名，占46.7%" from a one-dimension grid (zero rows left out)."""
        parts = []
        for cells, style in grid.rows:
            if style or not cells[1]:
                continue
            n = cells[1]
            share = _("，占{p}%").format(p=f"{cells[2]:.1f}") if isinstance(cells[2], float) else ""
            parts.append(_("{value}{n}名{share}").format(value=_value_words(dim, cells[0]), n=n, share=share))
        return "；".join(parts)

    # ------------------------------------------------------------------------------------------ sections
    def overview(self) -> None:
        self.heading(1, _("总体情况"))
        texts = {self.scheme: narrative(self.ws, self.scheme, round=self.round)}
        official.body(self.doc, _("按{scheme}口径统计，").format(scheme=self._short(self.scheme)) + texts[self.scheme])
        for other in self.schemes:
            if other != self.scheme:
                texts[other] = narrative(self.ws, other, round=self.round)
                official.body(self.doc, _("按{scheme}口径统计（供对照），").format(scheme=self._short(other)) + texts[other])
        self.numbers["narratives"] = texts

    def by_category(self) -> None:
        self.heading(1, _("分类情况"))
        t, grid = self.one_dim("category")
        official.body(self.doc, _("从类别看，") + self.shares("category", grid) + _("（见表{n}）。").format(n=self.tables + 1))
        note = footnote(t.outside_total, t.unresolved, t.excluded) + suppression_note(self.suppress, grid.cells())
        self.table(_("{district}{scheme}分类统计表").format(district=self.district, scheme=self.scheme_title),
                   grid.header, grid.rows, note)
        self.numbers["category"] = t.to_dict()

    def by_street(self) -> None:
        self.heading(1, _("分布情况"))
        ct = crosstab(self.ws, self.scheme, "street", "category", as_of=self.as_of, suppress=self.suppress, round=self.round,
                      complementary=bool(self.suppress))
        totals = {r: ct.row_totals.get(r, 0) for r in ct.row_values if r != UNKNOWN}
        if totals:
            most, least = max(totals.values()), min(totals.values())
            official.body(self.doc, _("从街道分布看，{most}最多（{n_most}名），{least}最少（{n_least}名）（见表{n}）。").format(
                most="、".join(r for r, n in totals.items() if n == most), n_most=most,
                least="、".join(r for r, n in totals.items() if n == least), n_least=least, n=self.tables + 1))
        grid = crosstab_grid(ct)
        note = footnote(ct.outside_total, ct.unresolved, ct.excluded) + suppression_note(self.suppress, grid.cells())
        self.table(_("{district}各街道{scheme}分类统计表").format(district=self.district, scheme=self.scheme_title),
                   grid.header, grid.rows, note)
        self.numbers["street_category"] = ct.to_dict()

    def structure(self) -> None:
        self.heading(1, _("结构情况"))
        for k, dim in enumerate(STRUCTURE):
            t, grid = self.one_dim(dim)
            label = dimension_label(dim)
            self.heading(2, _("（{n}）{dimension}").format(n=_NUMERALS[k], dimension=label))
            text = _("按{dimension}分，").format(dimension=label) + self.shares(dim, grid)
            if dim == "political_status":
                party, _grid = self.one_dim("party")
                non_cpc = next((r for r in party.to_dict()["rows"] if r["party"] == NON_CPC), None)
                if non_cpc and non_cpc.get("count"):
                    text += _("。党外人士{n}名，占{p}%").format(n=non_cpc["count"], p=f"{non_cpc['percent']:.1f}")
                self.numbers["party"] = party.to_dict()
            official.body(self.doc, text + _("（见表{n}）。").format(n=self.tables + 1))
            rows = [([_value_words(dim, c[0]) if s == "" else c[0], *c[1:]], s) for c, s in grid.rows]
            self.table(_("{district}新的社会阶层人士{dimension}结构").format(district=self.district, dimension=label),
                       grid.header, rows, suppression_note(self.suppress, grid.cells()))
            self.numbers[dim] = t.to_dict()

    def representatives(self) -> None:
        self.heading(1, _("代表人士"))
        where = {"representative": REPRESENTATIVE}
        numbers: dict[str, Any] = {}
        for k, dim in enumerate(("category", "street")):
            t, grid = self.one_dim(dim, where)
            if k == 0:
                numbers["total"] = t.total
                text = _("新的社会阶层代表人士共{n}名").format(n=t.total)
                shares = self.shares(dim, grid)
                official.body(self.doc, text + (_("，其中") + shares if shares else "") + _("（见表{n}、表{m}）。").format(
                    n=self.tables + 1, m=self.tables + 2))
            grid.header[1] = REPRESENTATIVE
            self.table(_("{district}新的社会阶层代表人士统计表（按{dimension}）").format(
                district=self.district, dimension=dimension_label(dim)), grid.header, grid.rows,
                suppression_note(self.suppress, grid.cells()))
            numbers[dim] = t.to_dict()
        self.numbers["representatives"] = numbers

    def method(self) -> None:
        self.heading(1, _("统计方法说明"))
        q = quality(self.ws, self.scheme, self.as_of, self.round)
        links = link_figures(self.ws)
        kinds: dict[str, int] = {}
        for _path, kind, *_rest in q.sources:
            kinds[kind] = kinds.get(kind, 0) + 1
        rows = sum(s[2] for s in q.sources)
        records = sum(s[3] for s in q.sources)
        quarantined = sum(n for _code, n in q.quarantined)
        self.heading(2, _("（一）数据来源"))
        text = _("本次统计汇总了{n}个来源文件（{kinds}），共有数据行{rows}行，形成记录{records}条").format(
            n=len(q.sources), kinds="、".join(_("{kind}{n}个").format(kind=SOURCE_KIND_LABELS.get(k, k), n=n) for k, n in kinds.items()),
            rows=rows, records=records)
        if quarantined:
            text += _("；另有{n}行未作为记录（{why}），已逐行登记原因").format(
                n=quarantined, why="、".join(_("{reason}{n}行").format(reason=code_title(c), n=n) for c, n in q.quarantined))
        official.body(self.doc, text + _("。统计时点为{date}。").format(date=f"{self.as_of.year}年{self.as_of.month}月{self.as_of.day}日"))
        self.heading(2, _("（二）人员去重"))
        official.body(self.doc, _(
            "身份证号有效且相同的记录归为同一人（{by_id}条记录）；没有有效身份证号的记录，按姓名（含同音字）、出生日期、电话、"
            "工作单位和所在社区的相似程度，由概率匹配模型判断是否同一人（{by_model}条记录），把握不大的列入核查清单由街道、社区核实"
            "（已按核查结论归并{by_review}条记录）。{records}条记录共归并为{persons}名人员，其中{merged}名人员见于两条以上记录，"
            "{no_id}名人员没有有效身份证号。").format(
            by_id=links["rule_id"], by_model=links["rule_probabilistic"], by_review=links["rule_review"],
            records=links["records"], persons=links["persons"], merged=links["merged_persons"],
            no_id=q.figures["无有效身份证号的人员"]))
        self.heading(2, _("（三）统计口径"))
        t = tally(self.ws, self.scheme, ["category"], as_of=self.as_of, round=self.round)
        basis = self.schemes[self.scheme].file.basis
        text = _("按{basis}{scheme}分类，统计新的社会阶层人士{total}名").format(
            basis=basis or "", scheme=self._short(self.scheme), total=t.total)
        if t.outside_total:
            text += _("；{outside}另行统计，不计入总数").format(
                outside="、".join(_("{k}{n}名").format(k=k, n=n) for k, n in t.outside_total.items()))
        text += _("；类别待核实{unresolved}名、不属于统计范围{excluded}名，均未计入总数").format(
            unresolved=t.unresolved, excluded=t.excluded)
        text += _("。目前尚待核查疑似同一人{pairs}对、信息冲突{conflicts}项。").format(pairs=q.review_pairs, conflicts=q.conflicts)
        if self.suppress:
            text += _("为保护个人信息，表中少于{n}人的数值以“<{n}”表示，合计按实际人数计算。").format(n=self.suppress)
        official.body(self.doc, text)
        self.numbers["method"] = {
            "sources": len(q.sources), "sources_by_kind": kinds, "data_rows": rows, "records": records,
            "quarantined": dict(q.quarantined), **links, "no_valid_id": q.figures["无有效身份证号的人员"],
            "total": t.total, "outside_total": t.outside_total, "unresolved": t.unresolved, "excluded": t.excluded,
            "review_pairs": q.review_pairs, "conflicts": q.conflicts,
        }

    def _short(self, scheme: str) -> str:
        """现行四类 from 新的社会阶层人士（现行四类）: the name of a scheme inside its title's brackets."""
        title = self.schemes[scheme].file.title
        return title[title.rfind("（") + 1:-1] if title.endswith("）") and "（" in title else title


def build_document(ws: Workspace, output: Path, scheme: str = "current4", as_of: date | None = None,
                   suppress: int | None = None, title: str | None = None, round: str | int | None = None) -> DocumentResult:
    """Write the written report of a round (default: the latest; the report's year is the round's) to `output`
    (.docx) and return what it holds. `title` is a template with {district}, {year} and {scheme} (default: the
    default layout's title)."""
    output = Path(output)
    ensure_current(ws)
    w = _Writer(ws, scheme, as_of or date.today(), suppress, title or DEFAULT_TITLE, table_round(ws, round))
    official.title(w.doc, w.title)
    for part in (w.overview, w.by_category, w.by_street, w.structure, w.representatives, w.method):
        part()
    try:
        prepare_private_file(output)  # created 0600: python-docx then writes into it, keeping its mode
        w.doc.save(str(output))
    except (OSError, OpcError) as e:
        raise CensusError(_("{path}：无法写入文档（{reason}）；请在Word或WPS中关闭该文件，或换一个文件名。").format(
            path=output, reason=e)) from None
    w.numbers["title"] = w.title
    return DocumentResult(output, w.sections, w.numbers)


__all__ = ["DocumentResult", "age_words", "build_document"]

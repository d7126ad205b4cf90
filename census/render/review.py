"""The review (核查) workbook: the uncertain pairs and the conflicting persons (`census.persons.review`), sorted by
street and community so each office can take its part, with the column a clerk fills in.

  疑似同一人 — two rows per uncertain pair, record 甲 above record 乙 (masked), field under field so the two can be
              compared at a glance, each with its place (file, sheet, row) and community; the pair's number,
              probability and the answer "是否同一人" (是/否) span both rows;
  信息冲突   — one row per person whose records disagree (category, community, birth date), a column "正确值".

The header is the sheet's first row (`census review apply` reads it back, `census.persons.decisions.apply_review`);
the title is printed at the top of every page and the header repeated; a pair is never split across two pages.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..i18n import _
from ..persons.decisions import ANSWER, CONFLICT_HEADER, CONFLICT_SHEET, CORRECTABLE, PAIR_SHEET, SIDE
from ..persons.review import review_frames
from ..tables.shares import percent
from ..workspace import Workspace
from .rows import Grid
from .xlsx import Book

PROVENANCE = ("file", "sheet", "row")


def export_review(ws: Workspace, output: Path, reveal: bool = False) -> tuple[int, int]:
    """Write the review workbook; returns (pairs, conflicts) written."""
    pairs, conflicts = review_frames(ws, reveal)
    book = Book(Path(output))

    fields = [(c, label) for c, label in SIDE if c not in PROVENANCE]
    header = [_("编号"), _("街道"), _("匹配概率（%）"), _("记录"), _("来源（文件｜工作表｜行）"),
              *(label for _c, label in fields), ANSWER, _("备注")]
    rows: list[tuple[list, str]] = []
    for r in pairs.itertuples(index=False):
        d = r._asdict()
        for side, mark in (("a", _("甲")), ("b", _("乙"))):
            where = _("{file}｜{sheet}｜第{row}行").format(file=d[f"file_{side}"], sheet=_cell(d[f"sheet_{side}"]) or "—",
                                                       row=_cell(d[f"row_{side}"]))
            key = f"{d['record_a']}-{d['record_b']}" if side == "a" else ""
            rows.append(([key, d["street"], percent(Fraction(str(d["probability"])), 1) if side == "a" else None, mark, where,
                          *(_cell(d[f"{c}_{side}"]) for c, _label in fields), None, None], ""))
    answer = len(header) - 2
    sheet = book.sheet(PAIR_SHEET)
    sheet.page_title = _("核查清单：疑似同一人")
    sheet.freeze_columns = 4
    sheet.label_max_px = 150
    sheet.table(Grid(header, rows, label_columns=len(header), input_columns=frozenset({answer}),
                     groups=[2] * len(pairs), merged=frozenset({0, 2, answer, answer + 1}),
                     foot=_("请核实每一对记录是否为同一人，在“是否同一人”一栏填写“是”或“否”（不确定的留空），保存后交回统计人员导入。")))
    sheet.finish()
    if len(pairs):
        sheet.sh.data_validation(1, answer, 2 * len(pairs), answer,
                                 {"validate": "list", "source": ["是", "否"], "input_title": ANSWER, "input_message": _("是 或 否")})
        sheet.sh.autofilter(0, 0, 2 * len(pairs), len(header) - 1)

    rows = [([r.person_id, _cell(r.name), r.street, r.community_group, CORRECTABLE.get(r.field, r.field), _cell(r.value),
              _scheme_names(_cell(r.message)), None, int(r.anchor)], "") for r in conflicts.itertuples(index=False)]
    sheet = book.sheet(CONFLICT_SHEET)
    sheet.page_title = _("核查清单：信息冲突")
    sheet.freeze_columns = 2
    sheet.hidden = {len(CONFLICT_HEADER) - 1}  # 锚定记录: which record a correction applies to, read back
    sheet.widths = {6: 40}
    sheet.table(Grid(list(CONFLICT_HEADER), rows, label_columns=len(CONFLICT_HEADER), input_columns=frozenset({7}),
                     foot=_("请在“正确值”一栏填写核实后的值（类别、社区名称或出生日期YYYY-MM-DD），不确定的留空，保存后交回统计人员导入。")))
    sheet.finish()
    if len(conflicts):
        sheet.sh.autofilter(0, 0, len(conflicts), len(CONFLICT_HEADER) - 2)
    book.close()
    return len(pairs), len(conflicts)


def _scheme_names(text: str) -> str:
    """A conflict's note names its scheme as a person does ("现行四类：…", not "current4：…")."""
    for name, scheme in compiled_schemes(load_schemas()).items():
        title = scheme.file.title
        short = title[title.rfind("（") + 1:-1] if title.endswith("）") and "（" in title else title
        if text.startswith(name + "：") or text.startswith(name + ":"):
            return short + "：" + text[len(name) + 1:]
    return text


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return v if isinstance(v, int | float) else str(v)

"""The review (核查) workbook: the uncertain pairs and the conflicting persons (`census.persons.review`), sorted by
street and community so each office can take its part, with the column a clerk fills in.

  疑似同一人 — two rows per uncertain pair, record 甲 above record 乙 (masked), field under field so the two can be
              compared at a glance, each with its place (file, sheet, row) and community; the pair's number,
              probability and the answer "是否同一人" (是/否) span both rows;
  信息冲突   — one row per person and field whose records disagree (category under the scheme in force, community,
               birth date), a column "正确值" (a category of that scheme, a community of the register, a date).

The workbook is of one round and one scheme. The header is the sheet's first row (`census review apply` reads it
back, `census.persons.decisions.apply_review`); the title is printed at the top of every page and the header
repeated; a pair is never split across two pages.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..i18n import _
from ..persons.decisions import (
    ANSWER,
    CONFLICT_HEADER,
    CONFLICT_SHEET,
    CORRECT,
    CORRECTABLE,
    PAIR_SHEET,
    SIDE,
)
from ..persons.review import review_frames
from ..tables.shares import percent
from ..vocab import UNRESOLVED
from ..workspace import Workspace
from ..workspace.audit import check_reveal, log_access
from ..workspace.rounds import table_round
from .rows import Grid
from .xlsx import Book

PROVENANCE = ("file", "sheet", "row")



def export_review(ws: Workspace, output: Path, reveal: bool = False, scheme: str = "current4",
                  round: str | int | None = None, reason: str | None = None) -> tuple[int, int]:
    """Write the review workbook of a round (default: the latest) under `scheme` (masked unless `reveal`, which
    needs a `reason`; written to the audit trail); returns (pairs, conflicts) written."""
    check_reveal(reveal, reason)
    target = table_round(ws, round)
    pairs, conflicts = review_frames(ws, reveal, scheme, target)
    scheme_file = load_schemas().schemes[scheme]
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

    answer, anchor = CONFLICT_HEADER.index(CORRECT), len(CONFLICT_HEADER) - 1
    rows = [([r.person_id, _cell(r.name), r.round, r.street, r.community_group, _(CORRECTABLE.get(r.field, r.field)),
              _cell(r.value), _scheme_names(_cell(r.message)), scheme_file.label, None, int(r.anchor)], "")
            for r in conflicts.itertuples(index=False)]
    sheet = book.sheet(CONFLICT_SHEET)
    sheet.page_title = _("核查清单：信息冲突")
    sheet.freeze_columns = 2
    sheet.hidden = {anchor}  # 锚定记录: which record a correction applies to, read back
    sheet.widths = {CONFLICT_HEADER.index("说明"): 40}
    sheet.table(Grid(list(CONFLICT_HEADER), rows, label_columns=len(CONFLICT_HEADER), input_columns=frozenset({answer}),
                     foot=_("请在“正确值”一栏填写核实后的值（“{title}”口径的类别、区划名册中的社区名称或出生日期YYYY-MM-DD），"
                            "不确定的留空，保存后交回统计人员导入。").format(title=scheme_file.label)))
    sheet.finish()
    categories = [c.label for c in scheme_file.categories if c.group != UNRESOLVED]
    for i, r in enumerate(conflicts.itertuples(index=False), start=1):
        if r.field == "category":  # a list to pick from; another value is refused by `census review apply`
            sheet.sh.data_validation(i, answer, i, answer, {"validate": "list", "source": categories, "error_type": "warning",
                                                            "input_title": CORRECT, "input_message": _("选择核实后的类别")})
    if len(conflicts):
        sheet.sh.autofilter(0, 0, len(conflicts), anchor - 1)
    book.close()
    log_access(ws, "export", "review", len(pairs) + len(conflicts), reveal, reason)
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

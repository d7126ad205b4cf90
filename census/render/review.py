"""The review (核查) workbook: the uncertain pairs and the conflicting persons (`census.persons.review`), sorted by
street and community so each office can take its part, with the column a clerk fills in.

  疑似同一人 — one row per uncertain pair, the two records side by side (masked), a column "是否同一人" (是/否);
  信息冲突   — one row per person whose records disagree (category, community, birth date), a column "正确值".

`census review apply` reads it back (`census.persons.decisions.apply_review`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..persons.decisions import ANSWER, CONFLICT_HEADER, CONFLICT_SHEET, CORRECTABLE, PAIR_SHEET, SIDE
from ..persons.review import review_frames
from ..workspace import Workspace
from ..workspace.audit import check_reveal, log_access
from .xlsx import Book


def export_review(ws: Workspace, output: Path, reveal: bool = False, reason: str | None = None) -> tuple[int, int]:
    """Write the review workbook (masked unless `reveal`, which needs a `reason`; written to the audit trail);
    returns (pairs, conflicts) written."""
    check_reveal(reveal, reason)
    pairs, conflicts = review_frames(ws, reveal)
    book = Book(Path(output))
    cell = book.cells["", "text"]

    ws1 = book.wb.add_worksheet(PAIR_SHEET)
    labels = [label for _, label in SIDE]
    header = ["编号", "街道", "社区", "匹配概率"] + [f"甲·{x}" for x in labels] + [f"乙·{x}" for x in labels] + [ANSWER, "备注"]
    ws1.write_row(0, 0, header, book.head)
    for i, r in enumerate(pairs.itertuples(index=False), start=1):
        d = r._asdict()
        row = [f"{d['record_a']}-{d['record_b']}", d["street"], d["community_group"], d["probability"]]
        row += [_cell(d[f"{c}_a"]) for c, _ in SIDE] + [_cell(d[f"{c}_b"]) for c, _ in SIDE]
        ws1.write_row(i, 0, row, cell)
        ws1.write_blank(i, len(header) - 2, None, book.answer)
        ws1.write_blank(i, len(header) - 1, None, cell)
    if len(pairs):
        ws1.data_validation(1, len(header) - 2, len(pairs), len(header) - 2,
                            {"validate": "list", "source": ["是", "否"], "input_title": ANSWER, "input_message": "是 或 否"})
        ws1.autofilter(0, 0, len(pairs), len(header) - 1)
    ws1.freeze_panes(1, 4)
    ws1.set_column(0, 0, 16)
    ws1.set_column(4, len(header) - 3, 12)
    ws1.write(len(pairs) + 2, 0, "请在“是否同一人”一栏填写“是”或“否”，保存后运行 census review apply 本文件。", book.hint)

    ws2 = book.wb.add_worksheet(CONFLICT_SHEET)
    ws2.write_row(0, 0, CONFLICT_HEADER, book.head)
    for i, r in enumerate(conflicts.itertuples(index=False), start=1):
        ws2.write_row(i, 0, [r.person_id, _cell(r.name), r.street, r.community_group, CORRECTABLE.get(r.field, r.field),
                             _cell(r.value), _cell(r.message)], cell)
        ws2.write_blank(i, 7, None, book.answer)
        ws2.write_number(i, 8, int(r.anchor), cell)
    ws2.freeze_panes(1, 2)
    ws2.set_column(0, 6, 14)
    ws2.set_column(8, 8, 10, None, {"hidden": True})
    ws2.write(len(conflicts) + 2, 0, "请在“正确值”一栏填写核实后的值（类别、社区名称或出生日期YYYY-MM-DD），不确定的留空。", book.hint)
    book.close()
    log_access(ws, "export", "review", len(pairs) + len(conflicts), reveal, reason)
    return len(pairs), len(conflicts)


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return v if isinstance(v, int | float) else str(v)

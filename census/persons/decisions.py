"""Review decisions (核查): a filled review workbook read back (`apply_review`), each answer stored as a decision —
must-link or cannot-link for an uncertain pair, a correction for a conflicting field. Decisions survive every later
re-link, can be listed and undone; linking reads them (`decided_pairs`, `corrections`).

The workbook itself is written by `census.render.review` from `census.persons.review.review_frames`; its sheet
and column names are defined here, where they are read back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from ..errors import SourceError, UsageError
from ..i18n import _
from ..serialize import frame_records
from ..workspace import Workspace

PAIR_SHEET = "疑似同一人"
CONFLICT_SHEET = "信息冲突"
ANSWER = "是否同一人"
CORRECT = "正确值"
YES = {"是", "同一人", "y", "yes", "1", "√", "✓", "true"}
NO = {"否", "不是", "非同一人", "n", "no", "0", "×", "false"}
CORRECTABLE = {"category": "人员类别", "community": "所属社区", "birth_date": "出生日期"}

# the columns of each side of a pair in the workbook: (field, heading)
SIDE = (("file", "文件"), ("sheet", "工作表"), ("row", "行号"), ("name", "姓名"), ("sex", "性别"), ("id_number", "身份证号"),
        ("birth_date", "出生日期"), ("phone", "电话"), ("work_unit", "工作单位"), ("position", "职务"), ("community", "社区"))
CONFLICT_HEADER = ("人员编号", "姓名", "街道", "社区", "冲突项", "各来源的值", "说明", CORRECT, "锚定记录")


@dataclass
class ApplyResult:
    must_link: int = 0
    cannot_link: int = 0
    corrections: int = 0
    unanswered: int = 0
    problems: list[str] = field(default_factory=list)


def apply_review(ws: Workspace, path: Path) -> ApplyResult:
    """Read a filled review workbook back and store its answers as decisions (replacing earlier answers to the
    same pair or person field). Unanswered rows are left for later."""
    if not Path(path).is_file():
        raise UsageError(_("{path}：没有这个文件。").format(path=path))
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine's own error types
        raise SourceError(str(path), _("无法作为工作簿打开（{reason}）。").format(reason=str(e).splitlines()[0])) from None
    if PAIR_SHEET not in book.sheet_names and CONFLICT_SHEET not in book.sheet_names:
        raise UsageError(_("{path}：既没有“{pairs}”工作表，也没有“{conflicts}”工作表；请传入 census review export 写出的文件。").format(
            path=path, pairs=PAIR_SHEET, conflicts=CONFLICT_SHEET))
    result = ApplyResult()
    now = datetime.now().replace(microsecond=0)
    decisions: list[tuple] = []
    if PAIR_SHEET in book.sheet_names:
        rows = book.get_sheet_by_name(PAIR_SHEET).to_python(skip_empty_area=False)
        header = [str(h) for h in rows[0]] if rows else []
        if ANSWER not in header:
            raise UsageError(_("{path}，工作表“{sheet}”：缺少“{column}”列；请不要修改列名。").format(path=path, sheet=PAIR_SHEET, column=ANSWER))
        col = header.index(ANSWER)
        for n, row in enumerate(rows[1:], start=2):
            key = str(row[0]).strip() if row and row[0] != "" else ""
            if "-" not in key:
                continue
            answer = str(row[col]).strip().lower() if col < len(row) else ""
            try:
                a, b = (int(float(x)) for x in key.split("-", 1))
            except ValueError:
                result.problems.append(_("{path}，工作表“{sheet}”，第{row}行，“编号”列：“{value}”不是配对编号；请保持该列原样。").format(
                    path=path, sheet=PAIR_SHEET, row=n, value=key))
                continue
            if answer in YES:
                decisions.append(("must_link", a, b, None, None, None))
                result.must_link += 1
            elif answer in NO:
                decisions.append(("cannot_link", a, b, None, None, None))
                result.cannot_link += 1
            elif answer:
                result.problems.append(_("{path}，工作表“{sheet}”，第{row}行，“{column}”列：“{value}”既不是“是”也不是“否”。").format(
                    path=path, sheet=PAIR_SHEET, row=n, column=ANSWER, value=answer))
            else:
                result.unanswered += 1
    if CONFLICT_SHEET in book.sheet_names:
        rows = book.get_sheet_by_name(CONFLICT_SHEET).to_python(skip_empty_area=False)
        header = [str(h) for h in rows[0]] if rows else []
        if CORRECT not in header:
            raise UsageError(_("{path}，工作表“{sheet}”：缺少“{column}”列；请不要修改列名。").format(path=path, sheet=CONFLICT_SHEET, column=CORRECT))
        c_val, c_field, c_anchor = header.index(CORRECT), header.index("冲突项"), header.index("锚定记录")
        fields = {v: k for k, v in CORRECTABLE.items()}
        for n, row in enumerate(rows[1:], start=2):
            if not row or not str(row[0]).startswith("P"):
                continue
            value = str(row[c_val]).strip() if c_val < len(row) else ""
            if not value:
                result.unanswered += 1
                continue
            f = fields.get(str(row[c_field]).strip())
            if f is None:
                result.problems.append(_("{path}，工作表“{sheet}”，第{row}行，“冲突项”列：“{value}”不能在这里更正。").format(
                    path=path, sheet=CONFLICT_SHEET, row=n, value=row[c_field]))
                continue
            decisions.append(("correction", int(float(row[c_anchor])), None, str(row[0]), f, value))
            result.corrections += 1
    with ws.transaction():
        for kind, a, b, pid, f, value in decisions:
            if kind == "correction":
                ws.con.execute("UPDATE decisions SET undone = true WHERE kind = 'correction' AND record_a = ? AND field = ? AND NOT undone", [a, f])
            else:
                ws.con.execute("UPDATE decisions SET undone = true WHERE kind IN ('must_link', 'cannot_link') AND NOT undone "
                               "AND least(record_a, record_b) = least(?, ?) AND greatest(record_a, record_b) = greatest(?, ?)", [a, b, a, b])
            next_id = int(ws.scalar("SELECT coalesce(max(decision_id), 0) + 1 FROM decisions"))
            ws.con.execute("INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, false)",
                           [next_id, kind, a, b, pid, f, value, str(path), now])
        if decisions:
            ws.bump_data_version()
    return result


def list_decisions(ws: Workspace, include_undone: bool = False) -> pd.DataFrame:
    return ws.df(f"""SELECT decision_id, kind, record_a, record_b, person_id, field, value, source, decided_at, undone
                     FROM decisions {'' if include_undone else 'WHERE NOT undone'} ORDER BY decision_id""")


def undo_decision(ws: Workspace, decision_id: int) -> None:
    with ws.transaction():
        found = ws.scalar("SELECT count(*) FROM decisions WHERE decision_id = ? AND NOT undone", [decision_id])
        if not found:
            raise UsageError(_("没有有效的核查决定 {decision}；census review list 可列出全部决定。").format(decision=decision_id))
        ws.con.execute("UPDATE decisions SET undone = true WHERE decision_id = ?", [decision_id])
        ws.bump_data_version()


def corrections(ws: Workspace) -> list[tuple[int, str, str]]:
    """(anchor record, field, value) of the active corrections."""
    return [(int(a), f, v) for a, f, v in ws.query(
        "SELECT record_a, field, value FROM decisions WHERE kind = 'correction' AND NOT undone ORDER BY decision_id")]


def decisions_json(df: pd.DataFrame) -> str:
    return json.dumps(frame_records(df), ensure_ascii=False, indent=1)


def decided_pairs(ws: Workspace) -> dict[tuple[int, int], str]:
    """(record_a, record_b) with a < b → must_link or cannot_link, of the active decisions."""
    rows = ws.query("SELECT kind, record_a, record_b FROM decisions WHERE NOT undone AND kind IN ('must_link', 'cannot_link')")
    return {(min(a, b), max(a, b)): k for k, a, b in rows}


def category_corrections(ws: Workspace) -> dict[str, str]:
    """person → category a clerk decided in review (the latest correction wins)."""
    return dict(ws.query("""
        SELECT l.person_id, arg_max(d.value, d.decision_id) FROM decisions d JOIN links l ON l.record_id = d.record_a
        WHERE d.kind = 'correction' AND d.field = 'category' AND NOT d.undone GROUP BY l.person_id"""))

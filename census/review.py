"""Review (核查): the uncertain pairs and conflicting persons, as a workbook clerks fill in, and back.

`export_review` writes two sheets, sorted by street and community so each office can take its part:
  疑似同一人 — one row per uncertain pair, the two records side by side (masked), a column "是否同一人" (是/否);
  信息冲突   — one row per person whose records disagree (category, community, birth date), a column "正确值".
`apply_review` reads a filled workbook back. Each answer becomes a decision stored in the workspace:
must-link or cannot-link for pairs, a correction for conflicts. Decisions survive every later re-link, can be
listed, and undone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from .errors import SourceError, UsageError
from .privacy import mask_column
from .store import Workspace

PAIR_SHEET = "疑似同一人"
CONFLICT_SHEET = "信息冲突"
ANSWER = "是否同一人"
CORRECT = "正确值"
YES = {"是", "同一人", "y", "yes", "1", "√", "✓", "true"}
NO = {"否", "不是", "非同一人", "n", "no", "0", "×", "false"}
CORRECTABLE = {"category": "人员类别", "community": "所属社区", "birth_date": "出生日期"}

_SIDE = ["file", "sheet", "row", "name", "sex", "id_number", "birth_date", "phone", "work_unit", "position", "community"]
_SIDE_LABELS = ["文件", "工作表", "行号", "姓名", "性别", "身份证号", "出生日期", "电话", "工作单位", "职务", "社区"]


def review_frames(ws: Workspace, reveal: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, conflicts) as they go into the workbook."""
    cols = ", ".join(f"{{s}}.{c} AS {c}_{{s}}" for c in _SIDE)
    pairs = ws.df(f"""
        WITH side AS (
            SELECT r.record_id, s.path AS file, r.sheet, r.row, r.name, r.sex, r.id_raw AS id_number,
                   strftime(r.birth_date, '%Y-%m-%d') AS birth_date, r.phone, r.work_unit, r.position,
                   r.community, r.street
            FROM records r JOIN sources s USING (source_id)
        )
        SELECT p.record_a, p.record_b, round(p.probability, 3) AS probability,
               coalesce(a.street, b.street, '未知') AS street, coalesce(a.community, b.community, '未知') AS community_group,
               {cols.format(s='a')}, {cols.format(s='b')}
        FROM pairs p JOIN side a ON a.record_id = p.record_a JOIN side b ON b.record_id = p.record_b
        WHERE p.status = 'review'
        ORDER BY street, community_group, p.probability DESC, p.record_a
    """)
    conflicts = ws.df("""
        SELECT i.person_id, p.name, coalesce(p.street, '未知') AS street, coalesce(p.community, '未知') AS community_group,
               i.field, i.code, i.value, i.message,
               (SELECT min(record_id) FROM links l WHERE l.person_id = i.person_id) AS anchor
        FROM issues i JOIN persons p USING (person_id)
        WHERE i.severity = 'conflict' AND i.field IN ('category', 'community', 'birth_date')
        ORDER BY street, community_group, i.person_id, i.field
    """)
    if not reveal:
        for s in ("a", "b"):
            pairs[f"id_number_{s}"] = mask_column(pairs[f"id_number_{s}"], "id")
            pairs[f"phone_{s}"] = mask_column(pairs[f"phone_{s}"], "phone")
    return pairs, conflicts


def export_review(ws: Workspace, output: Path, reveal: bool = False) -> tuple[int, int]:
    """Write the review workbook; returns (pairs, conflicts) written."""
    import xlsxwriter

    pairs, conflicts = review_frames(ws, reveal)
    wb = xlsxwriter.Workbook(str(output))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    fill = wb.add_format({"bg_color": "#FFF2CC", "border": 1})
    cell = wb.add_format({"border": 1})
    note = wb.add_format({"italic": True, "font_color": "#595959"})

    ws1 = wb.add_worksheet(PAIR_SHEET)
    header = ["编号", "街道", "社区", "匹配概率"] + [f"甲·{x}" for x in _SIDE_LABELS] + [f"乙·{x}" for x in _SIDE_LABELS] + [ANSWER, "备注"]
    ws1.write_row(0, 0, header, head)
    for i, r in enumerate(pairs.itertuples(index=False), start=1):
        d = r._asdict()
        row = [f"{d['record_a']}-{d['record_b']}", d["street"], d["community_group"], d["probability"]]
        row += [_cell(d[f"{c}_a"]) for c in _SIDE] + [_cell(d[f"{c}_b"]) for c in _SIDE]
        ws1.write_row(i, 0, row, cell)
        ws1.write_blank(i, len(header) - 2, None, fill)
        ws1.write_blank(i, len(header) - 1, None, cell)
    if len(pairs):
        ws1.data_validation(1, len(header) - 2, len(pairs), len(header) - 2,
                            {"validate": "list", "source": ["是", "否"], "input_title": ANSWER, "input_message": "是 或 否"})
        ws1.autofilter(0, 0, len(pairs), len(header) - 1)
    ws1.freeze_panes(1, 4)
    ws1.set_column(0, 0, 16)
    ws1.set_column(4, len(header) - 3, 12)
    ws1.write(len(pairs) + 2, 0, "请在“是否同一人”一栏填写“是”或“否”，保存后运行 census review apply 本文件。", note)

    ws2 = wb.add_worksheet(CONFLICT_SHEET)
    header2 = ["人员编号", "姓名", "街道", "社区", "冲突项", "各来源的值", "说明", CORRECT, "锚定记录"]
    ws2.write_row(0, 0, header2, head)
    for i, r in enumerate(conflicts.itertuples(index=False), start=1):
        ws2.write_row(i, 0, [r.person_id, _cell(r.name), r.street, r.community_group, CORRECTABLE.get(r.field, r.field),
                             _cell(r.value), _cell(r.message)], cell)
        ws2.write_blank(i, 7, None, fill)
        ws2.write_number(i, 8, int(r.anchor), cell)
    ws2.freeze_panes(1, 2)
    ws2.set_column(0, 6, 14)
    ws2.set_column(8, 8, 10, None, {"hidden": True})
    ws2.write(len(conflicts) + 2, 0, "请在“正确值”一栏填写核实后的值（类别、社区名称或出生日期YYYY-MM-DD），不确定的留空。", note)
    wb.close()
    return len(pairs), len(conflicts)


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return v if isinstance(v, int | float) else str(v)


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
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine's own error types
        raise SourceError(str(path), f"cannot be opened as a workbook ({str(e).splitlines()[0]}).") from None
    if PAIR_SHEET not in book.sheet_names and CONFLICT_SHEET not in book.sheet_names:
        raise UsageError(f"{path}: has neither a {PAIR_SHEET!r} nor a {CONFLICT_SHEET!r} sheet; pass the file `census review export` wrote.")
    result = ApplyResult()
    now = datetime.now().replace(microsecond=0)
    decisions: list[tuple] = []
    if PAIR_SHEET in book.sheet_names:
        rows = book.get_sheet_by_name(PAIR_SHEET).to_python(skip_empty_area=False)
        header = [str(h) for h in rows[0]] if rows else []
        if ANSWER not in header:
            raise UsageError(f"{path}, sheet {PAIR_SHEET}: the column {ANSWER!r} is missing; do not rename the columns.")
        col = header.index(ANSWER)
        for n, row in enumerate(rows[1:], start=2):
            key = str(row[0]).strip() if row and row[0] != "" else ""
            if "-" not in key:
                continue
            answer = str(row[col]).strip().lower() if col < len(row) else ""
            try:
                a, b = (int(float(x)) for x in key.split("-", 1))
            except ValueError:
                result.problems.append(f"{path}, sheet {PAIR_SHEET}, row {n}, column 编号: {key!r} is not a pair number; leave that column as written.")
                continue
            if answer in YES:
                decisions.append(("must_link", a, b, None, None, None))
                result.must_link += 1
            elif answer in NO:
                decisions.append(("cannot_link", a, b, None, None, None))
                result.cannot_link += 1
            elif answer:
                result.problems.append(f"{path}, sheet {PAIR_SHEET}, row {n}, column {ANSWER}: {answer!r} is neither 是 nor 否.")
            else:
                result.unanswered += 1
    if CONFLICT_SHEET in book.sheet_names:
        rows = book.get_sheet_by_name(CONFLICT_SHEET).to_python(skip_empty_area=False)
        header = [str(h) for h in rows[0]] if rows else []
        if CORRECT not in header:
            raise UsageError(f"{path}, sheet {CONFLICT_SHEET}: the column {CORRECT!r} is missing; do not rename the columns.")
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
                result.problems.append(f"{path}, sheet {CONFLICT_SHEET}, row {n}, column 冲突项: {row[c_field]!r} cannot be corrected here.")
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
            raise UsageError(f"there is no active decision {decision_id}; `census review list` shows them.")
        ws.con.execute("UPDATE decisions SET undone = true WHERE decision_id = ?", [decision_id])
        ws.bump_data_version()


def corrections(ws: Workspace) -> list[tuple[int, str, str]]:
    """(anchor record, field, value) of the active corrections."""
    return [(int(a), f, v) for a, f, v in ws.query(
        "SELECT record_a, field, value FROM decisions WHERE kind = 'correction' AND NOT undone ORDER BY decision_id")]


def decisions_json(df: pd.DataFrame) -> str:
    from .export import frame_records

    return json.dumps(frame_records(df), ensure_ascii=False, indent=1)

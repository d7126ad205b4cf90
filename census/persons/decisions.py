"""Review decisions (核查): a filled review workbook read back (`apply_review`), each answer stored as a decision —
must-link or cannot-link for an uncertain pair, a correction for a conflicting field. Decisions survive every later
re-link, can be listed and undone; linking reads them (`decided_pairs`, `corrections`).

The workbook itself is written by `census.render.review` from `census.persons.review.review_frames`; its sheet
and column names are defined here, where they are read back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from ..config import load_schemas
from ..errors import SourceError, UsageError
from ..i18n import _
from ..serialize import frame_records
from ..sources.values import normalize_date
from ..vocab import UNRESOLVED
from ..workspace import Workspace
from ..workspace.queries import load_register

PAIR_SHEET = "疑似同一人"
CONFLICT_SHEET = "信息冲突"
ANSWER = "是否同一人"
CORRECT = "正确值"
SCHEME_COLUMN = "统计口径"
ANCHOR = "锚定记录"
FIELD_COLUMN = "冲突项"
YES = {"是", "同一人", "y", "yes", "1", "√", "✓", "true"}
NO = {"否", "不是", "非同一人", "n", "no", "0", "×", "false"}
CORRECTABLE = {"category": "人员类别", "community": "所属社区", "birth_date": "出生日期"}

# the columns of each side of a pair in the workbook: (field, heading)
SIDE = (("file", "文件"), ("sheet", "工作表"), ("row", "行号"), ("name", "姓名"), ("sex", "性别"), ("id_number", "身份证号"),
        ("birth_date", "出生日期"), ("phone", "电话"), ("work_unit", "工作单位"), ("position", "职务"), ("community", "社区"))
CONFLICT_HEADER = ("人员编号", "姓名", "年度", "街道", "社区", FIELD_COLUMN, "各来源的值", "说明", SCHEME_COLUMN, CORRECT, ANCHOR)


@dataclass
class ApplyResult:
    """What `apply_review` did: the decisions it stored by kind, the answers already in force (nothing stored),
    the earlier decisions it replaced, the rows left blank, one message per refused row, and how many decisions are
    in force afterwards (what `census review list` lists)."""

    must_link: int = 0
    cannot_link: int = 0
    corrections: int = 0
    unchanged: int = 0
    replaced: int = 0
    unanswered: int = 0
    refused: list[str] = field(default_factory=list)
    active: int = 0

    @property
    def stored(self) -> int:
        return self.must_link + self.cannot_link + self.corrections

    @property
    def problems(self) -> list[str]:
        return self.refused

    def to_dict(self) -> dict:
        return {**asdict(self), "stored": self.stored}

    def summary(self) -> str:
        """One line in Chinese, agreeing with `census review list`."""
        return _("已记录核查结论{stored}条（同一人{must}对，非同一人{cannot}对，更正{corr}项），替换原结论{replaced}条；"
                 "与现有结论相同{same}条，拒收{refused}行，未填写{blank}行。现有有效核查结论{active}条（census review list）。").format(
            stored=self.stored, must=self.must_link, cannot=self.cannot_link, corr=self.corrections, replaced=self.replaced,
            same=self.unchanged, refused=len(self.refused), blank=self.unanswered, active=self.active)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _header(rows: list, path: Path, sheet: str, needed: tuple[str, ...]) -> dict[str, int]:
    header = [_text(h) for h in rows[0]] if rows else []
    for name in needed:
        if name not in header:
            raise UsageError(_("{path}，工作表“{sheet}”：缺少“{column}”列；请不要改动列名，使用 census review export 导出的文件。")
                             .format(path=path, sheet=sheet, column=name))
    return {h: i for i, h in enumerate(header) if h}


def _cell(row: list, col: int | None) -> str:
    return _text(row[col]) if col is not None and col < len(row) else ""


class AnswerChecker:
    """Whether an answer in the 正确值 column is a value the field can take."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.schemas = load_schemas()
        self.titles = {sf.title: name for name, sf in self.schemas.schemes.items()}
        self.register = load_register(ws)

    def scheme(self, title: str) -> str:
        return self.titles.get(title, title if title in self.schemas.schemes else "current4")

    def problem(self, field_name: str, value: str, scheme: str) -> str | None:
        """Why `value` cannot be the field's value (one clause in Chinese), or None when it can."""
        if field_name == "category":
            sf = self.schemas.schemes[scheme]
            label = self.schemas.terms[scheme].category(value)
            groups = {c.label: c.group for c in sf.categories}
            if label is None or groups[label] == UNRESOLVED:
                valid = "、".join(c.label for c in sf.categories if c.group != UNRESOLVED)
                return _("“{value}”不是“{title}”口径的类别；请填写：{valid}").format(value=value, title=sf.title, valid=valid)
        elif field_name == "community":
            if self.register and self.register.community(value) is None:
                return _("“{value}”不是区划名册中的社区（村）；请填写名册中的社区（村）名称").format(value=value)
        elif field_name == "birth_date":
            d = normalize_date(value)
            if d.value is None or d.precision != "day":
                return _("“{value}”不是有效的出生日期；请写作YYYY-MM-DD，例如1985-03-12").format(value=value)
        return None


def apply_review(ws: Workspace, path: Path) -> ApplyResult:
    """Read a filled review workbook back and store its answers as decisions, replacing earlier answers to the same
    pair or to the same field of the same person in the same round. An answer that is no valid value is refused for
    its row (a message names the sheet, row and column); the other rows are applied. Unanswered rows are left for
    later; an answer already in force stores nothing."""
    if not Path(path).is_file():
        raise UsageError(_("{path}：没有这个文件。").format(path=path))
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # noqa: BLE001 - calamine's own error types
        raise SourceError(str(path), _("无法作为工作簿打开（{reason}）。").format(reason=str(e).splitlines()[0])) from None
    if PAIR_SHEET not in book.sheet_names and CONFLICT_SHEET not in book.sheet_names:
        raise UsageError(_("{path}：既没有“{a}”工作表，也没有“{b}”工作表；请使用 census review export 导出的文件。")
                         .format(path=path, a=PAIR_SHEET, b=CONFLICT_SHEET))
    result = ApplyResult()
    decisions: list[tuple] = []  # (kind, record_a, record_b, person_id, field, value)

    def refuse(sheet: str, n: int, column: str, why: str) -> None:
        result.refused.append(_("{path}，工作表“{sheet}”第{row}行，“{column}”列：{why}。").format(
            path=path, sheet=sheet, row=n, column=column, why=why))

    records = {int(r) for (r,) in ws.query("SELECT record_id FROM links")}
    if PAIR_SHEET in book.sheet_names:
        rows = book.get_sheet_by_name(PAIR_SHEET).to_python(skip_empty_area=False)
        cols = _header(rows, path, PAIR_SHEET, ("编号", ANSWER))
        for n, row in enumerate(rows[1:], start=2):
            key = _cell(row, cols["编号"])
            if "-" not in key:
                continue
            answer = _cell(row, cols[ANSWER]).lower()
            try:
                a, b = (int(float(x)) for x in key.split("-", 1))
            except ValueError:
                refuse(PAIR_SHEET, n, "编号", _("“{key}”不是记录对的编号；请保持该列原样").format(key=key))
                continue
            if answer in YES or answer in NO:
                if a not in records or b not in records:
                    refuse(PAIR_SHEET, n, "编号", _("这一对记录已不在工作区中（其文件已被替换）；请重新导出核查清单"))
                    continue
                decisions.append(("must_link" if answer in YES else "cannot_link", a, b, None, None, None))
            elif answer:
                refuse(PAIR_SHEET, n, ANSWER, _("“{answer}”既不是“是”也不是“否”").format(answer=answer))
            else:
                result.unanswered += 1
    if CONFLICT_SHEET in book.sheet_names:
        rows = book.get_sheet_by_name(CONFLICT_SHEET).to_python(skip_empty_area=False)
        cols = _header(rows, path, CONFLICT_SHEET, ("人员编号", FIELD_COLUMN, CORRECT, ANCHOR))
        fields = {v: k for k, v in CORRECTABLE.items()}
        checker = AnswerChecker(ws)
        for n, row in enumerate(rows[1:], start=2):
            pid = _cell(row, cols["人员编号"])
            if not pid.startswith("P"):
                continue
            value = _cell(row, cols[CORRECT])
            if not value:
                result.unanswered += 1
                continue
            f = fields.get(_cell(row, cols[FIELD_COLUMN]))
            if f is None:
                refuse(CONFLICT_SHEET, n, FIELD_COLUMN, _("“{v}”不能在此更正").format(v=_cell(row, cols[FIELD_COLUMN])))
                continue
            try:
                anchor = int(float(_cell(row, cols[ANCHOR])))
            except ValueError:
                anchor = -1
            if anchor not in records:
                refuse(CONFLICT_SHEET, n, ANCHOR, _("这一行的记录已不在工作区中（其文件已被替换）；请重新导出核查清单"))
                continue
            why = checker.problem(f, value, checker.scheme(_cell(row, cols.get(SCHEME_COLUMN))))
            if why:
                refuse(CONFLICT_SHEET, n, CORRECT, why)
                continue
            decisions.append(("correction", anchor, None, pid, f, value))
    _store(ws, decisions, str(path), result)
    return result


_OWNER_SQL = """SELECT l.record_id, l.person_id, s.round FROM links l JOIN records r ON r.record_id = l.record_id
                 JOIN sources s ON s.source_id = r.source_id"""  # who a record is, in which round


def _store(ws: Workspace, decisions: list[tuple], source: str, result: ApplyResult) -> None:
    now = datetime.now().replace(microsecond=0)
    with ws.transaction():
        for kind, a, b, pid, f, value in decisions:
            if kind == "correction":  # earlier corrections of this field of the same person in the same round
                earlier = ws.query(f"""WITH owner AS ({_OWNER_SQL})
                    SELECT d.decision_id, d.record_a, d.value FROM decisions d JOIN owner o ON o.record_id = d.record_a
                    WHERE d.kind = 'correction' AND d.field = ? AND NOT d.undone
                      AND (o.person_id, o.round) IN (SELECT (person_id, round) FROM owner WHERE record_id = ?)""", [f, a])
                if any(row[2] == value for row in earlier):
                    result.unchanged += 1
                    continue
            else:
                earlier = ws.query("""SELECT decision_id, kind, NULL FROM decisions WHERE kind IN ('must_link', 'cannot_link')
                                      AND NOT undone AND least(record_a, record_b) = least(?, ?)
                                      AND greatest(record_a, record_b) = greatest(?, ?)""", [a, b, a, b])
                if any(row[1] == kind for row in earlier):
                    result.unchanged += 1
                    continue
            for row in earlier:
                ws.con.execute("UPDATE decisions SET undone = true WHERE decision_id = ?", [row[0]])
            result.replaced += len(earlier)
            next_id = int(ws.scalar("SELECT coalesce(max(decision_id), 0) + 1 FROM decisions"))
            ws.con.execute("INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, false)",
                           [next_id, kind, a, b, pid, f, value, source, now])
            if kind == "must_link":
                result.must_link += 1
            elif kind == "cannot_link":
                result.cannot_link += 1
            else:
                result.corrections += 1
        if result.stored:
            ws.bump_data_version()
        result.active = int(ws.scalar("SELECT count(*) FROM decisions WHERE NOT undone") or 0)


def list_decisions(ws: Workspace, include_undone: bool = False) -> pd.DataFrame:
    return ws.df(f"""SELECT decision_id, kind, record_a, record_b, person_id, field, value, source, decided_at, undone
                     FROM decisions {'' if include_undone else 'WHERE NOT undone'} ORDER BY decision_id""")


def undo_decision(ws: Workspace, decision_id: int) -> None:
    with ws.transaction():
        found = ws.scalar("SELECT count(*) FROM decisions WHERE decision_id = ? AND NOT undone", [decision_id])
        if not found:
            raise UsageError(_("没有编号为{id}的有效核查结论；census review list 列出现有结论。").format(id=decision_id))
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


def category_corrections(ws: Workspace) -> dict[tuple[str, str], str]:
    """(person, round) → the category a clerk decided in review, as written (the latest correction wins); the round
    is that of the anchor record the correction was made on."""
    return {(pid, rnd): v for pid, rnd, v in ws.query("""
        SELECT l.person_id, s.round, arg_max(d.value, d.decision_id) FROM decisions d JOIN links l ON l.record_id = d.record_a
        JOIN records r ON r.record_id = d.record_a JOIN sources s ON s.source_id = r.source_id
        WHERE d.kind = 'correction' AND d.field = 'category' AND NOT d.undone GROUP BY l.person_id, s.round""")}

"""核查 that closes, on the demo district: a conflict is listed once per person, only when the declared values mean
different categories under the scheme in force (or contradict the evidence); a correction takes effect and the
person leaves the review list; `undo` brings them back; an answer that is not a valid value is refused for its row,
the other rows applied; the summary of `review apply` agrees with `review list`."""

from __future__ import annotations

import openpyxl
import pytest

from census import link
from census.cli import main
from census.persons.decisions import (
    CONFLICT_HEADER,
    CONFLICT_SHEET,
    CORRECT,
    AnswerChecker,
    apply_review,
    list_decisions,
    undo_decision,
)
from census.render import export_review
from census.workspace.rounds import table_round

from ..conftest import EXAMPLES, demo_copy
from ..evaluate import load_truth, records_with_truth


@pytest.fixture
def ws(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "review")
    yield w
    w.close()


@pytest.fixture(scope="module")
def truth():
    return load_truth(EXAMPLES / "truth")


def _conflicts(path) -> list[dict]:
    sheet = openpyxl.load_workbook(path)[CONFLICT_SHEET]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == list(CONFLICT_HEADER)
    return [dict(zip(CONFLICT_HEADER, r, strict=True)) for r in rows[1:] if r[0] and str(r[0]).startswith("P")]


def _fill(path, answers: dict[tuple[str, str], str]) -> dict[tuple[str, str], int]:
    """Write answers {(person, field label): value} into the 正确值 column; returns the Excel row of each."""
    book = openpyxl.load_workbook(path)
    sheet = book[CONFLICT_SHEET]
    col = CONFLICT_HEADER.index(CORRECT) + 1
    rows = {}
    for r in range(2, sheet.max_row + 1):
        k = (sheet.cell(r, 1).value, sheet.cell(r, CONFLICT_HEADER.index("冲突项") + 1).value)
        if k in answers:
            sheet.cell(r, col).value = answers[k]
            rows[k] = r
    book.save(path)
    return rows


def _category(ws, pid, scheme="current4"):
    return ws.query("SELECT category, conflict, reason FROM classifications WHERE person_id = ? AND scheme = ?", [pid, scheme])[0]


@pytest.mark.parametrize("scheme", ["current4", "legacy6"])
def test_one_category_conflict_per_person_and_only_real_ones(ws, truth, tmp_path, scheme):
    out = tmp_path / "核查清单.xlsx"
    export_review(ws, out, scheme=scheme)
    rows = _conflicts(out)
    category = [r for r in rows if r["冲突项"] == "人员类别"]
    # the three persons whose community ledger says 自由职业人员 while a law firm lists them as 律师; not the dozens
    # of spellings of one category (新媒体人员 / 新媒体从业人员), and once, under the scheme in force
    rec = records_with_truth(ws, truth)
    keys = set(rec[rec["person_id"].isin([r["人员编号"] for r in category])]["person_key"])
    assert keys == set(truth.expected["conflicts"]) and len(category) == 3
    assert all(r["统计口径"] == ("现行四类" if scheme == "current4" else "2001年六类") for r in category)
    assert len({(r["人员编号"], r["冲突项"]) for r in rows}) == len(rows)  # one row per person and field
    assert {r["冲突项"] for r in rows} == {"人员类别", "所属社区"}


def test_a_correction_takes_effect_and_undo_brings_it_back(ws, tmp_path):
    out = tmp_path / "核查清单.xlsx"
    export_review(ws, out)
    category = [r for r in _conflicts(out) if r["冲突项"] == "人员类别"]
    kept, changed, left = (r["人员编号"] for r in category)
    before = _category(ws, changed)
    assert before[0] == "自由职业人员" and before[1] and "待核查" in before[2]
    _fill(out, {(kept, "人员类别"): "自由职业人员", (changed, "人员类别"): "中介组织和社会组织从业人员"})
    result = apply_review(ws, out)
    assert (result.corrections, result.refused, result.stored) == (2, [], 2)
    link(ws)
    # classification uses the corrected value, and the review is closed
    cat, conflict, reason = _category(ws, changed)
    assert (cat, conflict) == ("中介组织和社会组织从业人员", False) and reason.startswith("核查结论")
    assert _category(ws, changed, "legacy6")[:2] == ("中介组织从业人员", False)  # the same answer, read by the other scheme
    assert _category(ws, kept)[:2] == ("自由职业人员", False)
    again = tmp_path / "again.xlsx"
    export_review(ws, again)
    assert [r["人员编号"] for r in _conflicts(again) if r["冲突项"] == "人员类别"] == [left]
    # answering the same again stores nothing; the summary agrees with `review list`
    result = apply_review(ws, out)
    assert (result.stored, result.unchanged, result.active) == (0, 2, len(list_decisions(ws)))
    assert "现有有效核查结论2条" in result.summary()
    # undo brings it back
    decision = int(list_decisions(ws).query("person_id == @changed")["decision_id"].iloc[0])
    undo_decision(ws, decision)
    link(ws)
    assert _category(ws, changed)[:2] == ("自由职业人员", True)
    back = tmp_path / "back.xlsx"
    export_review(ws, back)
    assert sorted(r["人员编号"] for r in _conflicts(back) if r["冲突项"] == "人员类别") == sorted([changed, left])


def test_an_invalid_answer_is_refused_for_its_row_and_the_others_are_applied(ws, tmp_path, capsys):
    out = tmp_path / "核查清单.xlsx"
    export_review(ws, out)
    rows = _conflicts(out)
    cat = [r["人员编号"] for r in rows if r["冲突项"] == "人员类别"]
    place = [r for r in rows if r["冲突项"] == "所属社区"]
    good_place = place[0]["各来源的值"].split("、")[0]
    at = _fill(out, {(cat[0], "人员类别"): "民营科技企业创业人员",  # a category of legacy6, not of current4
                     (cat[1], "人员类别"): "待核实",  # no answer either
                     (cat[2], "人员类别"): "中介组织和社会组织从业人员",
                     (place[0]["人员编号"], "所属社区"): good_place,
                     (place[1]["人员编号"], "所属社区"): "火星社区"})  # not in the register
    db = ws.path
    ws.close()
    code = main(["review", "apply", str(out), "--db", str(db)])
    captured = capsys.readouterr()
    assert code == 1
    refused = sorted(line for line in captured.err.splitlines() if line.strip())
    assert refused == sorted([
        f"{out}，工作表“信息冲突”第{at[cat[0], '人员类别']}行，“正确值”列：“民营科技企业创业人员”不是“新的社会阶层人士（现行四类）”口径的类别；请填写："
        "民营企业和外商投资企业管理技术人员、中介组织和社会组织从业人员、自由职业人员、新媒体从业人员、非公有制经济人士、不属于统计范围。",
        f"{out}，工作表“信息冲突”第{at[cat[1], '人员类别']}行，“正确值”列：“待核实”不是“新的社会阶层人士（现行四类）”口径的类别；请填写："
        "民营企业和外商投资企业管理技术人员、中介组织和社会组织从业人员、自由职业人员、新媒体从业人员、非公有制经济人士、不属于统计范围。",
        f"{out}，工作表“信息冲突”第{at[place[1]['人员编号'], '所属社区']}行，“正确值”列：“火星社区”不是区划名册中的社区（村）；"
        "请填写名册中的社区（村）名称。",
    ]), captured.err
    assert "已记录核查结论2条" in captured.out and "拒收3行" in captured.out and "现有有效核查结论2条" in captured.out
    assert main(["review", "list", "--db", str(db), "--format", "json"]) == 0
    listed = capsys.readouterr().out
    assert listed.count('"decision_id"') == 2 and good_place in listed


def test_a_birth_date_answer_must_be_a_date(ws, tmp_path):
    checker = AnswerChecker(ws)
    assert checker.problem("birth_date", "1985-03-12", "current4") is None
    assert checker.problem("birth_date", "1985年3月12日", "current4") is None
    assert "不是有效的出生日期" in checker.problem("birth_date", "1985-13-45", "current4")
    assert "不是有效的出生日期" in checker.problem("birth_date", "1985.03", "current4")  # a month is no answer
    assert checker.problem("category", "个体户", "legacy6") is None and checker.problem("category", "私营企业主", "current4") is None
    assert table_round(ws, None)  # the demo is one round

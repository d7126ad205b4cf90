"""Rows as every output writes them: one footnote for suppressed cells, one label for each kind of source."""

from __future__ import annotations

import openpyxl

from census import IngestOptions, build_report, ingest, link
from census.render.rows import Grid, suppression_note
from census.vocab import SOURCE_KIND_LABELS

from ..conftest import ledger_rows, make_id, write_xlsx


def test_suppression_note_is_one_text_for_every_output():
    grid = Grid(["类别", "人数"], [(["甲", "<5"], ""), (["乙", "×"], ""), (["合计", 9], "total")])
    assert suppression_note(5, grid.cells()) == "“<5”表示1至4人；“×”表示为防止由合计推算而一并隐去的数值；合计按实际人数计算。"
    assert suppression_note(5, ["<5"]) == "“<5”表示1至4人；合计按实际人数计算。"
    assert suppression_note(5, [3, 4]) == "" and suppression_note(None, ["<5"]) == ""


def test_console_and_workbook_say_the_same_under_a_suppressed_table(tmp_path, capsys):
    """The terminal table said "不足5人" where the workbook said "1至4人"; both now write `suppression_note`."""
    from census import Workspace
    from census.cli import main

    db = tmp_path / "census.duckdb"
    with Workspace(db) as w:
        ingest(w, [write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})])
        build_report(w, tmp_path / "r.xlsx", suppress=5)
    assert main(["tally", "--db", str(db), "--suppress", "5"]) == 0
    console = capsys.readouterr().out.replace("\n", "").replace(" ", "").replace("│", "")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["按类别"]
    foot = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "“<5”" in c.value]
    note = "“<5”表示1至4人；合计按实际人数计算。"
    assert note in console and len(foot) == 1 and foot[0].endswith(note)


def test_a_source_kind_reads_the_same_wherever_it_is_shown(ws, tmp_path):
    """"other" was 其他来源 in classification reasons and 其他 on the report's quality sheet."""
    p = write_xlsx(tmp_path / "名单.xlsx", {"S": [["姓名", "身份证号", "人员类别"], ["张伟", make_id(), "自由职业者"]]})
    ingest(ws, [p], IngestOptions(kind="other", community="康盛花园社区"))
    link(ws)
    reason = ws.scalar("SELECT reason FROM classifications WHERE scheme = 'current4'")
    build_report(ws, tmp_path / "r.xlsx")
    kinds = [row[1] for row in openpyxl.load_workbook(tmp_path / "r.xlsx")["数据质量"].iter_rows(values_only=True)
             if str(row[0]).endswith("名单.xlsx")]
    assert reason.startswith(SOURCE_KIND_LABELS["other"]) and kinds == [SOURCE_KIND_LABELS["other"]] == ["其他来源"]

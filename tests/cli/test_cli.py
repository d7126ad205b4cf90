"""The CLI is thin: exit codes, one-line errors, JSON equal to the library's result, help on every command."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
import typer

from census import Workspace, ingest, tally
from census.cli import app, main

from ..conftest import ledger_rows, make_id, write_xlsx


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def ledger(tmp_path):
    return write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})


def test_ingest_json_equals_library(tmp_path, capsys, ledger):
    db = tmp_path / "a.duckdb"
    code, out, err = run(capsys, "ingest", str(ledger), "--db", str(db), "--format", "json")
    assert code == 0
    got = json.loads(out)
    with Workspace(tmp_path / "b.duckdb") as ws:
        lib = ingest(ws, [ledger]).to_dict()
    for f in got["files"] + lib["files"]:
        f.pop("source_id")
    assert got == json.loads(json.dumps(lib, ensure_ascii=False, default=str))
    assert "数据4行 → 记录4条" in err


def test_tally_json_equals_library_and_formats(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    assert run(capsys, "ingest", str(ledger), "--db", db)[0] == 0
    code, out, err = run(capsys, "tally", "--db", db, "--format", "json", "--by", "street", "--by", "category")
    assert code == 0 and "已重新关联（4条记录 → 4人）" in err
    with Workspace(db) as ws:
        lib = tally(ws, "current4", ["street", "category"]).to_dict()
    assert json.loads(out) == lib
    assert lib["total"] == sum(r["count"] for r in lib["rows"]) == 3
    assert lib["outside_total"] == {"非公有制经济人士": 1}
    code, out, _ = run(capsys, "tally", "--db", db, "--format", "csv", "--by", "street", "--by", "category")
    assert out.splitlines()[0] == "街道,类别,人数" and out.splitlines()[-1] == "合计,,3"
    assert "雨花街道,小计,3" in out
    code, out, _ = run(capsys, "tally", "--db", db)
    assert "合计" in out and "非公有制经济人士1名" in out
    code, out, _ = run(capsys, "tally", "--db", db, "--format", "md", "--scheme", "legacy6")
    assert "| **合计** | **4** |" in out


def test_exports_mask_unless_revealed(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    run(capsys, "ingest", str(ledger), "--db", db)
    full = make_id("19850312", "123")
    for what in ("records", "persons", "issues"):
        code, out, _ = run(capsys, "export", what, "--db", db)
        assert code == 0 and full not in out and "13812345678" not in out
    code, out, _ = run(capsys, "export", "records", "--db", db)
    assert full[:6] + "********" + full[-4:] in out and "138****5678" in out
    code, out, _ = run(capsys, "export", "records", "--db", db, "--reveal", "--reason", "核对身份证号")
    assert full in out
    code, out, _ = run(capsys, "export", "links", "--db", db, "--format", "json")
    links = json.loads(out)
    named = ledger.as_posix()  # the file as the user named it
    assert [(r["file"], r["sheet"], r["row"]) for r in links] == [(named, "台账", r) for r in (5, 6, 7, 8)]


def test_status_and_link(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    run(capsys, "ingest", str(ledger), "--db", db)
    code, out, _ = run(capsys, "status", "--db", db, "--format", "json")
    s = json.loads(out)
    assert code == 0 and s["files"] == 1 and s["records"] == 4 and s["link_current"] is False
    code, out, _ = run(capsys, "link", "--db", db)
    assert code == 0 and out.startswith("4条记录 → 4人（")
    assert json.loads(run(capsys, "status", "--db", db, "--format", "json")[1])["link_current"] is True


def test_usage_errors_exit_2(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    run(capsys, "ingest", str(ledger), "--db", db)
    code, _, err = run(capsys, "tally", "--db", db, "--by", "colour")
    assert code == 2 and err.startswith("错误：--by colour：不是维度；可用的维度有 category（类别）、district（区县）、street（街道）")
    code, _, err = run(capsys, "tally", "--db", db, "--where", "street")
    assert code == 2 and "请写成 维度=值" in err
    code, _, err = run(capsys, "ingest", str(tmp_path / "missing.xlsx"), "--db", db)
    assert code == 2 and "没有这个文件或文件夹" in err
    code, _, err = run(capsys, "tally", "--db", str(tmp_path / "none.duckdb"))
    assert code == 1 and "这里还没有工作区" in err
    code, _, _ = run(capsys, "tally", "--nonsense")
    assert code == 2


def test_failed_file_exit_1_and_no_traceback(tmp_path, capsys):
    (tmp_path / "bad.xlsx").write_bytes(b"not a workbook at all")
    code, _, err = run(capsys, "ingest", str(tmp_path / "bad.xlsx"), "--db", str(tmp_path / "a.duckdb"))
    assert code == 1 and "bad.xlsx" in err and "Traceback" not in err


def test_schema_check_names_the_key_path(tmp_path, capsys):
    bad = tmp_path / "regions.yaml"
    bad.write_text('name: 区\ncode: "320114"\nstreets:\n  - {name: 甲街道, code: "320114001", communities: [{name: 乙社区, code: "12345"}]}\n',
                   encoding="utf-8")
    code, _, err = run(capsys, "schema", "check", str(bad))
    assert code == 1 and "streets/0/communities/0/code" in err and "12位数字" in err


def test_every_command_has_help_and_an_example():
    def commands(t: typer.Typer, prefix=""):
        for c in t.registered_commands:
            yield prefix + (c.name or c.callback.__name__), c
        for g in t.registered_groups:
            yield from commands(g.typer_instance, prefix + g.name + " ")

    found = dict(commands(app))
    assert {"ingest", "tally", "export", "status", "link", "classify", "schema check", "diff", "followup"} <= found.keys()
    for name, c in found.items():
        assert c.help and re.search(r"[\u4e00-\u9fff]", c.help), f"{name} has no help in Chinese"
        assert c.epilog and all(line.startswith("census ") for line in c.epilog.splitlines()), f"{name} has no example"


def test_console_script_runs(tmp_path):
    r = subprocess.run([sys.executable, "-m", "census", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "ingest" in r.stdout
    r = subprocess.run([sys.executable, "-m", "census", "tally", "--db", str(tmp_path / "x.duckdb")], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("错误：") and r.stdout == ""


# ---------------------------------------------------------------------------------------------- report, survey
def test_report_writes_the_workbook_and_says_so(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    assert run(capsys, "ingest", str(ledger), "--db", db)[0] == 0
    out_file = tmp_path / "报告.xlsx"
    code, out, err = run(capsys, "report", "-o", str(out_file), "--db", db, "--as-of", "2026-10-15", "--suppress", "3")
    assert code == 0 and out == "" and "已重新关联" in err
    assert f"已写入 {out_file}：8个工作表。" in err
    import openpyxl

    assert openpyxl.load_workbook(out_file).sheetnames[:3] == ["摘要", "按类别", "街道×类别"]
    bad = tmp_path / "layout.yaml"
    bad.write_text("sheets:\n  - {name: 表, kind: pivot}\n", encoding="utf-8")
    code, _, err = run(capsys, "report", "-o", str(out_file), "--db", db, "--layout", str(bad))
    assert code == 1 and "sheets/0/kind" in err
    code, _, err = run(capsys, "report", "-o", str(tmp_path / "r.csv"), "--db", db)
    assert code == 2 and ".xlsx" in err


def test_survey_json_equals_library(tmp_path, capsys):
    import pyreadstat

    from census.tables.survey import survey as run_survey

    df = pd.DataFrame({"Q1_姓名": ["张伟", "李丽", "王芳"], "Q4_学历": [5.0, 4.0, 5.0], "Q12_1": [1.0, 0.0, 1.0], "Q12_2": [1.0, 1.0, 0.0]})
    sav = tmp_path / "问卷.sav"
    pyreadstat.write_sav(df, str(sav), column_labels=["1.您的姓名", "4.您的最高学历", "12.您希望参加的活动：政治培训", "12.您希望参加的活动：联谊交流"],
                         variable_value_labels={"Q4_学历": {4.0: "大学专科", 5.0: "大学本科"}, "Q12_1": {0.0: "未选", 1.0: "选择"},
                                                "Q12_2": {0.0: "未选", 1.0: "选择"}})
    db = str(tmp_path / "a.duckdb")
    assert run(capsys, "ingest", str(sav), "--db", db)[0] == 0
    code, out, _ = run(capsys, "survey", "--db", db, "--format", "json")
    assert code == 0
    with Workspace(db) as ws:
        lib = run_survey(ws).to_dict()
    assert json.loads(out) == lib
    assert [q["variable"] for q in lib["questions"]] == ["Q4_学历", "Q12"]
    assert lib["questions"][0]["rows"] == [{"value": "大学专科", "count": 1, "percent": 33.3}, {"value": "大学本科", "count": 2, "percent": 66.7}]
    code, out, _ = run(capsys, "survey", "--db", db, "--format", "csv", "-q", "Q12")
    assert out.splitlines()[0] == "variable,label,kind,value,column,count,percent,answered"
    assert "Q12,12.您希望参加的活动,multiple,政治培训,合计,2,66.7,3" in out
    code, out, _ = run(capsys, "survey", "--db", db, "-q", "学历")
    assert code == 0 and "大学本科" in out and "回答人数" in out
    code, _, err = run(capsys, "survey", "--db", db, "-q", "Q99")
    assert code == 2 and err.startswith("错误：--question Q99：问卷中没有这道题")


def test_readme_lists_every_issue_code_and_command():
    from census.issues import CODES

    from ..conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)` \| (\w+) \|", readme, re.M))
    assert listed == {(c.code, c.severity) for c in CODES.values()}
    for name in ("ingest", "link", "classify", "tally", "report", "survey", "export", "review", "status", "schema check", "regions init", "codes",
                 "sources", "remove", "diff", "followup", "audit", "purge"):
        assert f"`census {name}" in readme, name


def test_report_docx_by_its_suffix(tmp_path, capsys, ledger):
    import docx

    db = str(tmp_path / "a.duckdb")
    assert run(capsys, "ingest", str(ledger), "--db", db)[0] == 0
    out_file = tmp_path / "2026年新阶层人士统计报告.docx"
    code, out, err = run(capsys, "report", "-o", str(out_file), "--db", db, "--as-of", "2026-10-15")
    assert code == 0 and out == "" and f"已写入 {out_file}：文字报告，6个部分。" in err
    document = docx.Document(str(out_file))
    assert document.paragraphs[0].style.name == "Title" and "新的社会阶层人士统计报告" in document.paragraphs[0].text
    with Workspace(db) as ws:
        assert f"全区共有新的社会阶层人士{tally(ws).total}名" in "".join(p.text for p in document.paragraphs)

"""The command line as a clerk meets it: help in Chinese on every command (no Python types, $CENSUS_DB named), --db
before the command, usage errors as one sentence with exit 2 (also with --debug), a missing file is exit 2 in every
command, tables that fit 80 columns without splitting a number, and the ingest summary a log can keep."""

from __future__ import annotations

import json
import re

import pytest
import typer
from rich.cells import cell_len

from census import Workspace, crosstab, narrative
from census.cli import app, main
from census.cli.help import COMMAND_ORDER
from census.issues import CODES

from ..conftest import EXAMPLES, ledger_rows, write_xlsx


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _commands(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


COMMANDS = [path for path, _cmd in _commands(typer.main.get_command(app))]


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help_in_chinese_with_examples(capsys, path):
    code, out, err = run(capsys, *path, "--help")
    assert code == 0 and err == ""
    assert out.startswith(f"用法：census {' '.join(path)} [选项]")
    assert "示例：\n  census " in out and "显示本帮助并退出。" in out
    for python_type in ("<bool>", "<str>", "<path>", "<list", "<int", "<float", "[default:", "Workspace file", "Show this"):
        assert python_type not in out, python_type
    cmd = dict(_commands(typer.main.get_command(app)))[path]
    for p in cmd.params:
        assert p.help and re.search(r"[\u4e00-\u9fff]", p.help), f"{' '.join(path)} {p.name} has no help in Chinese"
    if any(p.name == "db" for p in cmd.params):
        assert "--db 文件" in out and "$CENSUS_DB" in out


def test_the_app_help_lists_every_command_in_chinese(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and out.startswith("用法：census [选项] 命令 [参数]...")
    for name in ("ingest", "link", "tally", "report", "survey", "export", "status", "classify", "codes", "review", "schema", "regions"):
        assert re.search(rf"^  {name} +[\u4e00-\u9fff]", out, re.M), name
    listed = re.findall(r"^  ([a-z]+) +[\u4e00-\u9fff]", out.split("命令：")[1], re.M)
    assert listed == list(COMMAND_ORDER)  # in the order of the work, every command once
    code, out, _ = run(capsys)  # nothing at all: the help, as a usage error
    assert code == 2 and out.startswith("用法：census [选项]")


@pytest.fixture
def ledger(tmp_path):
    return write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})


def test_db_before_the_command(tmp_path, capsys, ledger, monkeypatch):
    monkeypatch.chdir(tmp_path)  # so that the default ./census.duckdb would be found here if --db were ignored
    db = tmp_path / "雨花.duckdb"
    assert run(capsys, "--db", str(db), "ingest", str(ledger))[0] == 0
    assert db.exists() and not (tmp_path / "census.duckdb").exists()
    code, out, _ = run(capsys, "--db", str(db), "status", "--format", "json")
    assert code == 0 and json.loads(out)["records"] == 4
    code, out, _ = run(capsys, "--db", str(db), "review", "list", "--format", "json")
    assert code == 0 and json.loads(out) == []
    other = tmp_path / "other.duckdb"
    code, _, err = run(capsys, "--db", str(db), "status", "--db", str(other))  # the command's own --db wins
    assert code == 1 and str(other) in err and "这里还没有工作区" in err


def test_usage_errors_are_one_sentence_and_exit_2_even_with_debug(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    run(capsys, "ingest", str(ledger), "--db", db)
    cases = [
        (("tally", "--nonsense"), "错误：没有 --nonsense 这个选项。（运行 census tally --help 查看用法）"),
        (("talley",), "错误：没有 talley 这个命令。是不是要用 tally？（运行 census --help 查看用法）"),
        (("tally", "--db", db, "--percent", "x"), "错误：--percent x：只能是 row、col、total。"),
        (("tally", "--db", db, "--suppress", "x"), "错误：--suppress x：应为整数。"),
        (("tally", "--db", db, "--suppress", "1"), "错误：--suppress 1：不能小于 2。"),
        (("tally", "--db"), "错误：选项 --db 后面要跟一个值。"),
        (("ingest",), "错误：缺少要导入的文件或文件夹"),
        (("export",), "错误：缺少导出什么"),
        (("export", "people", "--db", db), "错误：records|persons|links|issues people：只能是 records、persons、links、issues。"),
        (("link", "--db", db, "--accept", "0.3"), "错误：须满足 0 < --review（0.5）≤ --accept（0.3）≤ 1。"),
        (("tally", "--db", db, "--as-of", "15/10/2026"), "错误：--as-of 15/10/2026：日期请写成 年-月-日"),
        (("status", "extra"), "错误：多余的参数：extra。"),
    ]
    for args, start in cases:
        code, out, err = run(capsys, *args)
        assert code == 2 and out == "" and err.startswith(start), (args, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        code, _, err = run(capsys, *args, "--debug")
        assert code == 2 and err.splitlines()[-1].startswith(start), (args, err)
    code, _, err = run(capsys, "tally", "--db", db, "--by", "colour", "--debug")
    assert code == 2 and "Traceback" in err and err.splitlines()[-1].startswith("错误：--by colour：不是维度")
    code, _, err = run(capsys, "tally", "--db", str(tmp_path / "none.duckdb"), "--debug")
    assert code == 1 and "Traceback" in err and "这里还没有工作区" in err.splitlines()[-1]


def test_a_missing_file_is_a_usage_error_in_every_command(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    run(capsys, "ingest", str(ledger), "--db", db)
    missing = tmp_path / "没有.yaml"
    cases = [
        ("ingest", str(tmp_path / "没有.xlsx"), "--db", db),
        ("ingest", str(ledger), "--db", db, "--regions", str(missing)),
        ("ingest", str(ledger), "--db", db, "--schema", str(missing)),
        ("schema", "check", str(missing)),
        ("review", "apply", str(tmp_path / "没有.xlsx"), "--db", db),
        ("report", "-o", str(tmp_path / "r.xlsx"), "--db", db, "--layout", str(missing)),
    ]
    for args in cases:
        code, _, err = run(capsys, *args)
        assert code == 2 and err.startswith("错误：") and "没有这个文件" in err, (args, err)
    for args in (("tally", "--db", db, "-o", str(tmp_path / "无此文件夹" / "t.csv")),
                 ("export", "records", "--db", db, "-o", str(tmp_path / "无此文件夹" / "r.csv")),
                 ("review", "export", "--db", db, "-o", str(tmp_path / "无此文件夹" / "r.xlsx"))):
        code, _, err = run(capsys, *args)
        assert code == 2 and "无此文件夹 不存在" in err, (args, err)


def test_codes_are_shown_in_chinese_without_placeholders(capsys):
    code, out, _ = run(capsys, "codes", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == len(CODES) >= 29
    assert all("{" not in r["message"] and re.search(r"[\u4e00-\u9fff]", r["message"]) for r in rows)
    assert rows[0] == {"code": "id.checksum", "severity": "error", "title": "身份证号校验位错误",
                       "message": "身份证号…校验位不对（有数字输错或前后颠倒），不用于关联记录"}
    code, out, _ = run(capsys, "codes")
    assert code == 0 and "{value}" not in out and "严重程度" in out and "警告" in out


def test_classify_and_status_name_schemes_and_groups_in_chinese(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    run(capsys, "ingest", str(ledger), "--db", db)
    code, out, err = run(capsys, "classify", "--db", db)
    assert code == 0 and out.splitlines()[0].startswith("现行四类：新的社会阶层人士3人，非公有制经济人士等1人")
    assert out.splitlines()[1].startswith("2001年六类：新的社会阶层人士4人")
    for internal in ("current4", "legacy6", "new_class", "excluded", "outside", "community_ledger"):
        assert internal not in out + err
    code, out, _ = run(capsys, "status", "--db", db)
    assert code == 0 and "文件    1个：社区台账1" in out and "关联    已是最新" in out


# ---------------------------------------------------------------------------------------------- tables on a terminal
def test_tables_at_80_columns_never_split_a_number(demo_linked, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    db = str(demo_linked)
    code, out, _ = run(capsys, "tally", "--db", db, "--rows", "street", "--cols", "category", "--percent", "row", "--scheme", "legacy6")
    assert code == 0 and max(cell_len(line) for line in out.splitlines()) <= 80
    with Workspace(demo_linked) as ws:
        ct = crosstab(ws, "legacy6", "street", "category", percent="row")
    numbers = []
    for line in out.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip("│").split("│")]
            numbers += [c for c in cells if c and re.fullmatch(r"[\d.]+", c)]
            assert all(re.fullmatch(r"\d+(\.\d)?", c) for c in cells[1:] if c), line  # no "22." or ".1" left by a split
    expected = [str(ct.value(r, c)) for r in ct.row_values for c in ct.col_values]
    expected += [f"{ct.share(r, c):.1f}" for r in ct.row_values for c in ct.col_values]
    expected += [str(ct.row_totals[r]) for r in ct.row_values] + [str(ct.col_totals[c]) for c in ct.col_values] + [str(ct.total)]
    assert sorted(numbers) == sorted(expected)
    assert "雨花台区新的社会阶层人士分布统计表（2001年六类）" in out and out.rstrip().endswith("不属于统计范围2218名。")


def test_narrative_as_json_has_the_text_and_its_figures(demo_linked, capsys):
    code, out, _ = run(capsys, "tally", "--db", str(demo_linked), "--narrative", "--format", "json")
    got = json.loads(out)
    with Workspace(demo_linked) as ws:
        text = narrative(ws, "current4")
    assert code == 0 and set(got) == {"text", "figures"} and got["text"] == text
    f = got["figures"]
    assert f["total"] == 492 and f["scheme_label"] == "现行四类" and f["area"] == "全区"
    assert sum(c["count"] for c in f["categories"]) == 492 and f["outside_total"] == {"非公有制经济人士": 208}
    assert f["unresolved"] == 51 and f"代表人士{f['representatives']}名" in got["text"]
    code, out, _ = run(capsys, "tally", "--db", str(demo_linked), "--narrative")
    assert code == 0 and out == text + "\n"
    code, _, err = run(capsys, "tally", "--db", str(demo_linked), "--narrative", "--by", "street")
    assert code == 2 and "--narrative 只与" in err


# ---------------------------------------------------------------------------------------------- the ingest summary
def test_the_ingest_summary_off_a_terminal_is_one_plain_line_per_file(tmp_path, capsys):
    long_name = "雨花街道_康盛花园社区_新的社会阶层人士台账_2026年10月15日_第二次核查后终版.xlsx"
    a = write_xlsx(tmp_path / long_name, {"台账": ledger_rows()})
    b = tmp_path / "坏文件.xlsx"
    b.write_bytes(b"PK\x03\x04" + b"not a workbook" * 20)  # a damaged zip
    code, out, err = run(capsys, "ingest", str(a), str(b), "--db", str(tmp_path / "a.duckdb"))
    lines = err.splitlines()
    assert code == 1 and out == ""
    assert lines[0].startswith(f"{a.as_posix()}：已导入，社区台账，数据") and " → 记录4条，" in lines[0]
    assert lines[1].startswith(f"{b}：") and "已损坏" in lines[1]
    assert lines[2].startswith("共2个文件（2026年度）：") and "…" not in err
    code, _, err = run(capsys, "ingest", str(a), "--db", str(tmp_path / "a.duckdb"))
    assert code == 0 and err.splitlines()[0] == f"{a.as_posix()}：已导入过（与{a.as_posix()}内容相同），未作改动。"


def test_the_demo_quick_start_reads_in_chinese(demo_linked, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run(capsys, "tally", "--db", str(demo_linked), "--rows", "street", "--cols", "category")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "雨花台区新的社会阶层人士分布统计表（现行四类）"
    assert out.rstrip().splitlines()[-1] == "另有非公有制经济人士208名；待核实51名；不属于统计范围2190名。"
    assert EXAMPLES.exists()


def test_schemes_and_source_kinds_are_taken_by_their_chinese_names(tmp_path, capsys, ledger):
    db = str(tmp_path / "a.duckdb")
    code, _, err = run(capsys, "ingest", str(ledger), "--db", db, "--kind", "单位台账")
    assert code == 0 and "单位台账" in err
    assert json.loads(run(capsys, "status", "--db", db, "--format", "json")[1])["by_kind"] == {"unit_ledger": {"files": 1, "records": 4}}
    for name in ("legacy6", "2001年六类", "六类"):
        code, out, _ = run(capsys, "tally", "--db", db, "--scheme", name, "--format", "json")
        assert code == 0 and json.loads(out)["scheme"] == "legacy6"
    code, _, err = run(capsys, "tally", "--db", db, "--scheme", "三类")
    assert code == 2 and err.startswith("错误：--scheme 三类：没有这个分类方案；可用的有 current4（现行四类）、legacy6（2001年六类）。")
    code, _, err = run(capsys, "ingest", str(ledger), "--db", db, "--kind", "台账")
    assert code == 2 and err.startswith("错误：--kind 台账：只能是 community_ledger（社区台账）、unit_ledger（单位台账）")

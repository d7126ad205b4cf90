"""Personal data on the command line: --reveal only with --reason, every export and reveal in the audit trail
(`census audit`), files written 0600 whatever the umask, and no message echoing a full number the user typed."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from census import Workspace, export
from census.errors import UsageError
from census.workspace.audit import audit_log

from ..conftest import ledger_rows, make_id, write_xlsx

FULL = make_id("19850312", "123")  # 张伟's ID in ledger_rows


def run(capsys, *args):
    from census.cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def db(tmp_path, capsys):
    ledger = write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})
    path = tmp_path / "census.duckdb"
    assert run(capsys, "ingest", ledger, "--db", path)[0] == 0
    assert run(capsys, "link", "--db", path)[0] == 0
    return path


def _pid(db: Path) -> str:
    with Workspace(db) as ws:
        return ws.scalar("SELECT person_id FROM persons WHERE id_number = ?", [FULL])


def test_reveal_without_a_reason_is_a_usage_error_and_writes_nothing(db, tmp_path, capsys):
    pid = _pid(db)
    for args in (["export", "records", "--reveal"], ["export", "persons", "--reveal", "--reason", "  "],
                 ["link", "--explain", pid, "--reveal"], ["review", "export", "-o", tmp_path / "核查.xlsx", "--reveal"]):
        code, out, err = run(capsys, *args, "--db", db)
        assert (code, out) == (2, ""), args
        assert err.startswith("错误：显示完整的身份证号和电话号码（--reveal）须用 --reason") and FULL not in err
    assert not (tmp_path / "核查.xlsx").exists()
    with Workspace(db) as ws:
        assert audit_log(ws).entries == []
        with pytest.raises(UsageError, match="--reason"):
            export(ws, "records", reveal=True)
    code, out, _ = run(capsys, "export", "records", "--reveal", "--reason", "核对户籍", "--db", db)
    assert code == 0 and FULL in out


def test_every_person_level_export_explanation_and_reveal_is_in_the_audit_trail(db, tmp_path, capsys):
    pid = _pid(db)
    run(capsys, "tally", "--db", db)  # tables of counts, the status and codes are not person-level: not audited
    run(capsys, "status", "--db", db)
    code, out, _ = run(capsys, "export", "records", "--db", db)
    n_records = len(list(csv.reader(io.StringIO(out)))) - 1
    out_file = tmp_path / "人员.csv"
    run(capsys, "export", "persons", "--reveal", "--reason", f"核实 {FULL} 的户籍，电话13812345678", "-o", out_file, "--db", db)
    run(capsys, "link", "--explain", pid, "--reveal", "--reason", "核查", "--db", db)
    run(capsys, "classify", "--explain", pid, "--db", db)
    run(capsys, "review", "export", "-o", tmp_path / "核查.xlsx", "--db", db)
    run(capsys, "review", "list", "--db", db)
    run(capsys, "export", "issues", "--format", "json", "--db", db)
    with Workspace(db) as ws:
        assert ws.scalar("SELECT count(*) FROM persons") == 4
        lib = audit_log(ws).to_dict()
    code, out, _ = run(capsys, "audit", "--format", "json", "--db", db)
    assert code == 0 and json.loads(out) == lib
    entries = lib["entries"]
    got = [(e["action"], e["what"], e["rows"], e["revealed"], e["reason"]) for e in entries]
    assert got == [
        ("export", "records", n_records, False, None),
        ("export", "persons", 4, True, "核实 320114********123X 的户籍，电话138****5678"),
        ("view", pid, 1, True, "核查"),
        ("view", pid, 1, False, None),
        ("export", "review", 0, False, None),
        ("export", "decisions", 0, False, None),
        ("export", "issues", entries[-1]["rows"], False, None),
    ]
    assert n_records == 4 and entries[-1]["rows"] > 0
    assert [e["audit_id"] for e in entries] == list(range(1, 8)) and all(e["os_user"] == getpass.getuser() for e in entries)
    assert entries[1]["command"] == (f"census export persons --reveal --reason '核实 320114********123X 的户籍，电话138****5678' "
                                     f"-o {out_file} --db {db}")
    assert all(FULL not in json.dumps(e, ensure_ascii=False) for e in entries)
    code, out, _ = run(capsys, "audit", "--db", db)
    assert code == 0 and "导出" in out and "查看" in out and "核查" in out and FULL not in out
    # what was exported, in the words of the clerk (never records, review, decisions)
    assert all(w in out for w in ("记录", "人员", "核查清单", "核查结论", "数据问题"))
    assert not re.search(r"\b(records|persons|review|decisions|issues)\b", out.split("census", 1)[0] + re.sub(r"census [^；\n│]*", "", out))


def test_the_library_is_audited_with_the_process_command_line(db, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["统计脚本.py", "--year", "2026"])
    with Workspace(db) as ws:
        df = export(ws, "persons", reveal=True, reason="年度核对")
        entry = audit_log(ws).entries[-1]
    assert FULL in set(df["id_number"])
    assert (entry.command, entry.action, entry.what, entry.rows, entry.revealed, entry.reason) == \
        ("统计脚本.py --year 2026", "export", "persons", 4, True, "年度核对")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_every_file_written_is_private_whatever_the_umask(db, tmp_path, capsys, umask):
    out = tmp_path / f"out{umask}"
    out.mkdir()
    (out / "旧文件.csv").write_text("old")
    os.chmod(out / "旧文件.csv", 0o644)
    old = os.umask(umask)
    try:
        for args in (["export", "records", "-o", out / "旧文件.csv"], ["export", "persons", "--format", "json", "-o", out / "p.json"],
                     ["tally", "--format", "xlsx", "-o", out / "t.xlsx"], ["tally", "--format", "csv", "-o", out / "t.csv"],
                     ["report", "-o", out / "r.xlsx"], ["review", "export", "-o", out / "核查.xlsx"],
                     ["tally", "--format", "md", "-o", out / "s.md"], ["regions", "init", "320114", "-o", out / "regions.yaml"]):
            assert run(capsys, *args, *([] if args[0] == "regions" else ["--db", db]))[0] == 0, args
        assert os.umask(umask) == umask  # given back after each command
        fresh = tmp_path / f"new{umask}.duckdb"
        assert run(capsys, "ingest", tmp_path / "雨花街道_康盛花园社区_台账.xlsx", "--db", fresh)[0] == 0
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes == dict.fromkeys(["旧文件.csv", "p.json", "t.xlsx", "t.csv", "r.xlsx", "核查.xlsx", "s.md", "regions.yaml"], 0o600)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600 and stat.S_IMODE(db.stat().st_mode) == 0o600


def test_messages_do_not_echo_a_full_number_the_user_typed(db, capsys):
    for args in (["link", "--explain", FULL], ["classify", "--explain", FULL], ["purge", "--id-number", make_id("19991231", "777")],
                 ["export", "13812345678"], ["purge", "P9999999", "--reason", "13812345678"]):
        code, out, err = run(capsys, *args, "--db", db)
        assert code == 2 and out == "", args
        assert err and FULL not in err and "13812345678" not in err and make_id("19991231", "777") not in err, (args, err)
    _, _, err = run(capsys, "link", "--explain", FULL, "--db", db)
    assert FULL[:6] + "********" + FULL[-4:] in err
    with Workspace(db) as ws:
        assert audit_log(ws).entries == []  # nothing was shown or removed


def test_csv_cells_are_neutralised_and_xlsx_writes_them_as_text(tmp_path, capsys):
    import openpyxl

    payload, position = '=HYPERLINK("http://evil.example/","点击")', "@SUM(1+1)*cmd|' /C calc'!A0"
    ledger = write_xlsx(tmp_path / "雨花街道_台账.xlsx", {"台账": [
        ["姓名", "身份证号码", "联系电话", "工作单位", "职务", "人员类别", "社区"],
        ["张伟", FULL, "13812345678", payload, position, "自由职业者", "=1+2"],
        ["李丽", make_id("19900101", "124"), "+86 139-8765-4321", "南京云帆科技有限公司", "-3", "自由职业者", "康盛花园社区"],
    ]})
    db = tmp_path / "census.duckdb"
    assert run(capsys, "ingest", ledger, "--db", db)[0] == 0
    code, out, _ = run(capsys, "export", "persons", "--db", db)
    cells = {c for row in csv.reader(io.StringIO(out)) for c in row}
    assert {"'" + payload, "'" + position, "'=1+2", "-3"} <= cells and not {payload, position, "=1+2"} & cells
    code, out, _ = run(capsys, "export", "records", "--db", db)
    assert "'+86 139-****-4321" in {c for row in csv.reader(io.StringIO(out)) for c in row}  # a phone stays readable
    code, out, _ = run(capsys, "tally", "--rows", "street", "--cols", "community", "--format", "csv", "--db", db)
    assert next(csv.reader(io.StringIO(out)))[1:3] == ["'=1+2", "康盛花园社区"]
    code, out, _ = run(capsys, "export", "persons", "--db", db, "--format", "json")
    assert payload in {p["work_unit"] for p in json.loads(out)}  # JSON keeps the value as it is
    assert run(capsys, "tally", "--rows", "street", "--cols", "community", "--format", "xlsx", "-o", tmp_path / "t.xlsx", "--db", db)[0] == 0
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    header = next(r for r in sheet.iter_rows() if any(c.value == "=1+2" for c in r))
    assert [c.data_type for c in header if c.value == "=1+2"] == ["s"]  # text, not a formula
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

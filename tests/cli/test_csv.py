"""CSV files that Excel on Chinese Windows opens as they are: written with -o they are UTF-8 with a BOM (or the
--encoding asked for: utf-8, gb18030); stdout stays plain UTF-8; counts and shares are separate numeric columns."""

from __future__ import annotations

import csv
import io

import pytest

from census.cli import main

from ..conftest import ledger_rows, write_xlsx

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def db(tmp_path, capsys):
    ledger = write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})
    path = str(tmp_path / "a.duckdb")
    assert main(["ingest", str(ledger), "--db", path]) == 0
    assert main(["link", "--db", path]) == 0
    capsys.readouterr()
    return path


COMMANDS = [
    ["tally", "--by", "street", "--by", "category", "--percent", "total"],
    ["export", "persons"],
    ["export", "records", "--quarantined"],
    ["review", "list"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_csv_files_carry_a_bom_and_stdout_does_not(db, tmp_path, capsys, command):
    assert main([*command, "--db", db, "--format", "csv"]) == 0
    stdout = capsys.readouterr().out
    assert not stdout.startswith("\ufeff") and stdout.strip()
    out = tmp_path / "表.csv"
    assert main([*command, "--db", db, "--format", "csv", "-o", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(BOM) and raw[len(BOM):].decode("utf-8") == stdout
    for encoding, expected in (("gb18030", stdout.encode("gb18030")), ("utf-8", stdout.encode("utf-8")),
                               ("utf-8-sig", BOM + stdout.encode("utf-8"))):
        assert main([*command, "--db", db, "--format", "csv", "-o", str(out), "--encoding", encoding]) == 0
        assert out.read_bytes() == expected, encoding
    capsys.readouterr()


def test_survey_csv_file(tmp_path, capsys):
    import pandas as pd
    import pyreadstat

    df = pd.DataFrame({"Q1_姓名": ["张伟", "李丽", "王芳"], "Q4_学历": [5.0, 4.0, 5.0]})
    sav = tmp_path / "问卷.sav"
    pyreadstat.write_sav(df, str(sav), column_labels=["1.您的姓名", "4.您的最高学历"],
                         variable_value_labels={"Q4_学历": {4.0: "大学专科", 5.0: "大学本科"}})
    db = str(tmp_path / "s.duckdb")
    assert main(["ingest", str(sav), "--db", db]) == 0
    out = tmp_path / "问卷.csv"
    assert main(["survey", "--db", db, "--format", "csv", "-o", str(out), "--encoding", "gb18030"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("gb18030"))))
    assert [(r["value"], int(r["count"]), float(r["percent"])) for r in rows] == [("大学专科", 1, 33.3), ("大学本科", 2, 66.7)]
    capsys.readouterr()


def test_counts_and_shares_are_separate_numbers(db, capsys):
    assert main(["tally", "--db", db, "--format", "csv", "--rows", "street", "--cols", "category", "--percent", "row"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    header, body = rows[0], rows[1:]
    assert header[1:3] == ["民营企业和外商投资企业管理技术人员", "民营企业和外商投资企业管理技术人员占比（%）"]
    for row in body:
        for cell in row[1:]:
            assert cell == "" or float(cell) >= 0  # a number Excel can sum, never "48（47.5%）"


@pytest.mark.parametrize("args", [
    ["tally", "--format", "csv", "--encoding", "gb18030"],  # no file: stdout is always UTF-8
    ["tally", "--format", "json", "-o", "x.json", "--encoding", "gb18030"],  # not a CSV
    ["export", "persons", "--format", "json", "--encoding", "utf-8"],
    ["tally", "--format", "csv", "-o", "x.csv", "--encoding", "latin-1"],  # not an encoding offered
])
def test_encoding_misuse_is_a_usage_error(db, tmp_path, capsys, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--db", db]) == 2
    assert "--encoding" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.json").exists()

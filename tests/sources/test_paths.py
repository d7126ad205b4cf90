"""Files and paths: a source is the file at its path. Two files of one name in two folders are two sources;
--replace replaces exactly the file named; a changed file cannot come in under another path; `census sources`
lists them and `census remove` takes one out. A run that ingests nothing leaves no workspace, and a command on a
workspace without records says so."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from census import IngestOptions, Workspace, ingest, tally
from census.cli import main
from census.errors import EmptyWorkspaceError
from census.sources.catalog import SourceNotFound, list_sources, remove_sources

from ..conftest import make_id, write_xlsx


def _ledger(path, names):
    rows = [["姓名", "身份证号", "所属社区"]] + [[n, make_id("19800101", f"{100 + k:03d}"), "虹苑社区"] for k, n in enumerate(names)]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_xlsx(path, {"S": rows})


def _names(ws):
    return sorted(n for (n,) in ws.query("SELECT name FROM records"))


@pytest.fixture
def streets(tmp_path):
    """Two street folders, each holding a 台账.xlsx (different people)."""
    a = _ledger(tmp_path / "雨花街道" / "台账.xlsx", ["甲", "乙"])
    b = _ledger(tmp_path / "赛虹桥街道" / "台账.xlsx", ["丙"])
    return a, b


def test_same_name_in_two_folders_is_two_sources(tmp_path, streets):
    a, b = streets
    with Workspace(tmp_path / "w.duckdb") as ws:
        r = ingest(ws, [a.parent, b.parent])  # the two folders in one call: their names tell the files apart
        assert [f.path for f in r.files] == ["雨花街道/台账.xlsx", "赛虹桥街道/台账.xlsx"] and r.ok
        assert _names(ws) == ["丙", "乙", "甲"]
    with Workspace(tmp_path / "v.duckdb") as ws:  # one folder at a time: the second keeps its folder's name
        first, second = ingest(ws, [a.parent]), ingest(ws, [b.parent])
        assert first.files[0].path == "台账.xlsx" and second.files[0].path == "赛虹桥街道/台账.xlsx"
        assert [s.path for s in list_sources(ws).sources] == ["台账.xlsx", "赛虹桥街道/台账.xlsx"]


def test_replace_replaces_exactly_the_named_file(tmp_path, streets):
    a, b = streets
    with Workspace(tmp_path / "w.duckdb") as ws:
        ingest(ws, [a.parent])
        ingest(ws, [b.parent])
        _ledger(b, ["丙改"])  # the second street's file changes
        refused = ingest(ws, [b.parent])
        assert refused.files[0].status == "changed" and not refused.ok
        replaced = ingest(ws, [b.parent], IngestOptions(replace=True))
        assert replaced.files[0].status == "replaced" and replaced.files[0].path == "赛虹桥街道/台账.xlsx"
        assert _names(ws) == ["丙改", "乙", "甲"]  # the first street's file, of the same name, is untouched
        assert ws.scalar("SELECT count(*) FROM sources") == 2


def test_a_changed_file_cannot_come_in_under_another_path(tmp_path, streets):
    """Refused for the folder, the changed file named by itself (or through another path to it) is the same
    source: still refused, and --replace replaces it (it never sits beside its old version)."""
    a, _b = streets
    with Workspace(tmp_path / "w.duckdb") as ws:
        ingest(ws, [a.parent])
        _ledger(a, ["甲", "乙", "丁"])
        assert ingest(ws, [a.parent]).files[0].status == "changed"
        again = ingest(ws, [a])
        assert again.files[0].status == "changed" and again.files[0].path == "台账.xlsx"
        other = tmp_path / "雨花街道" / ".." / "雨花街道" / "台账.xlsx"
        assert ingest(ws, [other]).files[0].status == "changed"
        link = tmp_path / "链接.xlsx"
        os.symlink(a, link)
        assert ingest(ws, [link]).files[0].status == "changed"
        assert ingest(ws, [a], IngestOptions(replace=True)).files[0].status == "replaced"
        assert ws.scalar("SELECT count(*) FROM sources") == 1 and _names(ws) == ["丁", "乙", "甲"]


def test_sources_and_remove(tmp_path, capsys, streets):
    a, b = streets
    db = str(tmp_path / "w.duckdb")
    assert main(["ingest", str(a.parent), str(b.parent), "--db", db]) == 0
    capsys.readouterr()
    assert main(["sources", "--db", db, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["sources"]
    with Workspace(db) as ws:
        assert listed == json.loads(json.dumps(list_sources(ws).to_dict()["sources"]))
    assert [(s["source_id"], s["path"], s["data_rows"], s["records"]) for s in listed] == [
        (1, "雨花街道/台账.xlsx", 2, 2), (2, "赛虹桥街道/台账.xlsx", 1, 1)]
    assert all(len(s["sha256"]) == 64 and s["ingested_at"] and s["on_disk"] for s in listed)
    assert main(["sources", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "雨花街道/台账.xlsx" in out and listed[0]["sha256"][:12] in out and "社区台账" in out

    # a name that fits two sources is refused (exit 2); one that fits none, exit 1; neither removes anything
    assert main(["remove", "台账.xlsx", "--db", db]) == 2
    assert "不止一个" in capsys.readouterr().err
    assert main(["remove", "1", "没有这个.xlsx", "--db", db]) == 1
    assert "没有来源“没有这个.xlsx”" in capsys.readouterr().err
    with Workspace(db) as ws:
        assert ws.scalar("SELECT count(*) FROM records") == 3
        version = ws.get("data_version")
    assert main(["remove", listed[1]["sha256"][:10], "--db", db, "--format", "json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["removed"][0]["path"] == "赛虹桥街道/台账.xlsx" and "已移除 赛虹桥街道/台账.xlsx" in cap.err
    with Workspace(db) as ws:
        assert _names(ws) == ["乙", "甲"] and ws.get("data_version") != version
        assert ws.scalar("SELECT count(*) FROM sheets WHERE source_id = 2") == 0
        assert ws.scalar("SELECT count(*) FROM issues WHERE source_id = 2") == 0
        with pytest.raises(SourceNotFound):
            remove_sources(ws, ["2"])
        removed = remove_sources(ws, [str(a)])  # the file itself, by its path on disk
        assert [s.source_id for s in removed.removed] == [1] and ws.scalar("SELECT count(*) FROM records") == 0


def test_a_run_that_ingests_nothing_leaves_no_workspace(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    assert main(["ingest", str(tmp_path / "打错的路径"), "--db", str(db)]) == 2
    assert not db.exists()
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    assert main(["ingest", str(empty), "--db", str(db)]) == 2
    assert not db.exists()
    (empty / "说明.docx").write_bytes(b"PK\x03\x04")
    assert main(["ingest", str(empty), "--db", str(db)]) == 0
    assert not db.exists() and "未建立工作区" in capsys.readouterr().err
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    assert main(["ingest", str(broken), "--db", str(db)]) == 1
    assert not db.exists()
    # a workspace that was there is never removed
    _ledger(tmp_path / "好.xlsx", ["甲"])
    assert main(["ingest", str(tmp_path / "好.xlsx"), "--db", str(db)]) == 0
    assert main(["remove", "1", "--db", str(db)]) == 0
    assert main(["ingest", str(broken), "--db", str(db)]) == 1
    assert db.exists()


def test_commands_on_a_workspace_without_records_say_so(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    _ledger(tmp_path / "好.xlsx", ["甲"])
    main(["ingest", str(tmp_path / "好.xlsx"), "--db", str(db)])
    main(["remove", "1", "--db", str(db)])
    capsys.readouterr()
    for args in (["tally"], ["report", "-o", str(tmp_path / "r.xlsx")], ["export", "persons"], ["export", "issues"], ["link"]):
        assert main([*args, "--db", str(db)]) == 1, args
        err = capsys.readouterr().err
        assert "还没有读入任何文件" in err and "合计" not in err, args
    with Workspace(db) as ws, pytest.raises(EmptyWorkspaceError):
        tally(ws)
    # only quarantined rows: no record either
    p = tmp_path / "q.xlsx"
    write_xlsx(p, {"S": [["姓名", "身份证号", "备注"], ["", "", "只有备注"], ["", "", "又一行"]]})
    main(["ingest", str(p), "--db", str(db)])
    capsys.readouterr()
    assert main(["tally", "--db", str(db)]) == 1
    assert "没有一条可用的记录（2 行被隔离）" in capsys.readouterr().err
    assert main(["export", "records", "--quarantined", "--db", str(db)]) == 0


def test_the_workspace_in_a_folder_being_read_is_not_a_source(tmp_path):
    _ledger(tmp_path / "好.xlsx", ["甲"])
    with Workspace(tmp_path / "census.duckdb") as ws:
        ingest(ws, [tmp_path])
        r = ingest(ws, [tmp_path])
    assert [f.path for f in r.files] == ["好.xlsx"]
    shutil.rmtree(tmp_path / "census.duckdb.tmp", ignore_errors=True)

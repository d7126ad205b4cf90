"""Merging districts (`census merge`): two small district workspaces ingested from real ledger files, with one
person (the same valid ID) counted by both; after the merge that person is one person, `--by district` counts
each district's persons, `--where district=` gives back each district's own tally but for the shared person, and
a district merged again keeps its persons' ids."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from census import Workspace, ingest, tally
from census.cli import main
from census.errors import UsageError
from census.tables.merge import merge_districts
from census.workspace.queries import district_name

from ..conftest import EXAMPLES, make_id, write_xlsx

JIANGNING = """name: 江宁区
code: "320115"
streets:
  - name: 东山街道
    code: "320115001"
    communities:
      - {name: 竹山社区, code: "320115001001", type: "111", aliases: [竹山]}
  - name: 秣陵街道
    code: "320115002"
    communities:
      - {name: 殷巷社区, code: "320115002001", type: "111", aliases: [殷巷]}
"""
HEADER = ["序号", "姓名", "性别", "身份证号码", "联系电话", "工作单位", "单位性质", "职务", "人员类别"]
SHARED = make_id("19800101", "111")  # a lawyer living in 雨花台区, listed by both districts


def _yuhua_rows(extra: bool = False) -> list[list]:
    rows = [["雨花街道康盛花园社区新的社会阶层人士台账"], HEADER,
            [1, "张伟", "男", make_id("19850312", "123"), "13812345678", "南京云帆科技有限公司", "民营科技企业", "软件工程师", "民营科技人员"],
            [2, "钱多", "男", SHARED, "13900001111", "江苏某律师事务所", None, "律师", "中介组织从业人员"],
            [3, "李丽", "女", make_id("19900101", "124"), "13987654321", None, None, "主播", "新媒体从业人员"]]
    return rows


def _jiangning_rows(extra: bool = False) -> list[list]:
    rows = [["东山街道竹山社区新的社会阶层人士台账"], HEADER,
            [1, "孙丽", "女", make_id("19920202", "222", "320115"), "13700002222", None, None, "自由撰稿", "自由职业人员"],
            [2, "钱多", "男", SHARED, "13900001111", "江苏某律师事务所", None, "律师", "中介组织从业人员"],
            [3, "周杰", "男", None, "13600003333", "南京星河软件有限公司", "民营企业", "技术总监", "民营科技人员"]]
    if extra:  # the updated ledger: a row more, the others moved down one
        rows.insert(2, [0, "吴敏", "女", make_id("19880808", "333", "320115"), "13500004444", None, None, "自由摄影师", "自由职业人员"])
    return rows


def _district(folder: Path, name: str, rows: list[list], regions: Path) -> Path:
    (folder / name).mkdir(parents=True, exist_ok=True)
    write_xlsx(folder / name / "社区台账.xlsx", {"台账": rows})
    db = folder / f"{name}.duckdb"
    with Workspace(db) as ws:
        assert ingest(ws, [folder / name], regions=regions).ok
    return db


@pytest.fixture(scope="module")
def districts(tmp_path_factory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("districts")
    (base / "jiangning.yaml").write_text(JIANGNING, encoding="utf-8")
    yuhua = _district(base, "yuhua", _yuhua_rows(), EXAMPLES / "regions.yaml")
    jiangning = _district(base, "jiangning", _jiangning_rows(), base / "jiangning.yaml")
    return base, yuhua, jiangning


def _counts(ws: Workspace, **where) -> dict[str, int]:
    t = tally(ws, "current4", ["category"], where=where or None)
    return {r["category"]: r["count"] for r in t.rows if r["count"]}


def test_a_person_two_districts_count_is_one_person_and_each_district_is_reproduced(districts, tmp_path):
    _base, yuhua, jiangning = districts
    own = {}
    for db in (yuhua, jiangning):
        with Workspace(db) as ws:
            own[db] = _counts(ws)
    with Workspace(tmp_path / "南京市.duckdb") as ws:
        summary = merge_districts(ws, [yuhua, jiangning])
        assert [(d.code, d.name, d.files, d.records, d.replaced) for d in summary.districts] == [
            ("320114", "雨花台区", 1, 3, False), ("320115", "江宁区", 1, 3, False)]
        assert (summary.name, summary.records, summary.persons, summary.shared_persons) == ("南京市", 6, 5, 1)
        assert [(p.a, p.b, p.persons) for p in summary.shared] == [("雨花台区", "江宁区", 1)]
        assert district_name(ws) == "南京市"
        # one person, with the records of both districts
        assert ws.scalar("""SELECT count(DISTINCT l.person_id) FROM links l JOIN records r USING (record_id)
                            WHERE r.id_number = ?""", [SHARED]) == 1
        # provenance kept: each record's file and district; ids renumbered apart
        assert ws.query("SELECT district_code, district, count(*) FROM sources GROUP BY ALL ORDER BY 1") == [
            ("320114", "雨花台区", 1), ("320115", "江宁区", 1)]
        assert ws.scalar("SELECT count(DISTINCT record_id) FROM records") == 6
        # by district: every person once (the shared one in the district of their street)
        by = {r["district"]: r["count"] for r in tally(ws, "current4", ["district"]).rows if "district" in r}
        shared_in = ws.scalar("SELECT district FROM persons WHERE id_number = ?", [SHARED])
        assert shared_in == "雨花台区"
        assert by["雨花台区"] == 3 and by["江宁区"] == 2
        # each district's own tally, from the merged workspace, but for the shared person counted elsewhere
        assert _counts(ws, district="雨花台区") == own[yuhua]
        assert _counts(ws, district="320114") == own[yuhua]
        jn = dict(own[jiangning])
        jn["中介组织和社会组织从业人员"] -= 1  # the shared lawyer, counted under 雨花台区
        assert _counts(ws, district="江宁") == {k: v for k, v in jn.items() if v}
    assert stat.S_IMODE((tmp_path / "南京市.duckdb").stat().st_mode) == 0o600


def test_merging_an_updated_district_again_replaces_it_and_keeps_person_ids(districts, tmp_path):
    base, yuhua, jiangning = districts
    target = tmp_path / "南京市.duckdb"
    with Workspace(target) as ws:
        merge_districts(ws, [yuhua, jiangning])
        before = dict(ws.query("SELECT coalesce(id_number, name), person_id FROM persons"))
    updated = base / "jiangning2"
    (updated / "jiangning").mkdir(parents=True)
    write_xlsx(updated / "jiangning" / "社区台账.xlsx", {"台账": _jiangning_rows(extra=True)})
    db = updated / "jiangning.duckdb"
    with Workspace(db) as ws:
        assert ingest(ws, [updated / "jiangning"], regions=base / "jiangning.yaml").ok
    with Workspace(target) as ws:
        summary = merge_districts(ws, [db])
        assert [(d.code, d.records, d.replaced) for d in summary.districts] == [("320115", 4, True)]
        assert summary.districts[0].carried == 3
        assert ws.scalar("SELECT count(*) FROM sources") == 2 and ws.scalar("SELECT sum(records) FROM sources") == 7
        after = dict(ws.query("SELECT coalesce(id_number, name), person_id FROM persons"))
        assert {k: after[k] for k in before} == before  # the same persons, the same ids (周杰 has no ID: by his row)
        assert len(after) == len(before) + 1
        assert summary.shared_persons == 1


def test_a_failed_merge_leaves_the_workspace_as_it_was(districts, tmp_path, monkeypatch):
    _base, yuhua, jiangning = districts
    target = tmp_path / "南京市.duckdb"
    copy = tmp_path / "江宁区副本.duckdb"
    shutil.copy(jiangning, copy)
    with Workspace(target) as ws:
        merge_districts(ws, [yuhua])
        state = ws.query("SELECT count(*), sum(records) FROM sources")
        version = ws.get("data_version")
        with pytest.raises(UsageError, match="每个区县只能合并一个"):
            merge_districts(ws, [jiangning, copy])
        with pytest.raises(UsageError, match="目标工作区本身"):
            merge_districts(ws, [jiangning, target])

        def interrupted(*_args, **_kwargs):  # Ctrl-C after the records are in, while linking
            raise KeyboardInterrupt

        monkeypatch.setattr("census.tables.merge.ensure_current", interrupted)
        with pytest.raises(KeyboardInterrupt):
            merge_districts(ws, [jiangning])
        assert ws.query("SELECT count(*), sum(records) FROM sources") == state
        assert ws.scalar("SELECT count(*) FROM regions WHERE level = 'district'") == 1
        assert ws.get("data_version") == version
        with pytest.raises(UsageError, match="不能直接导入文件"):
            ingest(ws, [EXAMPLES / "district" / "雨花街道"])


def test_cli_merge_json_tally_by_district_and_title(districts, tmp_path, capsys):
    _base, yuhua, jiangning = districts
    db = tmp_path / "南京市.duckdb"
    code = main(["merge", str(yuhua), str(jiangning), "--db", str(db), "--format", "json"])
    out = capsys.readouterr()
    assert code == 0
    got = json.loads(out.out)
    assert got["persons"] == 5 and got["shared"] == [
        {"a_code": "320114", "a": "雨花台区", "b_code": "320115", "b": "江宁区", "persons": 1}]
    code = main(["--db", str(db), "tally", "--rows", "district", "--cols", "category"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("南京市新的社会阶层人士") and "雨花台区" in out and "江宁区" in out
    code = main(["--db", str(db), "tally", "--where", "district=江宁区", "--narrative"])
    assert code == 0 and capsys.readouterr().out.startswith("江宁区共有新的社会阶层人士2名")
    code = main(["--db", str(db), "tally", "--where", "district=江北区"])
    assert code == 2 and "没有这个区县" in capsys.readouterr().err
    # a table summary on stderr, in Chinese
    code = main(["merge", str(jiangning), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 0 and "替换原有数据" in err and "雨花台区与江宁区共有人员1人" in err
    # nothing to merge: no workspace left behind
    code = main(["merge", str(tmp_path / "无.duckdb"), "--db", str(tmp_path / "new.duckdb")])
    assert code == 2 and not (tmp_path / "new.duckdb").exists()


def test_a_single_district_workspace_is_as_before(districts):
    _base, yuhua, _jiangning = districts
    with Workspace(yuhua) as ws:
        assert district_name(ws) == "雨花台区"
        assert ws.query("SELECT DISTINCT district_code, district FROM sources") == [("320114", "雨花台区")]
        assert {r["district"]: r["count"] for r in tally(ws, "current4", ["district"]).rows if "district" in r} == {"雨花台区": 3}


def test_a_merge_is_in_the_audit_trail(districts, tmp_path, capsys):
    _base, yuhua, jiangning = districts
    db = tmp_path / "南京市.duckdb"
    assert main(["merge", str(yuhua), str(jiangning), "--db", str(db)]) == 0
    with Workspace(db, create=False) as ws:
        rows = ws.query("SELECT action, what, rows FROM audit ORDER BY audit_id")
        records = dict(ws.query("SELECT district_code, sum(records) FROM sources GROUP BY ALL"))
    assert [(a, w.split("（")[0], n) for a, w, n in rows] == [
        ("merge", "雨花台区", records["320114"]), ("merge", "江宁区", records["320115"])]
    capsys.readouterr()
    assert main(["audit", "--db", str(db)]) == 0
    assert "合并" in capsys.readouterr().out


def test_ctrl_c_during_a_merge_says_the_workspace_is_unchanged(districts, tmp_path, capsys, monkeypatch):
    _base, yuhua, _jiangning = districts

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("census.tables.merge.ensure_current", interrupted)
    db = tmp_path / "南京市.duckdb"
    assert main(["merge", str(yuhua), "--db", str(db)]) == 130
    assert "工作区保持原样" in capsys.readouterr().err
    assert not db.exists()

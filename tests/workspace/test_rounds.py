"""Rounds (years): a workspace of schema 2 becomes one round; files go into rounds; the same content may be in two
rounds; a person keeps one id across rounds while their fields and category are of each round; every table is of
one round, or of rounds side by side."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from census import Workspace, ingest, link, tally
from census.errors import UsageError
from census.pipeline import ensure_current, is_current
from census.sources import IngestOptions
from census.tables.status import status
from census.workspace.rounds import (
    check_round,
    ingest_round,
    latest_round,
    previous_round,
    rounds,
    table_round,
)
from census.workspace.schema import _V1, _V2, SCHEMA_VERSION

from ..conftest import make_id, write_xlsx

HEADER = ["姓名", "性别", "身份证号码", "工作单位", "职务", "人员类别", "所属社区"]


def _schema_2_workspace(path) -> None:
    """A workspace as census wrote it before rounds (schema 2): one file, three records, two persons."""
    con = duckdb.connect(str(path))
    for ddl in _V1 + _V2:
        con.execute(ddl)
    con.execute("""INSERT INTO meta VALUES ('schema_version', '2'), ('data_version', '5'), ('linked_version', '5'),
                   ('persons_version', '1'), ('classified_persons', '1'), ('next_person', '10')""")
    con.execute("""INSERT INTO sources VALUES (1, 'a.xlsx', '/x/a.xlsx', 'abc', 10, 'xlsx', NULL, 'community_ledger',
                   TIMESTAMP '2025-11-02 10:00:00', 5, 3, 3, 0, 1, 1, 0, 1, 0)""")
    a, b = make_id("19850312", "123"), make_id("19900101", "124")
    for rid, name, idn, cat in ((1, "张伟", a, "新媒体人员"), (2, "张伟", a, "新媒体从业人员"), (3, "李丽", b, "自由职业者")):
        con.execute("""INSERT INTO records (record_id, source_id, sheet, row, status, source_kind, name, id_number, id_valid,
                       category_raw, community, street) VALUES (?, 1, 'S', ?, 'record', 'community_ledger', ?, ?, true, ?,
                       '康盛花园社区', '雨花街道')""", [rid, rid + 1, name, idn, cat])
    con.execute("""INSERT INTO persons (person_id, name, id_number, representative, records, has_valid_id, community, street)
                   VALUES ('P0000007', '张伟', ?, false, 2, true, '康盛花园社区', '雨花街道'),
                          ('P0000009', '李丽', ?, false, 1, true, '康盛花园社区', '雨花街道')""", [a, b])
    con.execute("INSERT INTO links VALUES (1, 'P0000007', 'id', 1.0), (2, 'P0000007', 'id', 1.0), (3, 'P0000009', 'single', NULL)")
    for scheme, cat in (("current4", "新媒体从业人员"), ("legacy6", "自由职业人员")):
        con.execute("INSERT INTO classifications VALUES ('P0000007', ?, ?, 'new_class', 'declared', 'r', NULL, false)", [scheme, cat])
        con.execute("INSERT INTO classifications VALUES ('P0000009', ?, '自由职业人员', 'new_class', 'declared', 'r', NULL, false)", [scheme])
    # the old rule: two spellings of one category were a conflict
    con.execute("""INSERT INTO issues VALUES (NULL, 'P0000007', NULL, NULL, NULL, NULL, 'category', 'person.conflict_category',
                   'conflict', '新媒体人员、新媒体从业人员', '人员类别申报不一致：新媒体人员、新媒体从业人员')""")
    con.close()


def test_a_schema_2_workspace_becomes_one_round_and_its_persons_keep_their_ids(tmp_path):
    path = tmp_path / "old.duckdb"
    _schema_2_workspace(path)
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION == 7
        assert rounds(ws) == ["2025"]  # the year its files were ingested in
        assert ws.query("SELECT DISTINCT round FROM persons") == [("2025",)]
        assert ws.query("SELECT DISTINCT round FROM classifications") == [("2025",)]
        assert ws.query("SELECT kind, round FROM sources") == [("community_ledger", "2025")]
        assert not is_current(ws)  # persons are rebuilt by round, with today's rules
        ensure_current(ws)
        assert ws.query("SELECT person_id, round, records FROM persons ORDER BY person_id") == [
            ("P0000007", "2025", 2), ("P0000009", "2025", 1)]
        t = tally(ws)
        assert (t.round, t.total) == ("2025", 2)
        # two spellings of one category are no conflict under either scheme any more
        assert ws.scalar("SELECT count(*) FROM issues WHERE field = 'category'") == 0
        # the same content may now go into another round
        assert ws.scalar("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'sources' "
                         "AND constraint_text = 'UNIQUE(round, district_code, sha256)'") == 1


def test_round_names_are_years():
    assert check_round(2027) == check_round(" 2027 ") == "2027"
    for bad in ("27", "2027年", "twenty", "1800"):
        with pytest.raises(UsageError, match="年度"):
            check_round(bad)


def _ledger(path, rows):
    return write_xlsx(path, {"台账": [HEADER, *rows]})


def test_rounds_hold_files_and_persons_keep_their_ids(ws, tmp_path):
    a, b, c = make_id("19850312", "123"), make_id("19900101", "124"), make_id("19700505", "155")
    y1 = _ledger(tmp_path / "雨花街道_康盛花园社区_2026.xlsx", [
        ["张伟", "男", a, "南京云帆科技有限公司", "工程师", "民营企业管理技术人员", "康盛花园社区"],
        ["李丽", "女", b, None, "自由撰稿人", "自由职业人员", "康盛花园社区"]])
    y2 = _ledger(tmp_path / "雨花街道_翠竹园社区_2027.xlsx", [
        ["张伟", "男", a, "南京云帆网络传媒有限公司", "编辑", "新媒体从业人员", "翠竹园社区"],
        ["王强", "男", c, "南京某某律师事务所", "律师", "律师", "翠竹园社区"]])
    assert ingest_round(ws, None) == str(date.today().year)  # a new workspace: the current year
    r1 = ingest(ws, [y1], IngestOptions(street="雨花街道"), round=2026)
    assert r1.round == "2026" and r1.to_dict()["round"] == "2026"
    assert ingest_round(ws, None) == "2026" == latest_round(ws)  # then the latest round
    link(ws)
    first = dict(ws.query("SELECT name, person_id FROM persons"))
    ingest(ws, [y2], IngestOptions(street="雨花街道"), round="2027")
    again = ingest(ws, [y1], IngestOptions(street="雨花街道"), round="2027")  # the same content in another round
    assert again.files[0].status == "ingested"
    assert ingest(ws, [y1], round="2027").files[0].status == "unchanged"  # but once per round
    assert rounds(ws) == ["2026", "2027"] and previous_round(ws, "2027") == "2026" and previous_round(ws, "2026") is None
    link(ws)
    ids = ws.query("SELECT name, round, person_id, community FROM persons ORDER BY round, name")
    assert {(n, pid) for n, _, pid, _ in ids if n in first} == set(first.items())  # a person keeps their id
    assert ws.scalar("SELECT count(DISTINCT person_id) FROM persons") == 3
    # fields and category are of each round
    by_round = {(n, r): cm for n, r, _, cm in ids}
    assert by_round["张伟", "2026"] == "康盛花园社区" and by_round["张伟", "2027"] == "康盛花园社区"  # two ledgers in 2027
    cats = dict(((n, r), cat) for n, r, cat in ws.query(
        """SELECT p.name, p.round, c.category FROM persons p JOIN classifications c ON c.person_id = p.person_id
           AND c.round = p.round WHERE c.scheme = 'current4'"""))
    assert cats["张伟", "2026"] == "民营企业和外商投资企业管理技术人员" and cats["王强", "2027"] == "中介组织和社会组织从业人员"
    # a conflict between one round's records, not between rounds
    assert ws.query("SELECT round, code FROM issues WHERE person_id IS NOT NULL AND field = 'category' AND scheme = 'current4'") == [
        ("2027", "person.conflict_category")]

    # every table is of one round: the latest by default, or one named; or rounds side by side
    assert tally(ws).round == "2027" and tally(ws).total == 3
    t26 = tally(ws, round="2026")
    assert (t26.round, t26.total) == ("2026", 2) and t26.to_dict()["round"] == "2026"
    side = tally(ws, by=["round", "category"])
    assert side.round is None and side.rounds == ["2026", "2027"]
    assert {r["round"] for r in side.rows} == {"2026", "2027"}
    assert side.subtotals[("2026",)] == 2 and side.subtotals[("2027",)] == 3
    with pytest.raises(UsageError, match="--round"):
        tally(ws, by=["round"], round="2026")
    with pytest.raises(UsageError, match="2025"):
        tally(ws, round="2025")
    s = status(ws)
    assert s.rounds == {"2026": {"files": 1, "records": 2, "persons": 2}, "2027": {"files": 2, "records": 4, "persons": 3}}
    assert s.persons == 3
    assert table_round(ws, None) == "2027"

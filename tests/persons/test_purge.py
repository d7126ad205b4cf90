"""Deleting a person on request: every row that holds them goes, other rows' texts lose their ID number, the purge is
audited without the number, and the number's bytes are gone from the workspace file."""

from __future__ import annotations

import pytest

from census import Workspace, ingest, link
from census.errors import UsageError
from census.persons.decisions import apply_review, list_decisions
from census.persons.purge import REMOVED, purge
from census.sources import IngestOptions
from census.workspace.audit import audit_log

from ..conftest import make_id, write_xlsx

X_ID = make_id("19880808", "517")
X_PHONE = "13698765432"
Y_ID = make_id("19790101", "235")  # fails nothing; a person who stays
BAD_ID = make_id("19910715", "421")[:-1] + ("0" if make_id("19910715", "421")[-1] != "0" else "1")  # a wrong check digit
HEADER = ["序号", "姓名", "性别", "身份证号码", "联系电话", "工作单位", "职务", "人员类别", "备注"]


@pytest.fixture
def ws(tmp_path):
    rows = [
        ["雨花街道康盛花园社区新的社会阶层人士台账"], HEADER,
        [1, "陈晓", "女", X_ID, X_PHONE, "南京晓风文化传媒有限公司", "编辑", "新媒体从业人员", "本人"],
        [2, "刘洋", "男", Y_ID, "13711112222", "南京云帆科技有限公司", "工程师", "民营科技人员", f"紧急联系人陈晓，身份证 {X_ID[:6]} {X_ID[6:14]} {X_ID[14:]}"],
        [3, None, None, None, None, None, None, None, f"陈晓补充：{X_ID} {X_PHONE}"],
        [4, "孙校验", "男", BAD_ID, "13500001111", None, None, "自由职业者", None],
        [5, "赵强", "男", None, "13812340000", None, None, "自由职业者", None],
    ]
    write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": rows})
    w = Workspace(tmp_path / "census.duckdb")
    ingest(w, [tmp_path / "雨花街道_康盛花园社区_台账.xlsx"], IngestOptions(street="雨花街道"))
    link(w)
    yield w
    w.close()


def _record(ws, name: str) -> int:
    return int(ws.scalar("SELECT record_id FROM records WHERE name = ?", [name]))


def test_purge_removes_every_row_of_the_person_and_the_numbers_bytes(ws, tmp_path):
    pid = ws.scalar("SELECT person_id FROM persons WHERE id_number = ?", [X_ID])
    review = write_xlsx(tmp_path / "核查.xlsx", {"疑似同一人": [["编号", "是否同一人"], [f"{_record(ws, '陈晓')}-{_record(ws, '刘洋')}", "否"]]})
    assert apply_review(ws, review).cannot_link == 1
    link(ws)
    assert ws.scalar("SELECT count(*) FROM records WHERE status = 'quarantined'") == 1
    ws.con.execute("CHECKPOINT")
    data = ws.path.read_bytes()
    assert X_ID.encode() in data and X_PHONE.encode() in data  # the search can find them

    r = purge(ws, pid, reason="本人申请删除")

    assert (r.persons, r.records, r.quarantined, r.decisions) == ([pid], 2, 1, 1)
    assert r.scrubbed >= 1 and r.bytes_after > 0
    data = ws.path.read_bytes()
    assert X_ID.encode() not in data and X_PHONE.encode() not in data and X_ID[6:14].encode() not in data
    assert ws.scalar("SELECT count(*) FROM records WHERE name = '陈晓' OR raw LIKE '%陈晓补充%'") == 0
    assert ws.scalar("SELECT count(*) FROM persons WHERE person_id = ?", [pid]) == 0
    assert ws.scalar("SELECT count(*) FROM links WHERE person_id = ?", [pid]) == 0
    assert ws.scalar("SELECT count(*) FROM classifications WHERE person_id = ?", [pid]) == 0
    assert ws.scalar("SELECT count(*) FROM issues WHERE person_id = ?", [pid]) == 0
    assert list_decisions(ws, include_undone=True).empty
    note = ws.scalar("SELECT note FROM records WHERE name = '刘洋'")
    assert note == f"紧急联系人陈晓，身份证 {REMOVED}"  # the other person's row stays, without the number
    assert ws.query("SELECT records, quarantined FROM sources") == [(3, 0)]  # were 4 and 1
    assert ws.query("SELECT records, quarantined FROM sheets WHERE sheet = '台账'") == [(3, 0)]
    entry = audit_log(ws).entries[-1]
    assert (entry.action, entry.what, entry.rows, entry.reason) == ("purge", pid, 2, "本人申请删除")
    assert not any(X_ID[6:] in str(v) for e in audit_log(ws).entries for v in vars(e).values())

    next_person = ws.get("next_person")
    result = link(ws)  # the rest links as before; the purged person's id is not handed out again
    assert result.persons == 3 and ws.get("next_person") == next_person
    assert ws.scalar("SELECT count(*) FROM persons WHERE person_id = ?", [pid]) == 0


def test_purge_by_id_number_as_typed_or_faulty(ws):
    n = purge(ws, id_number=BAD_ID.lower())  # fails its check digit: found as typed
    assert n.records == 1 and ws.scalar("SELECT count(*) FROM records WHERE name = '孙校验'") == 0
    r = purge(ws, id_number=f"{X_ID[:6]} {X_ID[6:]}")  # spaces as people type them
    assert r.records == 2 and len(r.persons) == 1
    assert X_ID.encode() not in ws.path.read_bytes()
    assert audit_log(ws).entries[-1].what == r.persons[0]


def test_purge_refuses_what_it_cannot_find_without_echoing_the_number(ws):
    other = make_id("19991231", "777")
    with pytest.raises(UsageError) as e:
        purge(ws, id_number=other)
    assert other not in str(e.value) and other[:6] + "********" + other[-4:] in str(e.value)
    with pytest.raises(UsageError, match="不是身份证号"):
        purge(ws, id_number="12345")
    with pytest.raises(UsageError, match="P9999999"):
        purge(ws, "P9999999")
    with pytest.raises(UsageError, match="二者选一"):
        purge(ws, "P0000001", id_number=X_ID)
    with pytest.raises(UsageError, match="二者选一"):
        purge(ws)
    other_ws = Workspace(ws.path)  # the file must be rewritten: refused before anything is deleted
    try:
        with pytest.raises(Exception, match="另有打开"):
            purge(ws, id_number=X_ID)
    finally:
        other_ws.close()
    assert ws.scalar("SELECT count(*) FROM records WHERE name = '陈晓'") == 1
    assert audit_log(ws).entries == []

"""The representatives' roster (代表人士名册): its cells read as political arrangements, ingested as a `roster` source,
carried on the person, tallied, and carried to a round without a roster of its own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from census import ingest, link, tally
from census.errors import UsageError
from census.sources import IngestOptions
from census.sources.roster import ROSTER_FIELDS, arrangements, level_of, parse
from census.vocab import ARRANGEMENTS

from ..conftest import make_id, write_xlsx


@pytest.mark.parametrize(("cells", "labels", "unknown"), [
    ((("npc", "是"), ("level", "区级")), "区人大代表", None),
    ((("npc", "区级"), ("cppcc", "√"), ("level", "市级")), "区人大代表、市政协委员", None),
    ((("cppcc", "市政协常委"),), "市政协委员", None),
    ((("acfic", "执委"), ("nsca", "副会长"), ("special", "特约监督员")), "工商联执委、新联会副会长、特约人员", None),
    ((("arrangement", "区人大代表、南京市雨花台区政协委员 江苏省人大代表，区工商联常委"),), "省人大代表、区人大代表、区政协委员、工商联常委", None),
    ((("arrangement", "全国人大代表兼新的社会阶层人士联谊会理事"),), "全国人大代表、新联会理事", None),
    ((("arrangement", "区人大代表；居委会主任"),), "区人大代表", "居委会主任"),
    ((("npc", "否"), ("cppcc", "无"), ("acfic", "/"), ("arrangement", "")), None, None),
    ((("npc", None), ("level", "区级")), None, None),  # a level alone holds no post
])
def test_roster_cells_read_as_arrangements(cells, labels, unknown):
    assert arrangements(cells) == (labels, unknown)


def test_levels_are_the_most_local_named():
    assert [level_of(t) for t in ("南京市雨花台区", "江苏省", "全国", "市级", "县级", "")] == ["区", "省", "全国", "市", "区", None]


cell_text = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["是", "否", "区级", "市政协委员", "执委", "理事", "特约监督员",
                                                                          "区人大代表、市政协委员", "全国", "会长"]))


@given(st.lists(st.tuples(st.sampled_from(ROSTER_FIELDS), cell_text), max_size=7))
def test_arrangements_are_total_and_give_known_labels_in_order(cells):
    labels, unknown = arrangements(tuple(cells))
    found = labels.split("、") if labels else []
    assert all(label in ARRANGEMENTS for label in found)
    assert found == sorted(set(found), key=ARRANGEMENTS.index)
    # reading the labels back gives the labels (the stored form is a fixed point)
    assert parse(labels or "")[0] == found and arrangements((("arrangement", labels),)) == (labels, None)
    assert unknown is None or all(part not in ARRANGEMENTS for part in unknown.split("、"))


HEADER = ["姓名", "性别", "身份证号码", "工作单位", "职务", "人员类别"]
ROSTER = ["序号", "姓名", "身份证号", "人大代表", "政协委员", "级别", "工商联职务", "新联会职务", "特约人员", "安排情况"]


def test_a_roster_is_ingested_carried_on_the_person_tallied_and_carried_to_the_next_round(ws, tmp_path):
    a, b, c = make_id("19800101", "111"), make_id("19850202", "222"), make_id("19900303", "333")
    ledger = write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": [
        HEADER, ["王伟", "男", a, "南京云帆科技有限公司", "工程师", "民营科技人员"],
        ["李娜", "女", b, "江苏金陵律师事务所", "律师", "律师"], ["赵敏", "女", c, None, "自由撰稿人", "自由职业人员"]]})
    roster = write_xlsx(tmp_path / "代表人士名册.xlsx", {"名册": [
        ["雨花台区新的社会阶层代表人士名册"], ROSTER,
        [1, "王伟", a, "区级", None, None, "执委", None, None, None],
        [2, "李娜", b, None, "是", "市级", None, "副会长", "特约监督员", None],
        [3, "赵敏", c, None, None, None, None, None, None, "居委会委员"]]})
    ingest(ws, [ledger], IngestOptions(street="雨花街道"), round=2026)
    r = ingest(ws, [roster], round=2026)
    assert r.files[0].kind == "roster" and r.files[0].records == 3
    assert ws.query("SELECT source_kind, arrangements, representative FROM records WHERE source_kind = 'roster' ORDER BY row") == [
        ("roster", "区人大代表、工商联执委", True), ("roster", "市政协委员、新联会副会长、特约人员", True), ("roster", None, True)]
    assert ws.query("SELECT value FROM issues WHERE code = 'arrangement.unknown'") == [("居委会委员",)]
    link(ws)
    held = dict(ws.query("SELECT name, arrangements FROM persons"))
    assert held == {"王伟": ["区人大代表", "工商联执委"], "李娜": ["市政协委员", "新联会副会长", "特约人员"], "赵敏": []}
    assert dict(ws.query("SELECT name, representative FROM persons")) == {"王伟": True, "李娜": True, "赵敏": True}
    # the roster joins persons by ID and changes no category: its authority is below every ledger
    assert tally(ws).total == 3
    t = tally(ws, by=["arrangement"])
    assert {r["arrangement"]: r["count"] for r in t.rows} == {
        "区人大代表": 1, "市政协委员": 1, "工商联执委": 1, "新联会副会长": 1, "特约人员": 1, "无政治安排": 1}
    assert t.total == 3  # persons once, though their arrangements are more
    assert tally(ws, where={"arrangement": "工商联执委"}).total == 1
    with pytest.raises(UsageError, match="suppress-complementary"):
        tally(ws, by=["arrangement"], suppress=3, complementary=True)

    # 2027 has its ledger but no roster: the 2026 roster still holds for its persons
    (tmp_path / "2027").mkdir()
    ledger_2027 = write_xlsx(tmp_path / "2027" / "雨花街道_康盛花园社区_台账.xlsx", {"台账": [
        HEADER, ["王伟", "男", a, "南京云帆科技有限公司", "工程师", "民营科技人员"], ["李娜", "女", b, "江苏金陵律师事务所", "律师", "律师"]]})
    ingest(ws, [ledger_2027], IngestOptions(street="雨花街道"), round=2027)
    link(ws)
    assert dict(ws.query("SELECT name, arrangements FROM persons WHERE round = '2027'")) == {
        "王伟": ["区人大代表", "工商联执委"], "李娜": ["市政协委员", "新联会副会长", "特约人员"]}
    # … until 2027 has a roster of its own
    roster_2027 = write_xlsx(tmp_path / "2027" / "代表人士名册2027.xlsx", {"名册": [
        ["姓名", "身份证号", "安排情况"], ["王伟", a, "市政协委员"]]})
    ingest(ws, [roster_2027], round=2027)
    link(ws)
    assert dict(ws.query("SELECT name, arrangements FROM persons WHERE round = '2027'")) == {"王伟": ["市政协委员"], "李娜": []}
    assert dict(ws.query("SELECT name, representative FROM persons WHERE round = '2027'")) == {"王伟": True, "李娜": False}

"""The region register as clerks write it: community types as words, every error reported at once, no two
communities of one street with the same name; and an ingest without a register says what that costs."""

from __future__ import annotations

import pytest

from census import Workspace, ingest
from census.config import Register, load_file, load_register_file
from census.errors import SchemaError

from ..conftest import EXAMPLES, make_id, write_xlsx

GOOD = """\
name: 雨花台区
code: "320114"
streets:
  - name: 雨花街道
    code: "320114001"
    communities:
      - {name: 康盛花园社区, code: "320114001001", type: 社区}
      - {name: 翠竹园社区, code: "320114001002", type: 居委会}
      - {name: 韩府山村, code: "320114001201", type: 村, aliases: [韩府山]}
      - {name: 三山村, code: "320114001202", type: 行政村}
      - {name: 三山社区, code: "320114001003", type: "111"}
      - {name: 沙洲村, code: "320114001203", type: 村委会}
  - name: 赛虹桥街道
    code: "320114002"
    communities:
      - {name: 康盛花园社区, code: "320114002001"}
"""


def test_community_types_as_clerks_write_them(tmp_path, ws):
    p = tmp_path / "regions.yaml"
    p.write_text(GOOD, encoding="utf-8")
    reg = load_register_file(p)
    assert [(c.name, c.type) for c in reg.communities] == [
        ("康盛花园社区", "城镇"), ("翠竹园社区", "城镇"), ("韩府山村", "乡村"), ("三山村", "乡村"), ("三山社区", "111"),
        ("沙洲村", "乡村"), ("康盛花园社区", None)]
    rows = [["姓名", "身份证号", "所属社区"], ["甲", make_id("19800101", "111"), "韩府山"]]
    f = ingest(ws, [write_xlsx(tmp_path / "a.xlsx", {"S": rows})], regions=p).files[0]
    assert f.status == "ingested"
    assert ws.query("SELECT street, community, community_code FROM records") == [("雨花街道", "韩府山村", "320114001201")]
    assert ws.query("SELECT type FROM regions WHERE name = '韩府山村'") == [("乡村",)]


BAD = """\
name: 雨花台区
code: "320114"
streets:
  - name: 雨花街道
    code: "32011400"
    communities:
      - {name: 康盛花园社区, code: "320114001001", type: 社区}
      - {name: 康盛花园, code: "320114001002", type: 小区}
      - {code: "320114001003"}
  - name: 赛虹桥街道
    code: "320114002"
    communities:
      - {name: 虹苑社区, code: "320114001001"}
      - {name: 玉兰里社区, code: "32011400200X", aliases: [虹苑]}
      - {name: 凤栖苑社区, code: "320114003001", colour: red}
  - name: 雨花街道
    code: "320115003"
"""


def test_every_error_of_a_register_is_reported_at_once(tmp_path):
    p = tmp_path / "regions.yaml"
    p.write_text(BAD, encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        load_register_file(p)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{p}：区划名册有12处错误，请逐一改正："
    assert [line.split("：")[0].strip() for line in lines[1:]] == [
        "streets/0/code",  # 8 digits
        "streets/0/communities/1/name",  # 康盛花园 is 康盛花园社区 again
        "streets/0/communities/1/type",  # 小区
        "streets/0/communities/2/name",  # missing
        "streets/1/communities/0/code",  # not of its street
        "streets/1/communities/0/code",  # and used twice
        "streets/1/communities/1/code",  # not 12 digits
        "streets/1/communities/1/name",  # its alias 虹苑 is 虹苑社区's name
        "streets/1/communities/2/code",  # not of its street
        "streets/1/communities/2/colour",  # unknown key
        "streets/2/code",  # not of the district
        "streets/2/name",  # a second 雨花街道
    ]
    assert "代码320114001001已用于streets/0/communities/0/code" in lines[6]


def test_two_communities_of_one_street_with_the_same_name_are_refused(tmp_path):
    text = GOOD.replace("{name: 沙洲村, code: \"320114001203\", type: 村委会}", "{name: 康盛花园, code: \"320114001203\"}")
    with pytest.raises(SchemaError, match=r"r.yaml：streets/0/communities/5/name：同一街道内两个社区不能同名：“康盛花园”也是第1个社区“康盛花园社区”"):
        Register.from_yaml(text, "r.yaml")
    Register.from_yaml(GOOD, "ok.yaml")  # 三山村 and 三山社区, 康盛花园社区 in two streets: fine


def test_schema_check_lists_every_error(tmp_path):
    p = tmp_path / "regions.yaml"
    p.write_text(BAD, encoding="utf-8")
    with pytest.raises(SchemaError) as e:
        load_file(p)
    assert "区划名册有" in str(e.value) and "streets/2/code" in str(e.value)


def test_an_ingest_without_a_register_says_so_once(tmp_path):
    files = [write_xlsx(tmp_path / f"{c}台账.xlsx", {"S": [["姓名", "身份证号"], [n, make_id("19800101", s)]]})
             for c, n, s in (("虹苑社区", "甲", "111"), ("玉兰里社区", "乙", "112"))]
    with Workspace(tmp_path / "a.duckdb") as ws:
        r = ingest(ws, files)
        assert len(r.notices) == 1 and "没有区划名册" in r.notices[0] and "可能不全" in r.notices[0]
        assert r.to_dict()["notices"] == r.notices
        assert all("区划名册" not in n for f in r.files for n in f.notices)
    with Workspace(tmp_path / "b.duckdb") as ws:
        assert ingest(ws, files, regions=EXAMPLES / "regions.yaml").notices == []
        assert ingest(ws, files).notices == []  # the register stored with the workspace holds

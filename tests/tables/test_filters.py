"""Filters that cannot mislead, on the demo district: a value is matched through the register's names, aliases and
codes, the scheme's synonyms and the code tables; a value nothing knows is a usage error naming the closest known
values; a dimension given twice means either value."""

from __future__ import annotations

import json

import pytest

from census import crosstab, narrative_result, tally
from census.cli import main
from census.errors import UsageError
from census.tables.filters import parse_where

from ..conftest import demo_copy


@pytest.fixture(scope="module")
def ws(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "filters")
    yield w
    w.close()


def total(ws, where, scheme="current4", by=("category",)):
    return tally(ws, scheme, list(by), where).total


@pytest.mark.parametrize(("where", "same_as"), [
    ({"street": "320114001"}, {"street": "雨花街道"}),  # the street's code
    ({"street": "雨花"}, {"street": "雨花街道"}),  # without its suffix
    ({"street": "雨花街道办事处"}, {"street": "雨花街道"}),
    ({"community": "康盛花园"}, {"community": "康盛花园社区"}),  # an alias in the register
    ({"community": "320114001001"}, {"community": "康盛花园社区"}),  # a community's code
    ({"community": "韩府山村委会"}, {"community": "韩府山村"}),
    ({"category": "自由职业"}, {"category": "自由职业人员"}),  # a synonym of the scheme
    ({"category": "新媒体"}, {"category": "新媒体从业人员"}),
    ({"sex": "男性"}, {"sex": "男"}),  # the code table's variants
    ({"education": "本科"}, {"education": "大学本科"}),
    ({"party": "党员"}, {"party": "中共党员"}),
    ({"representative": "是"}, {"representative": "代表人士"}),
    ({"age_band": "30～39"}, {"age_band": "30-39"}),
])
def test_a_value_is_matched_through_what_is_known(ws, where, same_as):
    t = tally(ws, "current4", ["category"], where)
    assert t.total == total(ws, same_as) > 0
    assert t.where == {k: [v] for k, v in same_as.items()}  # the value persons are stored with
    assert t.to_dict()["where"] == {k: [v] for k, v in same_as.items()}


def test_a_legacy_synonym_is_matched_in_its_scheme(ws):
    assert total(ws, {"category": "个体户"}, "legacy6") == total(ws, {"category": "个体工商户"}, "legacy6") > 0


def test_a_dimension_given_twice_means_either_value(ws):
    both = tally(ws, "current4", ["street"], {"street": ["雨花街道", "320114002"]})
    one, two = total(ws, {"street": "雨花街道"}), total(ws, {"street": "赛虹桥街道"})
    assert both.total == one + two and {r["street"] for r in both.rows} == {"雨花街道", "赛虹桥街道"}
    assert both.where == {"street": ["雨花街道", "赛虹桥街道"]}
    ct = crosstab(ws, "current4", "street", "category", {"street": ["赛虹桥街道", "雨花街道"]})
    assert ct.row_values == ["雨花街道", "赛虹桥街道"] and ct.total == one + two  # in register order
    assert parse_where(["street=雨花街道", "街道=板桥街道", "sex=女", "street=雨花街道"]) == {"street": ["雨花街道", "板桥街道"], "sex": ["女"]}


def test_source_kind_is_named_in_chinese_and_filters_persons_found_in_it(ws):
    t = tally(ws, "current4", ["source_kind"])
    labels = {r["source_kind"] for r in t.rows}
    assert "社区台账" in labels and any("、" in v for v in labels)
    assert not any(k in v for v in labels for k in ("community_ledger", "household_register", "/"))
    found_in = total(ws, {"source_kind": "住户台帐"})
    assert found_in == total(ws, {"source_kind": "household_register"})
    assert found_in == sum(r["count"] for r in t.rows if "住户台帐" in r["source_kind"]) > 0


@pytest.mark.parametrize(("where", "says"), [
    ({"street": "雨化街道"}, "--where street=雨化街道：没有这个街道；最接近的是 雨花街道"),
    ({"community": "康胜花园"}, "--where community=康胜花园：没有这个社区；最接近的是 康盛花园社区"),
    ({"category": "宇航员"}, "--where category=宇航员：没有这个类别；已知的类别有 民营企业和外商投资企业管理技术人员"),
    ({"sex": "未说"}, "--where sex=未说：没有这个性别"),
    ({"unit_type": "火星企业"}, "--where unit_type=火星企业：没有这个单位性质"),
    ({"street": ["雨花街道", "320114999"]}, "--where street=320114999：没有这个街道"),
])
def test_a_value_nothing_knows_is_a_usage_error_naming_the_closest(ws, where, says):
    with pytest.raises(UsageError) as e:
        tally(ws, "current4", ["category"], where)
    assert str(e.value).startswith(says)


def test_the_command_line_filters_the_same_and_exits_2_on_a_typo(demo_linked, capsys):
    db = str(demo_linked)
    assert main(["tally", "--db", db, "--format", "json", "--where", "street=320114001", "--where", "community=康盛花园"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["where"] == {"street": ["雨花街道"], "community": ["康盛花园社区"]} and got["total"] > 0
    assert main(["tally", "--db", db, "--where", "street=雨化街道"]) == 2
    err = capsys.readouterr().err
    assert err == "错误：--where street=雨化街道：没有这个街道；最接近的是 雨花街道、板桥街道。\n"
    assert main(["tally", "--db", db, "--where", "colour=red"]) == 2
    assert "“colour”不是维度" in capsys.readouterr().err


def test_the_narrative_names_the_place_filtered_on(ws):
    n = narrative_result(ws, "current4", {"community": "康盛花园"})
    assert n.text.startswith(f"康盛花园社区共有新的社会阶层人士{n.figures['total']}名")
    assert n.figures["where"] == {"community": ["康盛花园社区"]} and n.figures["area"] == "康盛花园社区"
    n = narrative_result(ws, "legacy6", {"sex": "女"})
    assert n.text.startswith("所选范围内共有新的社会阶层人士") and n.figures["scheme_label"] == "2001年六类"

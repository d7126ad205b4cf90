"""Classification: rule families on real ledger rows, synonyms and crosswalk, source authority, the conflict
flag, explanations, and scheme files that do not validate."""

from __future__ import annotations

import pytest

from census import ingest, link
from census.categories import explain
from census.config import load_file
from census.errors import SchemaError
from census.persons import LinkOptions
from census.sources import IngestOptions

from ..conftest import make_id, write_csv, write_xlsx

HEADER = ["姓名", "身份证号", "工作单位", "单位性质", "职务", "人员类别"]

# (name, unit, unit type, position, declared) → (current4, legacy6)
CASES = [
    ("甲工程", "南京云帆科技有限公司", "", "软件工程师", "", "民营企业和外商投资企业管理技术人员", "民营科技企业创业人员和技术人员"),
    ("乙外企", "博世汽车部件（南京）有限公司", "", "部门经理", "", "民营企业和外商投资企业管理技术人员", "外资企业管理技术人员"),
    ("丙律师", "江苏金陵律师事务所", "", "律师", "", "中介组织和社会组织从业人员", "中介组织从业人员"),
    ("丁协会", "雨花台区软件行业协会", "社会团体", "秘书长", "", "中介组织和社会组织从业人员", "中介组织从业人员"),
    ("戊店主", "雨花台区老王小吃店", "", "店主", "", "非公有制经济人士", "个体工商户"),
    ("己老板", "南京恒达商贸有限公司", "私营企业", "董事长", "", "非公有制经济人士", "私营企业主"),
    ("庚经理", "南京恒达商贸有限公司", "私营企业", "财务总监", "", "民营企业和外商投资企业管理技术人员", "不属于统计范围"),
    ("辛设计", "", "", "独立设计师", "", "自由职业人员", "自由职业人员"),
    ("壬主播", "", "", "网络主播", "", "新媒体从业人员", "自由职业人员"),
    ("癸编辑", "南京星火文化传媒有限公司", "", "编辑", "", "新媒体从业人员", "民营科技企业创业人员和技术人员"),
    ("子科员", "雨花街道办事处", "", "科员", "", "不属于统计范围", "不属于统计范围"),
    ("丑创始", "南京云帆科技有限公司", "", "董事长", "民营科技人员", "非公有制经济人士", "民营科技企业创业人员和技术人员"),
    ("寅个体", "", "", "", "规模个体工商户", "非公有制经济人士", "个体工商户"),
    ("卯外企", "", "", "", "外企管理技术人员", "民营企业和外商投资企业管理技术人员", "外资企业管理技术人员"),
    ("辰社工", "", "", "", "社会组织从业人员", "中介组织和社会组织从业人员", "中介组织从业人员"),
    ("巳不明", "", "", "", "", "待核实", "待核实"),
]


@pytest.fixture
def classified(ws, tmp_path):
    rows = [["雨花街道康盛花园社区新的社会阶层人士台账"], HEADER]
    for i, (name, unit, utype, pos, declared, *_), in enumerate(CASES):
        rows.append([name, make_id("19800101", f"{100 + i:03d}"), unit or None, utype or None, pos or None, declared or None])
    write_xlsx(tmp_path / "康盛花园社区台账.xlsx", {"台账": rows})
    write_csv(tmp_path / "住户台帐.csv", [["姓名", "公民身份号码", "职业", "所属社区"],
                                         ["午退休", make_id("19500101", "211"), "退休", "康盛花园社区"],
                                         ["未律师", make_id("19700101", "213"), "律师", "康盛花园社区"]])
    ingest(ws, [tmp_path], IngestOptions(street="雨花街道"))
    link(ws, LinkOptions(probabilistic=False))
    return ws


def _categories(ws, scheme):
    return dict(ws.query("""SELECT p.name, c.category FROM persons p JOIN classifications c USING (person_id)
                            WHERE c.scheme = ?""", [scheme]))


def test_rule_families_and_declared_synonyms(classified):
    cur, leg = _categories(classified, "current4"), _categories(classified, "legacy6")
    for name, *_, want_cur, want_leg in CASES:
        assert (name, cur[name], leg[name]) == (name, want_cur, want_leg)
    assert cur["午退休"] == leg["午退休"] == "不属于统计范围"  # household occupation 退休
    assert cur["未律师"] == "中介组织和社会组织从业人员"  # household occupation 律师


def test_every_person_has_a_rule_and_a_chinese_reason(classified):
    rows = classified.query("SELECT rule, reason FROM classifications")
    assert rows and all(rule and reason for rule, reason in rows)
    reasons = dict(classified.query("""SELECT p.name, c.reason FROM persons p JOIN classifications c USING (person_id)
                                       WHERE c.scheme = 'legacy6'"""))
    assert reasons["乙外企"] == "单位“博世汽车部件（南京）有限公司”属外商投资企业，职务为部门经理"
    assert "原“民营科技企业创业人员和技术人员”" in dict(classified.query(
        "SELECT p.name, c.reason FROM persons p JOIN classifications c USING (person_id) WHERE c.scheme = 'current4'"))["丑创始"]


def test_authority_order_and_the_conflict_flag(ws, tmp_path):
    pid = make_id("19850505", "155")
    write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": [HEADER, ["周全", pid, None, None, None, "自由职业者"]]})
    write_xlsx(tmp_path / "雨花街道_驻地单位台帐.xlsx", {"江苏金陵律师事务所": [
        ["单位：江苏金陵律师事务所　性质：律师事务所"], ["姓名", "身份证号", "职务", "人员类别"], ["周全", pid, "律师", "中介组织从业人员"]]})
    ingest(ws, [tmp_path])
    link(ws, LinkOptions(probabilistic=False))
    cat, rule, conflict, reason = ws.query("SELECT category, rule, conflict, reason FROM classifications WHERE scheme = 'current4'")[0]
    # the community ledger outranks the unit ledger, and the contradiction with the law firm is flagged for review
    assert (cat, rule, conflict) == ("自由职业人员", "declared:community_ledger", True)
    assert "待核查" in reason
    # the declarations mean different categories under each scheme: one category issue per person and scheme (the
    # review lists the one of the scheme in force)
    assert ws.query("SELECT scheme, code FROM issues WHERE field = 'category' ORDER BY scheme") == [
        ("current4", "person.conflict_category"), ("legacy6", "person.conflict_category")]
    person = ws.scalar("SELECT person_id FROM persons")
    d = explain(ws, person, "legacy6")
    assert d["facets"] == {"sector": "intermediary", "role": "technical", "status": "unknown"}
    assert d["steps"][0].startswith("社区台账申报“自由职业者”")


def test_scheme_file_errors_name_the_key_path(tmp_path):
    bad = tmp_path / "scheme.yaml"
    text = (ROOT_SCHEME.read_text(encoding="utf-8")
            .replace("- {id: owner, when: {sector: [private, private_tech, foreign, individual], role: [owner]}, category: 非公有制经济人士}",
                     "- {id: owner, when: {sector: [private], role: [owner]}, category: 私营老板}"))
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"rules/5/category: '私营老板' is not a category of this scheme"):
        load_file(bad)
    bad.write_text(ROOT_SCHEME.read_text(encoding="utf-8").replace("role: [owner]}, category: 非公有制经济人士}",
                                                                    "role: [boss]}, category: 非公有制经济人士}"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"rules/5/when/role: 'boss' is not a role"):
        load_file(bad)
    kind, scheme = load_file(ROOT_SCHEME)
    assert kind == "scheme" and scheme.scheme == "current4"


from ..conftest import ROOT  # noqa: E402

ROOT_SCHEME = ROOT / "schemas" / "schemes" / "current4.yaml"

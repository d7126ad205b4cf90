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
    with pytest.raises(SchemaError, match=r"rules/5/category：“私营老板”不是本方案的类别"):
        load_file(bad)
    bad.write_text(ROOT_SCHEME.read_text(encoding="utf-8").replace("role: [owner]}, category: 非公有制经济人士}",
                                                                    "role: [boss]}, category: 非公有制经济人士}"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"rules/5/when/role：“boss”不是 role 的取值"):
        load_file(bad)
    kind, scheme = load_file(ROOT_SCHEME)
    assert kind == "scheme" and scheme.scheme == "current4"


from ..conftest import ROOT  # noqa: E402

ROOT_SCHEME = ROOT / "schemas" / "schemes" / "current4.yaml"


# ============================================================================================ without a declared category
# (name, unit, unit type, position, household occupation) → (current4, legacy6): the three rules
UNDECLARED = [
    # a shop is a shop, whatever fashionable word its name carries
    ("店一", "雨花台区同泽科技小吃店", "", "店主", "", "非公有制经济人士", "个体工商户"),
    ("店二", "雨花台区正程智能干洗店", "", "业主", "", "非公有制经济人士", "个体工商户"),
    ("店三", "雨花台区云星数据手机维修部", "民营", "经营者", "", "非公有制经济人士", "个体工商户"),
    ("店四", "星云智慧超市", "", "", "个体经营", "非公有制经济人士", "个体工商户"),
    ("店五", "星云数据科技", "", "", "个体经营", "非公有制经济人士", "个体工商户"),  # no company form: a shop
    # a technology company's engineers and technical managers, whatever its unit type says
    ("技一", "南京思成电子科技有限公司", "民营企业", "软件工程师", "", "民营企业和外商投资企业管理技术人员", "民营科技企业创业人员和技术人员"),
    ("技二", "南京汇睿信息技术有限公司", "私营企业", "技术总监", "", "民营企业和外商投资企业管理技术人员", "民营科技企业创业人员和技术人员"),
    ("技三", "江苏泰源网络科技有限公司", "有限责任公司（自然人投资）", "算法工程师", "", "民营企业和外商投资企业管理技术人员",
     "民营科技企业创业人员和技术人员"),
    ("技四", "南京鼎宇软件有限公司", "民营", "法定代表人", "", "非公有制经济人士", "民营科技企业创业人员和技术人员"),
    # the trade right before the company form decides, not a technology word anywhere
    ("主一", "南京云帆智能建材有限公司", "", "法定代表人", "", "非公有制经济人士", "私营企业主"),
    ("主二", "南京云帆智能餐饮管理有限公司", "民营企业", "董事长", "", "非公有制经济人士", "私营企业主"),
    ("主三", "南京云帆科技商贸发展有限公司", "", "投资人", "", "非公有制经济人士", "私营企业主"),
    ("员一", "南京云帆智能建材有限公司", "", "工程师", "", "民营企业和外商投资企业管理技术人员", "不属于统计范围"),
    # a skill someone lives on alone, or staff of an employer
    ("影一", "无", "", "摄影师", "", "自由职业人员", "自由职业人员"),
    ("影二", "", "", "摄影师", "", "自由职业人员", "自由职业人员"),
    ("影三", "南京星火文化传媒有限公司", "", "摄影师", "", "新媒体从业人员", "民营科技企业创业人员和技术人员"),
]


def test_categories_without_a_declared_one(ws, tmp_path):
    rows = [["雨花街道康盛花园社区新的社会阶层人士台账"], ["姓名", "身份证号", "工作单位", "单位性质", "职务"]]
    household = [["姓名", "公民身份号码", "工作单位", "职业", "所属社区"]]
    for i, (name, unit, utype, pos, occupation, *_) in enumerate(UNDECLARED):
        idn = make_id("19800101", f"{300 + i:03d}")
        if occupation:
            household.append([name, idn, unit, occupation, "康盛花园社区"])
        else:
            rows.append([name, idn, unit or None, utype or None, pos or None])
    write_xlsx(tmp_path / "康盛花园社区台账.xlsx", {"台账": rows})
    write_csv(tmp_path / "住户台帐.csv", household)
    ingest(ws, [tmp_path], IngestOptions(street="雨花街道"))
    link(ws, LinkOptions(probabilistic=False))
    cur, leg = _categories(ws, "current4"), _categories(ws, "legacy6")
    assert [(n, cur[n], leg[n]) for n, *_ in UNDECLARED] == [(n, c, lg) for n, *_, c, lg in UNDECLARED]
    reason = dict(ws.query("""SELECT p.name, c.reason FROM persons p JOIN classifications c USING (person_id)
                              WHERE c.scheme = 'legacy6'"""))["技一"]
    assert reason == "单位性质为民营企业，但单位“南京思成电子科技有限公司”属民营科技企业，职务为软件工程师"


def test_the_trade_of_a_unit_is_the_word_before_its_company_form():
    from census.categories.evidence import compiled_evidence
    from census.config import load_schemas

    ev = compiled_evidence(load_schemas())
    assert ev.trade("南京云帆智能建材有限公司") == "南京云帆智能建材"
    assert ev.trade("南京云帆智能餐饮管理有限公司") == "南京云帆智能餐饮"
    assert ev.trade("南京云帆信息技术服务有限公司雨花分公司") == "南京云帆信息技术"
    assert ev.trade("江苏泰源软件开发股份有限公司") == "江苏泰源软件"
    assert ev.trade("云帆科技") == "云帆科技"
    assert ev.is_company("南京云帆科技有限公司") and not ev.is_company("雨花台区云帆科技便利店")


def test_unit_types_are_shown_by_their_canonical_label(ws, tmp_path):
    from census import tally

    rows = [["姓名", "身份证号", "工作单位", "单位性质", "职务"]]
    types = ["民营（科技型）", "民营(科技型)", "民营科技型", "科技型企业", "外资企业", "中外合资企业", "其他", None]
    for i, t in enumerate(types):
        rows.append([f"人{i}", make_id("19800101", f"{400 + i:03d}"), "南京云帆科技有限公司", t, "工程师"])
    write_xlsx(tmp_path / "康盛花园社区台账.xlsx", {"台账": rows})
    ingest(ws, [tmp_path], IngestOptions(street="雨花街道"))
    link(ws, LinkOptions(probabilistic=False))
    t = tally(ws, "current4", ["unit_type"])
    assert [(r["unit_type"], r["count"]) for r in t.to_dict()["rows"]] == [
        ("外商投资企业", 2), ("民营科技企业", 4), ("其他", 1), ("未知", 1)]

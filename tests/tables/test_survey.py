"""Questionnaire estimates on the demo district: frequency tables equal the .sav itself, multiple-choice groups,
splits by category, and post-stratification weights that sum to the census counts."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pyreadstat
import pytest

from census import Workspace, tally
from census.errors import UsageError
from census.render.survey import calibration_rows, question_rows, survey_note
from census.tables.survey import MIN_RESPONDENTS, UNLINKED, respondent_weights, survey

from ..conftest import EXAMPLES, demo_copy

SAV = next((EXAMPLES / "district" / "问卷").glob("*.sav"))
SINGLE = ["Q2_性别", "Q4_学历", "Q5_政治面貌", "Q9_您属于以下哪一类", "Q10_年收入", "Q11_满意度"]
MEMBERS = ["Q12_1", "Q12_2", "Q12_3", "Q12_4", "Q12_5"]


@pytest.fixture(scope="module")
def sav():
    return pyreadstat.read_sav(str(SAV), apply_value_formats=True)


@pytest.fixture(scope="module")
def ws(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "survey")
    yield w
    w.close()


@pytest.fixture(scope="module")
def categories(ws):
    """record_id → the category under current4 of the person each respondent is linked to."""
    return dict(ws.query("""SELECT r.record_id, c.category FROM records r JOIN links l USING (record_id)
                            JOIN classifications c ON c.person_id = l.person_id AND c.scheme = 'current4'
                            WHERE r.source_kind = 'questionnaire'"""))


def test_frequency_tables_equal_the_sav(ws, sav):
    df, meta = sav
    r = survey(ws)
    assert r.respondents == len(df) == 64
    assert [t.question.variable for t in r.tables] == [*SINGLE, "Q12"]
    for t in r.tables[:-1]:
        var = t.question.variable
        assert t.options == list(meta.variable_value_labels[var].values())  # value-label order
        assert t.question.label == meta.column_names_to_labels[var]
        counts = df[var].value_counts()
        answered = int(df[var].notna().sum())
        assert t.answered["合计"] == answered and t.missing["合计"] == len(df) - answered
        for opt in t.options:
            cell = t.cells[opt, "合计"]
            assert cell["count"] == int(counts.get(opt, 0))
            assert cell["percent"] == float((Decimal(cell["count"] * 100) / Decimal(answered)).quantize(Decimal("0.1"), ROUND_HALF_UP))
        assert sum(t.cells[o, "合计"]["count"] for o in t.options) == answered
    edu = {row["value"]: row["count"] for row in r.to_dict()["questions"][1]["rows"]}
    assert edu == {"初中及以下": 5, "高中": 8, "中专/中技/职高": 1, "大学专科": 16, "大学本科": 29, "研究生": 5}
    assert r.tables[0].answered["合计"] == 63  # one respondent left 性别 empty


def test_multiple_choice_group(ws, sav):
    df, meta = sav
    t = survey(ws, ["Q12"]).tables[0]
    assert t.question.kind == "multiple" and t.question.label == "12.您希望参加的活动"
    assert t.question.members == MEMBERS
    assert t.options == ["政治培训", "联谊交流", "社会服务", "建言献策", "专业培训"]
    assert t.answered["合计"] == int(df[MEMBERS].notna().any(axis=1).sum())
    for opt, var in zip(t.options, MEMBERS, strict=True):
        assert t.cells[opt, "合计"]["count"] == int((df[var] == "选择").sum())
    assert sum(t.cells[o, "合计"]["percent"] for o in t.options) > 100  # several choices per respondent
    assert survey(ws, ["Q12_3"]).tables[0].question.kind == "single"  # a member stays askable by name


def test_by_category_splits_by_the_linked_person(ws, sav, categories):
    df, _ = sav
    r = survey(ws, ["Q4_学历"], by="category")
    t = r.tables[0]
    n = Counter(categories.values())
    assert t.columns[-1] == "合计" and set(t.columns[:-1]) == set(n) | ({UNLINKED} if r.linked < r.respondents else set())
    assert t.columns[:4] == ["民营企业和外商投资企业管理技术人员", "中介组织和社会组织从业人员", "自由职业人员", "新媒体从业人员"]
    for col in t.columns[:-1]:
        assert t.answered[col] == n[col]
    # each cell equals the count computed straight from the records and links
    answers = dict(ws.query("""SELECT r.record_id, raw_cells(r.raw, sh.raw_keys)['Q4_学历（4.您的最高学历）'] FROM records r
                               JOIN sheets sh USING (source_id, sheet) WHERE r.source_kind = 'questionnaire'"""))
    direct = Counter((categories.get(rid, UNLINKED), a) for rid, a in answers.items())
    for opt in t.options:
        for col in t.columns[:-1]:
            assert t.cells[opt, col]["count"] == direct[col, opt]
        assert t.cells[opt, "合计"]["count"] == sum(t.cells[opt, c]["count"] for c in t.columns[:-1])
    d = r.to_dict()["questions"][0]
    assert d["answered_by"] == {c: n[c] for c in t.columns[:-1]}
    assert set(d["rows"][0]["by"]) == set(t.columns[:-1])


def test_calibrated_weights_sum_to_census_counts(ws, categories):
    r = survey(ws, ["学历"], calibrate=True)
    assert r.calibrated
    census = {row["category"]: row["count"] for row in tally(ws, "current4").rows}
    weights = respondent_weights(ws)
    per_category: dict[str, float] = {}
    for rid, w in weights.items():
        per_category[categories[rid]] = per_category.get(categories[rid], 0.0) + w
    assert per_category.keys() == census.keys()
    for cat, total in per_category.items():
        assert total == pytest.approx(census[cat])
    for c in r.calibration:
        assert c["weight"] * c["respondents"] == pytest.approx(c["census"], abs=1e-3)
        assert c["respondents"] == Counter(categories.values())[c["category"]]
    outside = sum(1 for cat in categories.values() if cat not in census)
    assert r.left_out == {UNLINKED: r.respondents - len(categories), "非新的社会阶层人士": outside} and outside == 19
    t = r.tables[0]
    population = sum(census.values())
    assert t.weighted_answered["合计"] == pytest.approx(population, abs=0.5)
    assert sum(t.cells[o, "合计"]["estimate"] for o in t.options) == pytest.approx(population, abs=0.5)
    assert sum(t.cells[o, "合计"]["weighted_percent"] for o in t.options) == pytest.approx(100, abs=0.5)
    d = r.to_dict()
    assert d["calibration"]["population"] == population and "estimate" in d["questions"][0]["rows"][0]
    assert "未计入加权估计：非新的社会阶层人士19人" in survey_note(r)


def test_questions_by_name_and_by_label(ws):
    assert [t.question.variable for t in survey(ws, ["q4_学历"]).tables] == ["Q4_学历"]
    assert [t.question.variable for t in survey(ws, ["满意度"]).tables] == ["Q11_满意度"]
    assert [t.question.variable for t in survey(ws, ["希望参加的活动"]).tables] == ["Q12"]
    assert [t.question.variable for t in survey(ws, ["政治培训", "Q12"]).tables] == ["Q12"]  # no table twice
    assert [t.question.variable for t in survey(ws, ["年收入", "Q2_性别"]).tables] == ["Q10_年收入", "Q2_性别"]
    unlabelled = survey(ws, ["Q8_工作单位"]).tables[0]  # named explicitly: observed values, most frequent first
    counts = [unlabelled.cells[o, "合计"]["count"] for o in unlabelled.options]
    assert counts == sorted(counts, reverse=True) and sum(counts) == unlabelled.answered["合计"]


def test_unknown_or_identity_question_is_a_usage_error(ws):
    with pytest.raises(UsageError, match="--question Q99_收入：问卷中没有这道题"):
        survey(ws, ["Q4_学历", "Q99_收入"])
    with pytest.raises(UsageError, match="这是身份信息列"):
        survey(ws, ["Q1_姓名"])
    with pytest.raises(UsageError, match="--by colour：不是维度"):
        survey(ws, by="colour")
    with pytest.raises(UsageError, match="--scheme"):
        survey(ws, scheme="nine")


def test_without_links_plain_shares(ws, tmp_path):
    path = tmp_path / "unlinked.duckdb"
    ws.con.execute("CHECKPOINT")
    shutil.copy(ws.path, path)
    with Workspace(path) as w:
        w.con.execute("DELETE FROM links")
        r = survey(w, ["Q4_学历"], by="category", calibrate=True)
    assert not r.calibrated and r.linked == 0 and "只给出未加权的比例" in r.notes[0]
    t = r.tables[0]
    assert t.columns == [UNLINKED, "合计"] and t.answered[UNLINKED] == 64
    assert "estimate" not in t.cells["大学本科", "合计"]


def test_json_is_plain_data(ws):
    r = survey(ws, by="category", calibrate=True)
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d == r.to_dict()
    assert {q["variable"] for q in d["questions"]} == {*SINGLE, "Q12"}
    rows = r.long_rows()
    assert {"variable", "value", "column", "count", "percent", "estimate", "weighted_percent"} <= set(rows[0])
    header, body = question_rows(r.tables[1], r.calibrated)
    assert header[0] == "选项" and header[-1] == "合计" and body[-1][1] == "total"
    header, body = calibration_rows(r)
    assert header == ["类别", "普查人数", "回答人数", "权数", "说明"] and body[-1][0][0] == "合计"


def test_calibration_flags_categories_with_few_respondents(ws, categories):
    """A weight that rests on fewer than five respondents is flagged in the table, the note and the JSON; the
    respondents the estimates rest on are shown beside those who answered."""
    r = survey(ws, ["学历"], calibrate=True)
    n = Counter(categories.values())
    flagged = [c["category"] for c in r.calibration if c["few_respondents"]]
    assert flagged == [c["category"] for c in r.calibration if 0 < c["respondents"] < MIN_RESPONDENTS] == ["自由职业人员"]
    d = r.to_dict()
    assert d["calibration"]["few_respondents"] == flagged and d["calibration"]["min_respondents"] == 5
    assert [c["few_respondents"] for c in d["calibration"]["categories"]] == [c["category"] in flagged for c in r.calibration]
    header, body = calibration_rows(r)
    marks = {cells[0]: cells[-1] for cells, style in body if not style}
    assert marks["自由职业人员"].startswith("※") and not marks["民营企业和外商投资企业管理技术人员"]
    assert "※" in survey_note(r) and "自由职业人员（3人）" in survey_note(r)
    # used: those who answered and carry a weight (linked to a person of a new-class category)
    t = r.tables[0]
    weights = respondent_weights(ws)
    answers = dict(ws.query("""SELECT r.record_id, raw_cells(r.raw, sh.raw_keys)['Q4_学历（4.您的最高学历）'] FROM records r
                               JOIN sheets sh USING (source_id, sheet) WHERE r.source_kind = 'questionnaire'"""))
    used = sum(1 for rid, a in answers.items() if a and rid in weights)
    assert t.used["合计"] == used == d["questions"][0]["used"] < t.answered["合计"] == d["questions"][0]["answered"]
    assert d["calibration"]["used"] == len(weights) == sum(n[c["category"]] for c in r.calibration)
    header, body = question_rows(t, True)
    assert body[-2][0][:2] == ["回答人数", str(t.answered["合计"])] and body[-1][0][:2] == ["其中计入加权估计", str(used)]
    assert {row["used"] for row in r.long_rows() if row["column"] == "合计"} == {used}
    by = survey(ws, ["学历"], by="category", calibrate=True).to_dict()["questions"][0]
    assert by["used_by"] == {c: (n[c] if c in {x["category"] for x in r.calibration} else 0) for c in by["answered_by"]}

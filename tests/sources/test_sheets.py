"""Every layout offices use, on real workbooks written by the tests: stacked blocks with their own headers, tables
side by side, 一人一表 registration forms, filled-in templates, data no header explains — and the layouts that
worked before (问卷星/腾讯问卷 exports, merged 社区 cells, tables not at A1, hidden rows, IDs with apostrophes)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from census import IngestOptions, Workspace, ingest
from census.config import load_schemas
from census.sources.forms import looks_like_forms, split_unit_position
from census.sources.templates import TEXTBOOK_NAMES, is_example_row, is_hint_row, made_up_id

from ..conftest import EXAMPLES, make_id, write_csv, write_xlsx

REGIONS = EXAMPLES / "regions.yaml"


def accounted(ws: Workspace) -> None:
    """Every row of every sheet is data (a record or quarantined), non-data or blank, and each is stored."""
    for sid, sheet, total, data, rec, q, nd, blank in ws.query(
            "SELECT source_id, sheet, rows_total, data_rows, records, quarantined, nondata, blank FROM sheets"):
        assert rec + q == data and data + nd + blank == total, sheet
        assert ws.scalar("SELECT count(*) FROM records WHERE source_id = ? AND sheet = ?", [sid, sheet]) == data
        assert ws.scalar("SELECT count(*) FROM nondata WHERE source_id = ? AND sheet = ?", [sid, sheet]) == nd


def records(ws: Workspace, *columns: str) -> list[tuple]:
    return ws.query(f"SELECT {', '.join(columns)} FROM records ORDER BY source_id, sheet, row, col_range")


def raw(ws: Workspace, name: str) -> dict:
    return ws.scalar("""SELECT raw_cells(r.raw, sh.raw_keys) FROM records r JOIN sheets sh USING (source_id, sheet)
                        WHERE r.name = ?""", [name])


# ============================================================================================ stacked blocks
def test_stacked_blocks_are_each_read_with_their_own_header(ws, tmp_path):
    rows = [
        ["赛虹桥街道新的社会阶层人士台账"],
        ["虹苑社区"],
        ["序号", "姓名", "性别", "身份证号码", "联系电话", "人员类别"],
        ["1", "甲一", "男", make_id("19800101", "111"), "13800001111", "个体户"],
        ["2", "乙二", "女", make_id("19810101", "112"), "13800001112", "律师"],
        [],
        ["（二）玉兰里社区"],
        ["姓名", "人员类别", "身份证号", "性别", "手机"],
        ["丙三", "自由职业者", make_id("19820101", "113"), "男", "13800001113"],
        ["丁四", "私营企业主", make_id("19830101", "114"), "女", "13800001114"],
        ["合计：4人"],
    ]
    f = ingest(ws, [write_xlsx(tmp_path / "台账.xlsx", {"S": rows})], regions=REGIONS).files[0]
    assert (f.records, f.quarantined) == (4, 0) and f.notices == []
    assert records(ws, "row", "name", "sex", "id_valid", "phone", "category_raw", "community") == [
        (4, "甲一", "男", True, "13800001111", "个体户", "虹苑社区"),
        (5, "乙二", "女", True, "13800001112", "律师", "虹苑社区"),
        (9, "丙三", "男", True, "13800001113", "自由职业者", "玉兰里社区"),
        (10, "丁四", "女", True, "13800001114", "私营企业主", "玉兰里社区")]
    assert dict(ws.query("SELECT row, kind FROM nondata")) == {1: "title", 2: "title", 3: "header", 7: "title", 8: "header", 11: "total"}
    assert f.sheets[0].header_rows == "3, 8"
    accounted(ws)


def test_a_repeated_header_in_the_same_order_is_still_one_table(ws, tmp_path):
    rows = [["姓名", "身份证号", "电话"], ["甲", make_id("19800101", "111"), "13800000001"],
            ["姓名", "身份证号", "电话"], ["乙", make_id("19800102", "112"), "13800000002"]]
    f = ingest(ws, [write_xlsx(tmp_path / "a.xlsx", {"S": rows})], IngestOptions(community="虹苑社区")).files[0]
    assert f.records == 2 and f.sheets[0].header_rows == "1"
    assert dict(ws.query("SELECT row, kind FROM nondata")) == {1: "header", 3: "header_repeat"}


# ============================================================================================ side by side
def _side_by_side(gap: bool) -> list[list]:
    left = [["姓名", "性别", "身份证号", "电话", "类别"],
            ["戊五", "男", make_id("19800201", "121"), "13900001111", "律师"],
            ["己六", "女", make_id("19800202", "122"), "13900001112", "个体户"]]
    right = [["序号", "姓名", "身份证号", "联系电话", "人员类别"],
             ["1", "庚七", make_id("19800203", "123"), "13900001113", "自由职业者"],
             ["2", "辛八", make_id("19800204", "124"), "13900001114", "私营企业主"],
             ["3", "壬九", make_id("19800205", "125"), "13900001115", "网络主播"]]
    blank = [None] * 5
    return [["虹苑社区新的社会阶层人士台账"]] + [
        (left[i] if i < len(left) else blank) + ([None] if gap else []) + right[i] for i in range(len(right))]


@pytest.mark.parametrize("gap", [True, False])
def test_tables_side_by_side_are_each_read(ws, tmp_path, gap):
    f = ingest(ws, [write_xlsx(tmp_path / "并排.xlsx", {"S": _side_by_side(gap)})], regions=REGIONS).files[0]
    right = "G:K" if gap else "F:J"
    assert (f.records, f.quarantined) == (5, 0)
    assert records(ws, "row", "col_range", "name", "phone", "category_raw", "community") == [
        (3, "A:E", "戊五", "13900001111", "律师", "虹苑社区"), (3, right, "庚七", "13900001113", "自由职业者", "虹苑社区"),
        (4, "A:E", "己六", "13900001112", "个体户", "虹苑社区"), (4, right, "辛八", "13900001114", "私营企业主", "虹苑社区"),
        (5, right, "壬九", "13900001115", "网络主播", "虹苑社区")]
    assert raw(ws, "戊五") == {"姓名": "戊五", "性别": "男", "类别": "律师"}  # nothing of the right table
    s = f.sheets[0]
    assert s.rows_total == 10 and s.header_rows == f"A:E 2, {right} 2"  # each table counts its rows
    assert ws.query("SELECT row, kind FROM nondata ORDER BY row, text") == [(1, "title"), (2, "header"), (2, "header")]
    accounted(ws)


# ============================================================================================ forms
def _form(name: str, id_number, unit: str, category: str, community: str | None = "虹苑社区") -> list[list]:
    return [
        ["新的社会阶层代表人士登记表"],
        *([[f"填报单位：{community}　　填报日期：2026年10月15日"]] if community else []),
        ["姓名", name, "性别", "男", "出生年月", "1980.05", "照片"],
        ["民族", "汉族", "籍贯", "江苏南京", "政治面貌", "群众", None],
        ["文化程度", "本科", "身份证号", id_number, None, None, None],
        ["工作单位及职务", unit, None, None, None, None, None],
        ["人员类别", category, None, "联系电话", "13812345678", None, None],
        ["政治安排", "人大代表", "区级", None],
        [None, "政协委员", "市级", None],
        ["工作经历", "起止时间", "工作单位", "职务"],
        [None, "2005.07-2010.06", "南京某公司", "工程师"],
        [None, "2010.07-至今", "南京云帆科技有限公司", "技术总监"],
        [],
        ["填表人：王小二　　填表日期：2026年10月15日"],
    ]


def test_a_registration_form_is_one_record(ws, tmp_path):
    rows = _form("张伟", make_id("19800512", "131"), "南京云帆科技有限公司 技术总监", "民营企业和外商投资企业管理技术人员")
    f = ingest(ws, [write_xlsx(tmp_path / "登记表.xlsx", {"张伟": rows})], regions=REGIONS).files[0]
    assert (f.records, f.quarantined, f.notices) == (1, 0, [])
    got = ws.query("""SELECT sheet, row, name, sex, id_valid, birth_date::VARCHAR, phone, education, political_status, ethnicity,
                             work_unit, position, category_raw, community, street FROM records""")
    assert got == [("张伟", 3, "张伟", "男", True, "1980-05-12", "13812345678", "大学本科", "群众", "汉族",
                    "南京云帆科技有限公司", "技术总监", "民营企业和外商投资企业管理技术人员", "虹苑社区", "赛虹桥街道")]
    cells = raw(ws, "张伟")
    assert cells["籍贯"] == "江苏南京" and cells["政治安排"] == "人大代表 区级；政协委员 市级"
    assert cells["工作经历"] == "起止时间 工作单位 职务；2005.07-2010.06 南京某公司 工程师；2010.07-至今 南京云帆科技有限公司 技术总监"
    kinds = dict(ws.query("SELECT row, kind FROM nondata"))
    assert kinds == {1: "title", 2: "context", **{r: "form" for r in range(4, 13)}, 14: "signature"}
    assert f.sheets[0].header_rows == "登记表" and f.sheets[0].reason == "登记表1份"
    accounted(ws)


def test_one_form_per_file_and_an_id_typed_as_a_number(ws, tmp_path):
    folder = tmp_path / "代表人士"
    folder.mkdir()
    ids = [make_id("19700101", "111"), make_id("19710202", "222"), make_id("19720303", "334")]
    for i, (name, idn) in enumerate(zip(["周一", "吴二", "郑三"], ids, strict=True)):
        rows = _form(name, idn if i != 2 else None, "南京同明律师事务所 律师", "中介组织从业人员", None)
        write_xlsx(folder / f"{name}.xlsx", {"登记表": rows}, numeric_cells={("登记表", 3, 3): float(idn[:15] + "000")} if i == 2 else None)
    result = ingest(ws, [folder], IngestOptions(community="玉兰里社区"), regions=REGIONS)
    assert [(f.path, f.records) for f in result.files] == [("吴二.xlsx", 1), ("周一.xlsx", 1), ("郑三.xlsx", 1)]
    assert records(ws, "name", "row", "id_valid", "id_code", "work_unit", "position", "community") == [
        ("吴二", 2, True, None, "南京同明律师事务所", "律师", "玉兰里社区"),
        ("周一", 2, True, None, "南京同明律师事务所", "律师", "玉兰里社区"),
        ("郑三", 2, False, "id.precision_lost", "南京同明律师事务所", "律师", "玉兰里社区")]
    accounted(ws)


def test_forms_one_under_another_each_with_its_community(ws, tmp_path):
    rows = (_form("钱多多", make_id("19850301", "222"), "南京同明律师事务所 律师", "中介组织从业人员") + [[]]
            + _form("孙小小", make_id("19860301", "224"), "南京星云科技有限公司工程师", "", "翠竹园社区"))
    f = ingest(ws, [write_xlsx(tmp_path / "采集表.xlsx", {"采集表": rows})], regions=REGIONS).files[0]
    assert f.records == 2 and f.sheets[0].reason == "登记表2份"
    assert records(ws, "row", "name", "work_unit", "position", "category_raw", "community") == [
        (3, "钱多多", "南京同明律师事务所", "律师", "中介组织从业人员", "虹苑社区"),
        (18, "孙小小", "南京星云科技有限公司", "工程师", None, "翠竹园社区")]
    assert ws.query("SELECT kind FROM nondata WHERE row IN (16, 17) ORDER BY row") == [("title",), ("context",)]
    accounted(ws)


def test_a_plain_table_is_not_a_form():
    """A header with other columns between the known ones, a unit line above it: still a table."""
    rows = [["单位名称", "南京云帆科技有限公司", "单位性质", "民营科技企业"],
            ["姓名", "籍贯", "性别", "毕业院校", "身份证号", "专业", "职务"],
            ["甲", "江苏", "男", "南大", make_id("19800101", "111"), "计算机", "工程师"]]
    cells = pd.DataFrame({j: pd.array([r[j] if j < len(r) else None for r in rows], dtype="string") for j in range(7)})
    assert not looks_like_forms(cells, load_schemas().fields)


@pytest.mark.parametrize("text,unit,position", [
    ("南京云帆科技有限公司 技术总监", "南京云帆科技有限公司", "技术总监"),
    ("南京云帆科技有限公司总经理", "南京云帆科技有限公司", "总经理"),
    ("江苏同明律师事务所、合伙人", "江苏同明律师事务所", "合伙人"),
    ("雨花台区云星小吃店店主", "雨花台区云星小吃店", "店主"),
    ("自由职业", "自由职业", None),
])
def test_unit_and_position_in_one_cell(text, unit, position):
    assert split_unit_position(text) == (unit, position)


# ============================================================================================ templates
def test_a_filled_in_templates_hint_and_example_rows_are_not_data(ws, tmp_path):
    rows = [["新的社会阶层人士信息登记表（模板）"],
            ["序号", "姓名", "性别", "身份证号", "联系电话", "出生日期", "人员类别"],
            ["（必填）", "（必填）", "男/女", "18位", "11位手机号", "格式：YYYY-MM-DD", "请从下拉列表选择"],
            ["例", "王某", "男", make_id("19900307", "123"), "13800138000", "1990-03-07", "个体工商户"],
            ["示例2", "李四", "女", "320114199001011234", "13900000000", "1990-01-01", "律师"],
            ["", "张三", "男", "110101199003071234", "13800000000", "1990-03-07", "个体工商户"],
            ["1", "张三", "男", make_id("19850312", "123"), "13812345678", "1985-03-12", "私营企业主"],
            ["2", "刘德", "男", make_id("19860101", "125"), "13812345679", "1986-01-01", "律师"]]
    f = ingest(ws, [write_xlsx(tmp_path / "虹苑社区台账.xlsx", {"S": rows})], regions=REGIONS).files[0]
    assert (f.records, f.quarantined) == (2, 0)
    assert records(ws, "row", "name") == [(7, "张三"), (8, "刘德")]  # a real 张三 with a valid ID is a person
    assert dict(ws.query("SELECT row, kind FROM nondata")) == {1: "title", 2: "header", 3: "hint", 4: "example", 5: "example",
                                                               6: "example"}
    accounted(ws)


@given(st.dates(min_value=date(1940, 1, 1), max_value=date(2005, 12, 31)),
       st.integers(1, 999), st.text(alphabet="王李张刘陈杨赵黄周吴伟芳娜敏静丽强磊军洋", min_size=2, max_size=3),
       st.lists(st.text(max_size=8), max_size=4))
def test_a_row_with_a_valid_id_is_neither_a_hint_nor_an_example(birth, seq, name, others):
    id_number = make_id(birth.strftime("%Y%m%d"), f"{seq:03d}")
    row = ["1", name, id_number, *others]
    assert not made_up_id(id_number) and not is_hint_row(row) and name not in TEXTBOOK_NAMES
    assert not is_example_row(row, {"seq": 0, "name": 1, "id_number": 2})


# ============================================================================================ what no header explains
def test_data_above_the_header_is_quarantined_and_said(ws, tmp_path):
    rows = [["虹苑社区台账"], ["王五", make_id("19800101", "555"), "13800005555"], ["姓名", "身份证号", "联系电话"],
            ["赵六", make_id("19800102", "556"), "13800005556"]]
    f = ingest(ws, [write_xlsx(tmp_path / "a.xlsx", {"S": rows})], regions=REGIONS).files[0]
    assert (f.records, f.quarantined) == (1, 1)
    assert records(ws, "row", "status", "reason", "name") == [(2, "quarantined", "row.unexplained", "王五"),
                                                               (4, "record", None, "赵六")]
    assert len(f.notices) == 1 and "第2行" in f.notices[0] and "表头之上" in f.notices[0]
    accounted(ws)


def test_a_sheet_of_data_without_a_header_is_quarantined_and_an_instructions_sheet_skipped(ws, tmp_path):
    names = [["王大", make_id("19700101", "111"), "13811112222", "某公司"], ["李二", make_id("19700102", "112"), "13811112223", "某厂"]]
    sheets = {"台账": [["姓名", "身份证号"], ["赵六", make_id("19800102", "556")]], "名单": names,
              "说明": [["填表说明"], ["请认真填写，身份证号请用文本格式"]]}
    f = ingest(ws, [write_xlsx(tmp_path / "虹苑社区.xlsx", sheets)], regions=REGIONS).files[0]
    assert f.status == "ingested" and (f.records, f.quarantined) == (1, 2)
    assert [(s.sheet, s.status) for s in f.sheets] == [("台账", "read"), ("名单", "quarantined"), ("说明", "skipped")]
    assert ws.query("SELECT row, r.reason, raw_cells(raw, sh.raw_keys) FROM records r JOIN sheets sh USING (source_id, sheet) "
                    "WHERE r.sheet = '名单' ORDER BY row") == [(1, "row.no_header", {"列A": "王大", "列D": "某公司"}),
                                                               (2, "row.no_header", {"列A": "李二", "列D": "某厂"})]
    # the columns of ID and mobile numbers are kept as such, so that exports mask them
    assert ws.query("SELECT id_raw, phone_raw FROM records WHERE sheet = '名单' ORDER BY row") == [
        (names[0][1], names[0][2]), (names[1][1], names[1][2])]
    assert any("“名单”有2行数据" in n and "找不到表头" in n for n in f.notices)
    assert ws.query("SELECT code, count(*) FROM issues WHERE severity = 'quarantine' GROUP BY ALL") == [("row.no_header", 2)]
    accounted(ws)


def test_a_file_of_data_without_any_header_is_ingested_quarantined(ws, tmp_path):
    p = write_csv(tmp_path / "导出.csv", [["王大", make_id("19700101", "111"), "13811112222"]])
    f = ingest(ws, [p]).files[0]
    assert f.status == "ingested" and (f.records, f.quarantined) == (0, 1) and f.notices


def test_a_sheet_whose_every_row_is_quarantined_says_so(ws, tmp_path):
    rows = [["姓名", "身份证号", "联系电话", "工作单位"], ["孤零零", None, None, None], [None, None, "13800001111", "某公司"]]
    f = ingest(ws, [write_xlsx(tmp_path / "a.xlsx", {"S": rows})], IngestOptions(community="虹苑社区")).files[0]
    assert (f.records, f.quarantined) == (0, 2)
    assert any("“S”的2行数据全部隔离" in n for n in f.notices)


# ============================================================================================ what worked before
def test_wenjuanxing_and_tencent_exports(ws, tmp_path):
    wjx = [["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、您的姓名：", "2、您的性别：", "3、您的手机号码：",
            "4、您所在的社区：", "5、您属于以下哪一类："],
           ["1", "2026/4/18 08:00:00", "80秒", "微信", "N/A", "127.0.0.1(本地)", "刘一", "男", "13900001234", "虹苑社区", "自由职业人员"],
           ["2", "2026/4/18 08:05:00", "95秒", "手机提交", "N/A", "127.0.0.1(本地)", "陈二", "女", "13900001235", "玉兰里社区", "新媒体从业人员"]]
    a = write_xlsx(tmp_path / "问卷星导出.xlsx", {"Sheet1": wjx})
    b = write_csv(tmp_path / "问卷星导出.csv", wjx, encoding="gb18030")
    c = tmp_path / "腾讯问卷.csv"
    c.write_text('"编号","开始答题时间","结束答题时间","答题时长","地理位置国家和地区","1.您的姓名","2.您的手机号","3.您所在的社区",\n'
                 '"1","2026-04-18 08:00:00","2026-04-18 08:01:20","80","中国","黄三","13600001111","虹苑社区",\n',
                 encoding="utf-8-sig")
    result = ingest(ws, [a, b, c], IngestOptions(kind="questionnaire"), regions=REGIONS)
    assert [f.records for f in result.files] == [2, 2, 1]
    assert records(ws, "name", "sex", "phone", "community", "category_raw") == [
        ("刘一", "男", "13900001234", "虹苑社区", "自由职业人员"), ("陈二", "女", "13900001235", "玉兰里社区", "新媒体从业人员"),
        ("刘一", "男", "13900001234", "虹苑社区", "自由职业人员"), ("陈二", "女", "13900001235", "玉兰里社区", "新媒体从业人员"),
        ("黄三", None, "13600001111", "虹苑社区", None)]
    accounted(ws)


def test_merged_community_cells_a_table_not_at_a1_hidden_rows_and_ids_with_apostrophes(ws, tmp_path):
    p = tmp_path / "信息采集表.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    sh = wb.add_worksheet("采集表")
    sh.write_row(2, 2, ["街道", "社区", "姓名", "身份证号", "联系电话"])
    people = [("甲", make_id("19800101", "111")), ("乙", make_id("19800102", "112")), ("丙", make_id("19800103", "113")),
              ("丁", make_id("19800104", "114"))]
    for i, (name, idn) in enumerate(people):
        sh.write_row(3 + i, 4, [name, ("'" + idn) if i == 1 else idn, f"1380000000{i}"])
    sh.merge_range(3, 2, 6, 2, "雨花街道")
    sh.merge_range(3, 3, 4, 3, "康盛花园社区")
    sh.merge_range(5, 3, 6, 3, "翠竹园社区")
    sh.set_row(5, None, None, {"hidden": True})
    wb.close()
    f = ingest(ws, [p], regions=REGIONS).files[0]
    assert f.records == 4 and f.sheets[0].header_rows == "3"
    assert records(ws, "row", "name", "id_valid", "street", "community") == [
        (4, "甲", True, "雨花街道", "康盛花园社区"), (5, "乙", True, "雨花街道", "康盛花园社区"),
        (6, "丙", True, "雨花街道", "翠竹园社区"), (7, "丁", True, "雨花街道", "翠竹园社区")]
    accounted(ws)


def test_a_workbook_of_every_layout_at_once(ws, tmp_path):
    """Stacked blocks, tables side by side and a form in one workbook: each sheet read its own way."""
    blocks = [["虹苑社区"], ["姓名", "身份证号", "电话"], ["甲", make_id("19800101", "111"), "13800000001"], [],
              ["玉兰里社区"], ["电话", "姓名", "身份证号"], ["13800000002", "乙", make_id("19800102", "112")]]
    sheets = {"分块": blocks, "并排": _side_by_side(True),
              "登记表": _form("张伟", make_id("19800512", "131"), "南京云帆科技有限公司 技术总监", "民营企业管理技术人员")}
    f = ingest(ws, [write_xlsx(tmp_path / "合集.xlsx", sheets)], regions=REGIONS).files[0]
    assert f.records == 2 + 5 + 1 and f.quarantined == 0
    assert dict(ws.query("SELECT name, community FROM records WHERE sheet = '分块'")) == {"甲": "虹苑社区", "乙": "玉兰里社区"}
    accounted(ws)

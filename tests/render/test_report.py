"""The report workbook on the demo district: every number equals the library's tallies, the charts draw the
tables' cells, suppression holds, and layouts are validated with key paths."""

from __future__ import annotations

import json
import re
import statistics
from datetime import date

import openpyxl
import pytest

from census import Workspace, crosstab, ingest, link, narrative, tally
from census.config import load_file, load_layout, validate_layout
from census.errors import SchemaError, UsageError
from census.issues import CODES
from census.render import build_report, write_table_workbook
from census.render.rows import Grid, footnote
from census.tables.suppress import recoverable

from ..conftest import EXAMPLES, ROOT, demo_copy

AS_OF = date(2026, 10, 15)
SHEETS = ["摘要", "按类别", "街道×类别", "社区", "结构", "代表人士", "数据质量", "覆盖情况"]
HEADER_FILL = "FFDDEBF7"
TRUTH = json.loads((EXAMPLES / "truth" / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ws(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "report")
    yield w
    w.close()


@pytest.fixture(scope="module")
def report(ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "报告.xlsx"
    result = build_report(ws, out, as_of=AS_OF)
    return result, openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def suppressed(ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("out5") / "报告_公开.xlsx"
    result = build_report(ws, out, as_of=AS_OF, suppress=5)
    return result, openpyxl.load_workbook(out)


def tables(sheet) -> list[tuple[list, list[tuple[list, str]]]]:
    """The tables of a sheet, found by their filled header rows: (header, [(cells, style)]) where style is
    "total" for the bold 合计 row, "subtotal" for italic 小计 rows, "" otherwise; the table ends at 合计. A header
    row repeated inside a table (after a page break) continues it."""
    out = []
    current = None
    for row in sheet.iter_rows():
        first = row[0]
        if first.fill is not None and first.fill.fgColor is not None and first.fill.fgColor.rgb == HEADER_FILL:
            header = [c.value for c in row if c.value is not None]
            if current is not None and header == current[0]:
                continue
            current = (header, [])
            out.append(current)
            continue
        if current is None or first.value is None:
            current = None if first.value is None else current
            continue
        cells = [c.value for c in row[: len(current[0])]]
        style = "total" if first.font.b else ("subtotal" if any(c.font.i for c in row[: len(current[0])]) else "")
        current[1].append((cells, style))
        if cells[0] == "合计":
            current = None
    return out


def table(sheet, index: int = 0):
    return tables(sheet)[index]


# ------------------------------------------------------------------------------------------------ the sheets
def test_sheet_names_in_order(report):
    result, wb = report
    assert wb.sheetnames == SHEETS == result.sheets


def test_summary_title_narratives_and_figures(report, ws):
    result, wb = report
    sh = wb["摘要"]
    assert sh["A1"].value == "雨花台区新的社会阶层人士统计报告（2026年）"
    values = [c.value for row in sh.iter_rows() for c in row if c.value is not None]
    assert narrative(ws, "current4") in values
    assert narrative(ws, "legacy6") in values
    t = tally(ws, "current4", ["category"])
    header, rows = table(sh)
    figures = {cells[0]: cells[1] for cells, _ in rows}
    assert figures["新的社会阶层人士（现行四类）"] == t.total
    assert figures["新的社会阶层人士（2001年六类）"] == tally(ws, "legacy6").total
    assert figures["非公有制经济人士"] == t.outside_total["非公有制经济人士"]
    assert (figures["待核实"], figures["不属于统计范围"]) == (t.unresolved, t.excluded)
    assert figures["人员总数（去重后）"] == ws.scalar("SELECT count(*) FROM persons")
    assert figures["来源记录数"] == ws.scalar("SELECT count(*) FROM records WHERE status = 'record'") == TRUTH["rows"]
    reps = tally(ws, "current4", ["representative"]).to_dict()["rows"]
    assert figures["代表人士"] == sum(r["count"] for r in reps if r["representative"] == "代表人士")
    assert result.numbers["摘要"]["figures"] == figures


def test_by_category_equals_tally(report, ws):
    result, wb = report
    t = tally(ws, "current4", ["category"], as_of=AS_OF, percent="total").to_dict()
    header, rows = table(wb["按类别"])
    assert header == ["类别", "人数", "占比（%）"]
    body = {cells[0]: (cells[1], cells[2]) for cells, style in rows if style == ""}
    assert list(body) == ["民营企业和外商投资企业管理技术人员", "中介组织和社会组织从业人员", "自由职业人员", "新媒体从业人员"]
    assert {k: n for k, (n, _) in body.items() if n} == {r["category"]: r["count"] for r in t["rows"]}
    assert {k: p for k, (n, p) in body.items() if n} == {r["category"]: r["percent"] for r in t["rows"]}
    assert rows[-1] == (["合计", t["total"], 100], "total")
    assert all(isinstance(n, int) for n, _ in body.values())
    # the demo district's truth, within what linking can miss
    truth = TRUTH["current4"]["total"]
    assert abs(t["total"] - truth) <= 0.02 * truth
    foot = footnote(t["outside_total"], t["unresolved"], t["excluded"])
    assert foot in [c.value for row in wb["按类别"].iter_rows() for c in row]
    assert result.numbers["按类别"]["total"] == t["total"]


def test_street_by_category_every_cell_and_margin(report, ws):
    _, wb = report
    ct = crosstab(ws, "current4", "street", "category", as_of=AS_OF).to_dict()
    header, rows = table(wb["街道×类别"])
    assert header == ["街道", *ct["columns"], "合计"]
    leaves = [cells for cells, style in rows if style == ""]
    assert [c[0] for c in leaves] == [r["street"] for r in ct["rows"]] == ["雨花街道", "赛虹桥街道", "西善桥街道", "板桥街道", "铁心桥街道"]
    for cells, r in zip(leaves, ct["rows"], strict=True):
        assert cells[1:-1] == [r["cells"][c] for c in ct["columns"]]
        assert cells[-1] == r["total"] == sum(cells[1:-1])
    total_row = rows[-1][0]
    assert total_row == ["合计", *(ct["column_totals"][c] for c in ct["columns"]), ct["total"]]
    assert ct["total"] == tally(ws, "current4").total


def test_community_sheet_lists_every_register_community(report, ws):
    _, wb = report
    ct = crosstab(ws, "current4", "community", "category", as_of=AS_OF).to_dict()
    by_street = crosstab(ws, "current4", "street", "category", as_of=AS_OF).to_dict()
    header, rows = table(wb["社区"])
    assert header == ["街道", "社区", *ct["columns"], "合计"]
    register = ws.query("SELECT street, name FROM regions WHERE level = 'community' ORDER BY code")
    listed = [(c[0], c[1]) for c, style in rows if style == ""]
    assert [x for x in listed if x[1] != "未知"] == register  # every community, register order, even the empty ones
    wide = {r["community"]: r for r in ct["rows"]}
    for cells, style in rows:
        if style == "" and cells[1] != "未知":
            assert cells[2:-1] == [wide[cells[1]]["cells"][c] for c in ct["columns"]]
            assert cells[-1] == wide[cells[1]]["total"]
    subtotals = {cells[0]: cells[2:] for cells, style in rows if style == "subtotal"}
    for r in by_street["rows"]:
        assert subtotals[r["street"]] == [*(r["cells"][c] for c in by_street["columns"]), r["total"]]
    assert rows[-1][0][2:] == [*(ct["column_totals"][c] for c in ct["columns"]), ct["total"]]


def test_structure_tables_equal_tallies(report, ws):
    result, wb = report
    found = tables(wb["结构"])
    assert [h[0] for h, _ in found] == ["性别", "年龄段", "学历", "政治面貌", "党派"]
    for (header, rows), dim in zip(found, ["sex", "age_band", "education", "political_status", "party"], strict=True):
        assert header[1:] == ["人数", "占比（%）"]
        t = tally(ws, "current4", [dim], as_of=AS_OF, percent="total").to_dict()
        shown = {cells[0]: (cells[1], cells[2]) for cells, style in rows if style == "" and cells[1]}
        assert shown == {r[dim]: (r["count"], r["percent"]) for r in t["rows"]}
        assert rows[-1][0][:2] == ["合计", t["total"]]
        assert result.numbers["结构"][dim]["total"] == t["total"]
    ages = [cells[0] for cells, style in found[1][1] if style == ""]
    assert ages[:5] == ["<30", "30-39", "40-49", "50-59", "≥60"]


def test_representatives_by_category_and_street(report, ws):
    result, wb = report
    (h1, by_cat), (h2, by_street), (h3, by_arrangement) = tables(wb["代表人士"])
    assert h1 == ["类别", "代表人士", "占比（%）"] and h2 == ["街道", "代表人士", "占比（%）"]
    # category × political arrangement: a person holding two is counted under each, the 合计 column counts persons
    ct = crosstab(ws, "current4", "category", "arrangement", {"representative": "代表人士"}, as_of=AS_OF)
    assert h3 == ["类别", *ct.col_values, "合计"]
    assert {c[0]: c[1:] for c, s in by_arrangement if s == ""} == {
        r: [ct.value(r, c) for c in ct.col_values] + [ct.row_totals[r]] for r in ct.row_values}
    assert result.numbers["代表人士"]["arrangement"] == ct.to_dict()
    where = {"representative": "代表人士"}
    for rows, dim in ((by_cat, "category"), (by_street, "street")):
        t = tally(ws, "current4", [dim], where, as_of=AS_OF).to_dict()
        assert {c[0]: c[1] for c, s in rows if s == "" and c[1]} == {r[dim]: r["count"] for r in t["rows"]}
        assert rows[-1][0][1] == t["total"] == result.numbers["代表人士"]["total"]
    line = f"新的社会阶层代表人士共{result.numbers['代表人士']['total']}名。"
    assert line in [c.value for row in wb["代表人士"].iter_rows() for c in row]


def test_quality_sheet(report, ws):
    result, wb = report
    sources, quarantined, issues, people = tables(wb["数据质量"])
    assert sources[0] == ["文件", "类型", "数据行", "记录", "隔离行", "警告"]
    files = [c for c, s in sources[1] if s == ""]
    assert len(files) == ws.scalar("SELECT count(*) FROM sources")
    total = sources[1][-1][0]
    assert total[2:] == [sum(f[i] for f in files) for i in range(2, 6)]
    assert total[3] == TRUTH["rows"] and total[4] == ws.scalar("SELECT count(*) FROM records WHERE status = 'quarantined'")
    # quarantine reasons and issues by their Chinese titles, never by code
    assert quarantined[0] == ["隔离原因", "行数"] and issues[0] == ["数据问题", "级别", "条数"]
    assert {c[0]: c[1] for c, s in quarantined[1] if s == ""} == {
        CODES[code].title: n for code, n in ws.query("SELECT reason, count(*) FROM records WHERE status = 'quarantined' GROUP BY ALL")}
    titles = {c[0]: (c[1], c[2]) for c, s in issues[1] if s == ""}
    assert titles["身份证号校验位错误"] == ("错误", ws.scalar("SELECT count(*) FROM issues WHERE code = 'id.checksum'"))
    assert sum(n for _, n in titles.values()) == issues[1][-1][0][2] == result.numbers["数据质量"]["issues"]["id.checksum"] + sum(
        n for code, n in result.numbers["数据质量"]["issues"].items() if code != "id.checksum")
    facts = {c[0]: c[1] for c, _ in people[1]}
    assert facts["无有效身份证号的人员"] == ws.scalar("SELECT count(*) FROM persons WHERE NOT has_valid_id")
    assert facts["类别待核实的人员"] == tally(ws).unresolved
    assert facts["关联结果是否最新"] == "是"
    assert result.numbers["数据质量"]["conflicts"] == facts["待核查：信息冲突（项）"]


def test_no_english_codes_or_command_lines_on_any_sheet(report, suppressed):
    """Every text on every sheet is Chinese: no issue code (id.checksum), no internal name (current4,
    community_ledger), no command line (census review …)."""
    codes = re.compile(r"\b(?:[a-z_]+\.[a-z_0-9]+|current4|legacy6|[a-z]+_[a-z_]+)\b|census ")
    for _, wb in (report, suppressed):
        for sheet in wb:
            for row in sheet.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str):
                        text = re.sub(r"[\w/（）()\-]*\.(?:xlsx|xls|csv|sav)", "", v)  # file names are as the office named them
                        assert not codes.search(text), (sheet.title, v)


def test_coverage_equals_tally_and_flags_communities(report, ws):
    result, wb = report
    header, rows = table(wb["覆盖情况"])
    assert header[:6] == ["街道", "街道代码", "社区（村）", "社区代码", "城乡分类", "新的社会阶层人士"]
    assert "非公有制经济人士" in header and "补查建议" in header
    leaves = [c for c, s in rows if s == ""]
    register = ws.query("""SELECT s.name, s.code, c.name, c.code FROM regions c JOIN regions s ON s.code = c.parent_code
                           WHERE c.level = 'community' ORDER BY s.code, c.code""")
    assert [tuple(c[:4]) for c in leaves] == [tuple(r) for r in register]
    counts = {(r["street"], r["community"]): r["count"] for r in tally(ws, "current4", ["street", "community"]).to_dict()["rows"]}
    advice = header.index("补查建议")
    for c in leaves:
        assert c[5] == counts.get((c[0], c[2]), 0)
        median = statistics.median(x[5] for x in leaves if x[0] == c[0])
        assert (c[advice] == "补查") == (c[5] == 0 or c[5] < median / 2)
    assert any(c[advice] == "补查" for c in leaves)
    assert rows[-1][0][5] + result.numbers["覆盖情况"]["unplaced"] == tally(ws).total


def test_charts_reference_the_tables(report):
    _, wb = report
    sh = wb["街道×类别"]
    assert sh._charts
    series = sh._charts[0].series
    assert len(series) == 4
    assert series[0].val.numRef.f == "'街道×类别'!$B$3:$B$7"
    assert series[0].cat.strRef.f == "'街道×类别'!$A$3:$A$7"
    assert sh._charts[0].grouping == "stacked"
    st = wb["结构"]
    assert st._charts
    header_row = next(r for r in st.iter_rows() if r[0].value == "学历")[0].row
    assert st._charts[0].series[0].val.numRef.f.startswith(f"结构!$B${header_row + 1}:")


def test_formatting(report):
    _, wb = report
    sh = wb["街道×类别"]
    assert sh["A1"].font.b and sh["A1"].font.sz == 14 and "A1:F1" in {str(r) for r in sh.merged_cells.ranges}
    assert sh["A2"].font.b and sh["A2"].border.left.style == "thin" and sh["A2"].value == "街道"
    assert sh.freeze_panes == "B3"
    assert sh.page_setup.paperSize == 9  # A4; orientation, scale and breaks: tests/render/test_print.py
    assert sh.print_title_rows == "$1:$2"
    assert sh.column_dimensions["A"].width >= 10
    community = wb["社区"]
    subtotal = next(r for r in community.iter_rows() if r[1].value == "小计")
    assert subtotal[1].font.i and not subtotal[1].font.b
    total = next(r for r in community.iter_rows() if r[0].value == "合计")
    assert total[0].font.b and isinstance(total[2].value, int)


# ------------------------------------------------------------------------------------------------ suppression
def _sums(kind: str, rows: list[tuple[list, str]], labels: int, width: int) -> tuple[list, list[list[int]]]:
    """The leaf cells of a published table and the sums it publishes (as lists of leaf indices)."""
    leaves = [(i, j) for i, (cells, style) in enumerate(rows) if style == "" for j in range(labels, labels + width)]
    pos = {k: n for n, k in enumerate(leaves)}
    values = [rows[i][0][j] for i, j in leaves]
    sums = [list(range(len(leaves)))]
    if kind == "grid":
        leaf_rows = sorted({i for i, _ in leaves})
        sums += [[pos[i, j] for j in range(labels, labels + width)] for i in leaf_rows]
        sums += [[pos[i, j] for i in leaf_rows] for j in range(labels, labels + width)]
        groups: dict = {}
        for i in leaf_rows:
            groups.setdefault(rows[i][0][0], []).append(i)
        if labels == 2:  # the community table's 小计 rows
            sums += [[pos[i, j] for i in members] for members in groups.values() for j in range(labels, labels + width)]
            sums += [[pos[i, j] for i in members for j in range(labels, labels + width)] for members in groups.values()]
    return values, sums


def test_suppress_hides_small_cells_unrecoverably(suppressed, report):
    _, wb = suppressed
    _, plain = report
    checked = 0
    for name in SHEETS[1:6]:
        # the 代表人士 sheet's last table (category × arrangement) counts a person under each arrangement they hold:
        # its cells do not add up to its margins, so it takes primary suppression alone
        published = slice(0, 2) if name == "代表人士" else slice(None)
        for (header, rows), (_, true_rows) in zip(tables(wb[name])[published], tables(plain[name])[published], strict=True):
            grid = name in ("街道×类别", "社区")
            labels = 2 if name == "社区" else 1
            width = len(header) - labels - 1 if grid else 1
            values, sums = _sums("grid" if grid else "long", rows, labels, width)
            truth, _ = _sums("grid" if grid else "long", true_rows, labels, width)
            hidden = {k for k, v in enumerate(values) if isinstance(v, str)}
            assert all(v == 0 or v >= 5 for v in values if not isinstance(v, str))
            for k in hidden:
                assert values[k] in ("<5", "×")
                assert (0 < truth[k] < 5) == (values[k] == "<5")
            assert recoverable(hidden, sums, len(values)) == set(), (name, header)
            checked += len(hidden)
            if not grid:  # a hidden count has no percentage either
                assert all(cells[2] is None for cells, s in rows if s == "" and isinstance(cells[1], str))
    assert checked > 0
    margins = [c for c, s in tables(wb["街道×类别"])[0][1] if s == "total"][0]
    assert margins == [c for c, s in tables(plain["街道×类别"])[0][1] if s == "total"][0]  # totals stay true


# ------------------------------------------------------------------------------------------------ layouts
def test_default_layout_is_valid_and_checked_by_schema_check():
    layout = load_layout()
    assert [s.name for s in layout.sheets] == [*SHEETS, "年度变化"]  # the changes sheet: only with an earlier round
    kind, _ = load_file(ROOT / "schemas" / "reports" / "default.yaml")
    assert kind == "layout"


@pytest.mark.parametrize(("text", "where"), [
    ("sheets:\n  - {name: 摘要, kind: narrative}\n  - {name: 表, kind: tally, by: [category, bogus]}\n", "sheets/1/by/1"),
    ("sheets:\n  - {name: 街道, kind: crosstab, rows: street}\n", "sheets/0/cols"),
    ("sheets:\n  - {name: 表, kind: pivot}\n", "sheets/0/kind"),
    ("sheets:\n  - {name: 表, kind: tally}\n  - {name: 表, kind: quality}\n", "sheets/1/name"),
    ("sheets:\n  - {name: 结构, kind: structure, chart: {type: pie, by: category}}\n", "sheets/0/chart/by"),
    ("sheets:\n  - {name: 'a/b', kind: quality}\n", "sheets/0/name"),
    ("title: '{district}{month}'\nsheets:\n  - {name: 摘要, kind: narrative}\n", "title"),
    ("sheets:\n  - {name: 摘要, kind: narrative, colour: red}\n", "sheets/0/colour"),
])
def test_layout_errors_name_the_key_path(ws, tmp_path, text, where):
    bad = tmp_path / "layout.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=re.escape(f"{bad}：{where}：")):
        build_report(ws, tmp_path / "r.xlsx", layout=bad)
    assert not (tmp_path / "r.xlsx").exists()
    with pytest.raises(SchemaError, match=f"{where}："):
        load_file(bad)


def test_custom_layout_nested_tally_with_chart(ws, tmp_path):
    layout = tmp_path / "layout.yaml"
    layout.write_text(
        "title: '{district}{year}年简报'\n"
        "sheets:\n"
        "  - {name: 简报, kind: narrative}\n"
        "  - {name: 街道分类, kind: tally, by: [street, category], title: '{district}（{scheme}）'}\n"
        "  - {name: 学历, kind: tally, by: [education], chart: {type: pie}}\n",
        encoding="utf-8")
    result = build_report(ws, tmp_path / "简报.xlsx", scheme="legacy6", as_of=AS_OF, layout=layout)
    wb = openpyxl.load_workbook(tmp_path / "简报.xlsx")
    assert wb.sheetnames == result.sheets == ["简报", "街道分类", "学历"]
    assert wb["简报"]["A1"].value == "雨花台区2026年简报"
    assert wb["街道分类"]["A1"].value == "雨花台区（新的社会阶层人士（2001年六类））"
    header, rows = table(wb["街道分类"])
    t = tally(ws, "legacy6", ["street", "category"], as_of=AS_OF)
    assert header == ["街道", "类别", "人数", "占比（%）"]
    assert {(c[0], c[1]): c[2] for c, s in rows if s == ""} == {(r["street"], r["category"]): r["count"] for r in t.rows}
    assert {c[0]: c[2] for c, s in rows if s == "subtotal"} == {k[0]: v for k, v in t.subtotals.items() if len(k) == 1}
    assert rows[-1][0][2] == t.total
    assert wb["学历"]._charts


def test_bad_arguments(ws, tmp_path):
    with pytest.raises(UsageError, match="--scheme"):
        build_report(ws, tmp_path / "r.xlsx", scheme="nine")
    with pytest.raises(UsageError, match=r"\.xlsx.*\.docx"):
        build_report(ws, tmp_path / "r.csv")
    with pytest.raises(UsageError, match="不存在"):
        build_report(ws, tmp_path / "missing" / "r.xlsx")
    with pytest.raises(UsageError, match="至少为2"):
        build_report(ws, tmp_path / "r.xlsx", suppress=1)


def test_validate_layout_returns_the_model():
    layout = validate_layout({"sheets": [{"name": "摘要", "kind": "narrative"}]}, "inline")
    assert layout.sheets[0].kind == "narrative" and "{district}" in layout.title
    with pytest.raises(SchemaError, match="inline：sheets：至少要有 1 项"):
        validate_layout({"sheets": []}, "inline")


def test_write_table_workbook_numbers_are_numbers(tmp_path):
    path = tmp_path / "t.xlsx"
    write_table_workbook(path, "标题", Grid(["街道", "类别", "人数"],
                                            [(["雨花街道", "自由职业人员", 12], ""), (["雨花街道", "小计", 12], "subtotal"),
                                             (["合计", "", 12], "total")], foot="脚注", label_columns=2))
    sh = openpyxl.load_workbook(path)["统计表"]
    assert sh["A1"].value == "标题" and sh["B2"].value == "类别" and sh["B4"].font.i and sh["A5"].font.b
    assert sh["C3"].value == 12 and sh.freeze_panes == "C3" and sh["A6"].value == "脚注"


def test_small_workspace_without_register(tmp_path):
    """No region register, one ledger: every sheet is still written, the coverage list is empty."""
    from ..conftest import ledger_rows, write_xlsx

    ledger = write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})
    with Workspace(tmp_path / "small.duckdb") as w:
        ingest(w, [ledger])
        link(w)
        result = build_report(w, tmp_path / "r.xlsx", as_of=AS_OF, suppress=3)
        t = tally(w)
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == SHEETS
    assert wb["摘要"]["A1"].value == "新的社会阶层人士统计报告（2026年）"
    assert result.numbers["按类别"]["total"] == t.total == 3
    assert result.numbers["覆盖情况"]["rows"] == [] and result.numbers["覆盖情况"]["unplaced"] == 3
    _, rows = table(wb["社区"])
    assert rows[-1][0][-1] == 3


def test_a_failure_leaves_no_half_written_workbook(ws, tmp_path, monkeypatch):
    import census.render.report as report_module

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setitem(report_module._WRITERS, "quality", broken)
    with pytest.raises(RuntimeError):
        build_report(ws, tmp_path / "r.xlsx", as_of=AS_OF)
    assert not (tmp_path / "r.xlsx").exists()

"""The written report (.docx) on the demo district: read back with python-docx, every number in its tables and
sentences equals the tally JSON of the command line; laid out as GB/T 9704 asks (A4, 37/35/28/26 mm, 22 lines of
28 characters, the named fonts through w:eastAsia, "— 1 —" page numbers); printed by LibreOffice, each table
stands on one page with its caption."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from census.cli import main
from census.render import DocumentResult, build_report, official
from census.render.document import age_words

from ..conftest import demo_copy
from .pdf import needs_office, page_texts, squeeze, to_pdf

AS_OF = "2026-10-15"
SECTIONS = ["一、总体情况", "二、分类情况", "三、分布情况", "四、结构情况", "五、代表人士", "六、统计方法说明"]


@pytest.fixture(scope="module")
def written(demo_linked, tmp_path_factory):
    """The demo district's written report, and the workspace file (closed, for the command line to read)."""
    w = demo_copy(demo_linked, tmp_path_factory, "document")
    db = Path(w.path)
    out = db.parent / "2026年新阶层人士统计报告.docx"
    result = build_report(w, out, as_of=date.fromisoformat(AS_OF))
    w.close()
    return result, docx.Document(str(out)), db


def cli_json(capsys, *args) -> dict:
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def tally_json(capsys, db: Path, *args) -> dict:
    return cli_json(capsys, "tally", "--db", str(db), "--as-of", AS_OF, *args)


def tables_by_caption(document) -> dict[str, list[list[str]]]:
    """Each table under its caption ("表1　…"), as rows of cell texts."""
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == len(document.tables)
    return {c.split("　", 1)[1]: [[cell.text for cell in row.cells] for row in t.rows] for c, t in zip(captions, document.tables, strict=True)}


def number(text: str):
    return float(text) if "." in text else int(text)


def body_text(document) -> str:
    return "".join(p.text for p in document.paragraphs)


# ------------------------------------------------------------------------------------------------ content
def test_result_and_headings(written):
    result, document, _ = written
    assert isinstance(result, DocumentResult) and result.path.suffix == ".docx"
    assert result.sections == SECTIONS
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == SECTIONS
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 2"] == [
        "（一）性别", "（二）年龄段", "（三）学历", "（四）政治面貌", "（一）数据来源", "（二）人员去重", "（三）统计口径"]
    title = document.paragraphs[0]
    assert title.style.name == "Title" and title.text == "雨花台区新的社会阶层人士统计报告\n（2026年）"  # broken before （2026年）


def test_narratives_are_the_tally_narratives(written, capsys):
    _, document, db = written
    text = body_text(document)
    for scheme in ("current4", "legacy6"):
        assert main(["tally", "--db", str(db), "--narrative", "--scheme", scheme]) == 0
        assert capsys.readouterr().out.strip() in text


def test_category_and_street_tables_equal_the_tally_json(written, capsys):
    _, document, db = written
    tables = tables_by_caption(document)
    t = tally_json(capsys, db, "--by", "category", "--percent", "total")
    rows = tables["雨花台区新的社会阶层人士（现行四类）分类统计表"]
    assert rows[0] == ["类别", "人数", "占比（%）"]
    assert [[r[0], number(r[1]), number(r[2])] for r in rows[1:-1]] == [[x["category"], x["count"], x["percent"]] for x in t["rows"]]
    assert rows[-1] == ["合计", str(t["total"]), "100.0"]
    ct = tally_json(capsys, db, "--rows", "street", "--cols", "category")
    rows = tables["雨花台区各街道新的社会阶层人士（现行四类）分类统计表"]
    assert rows[0] == ["街道", *ct["columns"], "合计"]
    assert [[r[0], *map(number, r[1:])] for r in rows[1:-1]] == [
        [x["street"], *(x["cells"][c] for c in ct["columns"]), x["total"]] for x in ct["rows"]]
    assert rows[-1] == ["合计", *(str(ct["column_totals"][c]) for c in ct["columns"]), str(ct["total"])]
    text = squeeze(body_text(document))
    streets = {x["street"]: x["total"] for x in ct["rows"]}
    most = max(streets, key=streets.get)
    assert f"{most}最多（{streets[most]}名）" in text
    for x in t["rows"]:
        assert f"{x['category']}{x['count']}名，占{x['percent']:.1f}%" in text
    assert f"另有非公有制经济人士{t['outside_total']['非公有制经济人士']}名；待核实{t['unresolved']}名；不属于统计范围{t['excluded']}名" in text


@pytest.mark.parametrize(("dim", "caption"), [("sex", "性别"), ("age_band", "年龄段"), ("education", "学历"),
                                              ("political_status", "政治面貌")])
def test_structure_tables_equal_the_tally_json(written, capsys, dim, caption):
    _, document, db = written
    rows = tables_by_caption(document)[f"雨花台区新的社会阶层人士{caption}结构"]
    t = tally_json(capsys, db, "--by", dim, "--percent", "total")
    shown = {r[0]: (number(r[1]), number(r[2])) for r in rows[1:-1] if r[1] != "0"}
    words = {"男": "男性", "女": "女性", "未知": f"{caption}未知"}
    label = (lambda v: age_words(v) if v != "未知" else words[v]) if dim == "age_band" else (lambda v: words.get(v, v))
    assert shown == {label(x[dim]): (x["count"], x["percent"]) for x in t["rows"]}
    assert rows[-1][:2] == ["合计", str(t["total"])]
    text = squeeze(body_text(document))
    for x in t["rows"]:
        assert f"{label(x[dim])}{x['count']}名，占{x['percent']:.1f}%" in text
    if dim == "political_status":
        party = {x["party"]: x for x in tally_json(capsys, db, "--by", "party", "--percent", "total")["rows"]}
        assert f"党外人士{party['党外']['count']}名，占{party['党外']['percent']:.1f}%" in text


def test_representatives_equal_the_tally_json(written, capsys):
    _, document, db = written
    tables = tables_by_caption(document)
    for dim, label in (("category", "类别"), ("street", "街道")):
        t = tally_json(capsys, db, "--by", dim, "--where", "representative=代表人士", "--percent", "total")
        rows = tables[f"雨花台区新的社会阶层代表人士统计表（按{label}）"]
        assert rows[0][:2] == [label, "代表人士"]
        assert {r[0]: number(r[1]) for r in rows[1:-1] if r[1] != "0"} == {x[dim]: x["count"] for x in t["rows"]}
        assert rows[-1][1] == str(t["total"])
    assert f"新的社会阶层代表人士共{t['total']}名" in squeeze(body_text(document))


def test_method_note_equals_status_and_tally(written, capsys):
    result, document, db = written
    text = squeeze(body_text(document))
    status = cli_json(capsys, "status", "--db", str(db))
    t = tally_json(capsys, db, "--by", "category")
    assert f"本次统计汇总了{status['files']}个来源文件" in text
    assert f"形成记录{status['records']}条" in text
    assert f"另有{status['quarantined']}行未作为记录" in text
    assert f"共归并为{status['persons']}名人员" in text
    assert f"类别待核实{t['unresolved']}名、不属于统计范围{t['excluded']}名，均未计入总数" in text
    assert f"统计新的社会阶层人士{t['total']}名" in text
    method = result.numbers["method"]
    assert method["rule_id"] + method["rule_probabilistic"] + method["rule_review"] + method["rule_single"] == status["records"]
    assert "统计时点为2026年10月15日" in text
    assert not re.search(r"[a-z]+_[a-z]+|current4|legacy6|census|Splink", text)  # no internal names


# ------------------------------------------------------------------------------------------------ layout
def test_official_document_layout(written):
    _, document, _ = written
    s = document.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and int(grid.get(qn("w:linePitch"))) * 22 <= 225 / 25.4 * 1440  # 22 lines
    styles = document.styles

    def east_asia(style):
        return style.element.rPr.rFonts.get(qn("w:eastAsia"))

    assert (east_asia(styles["Normal"]), styles["Normal"].font.size) == ("仿宋_GB2312", Pt(16))  # 三号
    assert (east_asia(styles["Title"]), styles["Title"].font.size) == ("方正小标宋简体", Pt(22))  # 二号
    assert east_asia(styles["Heading 1"]) == "黑体" and east_asia(styles["Heading 2"]) == "楷体_GB2312"
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None  # no theme overrides
    spacing = styles["Normal"].element.rPr.find(qn("w:spacing"))
    assert 28 * (16 + int(spacing.get(qn("w:val"))) / 20) <= 156 / 25.4 * 72  # 28 characters fill the 156 mm line
    assert document.settings.odd_and_even_pages_header_footer
    for footer, align in ((s.footer, "right"), (s.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p.alignment.name.lower() == align
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert "PAGE" in "".join(p._p.itertext())
        assert {r.element.rPr.rFonts.get(qn("w:eastAsia")) for r in p.runs} == {"宋体"}
    for t in document.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # the header repeats on a new page
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)
    props = document.core_properties
    assert props.title == "雨花台区新的社会阶层人士统计报告（2026年）" and "python-docx" not in (props.author + props.comments)


def test_a_layout_title_and_suppression(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "document-suppressed")
    layout = w.path.parent / "layout.yaml"
    layout.write_text("title: '{district}{year}年新的社会阶层人士情况报告'\nsheets:\n  - {name: 摘要, kind: narrative}\n", encoding="utf-8")
    result = build_report(w, w.path.parent / "公开版.docx", as_of=date(2026, 10, 15), suppress=5, layout=layout)
    w.close()
    document = docx.Document(str(result.path))
    assert document.paragraphs[0].text.replace("\n", "") == "雨花台区2026年新的社会阶层人士情况报告"
    reps = tables_by_caption(document)["雨花台区新的社会阶层代表人士统计表（按街道）"]
    assert any(r[1] == "<5" for r in reps)  # small cells hidden as in the workbook
    assert "表中少于5人的数值以“<5”表示" in squeeze(body_text(document))


# ------------------------------------------------------------------------------------------------ as printed
@needs_office
def test_document_prints_as_an_official_document(written, tmp_path):
    result, document, _ = written
    pages = page_texts(to_pdf(result.path, tmp_path))
    assert 4 <= len(pages) <= 12
    assert squeeze(pages[0]).startswith("雨花台区新的社会阶层人士统计报告（2026年）")
    for i, p in enumerate(pages, start=1):
        assert f"—{i}—" in squeeze(p)  # the page number, between one-em dashes
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    for caption, t in zip(captions, document.tables, strict=True):
        page = next(p for p in pages if squeeze(caption) in squeeze(p))
        assert {c.text for c in t.rows[-1].cells} <= set(page.split())  # the caption and the table's last row on one page


@needs_office
def test_the_text_area_holds_22_lines_of_28_characters(tmp_path):
    """A page of plain body text prints as GB/T 9704 asks."""
    text = "按现行四类口径统计全区共有新的社会阶层人士其中民营企业和外商投资企业管理技术人员中介组织和社会组织从业人员" * 40
    doc = official.new_document("版心测试", "测试")
    official.body(doc, text)
    doc.save(str(tmp_path / "版心.docx"))
    pages = page_texts(to_pdf(tmp_path / "版心.docx", tmp_path))
    lines = [line for line in pages[1].splitlines() if line.strip() and "—" not in line]
    assert len(lines) == 22
    assert all(len(line.strip()) == 28 for line in lines)

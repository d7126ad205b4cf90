"""Ingest on real files: every row accounted for, nothing twice, one transaction per file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from census import IngestOptions, Workspace, ingest
from census.errors import SourceError
from census.sources import ingest as ingest_module
from census.sources import workers as workers_module
from census.sources.prepare import prepare_files
from census.sources.readers import read_source
from census.sources.workers import spill, unspill

from ..conftest import EXAMPLES, ledger_rows, make_id, write_csv, write_xlsx

REGISTER = """\
name: 雨花台区
code: "320114"
streets:
  - name: 雨花街道
    code: "320114001"
    communities:
      - {name: 康盛花园社区, code: "320114001001", type: "111", aliases: [康盛花园]}
      - {name: 韩府山村, code: "320114001201", type: "220"}
  - name: 赛虹桥街道
    code: "320114002"
    communities:
      - {name: 虹苑社区, code: "320114002001", type: "111"}
"""


@pytest.fixture
def register(tmp_path):
    p = tmp_path / "regions.yaml"
    p.write_text(REGISTER, encoding="utf-8")
    return p


def _accounted(ws, source_id):
    """rows of the file = records + quarantined + non-data + blank, sheet by sheet."""
    for sheet, total, data, rec, q, nd, blank in ws.query(
            "SELECT sheet, rows_total, data_rows, records, quarantined, nondata, blank FROM sheets WHERE source_id = ?", [source_id]):
        assert rec + q == data
        stored = ws.scalar("SELECT count(*) FROM records WHERE source_id = ? AND sheet = ?", [source_id, sheet])
        stored_nd = ws.scalar("SELECT count(*) FROM nondata WHERE source_id = ? AND sheet = ?", [source_id, sheet])
        assert stored == data and stored_nd == nd
        assert data + nd + blank == total, sheet


def test_community_ledger_every_row_accounted(ws, tmp_path, register):
    p = write_xlsx(tmp_path / "台账.xlsx", {"台账": ledger_rows(), "填表说明": [["填表说明"], ["1. 请用文本格式填写身份证号"]]})
    r = ingest(ws, [p], regions=register)
    f = r.files[0]
    assert f.status == "ingested" and f.kind == "community_ledger"
    assert (f.data_rows, f.records, f.quarantined) == (4, 4, 0)
    assert [s.status for s in f.sheets] == ["read", "skipped"]
    _accounted(ws, f.source_id)
    rows = ws.df("SELECT row, name, id_number, id_valid, phone, phones, street, community, community_code, region_from "
                 "FROM records ORDER BY row")
    assert rows["name"].tolist() == ["张伟", "李丽", "王芳", "赵强"]
    assert rows["id_valid"].tolist() == [True, True, True, False]
    assert rows["id_number"][1] == make_id("19900101", "124")  # lower-case x fixed (when the check is X)
    assert rows["id_number"][2] == make_id("19850312", "122")  # 15 digits converted
    assert rows["phones"][2] == "13900001111/13900002222"
    assert set(rows["community"]) == {"康盛花园社区"} and set(rows["community_code"]) == {"320114001001"}
    assert set(rows["street"]) == {"雨花街道"}
    assert set(rows["region_from"]) == {"context"}  # "填报单位：康盛花园社区"
    kinds = dict(ws.query("SELECT kind, count(*) FROM nondata GROUP BY ALL"))
    assert kinds == {"title": 1, "context": 1, "header": 2, "total": 1, "signature": 1, "skipped_sheet": 2}


def test_numeric_id_cells_are_precision_lost(ws, tmp_path):
    id18 = make_id("19800101", "135")
    rows = [["姓名", "身份证号", "电话"], ["钱进", None, 13812345678], ["孙立", id18, "13900001111"]]
    p = write_xlsx(tmp_path / "n.xlsx", {"S": rows}, numeric_cells={("S", 1, 1): float(id18[:15] + "000")})
    ingest(ws, [p], IngestOptions(community="康盛花园社区"))
    got = ws.query("SELECT name, id_valid, id_code, phone FROM records ORDER BY row")
    assert got == [("钱进", False, "id.precision_lost", "13812345678"), ("孙立", True, None, "13900001111")]
    assert ws.scalar("SELECT count(*) FROM issues WHERE code = 'id.precision_lost' AND row = 2") == 1


_SHEET_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
    '<row r="2"><c r="A2" s="1"><v>1.10105199003071E+17</v></c></row>'  # Excel's own way of writing it
    '<row r="3"><c r="A3" t="n"><v>110105199003071000</v></c></row>'
    '<row r="4"><c r="A4"><f>B4*1</f><v>110105199003071008</v></c><c r="B4"><v>1</v></c></row>'  # a formula's number
    '<row r="5"><c r="A5" t="str"><f>B5&amp;""</f><v>110105199003071234</v></c></row>'  # a formula's text
    '<row r="6"><c r="A6" t="inlineStr"><is><t>110105199003071234</t></is></c></row>'
    '<row r="7"><c r="A7"><v>320114198</v></c><c r="B7"><v>3.20114198001011E+17</v></c></row>'
    '<row r="8"><c r="A8"><f>' + "+".join(["B8"] * 1500) + '</f><v>110105199003071008</v></c><c r="B8"><v>1</v></c></row>'
    '</sheetData></worksheet>')


@pytest.mark.parametrize("compression", ["deflated", "stored"])
def test_numbers_excel_cut_are_found_in_the_sheet_xml(tmp_path, compression):
    """The scan for numeric cells of more than 15 digits looks at the cell a value belongs to: its type
    (a formula's text result is text) and its column, however the zip member is stored."""
    import zipfile

    from census.sources.readers import _XlsxNumbers

    src = write_xlsx(tmp_path / "src.xlsx", {"S": [["x"]]})
    out = tmp_path / "cut.xlsx"
    method = zipfile.ZIP_DEFLATED if compression == "deflated" else zipfile.ZIP_STORED
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", method) as zout:
        for info in zin.infolist():
            data = _SHEET_XML.encode() if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info)
            zout.writestr(info.filename, data)
    assert _XlsxNumbers(out)._scan() == {"S": {"A": {2, 3, 4, 8}, "B": {7}}}
    table = read_source(out).tables[0]
    assert list(table.lossy(0)) == [False, True, True, True, False, False, False, True]


def test_number_scan_falls_back_to_zipfile(tmp_path, monkeypatch):
    """A deflate stream ISA-L will not finish (zipfile and fastexcel read it) is inflated by zipfile instead."""
    from isal import isal_zlib

    from census.sources.readers import _XlsxNumbers

    p = write_xlsx(tmp_path / "n.xlsx", {"S": [["姓名", "身份证号"], ["钱进", None]]}, numeric_cells={("S", 1, 1): 1.10105199003071e17})

    def refuse(data, wbits=15, bufsize=0):
        raise isal_zlib.error("incomplete or truncated stream")

    monkeypatch.setattr(isal_zlib, "decompress", refuse)
    assert _XlsxNumbers(p)._scan() == {"S": {"B": {2}}}


def test_gb18030_csv_with_title_line(ws, tmp_path, register):
    rows = [["住户台帐导出（2026年10月）"], ["户号", "姓名", "性别", "公民身份号码", "出生日期", "与户主关系", "职业", "所属社区"],
            ["0001", "劉德華", "男", make_id("19610927", "111"), "1961年9月27日", "户主", "个体经营", "康盛花园"],
            ["0001", "朱丽倩", "女", make_id("19660406", "222"), "1966/4/6", "配偶", "退休", "韩府山"]]
    p = write_csv(tmp_path / "住户台帐.csv", rows)
    r = ingest(ws, [p], regions=register)
    f = r.files[0]
    assert f.encoding == "gb18030" and f.kind == "household_register"
    got = ws.query("SELECT row, name, birth_date::VARCHAR, community, street FROM records ORDER BY row")
    assert got == [(3, "刘德华", "1961-09-27", "康盛花园社区", "雨花街道"), (4, "朱丽倩", "1966-04-06", "韩府山村", "雨花街道")]
    _accounted(ws, f.source_id)


def test_utf8_bom_csv_and_encoding_override(ws, tmp_path):
    rows = [["姓名", "身份证号", "所属社区"], ["王五", make_id("19800101", "111"), "虹苑社区"]]
    p = write_csv(tmp_path / "a.csv", rows, encoding="utf-8-sig")
    assert ingest(ws, [p]).files[0].encoding == "utf-8-sig"
    q = write_csv(tmp_path / "b.csv", [["姓名", "身份证号"], ["赵六", make_id("19800102", "112")]], encoding="gbk")
    bad = ingest(ws, [q], IngestOptions(encoding="utf-8"))
    assert bad.files[0].status == "failed" and "按 utf-8 编码有 2 行无法解码" in bad.files[0].message
    assert "去掉 --encoding" in bad.files[0].message


def test_sav_with_value_labels(ws, tmp_path):
    df = pd.DataFrame({"Q1_姓名": ["张玮", "李莉"], "Q2": [1.0, 2.0], "Q6_手机": [13812345678.0, 13900001111.0],
                       "Q9": [4.0, 5.0]})
    p = tmp_path / "问卷.sav"
    pyreadstat.write_sav(df, str(p), column_labels=["1.您的姓名", "2.您的性别", "6.您的手机号码", "9.您属于以下哪一类"],
                         variable_value_labels={"Q2": {1.0: "男", 2.0: "女"},
                                                "Q9": {4.0: "新媒体从业人员", 5.0: "私营企业主或个体工商户"}})
    r = ingest(ws, [p], IngestOptions(community="康盛花园社区"))
    f = r.files[0]
    assert f.kind == "questionnaire" and f.records == 2
    got = ws.query("SELECT row, name, sex, phone, category_raw FROM records ORDER BY row")
    assert got == [(1, "张玮", "男", "13812345678", "新媒体从业人员"), (2, "李莉", "女", "13900001111", "私营企业主或个体工商户")]


def _gbk_sav(path, declared: bytes):
    """A .sav whose text is GBK (pyreadstat writes only UTF-8): ASCII placeholders of the same byte length are
    written, then replaced by the GBK bytes, and the encoding record says `declared`."""
    subs = {"QQa1": "张玮", "QQa2": "李莉", "QQb1QQb2": "您的姓名", "QQc1": "性别", "QQd1": "男性", "QQd2": "女性",
            "QQe1": "律师", "QQe2": "会计", "QQf1": "职业"}
    df = pd.DataFrame({"Q1": ["QQa1", "QQa2"], "Q2": [1.0, 2.0], "Q3": ["QQe1", "QQe2"]})
    pyreadstat.write_sav(df, str(path), column_labels=["QQb1QQb2", "QQc1", "QQf1"],
                         variable_value_labels={"Q2": {1.0: "QQd1", 2.0: "QQd2"}})
    data = path.read_bytes()
    for placeholder, text in subs.items():
        assert data.count(placeholder.encode()) == 1 and len(text.encode("gbk")) == len(placeholder)
        data = data.replace(placeholder.encode(), text.encode("gbk"))
    assert data.count(b"UTF-8") == 1  # the character-set record
    path.write_bytes(data.replace(b"UTF-8", declared))
    return path


@pytest.mark.parametrize("declared,encoding", [(b"CP936", "CP936"), (b"UTF-8", "gb18030")])
def test_gbk_sav(ws, tmp_path, declared, encoding):
    """A GBK .sav opens whether it says so (CP936) or wrongly claims UTF-8 (read again as GB18030)."""
    p = _gbk_sav(tmp_path / "问卷.sav", declared)
    f = ingest(ws, [p], IngestOptions(community="康盛花园社区")).files[0]
    assert f.status == "ingested" and f.encoding == encoding and f.records == 2
    assert ws.query("SELECT name, sex, occupation FROM records ORDER BY row") == [("张玮", "男", "律师"), ("李莉", "女", "会计")]
    labels = [c.get("label") for c in f.sheets[0].columns]
    assert labels[:2] == ["您的姓名", "性别"]


def test_xls_workbook(ws, tmp_path):
    import xlwt

    wb = xlwt.Workbook()
    sh = wb.add_sheet("台账")
    for r, row in enumerate([["虹苑社区台账"], ["姓名", "身份证号码", "人员类别"], ["周八", make_id("19790101", "333"), "律师"]]):
        for c, v in enumerate(row):
            sh.write(r, c, v)
    sh.write(3, 0, "吴九")
    sh.write(3, 1, float(make_id("19800101", "135")[:15] + "000"))
    p = tmp_path / "虹苑.xls"
    wb.save(str(p))
    r = ingest(ws, [p])
    assert r.files[0].records == 2
    assert ws.query("SELECT name, id_valid, id_code, community FROM records ORDER BY row") == [
        ("周八", True, None, "虹苑社区"), ("吴九", False, "id.precision_lost", "虹苑社区")]


def test_quarantine_reasons(ws, tmp_path):
    rows = [["姓名", "身份证号", "联系电话", "工作单位"],
            ["1", "2", "3", "4"],  # a row of column numbers
            [None, None, "13800001111", "某公司"],
            ["孤零零", None, None, None],
            ["有电话", None, "13800002222", None]]
    p = write_xlsx(tmp_path / "q.xlsx", {"S": rows})
    f = ingest(ws, [p], IngestOptions(community="虹苑社区")).files[0]
    assert (f.records, f.quarantined) == (1, 3)
    got = ws.query("SELECT row, status, reason FROM records ORDER BY row")
    assert got == [(2, "quarantined", "row.all_numeric"), (3, "quarantined", "row.no_identity"),
                   (4, "quarantined", "row.name_only"), (5, "record", None)]


def test_rows_of_numbers_in_any_script_are_quarantined(ws, tmp_path):
    """Column-numbering rows typed with full-width digits, padded with no-break spaces or in another script's
    digits are rows of numbers like "1,2,3,4"; a quarantined row's text keeps characters that are not spaces."""
    rows = [["姓名", "身份证号", "联系电话", "工作单位"],
            ["１", "２", "３", "４"],
            ["\xa012", "\xa034", "56\u3000", "78"],
            ["٣", "٤", "٥", "٦"],
            [None, None, "x\u200by", "某公司"],
            ["有电话", None, "13800002222", None]]
    p = write_csv(tmp_path / "q.csv", rows, encoding="utf-8")
    f = ingest(ws, [p], IngestOptions(community="虹苑社区")).files[0]
    assert (f.records, f.quarantined) == (1, 4)
    assert ws.query("SELECT row, reason FROM records WHERE status = 'quarantined' ORDER BY row") == [
        (2, "row.all_numeric"), (3, "row.all_numeric"), (4, "row.all_numeric"), (5, "row.no_identity")]
    assert ws.scalar("SELECT value FROM issues WHERE code = 'row.no_identity'") == "x\u200by 某公司"


def test_prepared_file_carries_only_its_own_rows(tmp_path):
    """Files prepared in one batch travel to the writer separately: each carries its own rows, not the batch's."""
    import pickle

    files = []
    for i in range(3):
        rows = [["姓名", "身份证号"]] + [[f"人{i}{k}", make_id("19800101", f"{k:03d}")] for k in range(200 * (i + 1))]
        files.append((write_xlsx(tmp_path / f"f{i}.xlsx", {"S": rows}), f"f{i}.xlsx", None))
    prepared = prepare_files(files, IngestOptions(community="虹苑社区"), "")
    sizes = [len(pickle.dumps(p.records)) for p in prepared]
    assert [p.records.num_rows for p in prepared] == [200, 400, 600]
    assert sizes[2] > 2.5 * sizes[0] and sizes[1] > 1.5 * sizes[0]  # in proportion to their rows
    # a file alone in its batch: its rows as they are when they are one piece, copied when they are several
    sheets = {f"S{j}": [["姓名", "身份证号"]] + [[f"人{j}{k}", make_id("19800101", f"{k:03d}")] for k in range(200)] for j in range(3)}
    many = prepare_files([(write_xlsx(tmp_path / "many.xlsx", sheets), "many.xlsx", None)], IngestOptions(community="虹苑社区"), "")
    one = prepare_files([files[2]], IngestOptions(community="虹苑社区"), "")
    assert many[0].records.num_rows == one[0].records.num_rows == 600
    assert len(pickle.dumps(many[0].records)) < 1.3 * len(pickle.dumps(one[0].records))


def test_reingest_changes_nothing_and_replace(ws, tmp_path, register):
    p = write_xlsx(tmp_path / "台账.xlsx", {"台账": ledger_rows()})
    first = ingest(ws, [p], regions=register)
    before = ws.query("SELECT count(*), max(record_id) FROM records")
    copy = tmp_path / "copy" / "另一个名字.xlsx"
    copy.parent.mkdir()
    shutil.copy(p, copy)
    again = ingest(ws, [p, copy])
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert ws.query("SELECT count(*), max(record_id) FROM records") == before
    assert ws.scalar("SELECT count(*) FROM sources") == 1

    rows = ledger_rows()
    rows[4][1] = "张大伟"
    write_xlsx(p, {"台账": rows})
    changed = ingest(ws, [p])
    assert changed.files[0].status == "changed" and "--replace" in changed.files[0].message and not changed.ok
    replaced = ingest(ws, [p], IngestOptions(replace=True))
    assert replaced.files[0].status == "replaced"
    assert ws.scalar("SELECT count(*) FROM sources") == 1
    assert ws.scalar("SELECT count(*) FROM records WHERE name = '张大伟'") == 1
    assert ws.scalar("SELECT count(*) FROM records") == first.files[0].data_rows


def test_corrupt_and_empty_files_fail_alone(ws, tmp_path):
    write_xlsx(tmp_path / "good.xlsx", {"S": [["姓名", "身份证号"], ["甲", make_id("19800101", "111")]]})
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    (tmp_path / "empty.csv").write_bytes(b"")
    # an encrypted workbook: a compound document holding the stream "EncryptedPackage"
    (tmp_path / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 100)
    (tmp_path / "notes.csv").write_text("这只是一段说明文字\n没有表格\n", encoding="utf-8")
    r = ingest(ws, [tmp_path])
    status = {f.path: f.status for f in r.files}
    assert status == {"good.xlsx": "ingested", "broken.xlsx": "failed", "empty.csv": "failed", "locked.xlsx": "failed",
                      "notes.csv": "failed"}
    msgs = {f.path: f.message for f in r.files}
    assert "已损坏" in msgs["broken.xlsx"] and "空的" in msgs["empty.csv"] and "密码" in msgs["locked.xlsx"]
    assert "没有哪个工作表的表头" in msgs["notes.csv"]
    assert not r.ok and ws.scalar("SELECT count(*) FROM records") == 1


def test_interrupted_file_is_rolled_back(ws, tmp_path, monkeypatch):
    ing = ingest_module

    a = write_xlsx(tmp_path / "a.xlsx", {"S": [["姓名", "身份证号"], ["甲", make_id("19800101", "111")]]})
    b = write_xlsx(tmp_path / "b.xlsx", {"S": [["姓名", "身份证号"], ["乙", make_id("19800102", "112")]]})
    ingest(ws, [a])
    real = ing._insert_frame

    def boom(con, frame, sql):
        if "INSERT INTO issues" in sql or "INSERT INTO nondata" in sql:
            raise KeyboardInterrupt
        return real(con, frame, sql)

    monkeypatch.setattr(ing, "_insert_frame", boom)
    with pytest.raises(KeyboardInterrupt):
        ingest(ws, [b])
    assert ws.scalar("SELECT count(*) FROM sources") == 1
    assert ws.query("SELECT name FROM records") == [("甲",)]
    monkeypatch.setattr(ing, "_insert_frame", real)
    assert ingest(ws, [b]).files[0].status == "ingested"


def test_region_from_path_and_options(ws, tmp_path, register):
    d = tmp_path / "赛虹桥街道"
    d.mkdir()
    p = write_xlsx(d / "虹苑社区台账.xlsx", {"Sheet1": [["姓名", "身份证号"], ["甲", make_id("19800101", "111")]]})
    q = write_xlsx(tmp_path / "无名.xlsx", {"Sheet1": [["姓名", "身份证号"], ["乙", make_id("19800102", "112")]]})
    r = ingest(ws, [tmp_path], regions=register)
    assert any("请用 --community" in n for f in r.files for n in f.notices)
    got = dict((n, (s, c, o)) for n, s, c, o in ws.query("SELECT name, street, community, region_from FROM records"))
    assert got["甲"] == ("赛虹桥街道", "虹苑社区", "path")
    assert got["乙"] == (None, None, None)
    q.unlink()
    write_xlsx(tmp_path / "无名2.xlsx", {"Sheet1": [["姓名", "身份证号"], ["丙", make_id("19800103", "113")]]})
    ingest(ws, [tmp_path / "无名2.xlsx"], IngestOptions(community="韩府山"))
    assert ws.query("SELECT street, community, region_from FROM records WHERE name = '丙'") == [("雨花街道", "韩府山村", "option")]
    del p


def test_unknown_community_is_an_issue(ws, tmp_path, register):
    rows = [["姓名", "身份证号", "所属社区"], ["甲", make_id("19800101", "111"), "不存在社区"]]
    p = write_xlsx(tmp_path / "x.xlsx", {"S": rows})
    f = ingest(ws, [p], regions=register).files[0]
    assert f.status == "ingested" and f.warnings.get("region.unknown_community") == 1
    assert ws.query("SELECT community, community_code FROM records") == [("不存在社区", None)]


def test_reader_errors_are_one_sentence(tmp_path):
    p = tmp_path / "a.pdf"
    p.write_bytes(b"%PDF-1.4")
    with pytest.raises(SourceError, match="PDF 文件，不是表格"):
        read_source(p)


def test_stacked_unit_blocks_take_their_own_context(ws, tmp_path):
    rows = [
        ["赛虹桥街道驻地企业从业人员名册"],
        [],
        ["单位名称：南京安丰软件有限公司\u3000\u3000单位性质：民营科技企业"],
        ["编号", "姓名", "公民身份号码", "岗位"],
        ["1", "甲一", make_id("19800101", "111"), "工程师"],
        [],
        ["单位名称：南京同明建筑工程有限公司\u3000\u3000单位性质：民营"],
        ["编号", "姓名", "公民身份号码", "岗位"],
        ["1", "乙二", make_id("19800102", "112"), "副总经理"],
        ["小计", "1人"],
    ]
    p = write_xlsx(tmp_path / "赛虹桥街道_驻地单位台帐.xlsx", {"企业名册": rows})
    f = ingest(ws, [p]).files[0]
    assert f.kind == "unit_ledger" and f.records == 2
    assert ws.query("SELECT name, work_unit, unit_type FROM records ORDER BY row") == [
        ("甲一", "南京安丰软件有限公司", "民营科技企业"), ("乙二", "南京同明建筑工程有限公司", "民营")]
    assert dict(ws.query("SELECT row, kind FROM nondata")) == {1: "title", 3: "context", 4: "header", 7: "context", 8: "header_repeat", 10: "total"}


def test_id_of_an_unknown_county_is_a_warning(ws, tmp_path):
    """A valid ID whose first six digits are no county of the division list (nor HK/Macau/Taiwan) is kept and
    valid, with the warning id.region_unknown; an invalid ID gets no such warning."""
    rows = [["姓名", "身份证号"], ["甲", make_id("19800101", "111", prefix="990101")], ["乙", make_id("19800102", "112")],
            ["丙", make_id("19800103", "113", prefix="810000")], ["丁", "990101198001041234"]]
    f = ingest(ws, [write_xlsx(tmp_path / "r.xlsx", {"S": rows})], IngestOptions(community="虹苑社区")).files[0]
    assert f.warnings.get("id.region_unknown") == 1
    assert ws.query("SELECT row FROM issues WHERE code = 'id.region_unknown'") == [(2,)]
    assert ws.query("SELECT name, id_valid FROM records ORDER BY row") == [("甲", True), ("乙", True), ("丙", True), ("丁", False)]


def test_worker_processes_store_what_one_process_stores(tmp_path, monkeypatch):
    """On worker processes (which hand their tables over through files in shared memory) the demo district
    gives the same sources, sheets, records, issues and non-data rows, ids included, as in one process; the
    handover files are gone afterwards, and so is a folder left by an ingest whose process is gone (not one
    of a process still running)."""
    shared = tmp_path / "shm"
    (shared / "census-ingest-999999999-dead").mkdir(parents=True)
    (shared / "census-ingest-999999999-dead" / "x.records.arrow").write_bytes(b"x")
    (shared / "census-ingest-99999999999999999999-nonsense").mkdir()  # no process can have this id
    (shared / f"census-ingest-{os.getpid()}-running").mkdir()
    monkeypatch.setattr(workers_module, "_SHARED_MEMORY", str(shared))
    tables = {"sources": "* EXCLUDE (ingested_at)", "sheets": "*", "records": "*", "issues": "*", "nondata": "*"}
    seen = []
    for workers in (1, 2):
        with Workspace(tmp_path / f"w{workers}.duckdb") as w:
            result = ingest(w, [EXAMPLES / "district"], regions=EXAMPLES / "regions.yaml", workers=workers)
            assert result.ok
            seen.append({t: w.query(f"SELECT {cols} FROM {t} ORDER BY ALL") for t, cols in tables.items()})
    assert len(seen[0]["records"]) > 3000 and len(seen[0]["issues"]) > 100
    for t in tables:
        assert seen[0][t] == seen[1][t], t
    assert [p.name for p in shared.iterdir()] == [f"census-ingest-{os.getpid()}-running"]


def test_tables_stay_in_memory_when_shared_memory_is_not_writable(tmp_path):
    rows = [["姓名", "身份证号"], ["甲", make_id("19800101", "111")], ["乙", "12345"]]
    prep = prepare_files([(write_xlsx(tmp_path / "r.xlsx", {"S": rows}), "r.xlsx", None)], IngestOptions(), "")[0]
    spill(prep, str(tmp_path / "no-such-folder"))
    assert prep.spilled == {} and prep.records.num_rows == 2 and prep.issues.num_rows == 3
    spill(prep, str(tmp_path))
    assert set(prep.spilled) == {"records", "issues", "nondata"} and prep.records is None
    files = [Path(p) for p in prep.spilled.values()]
    unspill(prep)
    assert prep.records.column("name").to_pylist() == ["甲", "乙"] and not any(f.exists() for f in files)


def test_unit_keys_drop_the_province_and_city_of_the_register(ws, tmp_path):
    """Unit names lose their district's own province and city ("北京市XX科技有限公司" is "XX科技" in a Beijing
    district); the names come from the register and the national division list, not a Nanjing pattern."""
    register = tmp_path / "haidian.yaml"
    register.write_text('name: 海淀区\ncode: "110108"\nstreets:\n  - {name: 万寿路街道, code: "110108001", communities: '
                        '[{name: 翠微路社区, code: "110108001001"}]}\n', encoding="utf-8")
    rows = [["姓名", "联系电话", "工作单位"], ["张伟", "13800001111", "北京市星云科技有限公司"], ["李娜", "13800002222", "星云科技"],
            ["王芳", "13800003333", "南京市星云科技有限公司"]]
    ingest(ws, [write_xlsx(tmp_path / "翠微路社区台账.xlsx", {"S": rows})], regions=register)
    keys = dict(ws.query("SELECT name, unit_key FROM records"))
    assert keys["张伟"] == keys["李娜"] == "星云科技" and keys["王芳"] == "南京市星云科技"


@pytest.mark.skipif(os.name != "posix", reason="file modes and shared memory are POSIX")
def test_the_workers_handover_files_are_private_whatever_the_umask(tmp_path, monkeypatch):
    """The tables a worker hands over in shared memory hold every cell of a file: their folder is 0700 and the
    files 0600 even under umask 0 (no workspace open to set one)."""
    import stat

    shared = tmp_path / "shm"
    shared.mkdir()
    monkeypatch.setattr(workers_module, "_SHARED_MEMORY", str(shared))
    seen: list[tuple[int, int]] = []
    real_unspill = workers_module.unspill

    def checking_unspill(prep):
        for p in prep.spilled.values():
            seen.append((stat.S_IMODE(Path(p).parent.stat().st_mode), stat.S_IMODE(Path(p).stat().st_mode)))
        real_unspill(prep)

    monkeypatch.setattr(workers_module, "unspill", checking_unspill)
    files = sorted((EXAMPLES / "district" / "雨花街道").glob("*.xlsx"))[:4]
    todo = [(i, f, f.name, str(i)) for i, f in enumerate(files)]
    done: list = []
    old = os.umask(0)
    try:
        workers_module.prepare_all(todo, IngestOptions(), "", lambda batch, outcomes: done.extend(outcomes), workers=2)
    finally:
        os.umask(old)
    assert len(done) == len(files) and all(not isinstance(o, Exception) for o in done)
    assert seen and set(seen) == {(0o700, 0o600)}
    assert list(shared.iterdir()) == []

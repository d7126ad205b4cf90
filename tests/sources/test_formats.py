"""Files are read by what their bytes are, not by their names; the odd files web systems and damaged workbooks
produce are read whole or fail with one line; files of a folder that are no table are skipped once each."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import fastexcel
import pytest

from census import IngestOptions, Workspace, ingest
from census.errors import NotATable, SourceError
from census.sources import readers as readers_module
from census.sources.readers import read_source
from census.sources.sniff import HTML, TEXT, XLS, XLSX, XML2003, sniff
from census.sources.workbook import mend

from ..conftest import EXAMPLES, make_id, write_csv, write_xlsx

XLS_DEMO = EXAMPLES / "district" / "雨花街道" / "凤台南苑社区台账.xls"
MULTI = EXAMPLES / "district" / "板桥街道" / "板桥街道新阶层人士台账汇总.xlsx"


def _rezip(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def _ingest(folder: Path, paths, **kw):
    folder.mkdir(parents=True, exist_ok=True)
    with Workspace(folder / "w.duckdb") as ws:
        r = ingest(ws, paths, **kw)
        rows = ws.query("SELECT sheet, row, name FROM records ORDER BY sheet, row")
    return r, rows


# ============================================================================================ workbooks
def test_two_sheets_of_one_name_are_both_read(tmp_path):
    """A workbook naming two sheets alike (a web export, a damaged file) stopped the whole run with a database
    constraint error; the reader also gave the first sheet twice. Both sheets are read, the second named
    "name（2）"."""
    dup = _rezip(MULTI, tmp_path / "dup.xlsx",
                 lambda n, d: d.replace("三山".encode(), "大定坊社区".encode()) if n == "xl/workbook.xml" else d)
    sheets = [t.sheet for t in read_source(dup).tables]
    assert sheets == ["大定坊社区", "大定坊社区（2）", "填表说明"]
    clean, clean_rows = _ingest(tmp_path / "a", [MULTI])
    r, rows = _ingest(tmp_path / "b", [dup])
    assert r.ok and r.files[0].records == clean.files[0].records > 30
    assert sorted((row, name or "") for _s, row, name in rows) == sorted((row, name or "") for _s, row, name in clean_rows)
    assert {s for s, _r, _n in rows} == {"大定坊社区", "大定坊社区（2）"}


def test_xls_with_two_sheets_of_one_name_fails_with_one_line(tmp_path):
    """An .xls cannot be mended like an .xlsx (the reader keeps only one of the two sheets): it fails, saying
    so, instead of losing a sheet's rows."""
    import xlwt

    wb = xlwt.Workbook()
    for name in ("QQ1", "QQ2"):
        wb.add_sheet(name).write(0, 0, "姓名")
    buf = io.BytesIO()
    wb.save(buf)
    p = tmp_path / "同名.xls"
    p.write_bytes(buf.getvalue().replace(b"QQ2", b"QQ1"))
    with pytest.raises(SourceError, match="同名的工作表（QQ1）"):
        read_source(p)


@pytest.mark.parametrize("cut", [12567, 12613, 13793])
def test_truncated_xls_fails_alone(tmp_path, cut):
    """A truncated .xls made the reader panic (pyo3_runtime.PanicException, no Exception) and stopped the
    run with a traceback. It fails with one line; the file beside it goes in."""
    bad = tmp_path / "断.xls"
    bad.write_bytes(XLS_DEMO.read_bytes()[:cut])
    with pytest.raises(BaseException) as panic:  # the reader itself panics on these
        fastexcel.read_excel(str(bad)).load_sheet(0, header_row=None, dtypes="string").to_arrow()
    assert type(panic.value).__name__ == "PanicException" and not isinstance(panic.value, Exception)
    good = write_xlsx(tmp_path / "好.xlsx", {"S": [["姓名", "身份证号"], ["甲", make_id("19800101", "111")]]})
    r, rows = _ingest(tmp_path, [bad, good], options=IngestOptions(community="虹苑社区"))
    assert [f.status for f in r.files] == ["failed", "ingested"] and rows == [("S", 2, "甲")]
    assert r.files[0].message.startswith(str(bad)) and "已损坏" in r.files[0].message and "\n" not in r.files[0].message


def test_a_reader_panic_anywhere_is_a_one_line_failure(tmp_path, monkeypatch):
    class PanicException(BaseException):
        pass

    def panic(*a, **k):
        raise PanicException("range start index 116 out of range for slice of length 97")

    monkeypatch.setattr(readers_module.fastexcel, "read_excel", panic)
    with pytest.raises(SourceError, match="已损坏"):
        read_source(write_xlsx(tmp_path / "x.xlsx", {"S": [["姓名"]]}))


def test_xlsx_without_workbook_xml_fails(tmp_path):
    """Was "ingested, 0 rows", exit 0."""
    p = _rezip(MULTI, tmp_path / "无目录.xlsx", lambda n, d: None if n == "xl/workbook.xml" else d)
    assert sniff(p).format is None
    r, _rows = _ingest(tmp_path, [p])
    assert r.files[0].status == "failed" and "xl/workbook.xml" in r.files[0].message and not r.ok


def test_formats_are_told_by_bytes(tmp_path):
    """An .xls saved under an .xlsx name (was "password-protected"), an .xlsx under an .xls name, text under
    an .xls name, a .sav under a .csv name: each read as what it is, with the same records as under its own
    name."""
    xlsx = write_xlsx(tmp_path / "src.xlsx", {"S": [["姓名", "身份证号"], ["甲", make_id("19800101", "111")], ["乙", make_id("19800102", "112")]]})
    csv = write_csv(tmp_path / "src.csv", [["姓名", "身份证号"], ["丙", make_id("19800103", "113")]])
    renamed = {"xls_as.xlsx": XLS_DEMO, "xlsx_as.xls": xlsx, "csv_as.xls": csv,
               "sav_as.csv": EXAMPLES / "district" / "问卷" / "雨花台区新的社会阶层人士问卷调查_2026.sav"}
    expect = {"xls_as.xlsx": XLS, "xlsx_as.xls": XLSX, "csv_as.xls": TEXT, "sav_as.csv": "sav"}
    for name, src in renamed.items():
        target = tmp_path / "renamed" / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(src.read_bytes())
        assert sniff(target).format == expect[name]
        (_o, a), (_p, b) = _ingest(tmp_path / f"o_{name}", [src]), _ingest(tmp_path / f"r_{name}", [target])
        assert a == b and len(a) >= 1, name
    assert read_source(tmp_path / "renamed" / "xls_as.xlsx").format == "xls"


def test_html_saved_as_xls_is_read_as_its_table(tmp_path):
    """Web systems' "Excel" downloads: an HTML table (GB2312, merged header cells, a title row), a web archive
    (.mht), an Excel 2003 XML workbook, each saved as .xls."""
    page = ("<html><head><meta http-equiv=Content-Type content='text/html; charset=gb2312'></head><body>"
            "<table border=1><tr><td colspan=4>雨花街道康盛花园社区新的社会阶层人士台账</td></tr>"
            "<tr><th rowspan=2>姓名</th><th colspan=2>证件</th><th rowspan=2>工作单位</th></tr>"
            "<tr><th>身份证号</th><th>联系电话</th></tr>"
            f"<tr><td>张&nbsp;三</td><td>{make_id('19800101', '111')}</td><td>13812345678</td><td>南京云帆科技有限公司</td></tr>"
            f"<tr><td>李四</td><td>{make_id('19800102', '112')}</td><td>13912345678</td><td>南京华信会计师事务所</td></tr>"
            "</table></body></html>")
    web = tmp_path / "导出.xls"
    web.write_bytes(page.encode("gb18030"))
    assert sniff(web).format == HTML
    t = read_source(web).tables[0]
    assert t.cells.shape == (5, 4) and list(t.rows) == [1, 2, 3, 4, 5] and t.letters == ["A", "B", "C", "D"]
    assert t.cells.iloc[2].tolist()[1:3] == ["身份证号", "联系电话"] and t.cells.iloc[1].isna().tolist() == [False, False, True, False]
    r, rows = _ingest(tmp_path / "h", [web], options=IngestOptions(community="康盛花园社区"))
    assert r.ok and r.files[0].format == "html" and [n for _s, _r, n in rows] == ["张三", "李四"]

    mht = tmp_path / "网页.xls"
    body = page.encode("gb18030")
    import quopri

    mht.write_bytes(b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"B\"\r\n\r\n--B\r\n"
                    b"Content-Type: text/html; charset=\"gb2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                    + quopri.encodestring(body) + b"\r\n--B--\r\n")
    assert sniff(mht).format == HTML
    assert read_source(mht).tables[0].cells.shape == (5, 4)

    xml = tmp_path / "2003.xls"
    xml.write_text(
        '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        '<Worksheet ss:Name="名册"><Table><Row><Cell ss:MergeAcross="1"><Data ss:Type="String">人员名册</Data></Cell></Row>'
        '<Row ss:Index="3"><Cell><Data ss:Type="String">姓名</Data></Cell><Cell ss:Index="3"><Data ss:Type="String">身份证号</Data></Cell></Row>'
        f'<Row><Cell><Data ss:Type="String">王五</Data></Cell><Cell ss:Index="3"><Data ss:Type="String">{make_id("19800103", "113")}</Data></Cell></Row>'
        '</Table></Worksheet></Workbook>', encoding="utf-8")
    assert sniff(xml).format == XML2003
    t = read_source(xml).tables[0]
    assert t.sheet == "名册" and list(t.rows) == [1, 3, 4]
    assert t.cells.iloc[2].fillna("").tolist() == ["王五", "", make_id("19800103", "113")]


def test_a_value_in_column_xfd_costs_only_its_cells(tmp_path):
    """One value in the last column (XFD) on each row: the reader laid the sheet out 16,384 columns wide (a
    gigabyte for 2,000 rows, 110 s for one file). The cells are moved next to each other before reading and
    keep their letters; with or without a truthful <dimension>."""
    import xlsxwriter

    def far(path: Path, n: int) -> Path:
        wb = xlsxwriter.Workbook(str(path))
        sh = wb.add_worksheet("S")
        sh.write_row(0, 0, ["姓名", "身份证号"])
        for r in range(1, n + 1):
            sh.write_row(r, 0, [f"人{r}", make_id("19800101", f"{r % 1000:03d}")])
            sh.write_string(r, 16383, f"x{r}")
        wb.close()
        return path

    p = far(tmp_path / "远列.xlsx", 3000)
    small = far(tmp_path / "small.xlsx", 100)  # the reader sees its width only by reading it (100 rows: 50 MB)
    lying = _rezip(small, tmp_path / "谎报.xlsx", lambda n, d: d.replace(b'<dimension ref="A1:XFD101"/>', b'<dimension ref="A1:B101"/>')
                   if n == "xl/worksheets/sheet1.xml" else d)
    for f, n in ((p, 3000), (lying, 100)):
        t = read_source(f).tables[0]
        assert t.cells.shape == (n + 1, 3) and t.letters == ["A", "B", "XFD"]
        assert t.cells[2].iloc[n] == f"x{n}" and t.cells[0].iloc[n] == f"人{n}"
    assert mend(p).columns == {0: [0, 1, 16383]}
    r, rows = _ingest(tmp_path, [p], options=IngestOptions(community="虹苑社区"))
    assert r.files[0].records == 3000
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.query("SELECT raw_cells(raw, raw_keys)['列XFD'] FROM records JOIN sheets USING (source_id, sheet) WHERE row = 3001") == [("x3000",)]


# ============================================================================================ files that are no table
def test_files_that_are_no_table_are_skipped_once(tmp_path):
    d = tmp_path / "街道"
    (d / "社区").mkdir(parents=True)
    write_xlsx(d / "社区" / "台账.xlsx", {"S": [["姓名", "身份证号"], ["甲", make_id("19800101", "111")]]})
    (d / "说明.docx").write_bytes(b"PK\x03\x04word")
    (d / "扫描件.pdf").write_bytes(b"%PDF-1.4")
    (d / "说明.txt").write_text("请各社区于10月15日前报送台账。\n联系人：王小二\n", encoding="utf-8")
    (d / "汇总.et").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    (d / "~$台账.xlsx").write_bytes(b"lock")
    (d / "页面.html").write_text("<html><body><p>没有表格</p></body></html>", encoding="utf-8")
    r, rows = _ingest(tmp_path, [d], options=IngestOptions(community="虹苑社区"))
    status = {f.path: f.status for f in r.files}
    assert status == {"社区/台账.xlsx": "ingested", "说明.docx": "skipped", "扫描件.pdf": "skipped", "说明.txt": "skipped",
                      "汇总.et": "skipped", "页面.html": "skipped"}
    assert r.ok and len(rows) == 1 and r.totals()["skipped"] == 5
    msgs = {f.path: f.message for f in r.files}
    assert "另存为” .xlsx" in msgs["汇总.et"] and "Word" in msgs["说明.docx"] and "不是表格" in msgs["说明.txt"]
    assert all(m.startswith(p) and "\n" not in m for p, m in msgs.items() if m)
    # a file named on its own is meant to be read: it fails, saying what it is
    r, _rows = _ingest(tmp_path / "named", [d / "扫描件.pdf", d / "说明.txt"])
    assert [f.status for f in r.files] == ["failed", "failed"] and not r.ok


def test_readers_say_what_a_file_is():
    assert isinstance(SourceError("a", "b"), Exception)
    assert issubclass(NotATable, SourceError)

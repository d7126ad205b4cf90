"""Text files read line by line where they are damaged: a line that cannot be decoded or parsed is quarantined
with its line number and reason, every other line is read; a file is rejected only when it is not text."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from census import IngestOptions, Workspace, ingest
from census.errors import SourceError
from census.sources.delimited import NUL, UNCLOSED_QUOTE, UNDECODABLE, decode_lines, parse, read_delimited
from census.sources.readers import read_source

from ..conftest import make_id

HEADER = ["户号", "姓名", "性别", "公民身份号码", "与户主关系", "现住址", "所属社区"]


def _rows(n: int = 8) -> list[list[str]]:
    return [HEADER] + [[f"{k:04d}", f"住户{k}", "男" if k % 2 else "女", make_id("19800101", f"{k:03d}"), "户主",
                        f"雨花街道康盛花园{k}栋", "康盛花园"] for k in range(1, n + 1)]


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _lines(text: str, encoding: str = "gb18030") -> list[bytes]:
    return [line.encode(encoding) for line in text.split("\r\n")]


def _ingest(folder, data: bytes, name: str = "住户台帐.csv", **options):
    folder.mkdir(exist_ok=True)
    p = folder / name
    p.write_bytes(data)
    with Workspace(folder / "w.duckdb") as ws:
        r = ingest(ws, [p], IngestOptions(community="康盛花园社区", **options))
        records = ws.query("SELECT row, status, reason, name FROM records ORDER BY row")
        issues = ws.query("SELECT row, code, message FROM issues WHERE severity = 'quarantine' ORDER BY row")
    return r.files[0], records, issues


def test_a_single_undecodable_byte_quarantines_its_line(tmp_path):
    """Was: the whole file rejected, and advice that looped ("pass --encoding", then "leave out --encoding")."""
    lines = _lines(_csv(_rows()))
    lines[4] = lines[4][:7] + b"\xff" + lines[4][7:]  # line 5
    f, records, issues = _ingest(tmp_path, b"\r\n".join(lines))
    assert f.status == "ingested" and f.encoding == "gb18030" and f.records == 7 and f.quarantined == 1
    assert [(r, s, q) for r, s, q, _n in records if s == "quarantined"] == [(5, "quarantined", UNDECODABLE)]
    assert [n for _r, s, _q, n in records if s == "record"] == [f"住户{k}" for k in (1, 2, 3, 5, 6, 7, 8)]
    assert issues[0][:2] == (5, UNDECODABLE) and "无法识别的字节" in issues[0][2] and "\ufffd" in issues[0][2]


def test_a_damaged_utf8_file_is_not_read_as_gb18030(tmp_path):
    """A UTF-8 file with one bad byte decodes as GB18030 without an error (into nonsense): it is read as
    UTF-8, and only the damaged line is quarantined."""
    lines = _lines(_csv(_rows()), "utf-8")
    lines[2] = lines[2][:12] + b"\x80" + lines[2][12:]
    f, records, _issues = _ingest(tmp_path, b"\r\n".join(lines))
    assert f.encoding == "utf-8" and f.quarantined == 1 and records[1][1:3] == ("quarantined", UNDECODABLE)
    assert [n for _r, s, _q, n in records if s == "record"] == [f"住户{k}" for k in (1, 3, 4, 5, 6, 7, 8)]


def test_two_encodings_in_one_file_are_each_read(tmp_path):
    """A GB18030 export with lines appended in UTF-8: every line decoded in its own encoding."""
    text = _csv(_rows())
    lines = _lines(text)
    for k in (3, 6, 7):
        lines[k] = text.split("\r\n")[k].encode("utf-8")
    f, records, _issues = _ingest(tmp_path, b"\r\n".join(lines))
    assert f.records == 8 and f.quarantined == 0
    assert [n for *_x, n in records] == [f"住户{k}" for k in range(1, 9)]


def test_a_nul_quarantines_its_line_and_a_bom_inside_is_dropped(tmp_path):
    text = _csv(_rows())
    second = "\ufeff" + _csv(_rows(3)[1:])  # a second export appended, with its BOM
    data = (text.replace("住户2,", "住\x00户2,") + second).encode("gb18030")
    f, records, issues = _ingest(tmp_path, data)
    assert f.records == 7 + 3 and f.quarantined == 1
    assert [(r, q) for r, s, q, _n in records if s == "quarantined"] == [(3, NUL)]
    assert records[-3:] == [(10, "record", None, "住户1"), (11, "record", None, "住户2"), (12, "record", None, "住户3")]


def test_a_megabyte_field_is_read(tmp_path):
    rows = _rows()
    rows[3][5] = "很长的地址" * 220_000
    f, records, _issues = _ingest(tmp_path, _csv(rows).encode("gb18030"))
    assert f.records == 8 and f.quarantined == 0
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.scalar("SELECT length(address) FROM records WHERE row = 4") == 5 * 220_000


def test_an_unclosed_quote_costs_only_its_line(tmp_path):
    """Was: the quote swallowed the rest of the file into one field, silently."""
    text = _csv(_rows(30)).replace("住户5,", '"住户5,')
    f, records, issues = _ingest(tmp_path, text.encode("gb18030"))
    assert f.records == 29 and f.quarantined == 1
    assert [(r, q) for r, s, q, _n in records if s == "quarantined"] == [(6, UNCLOSED_QUOTE)]
    assert "引号没有闭合" in issues[0][2]
    # a quoted field that really holds a line break is one record
    rows = _rows()
    rows[2][5] = "雨花街道康盛花园2栋\n302室"
    f, records, _issues = _ingest(tmp_path / "multi", _csv(rows).encode("gb18030"))
    assert f.records == 8 and f.quarantined == 0 and [r for r, *_x in records][:4] == [2, 3, 5, 6]


def test_an_unclosed_quote_on_the_last_lines(tmp_path):
    text = _csv(_rows(5)) + '0006,"住户6,男\r\n'
    f, records, _issues = _ingest(tmp_path, text.encode("gb18030"))
    assert f.data_rows == 6 and f.records + f.quarantined == 6


def test_only_what_is_not_text_is_rejected(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(SourceError, match="二进制"):
        read_source(p)
    big5 = _csv(_rows()).encode("big5", errors="replace")
    with pytest.raises(SourceError, match="既不是 UTF-8 也不是 GB18030"):
        p.write_bytes(big5.replace(b"\r\n", b"\xff\xfe\r\n"))
        read_delimited(p, None)
    p.write_bytes(_csv(_rows()).encode("gb18030"))
    with pytest.raises(SourceError, match="去掉 --encoding"):
        read_delimited(p, "utf-8")
    assert read_delimited(p, "gb18030").tables[0].cells.shape == (9, 7)


# ============================================================================================ properties
_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff\r\n\x1c\x1d\x1e\x85\u2028\u2029"),
                max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=12), st.sampled_from(["utf-8", "gb18030", "utf-8-sig"]))
def test_clean_text_round_trips(rows, encoding):
    """Whatever rows csv.writer writes (quotes, commas, spaces) come back as they were, line numbers too."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    text = _csv(rows)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    decoded, _enc, faults = decode_lines(data, None, "x.csv")
    assert faults == {}
    got, numbers, row_faults = parse(decoded, ",", 3, faults)
    assert got == rows and row_faults == {} and numbers == list(range(1, len(rows) + 1))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_rejected_in_one_sentence(data):
    """Every line of any bytes is a row, a fault or blank; nothing else can come out of the reader."""
    try:
        text, _enc, faults = decode_lines(data, None, "x.csv")
    except SourceError as e:
        assert "\n" not in str(e)
        return
    rows, numbers, row_faults = parse(text, ",", 3, faults)
    assert len(rows) == len(numbers) and set(row_faults) <= set(range(len(rows)))
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)

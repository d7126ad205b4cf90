"""Tables that web systems download as "Excel": an HTML page saved as .xls (or .html), Excel's single-file web
page (.mht, MIME), and the Excel 2003 XML workbook. Each is read as the table it is, with the standard library
(html.parser, email, ElementTree): every <table> of a page is a sheet, a merged cell (colspan/rowspan,
ss:MergeAcross) holds its text in its first cell as in a workbook, rows are numbered from 1 in each table.
"""

from __future__ import annotations

import email
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from ..errors import NotATable, SourceError
from ..i18n import _
from .table import SourceFile, Table, column_letter, text_frame

MAX_SPAN = 1000  # a colspan or rowspan beyond this is damage, not layout
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SPACE = re.compile(r"[ \t\r\n\f\u00a0]+")


# ============================================================================================ HTML
class _Tables(HTMLParser):
    """Collects every <table>'s rows of cell texts (tables inside a cell are tables of their own)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[dict] = []  # open tables: rows, the cell being read, spans still covering cells

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append({"rows": [], "row": None, "cell": None, "pending": {}, "fresh": set()})
            return
        if not self._stack:
            return
        t = self._stack[-1]
        if tag == "tr":
            self._end_row(t)
            t["row"] = []
        elif tag in ("td", "th"):
            if t["row"] is None:
                t["row"] = []
            self._end_cell(t)
            a = dict(attrs)
            t["cell"] = {"text": [], "colspan": _span(a.get("colspan")), "rowspan": _span(a.get("rowspan"))}
        elif tag == "br" and t["cell"] is not None:
            t["cell"]["text"].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        t = self._stack[-1]
        if tag in ("td", "th"):
            self._end_cell(t)
        elif tag == "tr":
            self._end_row(t)
        elif tag == "table":
            self._end_row(t)
            self._stack.pop()
            if t["rows"]:
                self.tables.append(t["rows"])

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"]["text"].append(data)

    def close(self) -> None:
        super().close()
        while self._stack:
            self.handle_endtag("table")

    def _place(self, t: dict, row: list[str]) -> int:
        """The next column of `row` not covered by a rowspan from above."""
        col = len(row)
        while col in t["pending"] and col not in t["fresh"]:
            row.append("")
            col += 1
        return col

    def _end_cell(self, t: dict) -> None:
        cell, row = t["cell"], t["row"]
        if cell is None or row is None:
            return
        t["cell"] = None
        text = "\n".join(_SPACE.sub(" ", part).strip() for part in "".join(cell["text"]).split("\n")).strip()
        col = self._place(t, row)
        row.append(text)
        row.extend([""] * (cell["colspan"] - 1))
        if cell["rowspan"] > 1:  # the rows below it that it covers
            for c in range(col, col + cell["colspan"]):
                t["pending"][c] = cell["rowspan"] - 1
                t["fresh"].add(c)

    def _end_row(self, t: dict) -> None:
        self._end_cell(t)
        row = t["row"]
        if row is None:
            return
        t["row"] = None
        covered = [c for c in t["pending"] if c not in t["fresh"]]
        while covered and max(covered) >= len(row):  # covered cells at the end of the row
            row.append("")
        t["rows"].append(row)
        fresh = t["fresh"]
        t["pending"] = {c: n if c in fresh else n - 1 for c, n in t["pending"].items() if c in fresh or n > 1}
        t["fresh"] = set()


def _span(value: str | None) -> int:
    try:
        return min(max(int(str(value).strip() or 1), 1), MAX_SPAN)
    except ValueError:
        return 1


def _html_text(data: bytes) -> str:
    """A page's text: the charset its BOM or <meta> names, else UTF-8, else GB18030 (with replacement
    characters for damaged bytes: the cells that hold them show it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    m = _CHARSET.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii").lower()
        name = "gb18030" if name in ("gb2312", "gbk", "gb_2312-80", "x-gbk") else name
        try:
            return data.decode(name, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _mime_html(data: bytes) -> bytes:
    """The HTML part of a web archive (.mht), decoded from its transfer encoding."""
    message = email.message_from_bytes(data)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            if charset and b"charset" not in payload[:4096].lower():
                payload = f'<meta charset="{charset}">'.encode("ascii") + payload
            return payload
    return b""


def read_html(path: Path) -> SourceFile:
    data = path.read_bytes()
    if data.lstrip()[:13].lower() == b"mime-version:" or b"multipart/related" in data[:4096].lower():
        data = _mime_html(data)
    parser = _Tables()
    parser.feed(_html_text(data))
    parser.close()
    found = [rows for rows in parser.tables if any(c.strip() for r in rows for c in r)]
    if not found:
        raise NotATable(str(path), _("是网页，其中没有表格。"))
    tables = []
    for k, rows in enumerate(found):
        cells = text_frame(rows)
        name = "" if len(found) == 1 else _("表格{n}").format(n=k + 1)
        tables.append(Table(name, cells, np.arange(1, len(rows) + 1, dtype=np.int64),
                            [column_letter(i) for i in range(cells.shape[1])]))
    return SourceFile(path, "html", None, tables)


# ============================================================================================ Excel 2003 XML
_SS = "urn:schemas-microsoft-com:office:spreadsheet"


def read_xml2003(path: Path) -> SourceFile:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as e:
        raise SourceError(str(path), _("Excel 2003 XML 工作簿已损坏（{error}）：请用 Excel 或 WPS 打开后另存为 .xlsx 再读入。")
                          .format(error=str(e).splitlines()[0])) from None
    tables = []
    seen: dict[str, int] = {}
    for ws in root.iter(f"{{{_SS}}}Worksheet"):
        name = unique_sheet_name(ws.get(f"{{{_SS}}}Name") or "", seen)
        rows: dict[int, list[str]] = {}
        r = 0
        for table in ws.iter(f"{{{_SS}}}Table"):
            for row in table.iter(f"{{{_SS}}}Row"):
                r = _index(row, r + 1)
                cells: list[str] = []
                c = 0
                for cell in row.iter(f"{{{_SS}}}Cell"):
                    c = _index(cell, c + 1)
                    while len(cells) < c - 1:
                        cells.append("")
                    data = cell.find(f"{{{_SS}}}Data")
                    cells.append("".join(data.itertext()).strip() if data is not None else "")
                    c += min(int(cell.get(f"{{{_SS}}}MergeAcross") or 0), MAX_SPAN)
                rows[r] = cells
        if not rows:
            continue
        numbers = sorted(rows)
        frame = text_frame([rows[n] for n in numbers])
        tables.append(Table(name, frame, np.asarray(numbers, dtype=np.int64), [column_letter(i) for i in range(frame.shape[1])]))
    if not tables:
        raise NotATable(str(path), _("是 Excel 2003 XML 工作簿，但其中没有任何数据。"))
    return SourceFile(path, "xml", None, tables)


def _index(element, default: int) -> int:
    try:
        return max(int(element.get(f"{{{_SS}}}Index") or default), 1)
    except ValueError:
        return default


def unique_sheet_name(name: str, seen: dict[str, int]) -> str:
    """A workbook's sheet names made unique (a damaged workbook or a web export can name two sheets alike):
    the second "Sheet1" becomes "Sheet1（2）"."""
    if name not in seen:
        seen[name] = 1
        return name
    k = seen[name]
    while True:
        k += 1
        candidate = f"{name}（{k}）"
        if candidate not in seen:
            seen[name] = k
            seen[candidate] = 1
            return candidate

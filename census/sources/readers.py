"""Readers: a source file → tables of text cells, exactly as typed, with the row numbers a person sees.

- .xlsx/.xlsm/.xls: fastexcel (calamine straight to Arrow), every sheet, every cell as text. A number of more
  than 15 digits in a cell (an ID typed into a numeric cell) has lost its last digits; `Table.lossy_numbers`
  finds those cells (in the sheet XML for .xlsx, through python-calamine's typed cells for .xls).
- .csv/.txt: UTF-8, UTF-8 with BOM or GB18030 (a superset of GBK) detected, `encoding` overrides; the delimiter is
  sniffed; row numbers are physical line numbers (the header line of a plain CSV is line 1).
- .sav: pyreadstat with value labels applied; variable labels are kept for column matching; GBK files open too.

Nothing here decides what a row means: see `layout.py`.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyreadstat
from isal import isal_zlib
from python_calamine import CalamineWorkbook

from ..errors import SourceError
from ..i18n import _

SPREADSHEET = {".xlsx", ".xlsm", ".xls"}
DELIMITED = {".csv", ".txt", ".tsv"}
SPSS = {".sav", ".zsav"}
SUPPORTED = SPREADSHEET | DELIMITED | SPSS

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRING = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow"),
           pa.string_view(): pd.StringDtype("pyarrow"), pa.null(): pd.StringDtype("pyarrow")}
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """One sheet (or a whole CSV / .sav file) as text.

    `cells` has string columns 0..k-1 (missing cells are NA); `rows` are the row numbers a person sees
    (Excel row, CSV line, .sav case); `letters` the spreadsheet column letters ("" when there are none);
    `header`/`labels` are given names for files that have them (.sav)."""

    sheet: str
    cells: pd.DataFrame
    rows: np.ndarray
    letters: list[str]
    header: list[str] | None = None
    labels: list[str] | None = None
    value_labels: dict[str, dict] = field(default_factory=dict)
    lossy_numbers: Callable[[int], np.ndarray] | None = None  # column → bool mask over rows

    def lossy(self, column: int) -> np.ndarray:
        if self.lossy_numbers is None:
            return np.zeros(len(self.cells), dtype=bool)
        return self.lossy_numbers(column)


@dataclass
class SourceFile:
    path: Path
    format: str
    encoding: str | None
    tables: list[Table]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        s = chr(65 + r) + s
    return s


def read_source(path: Path, encoding: str | None = None) -> SourceFile:
    """Read any supported file; raise `SourceError` with one clear sentence when it cannot be read at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SourceError(str(path), _("无法打开（{reason}）。").format(reason=e.strerror)) from None
    if size == 0:
        raise SourceError(str(path), _("文件是空的；请从原系统重新导出。"))
    if suffix in SPREADSHEET:
        return _read_workbook(path, suffix)
    if suffix in DELIMITED:
        return _read_delimited(path, encoding)
    if suffix in SPSS:
        return _read_sav(path, encoding)
    raise SourceError(str(path), _("不读取扩展名为{suffix}的文件；census 读取 {supported}。").format(
        suffix=suffix or _("（无）"), supported=" ".join(sorted(SUPPORTED))))


# --------------------------------------------------------------------------------------------- workbooks
def _read_workbook(path: Path, suffix: str) -> SourceFile:
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix in (".xlsx", ".xlsm") and head == _OLE_MAGIC:
        raise SourceError(str(path), _("工作簿设有密码（已加密）；请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后重新导入。"))
    if suffix in (".xlsx", ".xlsm") and head[:4] != _ZIP_MAGIC:
        raise SourceError(str(path), _("不是 .xlsx 工作簿（文件已损坏或扩展名不对）；请用 Excel 或 WPS 打开，另存为 .xlsx。"))
    if suffix == ".xls" and head != _OLE_MAGIC:
        raise SourceError(str(path), _("不是 .xls 工作簿（文件已损坏，或是存成 .xls 的网页或文本文件）；请用 Excel 或 WPS 打开，另存为 .xlsx。"))
    try:
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
    except Exception as e:  # calamine raises its own error types
        raise SourceError(str(path), _workbook_error(e)) from None
    lossy_finder = _XlsxNumbers(path) if suffix != ".xls" else _XlsNumbers(path)
    tables = []
    for name in names:
        try:
            sheet = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0, whitespace_as_null=True)
            batch = sheet.to_arrow()
            infos = sheet.available_columns()
        except Exception as e:
            raise SourceError(str(path), _("工作表“{sheet}”无法读取：{reason}").format(sheet=name, reason=_workbook_error(e))) from None
        cells = batch.to_pandas(types_mapper=_STRING.get)
        cells.columns = range(cells.shape[1])
        letters = [column_letter(c.absolute_index) for c in infos]
        rows = np.arange(1, len(cells) + 1, dtype=np.int64)
        tables.append(Table(name, cells, rows, letters, lossy_numbers=lossy_finder.for_sheet(name, letters, len(cells))))
    return SourceFile(path, suffix.lstrip("."), None, tables)


def _workbook_error(e: Exception) -> str:
    text = str(e)
    low = text.lower()
    if "password" in low or "encrypt" in low:
        return _("工作簿设有密码；请在 Excel 或 WPS 中取消密码后重新导入。")
    if "zip" in low or "invalid" in low or "cfb" in low or "eof" in low:
        return _("工作簿已损坏，无法打开；请用 Excel 或 WPS 打开后另存，再重新导入。")
    return _("工作簿无法读取（{reason}）；请另存为 .xlsx。").format(reason=text.splitlines()[0] if text else type(e).__name__)


class _XlsxNumbers:
    """Finds numeric cells holding more than 15 digits in an .xlsx sheet's XML (Excel keeps 15 significant
    digits, so such a cell has already lost the rest). Only cells with such values are looked at, so the scan
    is one pass of a regular expression over the sheet XML."""

    _BIG = re.compile(rb"<v>(\d(?:\.\d+)?[eE]\+?(1[5-9]|[2-9]\d)|\d{16,})(?:\.0+)?</v>")
    _TAG = re.compile(rb"<(/?)(?:\w+:)?(\w+)([^>]*)>")
    _REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
    _TYPE = re.compile(rb'\bt="(\w+)"')

    def __init__(self, path: Path):
        self.path = path
        self._found: dict[str, dict[str, set[int]]] | None = None

    def _sheet_parts(self, zf: zipfile.ZipFile) -> dict[str, str]:
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
              "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
        wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        parts = {}
        for s in wb.iter(f"{{{ns['m']}}}sheet"):
            target = targets.get(s.get(f"{{{ns['r']}}}id"), "")
            target = target.lstrip("/")
            parts[s.get("name")] = target if target.startswith("xl/") else "xl/" + target
        return parts

    def _scan(self) -> dict[str, dict[str, set[int]]]:
        found: dict[str, dict[str, set[int]]] = {}
        try:
            with zipfile.ZipFile(self.path) as zf, self.path.open("rb") as fh:
                for name, part in self._sheet_parts(zf).items():
                    data = _inflate(zf, fh, part)
                    cells: dict[str, set[int]] = {}
                    for m in self._BIG.finditer(data):
                        attrs = self._cell_attributes(data, m.start())
                        ref = self._REF.search(attrs) if attrs is not None else None
                        kind = self._TYPE.search(attrs) if attrs is not None else None
                        if ref is None or (kind is not None and kind.group(1) != b"n"):
                            continue  # a text cell that merely looks like a number
                        cells.setdefault(ref.group(1).decode(), set()).add(int(ref.group(2)))
                    found[name] = cells
        except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError):
            pass  # fastexcel read the file; if its XML is unusual we simply find no lossy cells
        return found

    def _cell_attributes(self, data: bytes, pos: int) -> bytes | None:
        """The attributes of the <c> tag a <v> at `pos` belongs to, walking back over the tags between them
        (a formula: <c r="B2"><f>…</f><v>…; Excel allows 8,192 characters of formula); None when the value
        is not inside a cell."""
        end = pos
        floor = max(0, pos - 32_768)
        while True:
            start = data.rfind(b"<", floor, end)
            if start < 0:
                return None
            tag = self._TAG.match(data, start, pos)
            if tag is not None and tag.group(2) == b"c":
                return None if tag.group(1) else tag.group(3)  # </c>: the value is outside any cell
            end = start

    def for_sheet(self, sheet: str, letters: list[str], n_rows: int) -> Callable[[int], np.ndarray]:
        def lossy(column: int) -> np.ndarray:
            if self._found is None:
                self._found = self._scan()
            mask = np.zeros(n_rows, dtype=bool)
            for r in self._found.get(sheet, {}).get(letters[column], ()):
                if 1 <= r <= n_rows:
                    mask[r - 1] = True
            return mask

        return lossy


def _inflate(zf: zipfile.ZipFile, fh, part: str) -> bytes:
    """A member of the zip, decompressed with ISA-L (three times zlib's speed; the sheet XML is read a second
    time to find numbers Excel cut to 15 digits). Members stored in another way go through `zipfile`."""
    info = zf.getinfo(part)
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or info.flag_bits & 0x1:
        return zf.read(part)
    fh.seek(info.header_offset)
    header = fh.read(30)
    if header[:4] != b"PK\x03\x04":
        return zf.read(part)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fh.read(info.compress_size)
    if info.compress_type == zipfile.ZIP_STORED:
        return raw
    try:
        return isal_zlib.decompress(raw, -15)
    except isal_zlib.error:  # a stream ISA-L will not finish (no final block): `zipfile` decides, as before
        return zf.read(part)


class _XlsNumbers:
    """The same for legacy .xls (BIFF) files, which are small: python-calamine gives typed cells."""

    def __init__(self, path: Path):
        self.path = path

    def for_sheet(self, sheet: str, letters: list[str], n_rows: int) -> Callable[[int], np.ndarray]:
        def lossy(column: int) -> np.ndarray:
            mask = np.zeros(n_rows, dtype=bool)
            ws = CalamineWorkbook.from_path(str(self.path)).get_sheet_by_name(sheet)
            r0, c0 = ws.start or (0, 0)
            target = _letter_index(letters[column]) - c0
            for i, row in enumerate(ws.to_python(skip_empty_area=False)):
                if 0 <= target < len(row):
                    v = row[target]
                    if isinstance(v, float) and abs(v) >= 1e15 and 0 <= i < n_rows:
                        mask[i] = True
            return mask

        return lossy


def _letter_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# --------------------------------------------------------------------------------------------- CSV
def decode(data: bytes, encoding: str | None = None, path: str = "") -> tuple[str, str]:
    """(text, encoding): the given encoding, else UTF-8 (with or without BOM), else GB18030."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise SourceError(path, _("不认识编码“{encoding}”；请试 utf-8 或 gb18030。").format(encoding=encoding)) from None
        except UnicodeDecodeError as e:
            raise SourceError(path, _("不是有效的 {encoding} 文本（第{byte}字节）；去掉 --encoding 可自动识别编码。").format(
                encoding=encoding, byte=e.start)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise SourceError(path, _("既不是 UTF-8 也不是 GB18030 文本（第{byte}字节）；请用 --encoding 指定编码。").format(byte=e.start)) from None


def _read_delimited(path: Path, encoding: str | None) -> SourceFile:
    data = path.read_bytes()
    if data[:4] == _ZIP_MAGIC or data[:8] == _OLE_MAGIC:
        raise SourceError(str(path), _("是用文本扩展名保存的电子表格；请改名为 .xlsx 或 .xls。"))
    text, enc = decode(data, encoding, str(path))
    if "\x00" in text[:4096]:
        raise SourceError(str(path), _("不是文本文件（含有二进制数据）；请重新导出为 CSV。"))
    delimiter = _sniff_delimiter(text[:20000], path.suffix.lower())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0
    try:
        for row in reader:
            start = last + 1
            last = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            rows.append(row)
            lines.append(start)
    except csv.Error as e:
        raise SourceError(str(path), _("第{line}行无法按 CSV 解析（{reason}）；请检查该行的引号。").format(
            line=reader.line_num, reason=e)) from None
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        raise SourceError(str(path), _("没有数据（只有空行）。"))
    columns = list(zip(*(r + [""] * (width - len(r)) for r in rows), strict=True))
    cells = pd.DataFrame({i: pd.array(col, dtype="string") for i, col in enumerate(columns)})
    cells = cells.mask(cells.apply(lambda s: s.str.strip() == ""))
    return SourceFile(path, "csv", enc, [Table("", cells, np.asarray(lines, dtype=np.int64), [""] * width)])


def _sniff_delimiter(sample: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    lines = [ln for ln in sample.splitlines()[:30] if ln.strip()]
    best, best_score = ",", -1.0
    for d in (",", "\t", ";", "|"):
        counts = [ln.count(d) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        # a delimiter that splits most lines into the same number of fields
        common = max(set(counts), key=counts.count)
        score = counts.count(common) * (common > 0) + 0.01 * common
        if score > best_score:
            best, best_score = d, score
    return best


# --------------------------------------------------------------------------------------------- SPSS
def _read_sav(path: Path, encoding: str | None) -> SourceFile:
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=True, encoding=encoding, formats_as_ordered_category=False)
        enc = encoding or meta.file_encoding
    except Exception as first:
        if encoding:
            raise SourceError(str(path), _("无法按编码 {encoding} 读取这个 SPSS 文件（{reason}）。").format(
                encoding=encoding, reason=first)) from None
        try:
            df, meta = pyreadstat.read_sav(str(path), apply_value_formats=True, encoding="GB18030")
            enc = "gb18030"
        except Exception:
            raise SourceError(str(path), _("不是可读的 SPSS .sav 文件（{reason}）；请从问卷平台重新导出。").format(
                reason=str(first).splitlines()[0])) from None
    cells = pd.DataFrame({i: _sav_text(df[c]) for i, c in enumerate(df.columns)})
    names = list(df.columns)
    labels = [meta.column_names_to_labels.get(c) or "" for c in names]
    value_labels = {c: meta.variable_value_labels[c] for c in names if c in meta.variable_value_labels}
    rows = np.arange(1, len(df) + 1, dtype=np.int64)
    return SourceFile(path, "sav", enc, [Table("", cells, rows, [""] * len(names), names, labels, value_labels)])


def _sav_text(col: pd.Series) -> pd.Series:
    """A .sav column as text: labels as they are, whole numbers without ".0", dates as ISO."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.dt.strftime("%Y-%m-%d").astype("string")
    if pd.api.types.is_numeric_dtype(col):
        out = col.astype("object").map(lambda v: None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(float(v))))
        return out.astype("string")
    out = col.astype("object").map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else (
        str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
    out = out.astype("string")
    return out.mask(out.str.strip() == "")

"""Readers: a source file → tables of text cells, exactly as typed, with the row numbers a person sees.

The file's bytes decide how it is read (`sniff.py`), not its name: an .xls that is a web page is read as the
table it is, an .xls renamed .xlsx is read as .xls.

- .xlsx/.xlsm/.xls: fastexcel (calamine straight to Arrow), every sheet, every cell as text. A number of more
  than 15 digits in a cell (an ID typed into a numeric cell) has lost its last digits; `Table.lossy_numbers`
  finds those cells (in the sheet XML for .xlsx, through python-calamine's typed cells for .xls). Workbooks
  the reader would misread (two sheets of one name, a value in column XFD) are mended first (`workbook.py`).
- text (.csv/.txt/.tsv): `delimited.py`, line by line where a file is damaged.
- web pages and Excel 2003 XML saved as .xls: `webpage.py`.
- .sav: pyreadstat with value labels applied; variable labels are kept for column matching; GBK files open too.
  A damaged .sav can crash pyreadstat (a segmentation fault): such files are only read in worker processes
  (`sniff.RISKY`, `pool.py`).

Nothing here decides what a row means: see `layout.py`.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa
import pyreadstat
from isal import isal_zlib
from python_calamine import CalamineWorkbook

from ..errors import NotATable, SourceError
from ..i18n import _
from .delimited import decode, read_delimited
from .sniff import HTML, SAV, SUPPORTED, TEXT, XLS, XLSX, XML2003, sniff
from .table import SourceFile, Table, column_letter, letter_index
from .webpage import read_html, read_xml2003
from .workbook import WIDE, mend, sheet_parts, unique_names

__all__ = ["SUPPORTED", "SourceFile", "Table", "column_letter", "decode", "read_source"]

_STRING = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow"),
           pa.string_view(): pd.StringDtype("pyarrow"), pa.null(): pd.StringDtype("pyarrow")}
PASS_THROUGH = (KeyboardInterrupt, SystemExit, GeneratorExit)  # what a reader must never swallow


def read_source(path: Path, encoding: str | None = None) -> SourceFile:
    """Read any supported file; raise `SourceError` with one clear sentence when it cannot be read at all
    (`NotATable` when it is some other kind of document)."""
    path = Path(path)
    try:
        found = sniff(path)
    except OSError as e:
        raise SourceError(str(path), _("无法打开（{error}）。").format(error=e.strerror or e)) from None
    if found.format is None:
        raise (SourceError if found.table else NotATable)(str(path), found.reason + "。")
    if found.format in (XLSX, XLS):
        return _read_workbook(path, found.format)
    if found.format == TEXT:
        return read_delimited(path, encoding)
    if found.format == HTML:
        return read_html(path)
    if found.format == XML2003:
        return read_xml2003(path)
    assert found.format == SAV
    return _read_sav(path, encoding)


# --------------------------------------------------------------------------------------------- workbooks
def _read_workbook(path: Path, fmt: str, force_wide: set[int] | None = None) -> SourceFile:
    suffix = path.suffix.lower()
    named_right = suffix == ".xls" if fmt == XLS else suffix in (".xlsx", ".xlsm")
    mended = mend(path, force_wide) if fmt == XLSX else None
    data = None if named_right and mended is None else (mended.data if mended is not None else path.read_bytes())
    try:
        reader = fastexcel.read_excel(str(path) if data is None else data)  # bytes: calamine tells the format by them
        names = reader.sheet_names
    except BaseException as e:  # calamine raises its own error types, and panics (PanicException) on damage
        if isinstance(e, PASS_THROUGH):
            raise
        raise SourceError(str(path), _workbook_error(e)) from None
    if fmt == XLS and len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise SourceError(str(path), _("工作簿中有同名的工作表（{names}），无法分别读取；请在 Excel 或 WPS 中给重名的工作表改名，"
                                       "另存为 .xlsx 后再读入。").format(names="、".join(twice)))
    shown = mended.names if mended is not None else names
    lossy_finder = _XlsxNumbers(path) if fmt == XLSX else _XlsNumbers(path, data)
    tables = []
    for i, name in enumerate(shown):
        try:
            sheet = reader.load_sheet(i, header_row=None, dtypes="string", skip_rows=0, whitespace_as_null=True)
            if fmt == XLSX and sheet.width > WIDE and (mended is None or i not in mended.columns) and not force_wide:
                return _read_workbook(path, fmt, {i} | (force_wide or set()))  # wide, whatever its <dimension> said
            batch = sheet.to_arrow()
            infos = sheet.available_columns()
        except BaseException as e:
            if isinstance(e, PASS_THROUGH):
                raise
            raise SourceError(str(path), _("工作表“{sheet}”无法读取：{error}").format(sheet=name, error=_workbook_error(e))) from None
        cells = batch.to_pandas(types_mapper=_STRING.get)
        cells.columns = range(cells.shape[1])
        read = [c.absolute_index for c in infos]
        letters = mended.letters(i, read) if mended is not None else [column_letter(c) for c in read]
        rows = np.arange(1, len(cells) + 1, dtype=np.int64)
        tables.append(Table(name, cells, rows, letters, lossy_numbers=lossy_finder.for_sheet(name, letters, len(cells))))
    return SourceFile(path, fmt, None, tables)


def _workbook_error(e: BaseException) -> str:
    text = str(e)
    low = text.lower()
    if "password" in low or "encrypt" in low:
        return _("工作簿设置了密码；请在 Excel 或 WPS 中取消密码后再读入。")
    if type(e).__name__ == "PanicException" or any(w in low for w in ("zip", "invalid", "cfb", "eof", "xml", "slice", "index", "not found")):
        return _("工作簿已损坏，无法打开；请用 Excel 或 WPS 打开修复后另存，或从原系统重新导出，再读入。")
    first = text.splitlines()[0] if text else type(e).__name__
    return _("工作簿无法读取（{error}）；请用 Excel 或 WPS 另存为 .xlsx 后再读入。").format(error=first)


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

    def _scan(self) -> dict[str, dict[str, set[int]]]:
        found: dict[str, dict[str, set[int]]] = {}
        try:
            with zipfile.ZipFile(self.path) as zf, self.path.open("rb") as fh:
                parts = sheet_parts(zf)
                for name, part in zip(unique_names([n for n, _ in parts]), (p for _, p in parts), strict=True):
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
        except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError, EOFError, zlib.error):
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
    """The same for legacy .xls (BIFF) files, which are small: python-calamine gives typed cells. `data`: the
    file's bytes when its name does not say .xls (python-calamine tells the format by the name otherwise)."""

    def __init__(self, path: Path, data: bytes | None = None):
        self.path = path
        self.data = data

    def for_sheet(self, sheet: str, letters: list[str], n_rows: int) -> Callable[[int], np.ndarray]:
        def lossy(column: int) -> np.ndarray:
            mask = np.zeros(n_rows, dtype=bool)
            try:
                book = (CalamineWorkbook.from_path(str(self.path)) if self.data is None
                        else CalamineWorkbook.from_filelike(io.BytesIO(self.data)))
                ws = book.get_sheet_by_name(sheet)
                r0, c0 = ws.start or (0, 0)
                values = ws.to_python(skip_empty_area=False)
            except BaseException as e:  # fastexcel read the sheet; a second reader's trouble finds nothing
                if isinstance(e, PASS_THROUGH):
                    raise
                return mask
            target = letter_index(letters[column]) - c0
            for i, row in enumerate(values):
                if 0 <= target < len(row):
                    v = row[target]
                    if isinstance(v, float) and abs(v) >= 1e15 and 0 <= i < n_rows:
                        mask[i] = True
            return mask

        return lossy


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

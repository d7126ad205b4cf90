""".xlsx workbooks the spreadsheet reader would misread, mended in memory before it reads them:

- two sheets of one name (a damaged workbook, or one written by a web system): the reader would give the first
  sheet twice and lose the second; the names are made unique (the second "Sheet1" is "Sheet1（2）").
- a sheet with a value far to the right (one cell in column XFD on each row): the reader lays a sheet out as
  a dense grid, 16,384 columns wide (a gigabyte for 2,000 rows, minutes of work). The sheet's cells are moved
  to adjacent columns, and the real column letters are kept for every cell (`Mended.letters`), so the time
  and memory of reading follow the cells that hold something.

Only the sheets that need it are rewritten; every other workbook is read from its file as it is.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree import ElementTree

from .table import column_letter, letter_index

WIDE = 1024  # a sheet wider than this many columns is checked for far, lonely cells
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="([A-Z]{1,3})?\d*:?([A-Z]{1,3})?\d*"')
_CELL_REF = re.compile(rb'(<(?:\w+:)?c\b[^>]*?\br=")([A-Z]{1,3})(\d+")')
_SHEET_NAME = re.compile(rb'(<(?:\w+:)?sheet\b[^>]*?\bname=")([^"]*)(")')


def sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, zip member) of every sheet, in the workbook's order (names as written, duplicates kept)."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") or "" for r in rels}
    parts = []
    for s in wb.iter(f"{{{_NS['m']}}}sheet"):
        target = targets.get(s.get(f"{{{_NS['r']}}}id"), "").lstrip("/")
        parts.append((s.get("name") or "", target if target.startswith("xl/") else "xl/" + target))
    return parts


def unique_names(names: list[str]) -> list[str]:
    """Sheet names made unique: the second "Sheet1" becomes "Sheet1（2）" (a name no other sheet has)."""
    taken = set(names)
    out, seen = [], set()
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        k = 2
        while f"{name}（{k}）" in taken or f"{name}（{k}）" in seen:
            k += 1
        seen.add(f"{name}（{k}）")
        out.append(f"{name}（{k}）")
    return out


@dataclass
class Mended:
    """A workbook rewritten in memory: its bytes, its sheet names as read from them, and for each sheet whose
    cells were moved, the real column of each column read (by sheet position)."""

    data: bytes | None
    names: list[str]
    columns: dict[int, list[int]] = field(default_factory=dict)

    def letters(self, sheet: int, read: list[int]) -> list[str]:
        """The column letters of the columns read (their indices in the sheet as read)."""
        real = self.columns.get(sheet)
        return [column_letter(real[i] if real is not None and i < len(real) else i) for i in read]


def _declared_width(head: bytes) -> int | None:
    """The sheet's width by its <dimension> (None when it has none)."""
    m = _DIMENSION.search(head)
    if m is None or m.group(2) is None:
        return None
    return letter_index(m.group(2).decode()) + 1


def _packed(xml: bytes, used: list[int]) -> bytes:
    """The sheet XML with its cells moved to adjacent columns (in order), and what names the old extent
    (dimension, row spans, merged ranges) left out: the reader takes the extent from the cells."""
    index = {c: i for i, c in enumerate(used)}

    def move(m: re.Match) -> bytes:
        return m.group(1) + column_letter(index[letter_index(m.group(2).decode())]).encode() + m.group(3)

    xml = _CELL_REF.sub(move, xml)
    xml = re.sub(rb"<(?:\w+:)?dimension\b[^>]*/>", b"", xml)
    xml = re.sub(rb'\sspans="[^"]*"', b"", xml)
    return re.sub(rb"<(?:\w+:)?mergeCells\b.*?</(?:\w+:)?mergeCells>", b"", xml, flags=re.S)


def mend(path, force_wide: set[int] | None = None) -> Mended | None:
    """The workbook rewritten when it has duplicate sheet names or wide, sparse sheets (None when it needs no
    mending, or cannot be opened as a zip: the reader then says what is wrong). `force_wide`: sheets (by
    position) found wide when read, whatever their <dimension> said."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            names = [n for n, _ in parts]
            unique = unique_names(names)
            packed: dict[str, bytes] = {}
            columns: dict[int, list[int]] = {}
            for i, (_, part) in enumerate(parts):
                if part not in zf.NameToInfo:
                    continue
                with zf.open(part) as fh:
                    head = fh.read(4096)
                width = _declared_width(head)
                if not (force_wide and i in force_wide) and width is not None and width <= WIDE:
                    continue
                xml = zf.read(part)
                used = sorted({letter_index(m.group(2).decode()) for m in _CELL_REF.finditer(xml)})
                if used and used[-1] + 1 > WIDE and used[-1] + 1 > 2 * len(used):
                    packed[part] = _packed(xml, used)
                    columns[i] = used
            if unique == names and not packed:
                return None
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
                for info in zf.infolist():
                    data = packed.get(info.filename)
                    if data is None:
                        data = zf.read(info.filename)
                        if info.filename == "xl/workbook.xml" and unique != names:
                            data = _renamed(data, unique)
                    zout.writestr(info.filename, data)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError, EOFError, RuntimeError, zlib.error):
        return None  # the reader says what is wrong with it
    return Mended(out.getvalue(), unique, columns)


def _renamed(workbook_xml: bytes, names: list[str]) -> bytes:
    """workbook.xml with its sheets named `names`, in order."""
    it = iter(names)

    def rename(m: re.Match) -> bytes:
        name = next(it, None)
        if name is None:
            return m.group(0)
        escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        return m.group(1) + escaped.encode("utf-8") + m.group(3)

    return _SHEET_NAME.sub(rename, workbook_xml)

"""Text tables (.csv, .txt, .tsv, and text saved under a spreadsheet's name), read line by line where they are
damaged: a line that cannot be decoded or parsed is quarantined with its line number, every other line is read.

- Decoding: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (a superset of GBK) are detected;
  `encoding` overrides. A clean file is decoded in one piece. A file with an undecodable byte, or with lines in
  two encodings (a GB18030 export with UTF-8 lines appended), is decoded line by line: each line in UTF-8 when
  it is UTF-8, else in GB18030; a line that is neither (a damaged byte) is a fault (`text.undecodable`).
  A NUL in a line is a fault (`text.nul`); a BOM in the middle of the file (two exports joined) is dropped.
- Parsing: Python's csv module; a quoted field may span lines (an address with a line break), but a quote
  left open would swallow the lines after it into one field: a record that spans more than `MAX_SPAN` lines,
  or whose later lines are whole records by themselves, is not accepted; its first line is a fault
  (`text.unclosed_quote`, read alone with its quote as a character) and reading goes on at the next line.
- Row numbers are physical line numbers (the header line of a plain CSV is line 1); blank lines are skipped.

A file is rejected only when it is not text at all (most of its lines undecodable).
"""

from __future__ import annotations

import bisect
import codecs
import csv
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import SourceError
from ..i18n import _
from .table import SourceFile, Table, text_frame

UNDECODABLE, NUL, UNCLOSED_QUOTE, UNPARSABLE = "text.undecodable", "text.nul", "text.unclosed_quote", "text.unparsable"
MAX_SPAN = 5  # lines one record (a quoted field with line breaks) may span

# one cell may hold a megabyte of text (the module's default limit, 128 KiB, stops the whole file); the csv
# module has no per-reader limit, so the limit is raised for the process
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))

_LINE = re.compile(r"\r\n|\r|\n")  # what io.StringIO(newline="") and so csv.reader count as a line break
_LINE_BYTES = re.compile(rb"\r\n|\r|\n")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# bytes as classes, to find two UTF-8 CJK characters in a row (lead E4-E9, two continuation bytes) quickly
_CLASSES = bytes.maketrans(bytes(range(256)), bytes(
    ord("L") if 0xE4 <= b <= 0xE9 else ord("C") if 0x80 <= b <= 0xBF else ord(".") for b in range(256)))
_CJK_PAIR = b"LCCLCC"


# ============================================================================================ decoding
def decode(data: bytes, encoding: str | None = None, path: str = "") -> tuple[str, str]:
    """(text, encoding) of a whole text, damaged lines included (their bad bytes as U+FFFD)."""
    text, enc, _faults = decode_lines(data, encoding, path)
    return text, enc


def decode_lines(data: bytes, encoding: str | None = None, path: str = "") -> tuple[str, str, dict[int, str]]:
    """(text, encoding, faults): the text (lines joined by their breaks, or by "\\n" where decoded line by
    line, so that line numbers stay what they were), the main encoding, and the faulty lines (1-based line
    number → issue code)."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise SourceError(path, _("{encoding!r} 不是可识别的编码名称；常用的是 utf-8 和 gb18030，也可以去掉 --encoding 让 census 自动识别。")
                              .format(encoding=encoding)) from None
        if name.startswith(("utf-16", "utf-32")):
            return _whole_with_replacement(data, encoding)
        try:
            return _clean(data.decode(encoding), encoding)
        except UnicodeDecodeError:
            return _by_line(data, encoding, path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        try:
            return _clean(data.decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError:
            text, _enc, faults = _by_line(data, None, path)
            return text, "utf-8-sig", faults
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _whole_with_replacement(data, "utf-16")
    try:
        return _clean(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return _by_line(data, None, path)
    if _has_utf8_line(data):  # decoded, but UTF-8 lines would be mojibake: line by line
        return _by_line(data, None, path)
    return _clean(text, "gb18030")


def _clean(text: str, encoding: str, faults: dict[int, str] | None = None) -> tuple[str, str, dict[int, str]]:
    """Drop BOMs inside the text (two exports joined); mark lines holding a NUL."""
    faults = dict(faults or {})
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\x00" in text:
        breaks = [m.end() for m in _LINE.finditer(text)]
        for m in re.finditer("\x00", text):
            faults.setdefault(bisect.bisect_right(breaks, m.start()) + 1, NUL)
        text = text.replace("\x00", "\ufffd")
    return text, encoding, faults


def _whole_with_replacement(data: bytes, encoding: str) -> tuple[str, str, dict[int, str]]:
    text = data.decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    faults = {}
    if "\ufffd" in text:
        for i, line in enumerate(_LINE.split(text)):
            if "\ufffd" in line:
                faults[i + 1] = UNDECODABLE
    return _clean(text, encoding, faults)


def _mostly_utf8(line: bytes) -> bool:
    """Whether a line that is not valid UTF-8 is UTF-8 with a damaged byte (most of its non-ASCII bytes form
    UTF-8 characters; a GB18030 line's bytes do so only here and there)."""
    high = len(line.translate(None, bytes(range(128))))  # the bytes that are not ASCII
    covered = sum(len(m) for m in _UTF8_SEQUENCE.findall(line))
    return covered >= 3 and covered >= 0.6 * high


def _has_utf8_line(data: bytes, limit: int = 10_000) -> bool:
    """Whether a file that decodes as GB18030 holds UTF-8 lines (two exports joined): lines with two UTF-8
    CJK characters in a row are found in one pass, and each is tried as UTF-8 (GB18030 text has such byte
    runs now and then, and is no UTF-8 line)."""
    classes = data.translate(_CLASSES)
    pos, tried = 0, 0
    while True:
        k = classes.find(_CJK_PAIR, pos)
        if k < 0:
            return False
        start = data.rfind(b"\n", 0, k) + 1
        end = data.find(b"\n", k)
        end = len(data) if end < 0 else end
        line = data[start:end].rstrip(b"\r")
        try:
            line.decode("utf-8")
            return True
        except UnicodeDecodeError:
            if _mostly_utf8(line):
                return True
        tried += 1
        if tried > limit:  # an odd file: decoding it line by line is right in any case
            return True
        pos = end + 1


def _decode_line(line: bytes, encoding: str | None) -> tuple[str, str | None, str]:
    """(text, fault or None, encoding used) of one line."""
    if line.isascii():
        return line.decode("ascii"), None, ""
    if encoding:
        try:
            return line.decode(encoding), None, encoding
        except UnicodeDecodeError:
            return line.decode(encoding, errors="replace"), UNDECODABLE, encoding
    try:
        return line.decode("utf-8"), None, "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(line):
        return line.decode("utf-8", errors="replace"), UNDECODABLE, "utf-8"
    try:
        return line.decode("gb18030"), None, "gb18030"
    except UnicodeDecodeError:
        return line.decode("gb18030", errors="replace"), UNDECODABLE, "gb18030"


def _by_line(data: bytes, encoding: str | None, path: str) -> tuple[str, str, dict[int, str]]:
    lines = _LINE_BYTES.split(data)
    texts: list[str] = []
    faults: dict[int, str] = {}
    used: Counter[str] = Counter()
    for i, line in enumerate(lines):
        text, fault, enc = _decode_line(line, encoding)
        texts.append(text)
        if fault is not None:
            faults[i + 1] = fault
        if enc:
            used[enc] += 1
    nonblank = sum(1 for t in texts if t.strip())
    if faults and 2 * len(faults) > nonblank:  # most lines: the file is no text, or not in this encoding
        if encoding:
            raise SourceError(path, _("按 {encoding} 编码有 {n} 行无法解码，文件很可能不是这种编码；去掉 --encoding 让 census 自动识别编码后再读入。")
                              .format(encoding=encoding, n=len(faults)))
        raise SourceError(path, _("不是文本表格：{n} 行中有 {bad} 行既不是 UTF-8 也不是 GB18030 文本；请从原系统重新导出为 Excel 或 CSV，"
                                  "或用 --encoding 指定文件的编码。").format(n=nonblank, bad=len(faults)))
    main = used.most_common(1)[0][0] if used else (encoding or "utf-8")
    return _clean("\n".join(texts), main, faults)


# ============================================================================================ parsing
class _Feed:
    """Lines handed to csv.reader one at a time, so that the caller knows which lines a record took and can
    start again at any line."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.at = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.at >= len(self.lines):
            raise StopIteration
        self.at += 1
        return self.lines[self.at - 1] + "\n"


def _plausible(span: list[str], fields: int, delimiter: str, width: int) -> bool:
    """Whether a record spanning several lines is a quoted field with line breaks, not an open quote that
    swallowed the lines after it."""
    if len(span) > MAX_SPAN or fields > max(width, 1):
        return False
    return not (width >= 3 and any(line.count(delimiter) + 1 >= width for line in span[1:]))


def _alone(line: str, delimiter: str) -> list[str]:
    """One line's cells, its quotes read as characters."""
    return next(csv.reader([line], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])


def parse(text: str, delimiter: str, width: int, faults: dict[int, str]) -> tuple[list[list[str]], list[int], dict[int, str]]:
    """(rows, their line numbers, faults by position in rows) of a decoded text; blank lines left out."""
    if not faults:
        fast = _parse_fast(text, delimiter, width)
        if fast is not None:
            return fast[0], fast[1], {}
    return _parse_by_line(_LINE.split(text), delimiter, width, faults)


def _parse_fast(text: str, delimiter: str, width: int) -> tuple[list[list[str]], list[int]] | None:
    """The whole text through one csv.reader; None when a record is implausible (an open quote)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    numbers: list[int] = []
    lines: list[str] | None = None
    last = 0
    try:
        for row in reader:
            start = last + 1
            last = reader.line_num
            if last > start:
                lines = lines if lines is not None else _LINE.split(text)
                if not _plausible(lines[start - 1:last], len(row), delimiter, width):
                    return None
            if not row or all(not c.strip() for c in row):
                continue
            rows.append(row)
            numbers.append(start)
    except csv.Error:
        return None
    return rows, numbers


def _parse_by_line(lines: list[str], delimiter: str, width: int, faults: dict[int, str]) -> tuple[list[list[str]], list[int], dict[int, str]]:
    if lines and lines[-1] == "":
        lines = lines[:-1]  # the break that ends the last line
    feed = _Feed(lines)
    reader = csv.reader(feed, delimiter=delimiter)
    rows: list[list[str]] = []
    numbers: list[int] = []
    row_faults: dict[int, str] = {}

    def add(row: list[str], number: int, fault: str | None) -> None:
        if fault is None and (not row or all(not c.strip() for c in row)):
            return
        if fault is not None and not any(c.strip() for c in row):
            row = [lines[number - 1]]  # a fault is quarantined with what the line held, even if it shows nothing
        if fault is not None:
            row_faults[len(rows)] = fault
        rows.append(row)
        numbers.append(number)

    while feed.at < len(lines):
        start = feed.at
        if start + 1 in faults:  # a line decoded with replacement characters is read alone
            add(_alone(lines[start], delimiter), start + 1, faults[start + 1])
            feed.at = start + 1
            continue
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            add(_alone(lines[start], delimiter), start + 1, UNPARSABLE)
            feed.at = start + 1
            reader = csv.reader(feed, delimiter=delimiter)
            continue
        end = feed.at
        if end - start > 1 and (not _plausible(lines[start:end], len(row), delimiter, width)
                                or any(n in faults for n in range(start + 2, end + 1))):
            add(_alone(lines[start], delimiter), start + 1, UNCLOSED_QUOTE)
            feed.at = start + 1
            reader = csv.reader(feed, delimiter=delimiter)
            continue
        add(row, start + 1, None)
    return rows, numbers, row_faults


def sniff_delimiter(sample: str, suffix: str) -> tuple[str, int]:
    """(delimiter, the usual number of fields of a line)."""
    lines = [ln for ln in sample.splitlines()[:30] if ln.strip()]
    candidates = ("\t",) if suffix == ".tsv" else (",", "\t", ";", "|")
    best, best_score, best_width = candidates[0], -1.0, 1
    for d in candidates:
        counts = [ln.count(d) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        # a delimiter that splits most lines into the same number of fields
        common = max(set(counts), key=counts.count)
        score = counts.count(common) * (common > 0) + 0.01 * common
        if score > best_score:
            best, best_score, best_width = d, score, common + 1
    if best_score < 0 and lines:
        best_width = 1
    return best, best_width


# ============================================================================================ the file
def read_delimited(path: Path, encoding: str | None, data: bytes | None = None) -> SourceFile:
    data = path.read_bytes() if data is None else data
    text, enc, faults = decode_lines(data, encoding, str(path))
    delimiter, width = sniff_delimiter(text[:20000], path.suffix.lower())
    rows, numbers, row_faults = parse(text, delimiter, width, faults)
    if not rows:
        raise SourceError(str(path), _("文件中没有数据（只有空行）。"))
    cells = text_frame(rows)
    width = cells.shape[1]
    return SourceFile(path, "csv", enc, [Table("", cells, np.asarray(numbers, dtype=np.int64), [""] * width, faults=row_faults)])

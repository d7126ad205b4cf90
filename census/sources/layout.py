"""How a sheet is laid out: where its header is, what each column holds, what the lines above the header
say, and which rows below it are data.

- The header row is the row (or pair of rows) that best matches the known field synonyms, not row 1. Title
  lines, "填报单位/填报日期" lines and a merged group-header row above it are recognised; a two-row header (a group
  row above field names, or names split across two rows: "身份证" over "号码") is merged.
- Lines above the header are context: "单位：XX科技有限公司　性质：民营科技企业" applies to every row below.
- Below the header, blank rows, "合计/总计/小计" rows, "填表人/审核人/制表" lines, notes and repeated header rows
  are not data; nor are a template's hint row ("（必填）", "格式：YYYY-MM-DD") and example rows ("例", 张三 with a
  made-up ID) right under the header (`templates.py`). Every row gets exactly one kind, so every row of a file is
  accounted for.
- A header row below the first that lays the columns out differently (a second community's block, its columns
  in another order) is a `BLOCK_HEADER`: `sheets.py` splits the sheet there and reads each block with its own
  header. A row above the header holding an ID number is `UNEXPLAINED`: data no header explains (quarantined).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import FieldMatcher
from ..text import PY_WHITESPACE, PY_WHITESPACE_RE2, arrow_mask, arrow_strings, halfwidth, squeeze
from ..vocab import (
    BLANK,
    BLOCK_HEADER,
    CONTEXT,
    DATA,
    HEADER,
    HEADER_REPEAT,
    NOTE,
    SIGNATURE,
    TITLE,
    UNEXPLAINED,
)
from ..vocab import TOTAL_ROW as TOTAL
from .templates import holds_person_data, template_rows

SCAN_ROWS = 40  # the header is looked for in the first rows of a sheet
MIN_SCORE = 3.0  # weights of matched fields; a name column alone (3) is enough only with another field

_TOTAL_WORDS = "合计|总计|小计|共计|总共|合計|總計|小計|累计"
_SIGNATURE_WORDS = "填表人|填报人|审核人|审核|制表人|制表|负责人|统计人|复核人|经办人|填表日期|制表日期|报送日期|单位负责人"
_TOTAL = re.compile(f"^({_TOTAL_WORDS})")
_SIGNATURE = re.compile(f"({_SIGNATURE_WORDS})\\s*[:：]")
# a total or a signature in a cell of any column (RE2, for Arrow): what `_nondata_kind` recognises by its own cell
_LABEL_RE2 = f"^[{PY_WHITESPACE_RE2}]*(?:{_TOTAL_WORDS})|(?:{_SIGNATURE_WORDS})[{PY_WHITESPACE_RE2}]*[:：]"
_SIGNATURE_WORD = re.compile(r"填表人|填报人|审核人|制表人|统计人|复核人|经办人|签字|盖章")
_NOTE = re.compile(r"^(注|说明|备注|附注|填表说明|注意)\s*\d*\s*[:：、.．]|^注\s*\d|^\*")
_PAIR = re.compile(r"([^\s:：]{1,12})\s*[:：]\s*(.*?)(?=\s+[^\s:：]{1,12}\s*[:：]|$)")


@dataclass
class Column:
    index: int
    letter: str
    header: str
    field: str | None
    quality: float


@dataclass
class Layout:
    """What `find_layout` found in one table. `kinds` has one entry per table row."""

    header_rows: list[int]
    columns: list[Column]
    score: float
    context: dict[str, str] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)
    kinds: np.ndarray | None = None
    row_context: dict[int, dict[str, str]] = field(default_factory=dict)  # context lines between blocks

    def header_fields(self, matcher: FieldMatcher) -> dict[int, str | None]:
        """The field each column's header names (before two columns naming one field are told apart)."""
        return {c.index: matcher.match(c.header)[0] if c.header else None for c in self.columns}

    def column_of(self, field_name: str) -> Column | None:
        best = None
        for c in self.columns:
            if c.field == field_name and (best is None or c.quality > best.quality):
                best = c
        return best

    @property
    def data_start(self) -> int:
        return self.header_rows[-1] + 1


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    return squeeze(halfwidth(str(v)))


cell_text = _text  # a cell's text as header matching sees it: half-width, without spaces ("" when empty)


def _score(cells: list[str], matcher: FieldMatcher) -> tuple[float, list[tuple[str | None, float]]]:
    """Score one candidate header: each field counts once (its best column), weighted."""
    matches = [matcher.match(c) if c else (None, 0.0) for c in cells]
    best: dict[str, float] = {}
    for f, q in matches:
        if f and q > best.get(f, 0.0):
            best[f] = q
    score = sum(matcher.weights.get(f, 1.0) * q for f, q in best.items())
    if len(best) < 2 or not ({"name", "id_number"} & best.keys()):
        score = 0.0
    return score, matches


def _merge_pair(top: list[str], bottom: list[str], matcher: FieldMatcher) -> list[str]:
    """Per column, the best reading of a two-row header: the lower cell, the upper + lower text, or the upper
    cell alone (a vertically merged cell leaves the lower cell empty)."""
    merged = []
    for t, b in zip(top, bottom, strict=True):
        options = [o for o in (b, t + b if t and b else "", t if not b else "") if o]
        if not options:
            merged.append("")
            continue
        merged.append(max(options, key=lambda o: matcher.match(o)[1]))
    return merged


def find_header(top_rows: list[list[str]], matcher: FieldMatcher) -> tuple[list[int], list[str], float] | None:
    """(header row indices, header texts, score) of the best header among `top_rows`, or None."""
    best: tuple[list[int], list[str], float] | None = None
    scored = [_score(r, matcher) for r in top_rows]
    singles = [sc for sc, _ in scored]
    named = [any(f for f, _ in matches) for _, matches in scored]  # a row naming at least one field
    for i, row in enumerate(top_rows):
        s = singles[i]
        if s >= MIN_SCORE and (best is None or s > best[2] + 1e-9):
            best = ([i], row, s)
        if i + 1 < len(top_rows) and (named[i] or named[i + 1]):  # two rows of data never make a header
            merged = _merge_pair(row, top_rows[i + 1], matcher)
            ms = _score(merged, matcher)[0]
            if ms >= MIN_SCORE and ms > max(s, singles[i + 1]) + 0.5 and (best is None or ms > best[2] + 1e-9):
                best = ([i, i + 1], merged, ms)
    return best


def parse_context(text: str, matcher: FieldMatcher) -> dict[str, str]:
    """Fields named in one line above the header: {"work_unit": "南京XX科技有限公司", "unit_type": "民营科技企业"}."""
    found: dict[str, str] = {}
    if ":" not in text and "：" not in text:
        return found
    for key, value in _PAIR.findall(text):
        value = value.strip(" ，,;；")
        f = matcher.context_field(key)
        if f and value and f not in found:
            found[f] = value
    return found


def find_layout(cells: pd.DataFrame, letters: list[str], matcher: FieldMatcher,
                given_header: list[str] | None = None, labels: list[str] | None = None) -> Layout | None:
    """The layout of one table, or None when no row looks like a header (an instructions sheet)."""
    n = len(cells)
    if given_header is not None:  # .sav: names and variable labels are the header
        columns = []
        for i, name in enumerate(given_header):
            label = labels[i] if labels else ""
            fl, ql = matcher.match(label) if label else (None, 0.0)
            fn, qn = matcher.match(name)
            f, q, text = (fl, ql, label) if ql > qn else (fn, qn, name)
            columns.append(Column(i, letters[i] if i < len(letters) else "", name if not label else f"{name}（{label}）", f, q))
            del text
        layout = Layout([-1], _dedupe_fields(columns), 0.0)
        layout.kinds = _classify_rows(cells, layout, 0, matcher)
        return layout

    head = cells.iloc[:SCAN_ROWS]
    values = [arrow_strings(s).to_pylist() if isinstance(s.array, pd.arrays.ArrowStringArray) else s.tolist()
              for s in (head[c] for c in head.columns)]
    top = [list(map(_text, row)) for row in zip(*values, strict=True)] if values else [[] for _ in range(len(head))]
    found = find_header(top, matcher)
    if found is None:
        return None
    rows, texts, score = found
    columns = []
    for i, t in enumerate(texts):
        f, q = matcher.match(t) if t else (None, 0.0)
        columns.append(Column(i, letters[i] if i < len(letters) else "", t, f, q))
    layout = Layout(rows, _dedupe_fields(columns), score)

    kinds = np.full(n, DATA, dtype=object)
    kinds[rows] = HEADER
    for i in range(rows[0]):
        line = "  ".join(c for c in (_text_spaced(v) for v in cells.iloc[i]) if c)
        if not line.strip():
            kinds[i] = BLANK
            continue
        if holds_person_data(top[i] if i < len(top) else [_text(v) for v in cells.iloc[i]]):
            kinds[i] = UNEXPLAINED  # an ID number above the header: data, but no header explains it
            continue
        ctx = parse_context(line, matcher)
        if ctx:
            kinds[i] = CONTEXT
            for k, v in ctx.items():
                layout.context.setdefault(k, v)
        else:
            kinds[i] = HEADER if (i == rows[0] - 1 and sum(1 for c in top[i] if c) >= 2) else TITLE
        layout.titles.append(line)
    kinds[layout.data_start:] = _classify_rows(cells.iloc[layout.data_start:], layout, layout.data_start, matcher)
    template_rows(cells, layout.data_start, {f: c.index for f in ("seq", "name", "id_number") if (c := layout.column_of(f))}, kinds)
    layout.kinds = kinds
    return layout


def _text_spaced(v) -> str:
    """Cell text for a context line: half-width, inner runs of spaces kept as one space."""
    return _spaced(_text_raw(v))


_RUN_OF_SPACES = re.compile(r"\s+")


def _spaced(t: str) -> str:
    """`_text_spaced` of a string (ASCII text is its own NFKC form)."""
    return _RUN_OF_SPACES.sub(" ", t if t.isascii() else halfwidth(t)).strip()


def _text_raw(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return str(v)


def _dedupe_fields(columns: list[Column]) -> list[Column]:
    """When two columns match one field, the better match keeps it; the other stays a raw column.
    ("联系电话" and "手机" both → phone: the first exact match wins.)"""
    owner: dict[str, Column] = {}
    for c in columns:
        if not c.field:
            continue
        cur = owner.get(c.field)
        if cur is None or c.quality > cur.quality:
            if cur is not None:
                cur.field = None
            owner[c.field] = c
        else:
            c.field = None
    return columns


_LEADS = ("合", "总", "總", "小计", "小計", "共计", "填", "审", "審", "制", "注", "註", "说明", "備", "备注", "统计", "累计", "负责", "經辦",
          "经办", "复核", "单位负责", "签字", "盖章", "*", "＊")


def _classify_rows(cells: pd.DataFrame, layout: Layout, offset: int, matcher: FieldMatcher) -> np.ndarray:
    """Kinds of the rows below the header, with Arrow over whole columns: only rows without a name and ID, with a
    label — a leading column, or the name or ID column, starting like one ("合计", "小计", "填表人" …), or any
    other column holding a total ("合计…") or a signature ("审核人：") — repeating a column's header, or with a
    number or a sentence where the name should be ("24人"), are looked at one by one. (Other columns are not
    looked at for a mere leading "总" or "审": they hold 总经理 and 审计师.) A "单位：… 性质：…" line between blocks
    of one sheet is context for the rows below it (`layout.row_context`)."""
    n = len(cells)
    kinds = np.full(n, DATA, dtype=object)
    if n == 0:
        return kinds
    present = cells.notna().to_numpy()  # readers turn whitespace-only cells into NA
    nonempty = present.sum(axis=1)
    kinds[nonempty == 0] = BLANK
    name_col = layout.column_of("name")
    id_col = layout.column_of("id_number")
    has_name = present[:, name_col.index] if name_col else np.zeros(n, dtype=bool)
    has_id = present[:, id_col.index] if id_col else np.zeros(n, dtype=bool)
    suspect = (nonempty > 0) & ~(has_name | has_id)
    headers = {c.index: squeeze(c.header) for c in layout.columns if c.header}
    lead = f"^[{PY_WHITESPACE_RE2}]*(?:" + "|".join(map(re.escape, _LEADS)) + ")"
    leading = {*cells.columns[:3], *(c.index for c in (name_col, id_col) if c)}
    for j, c in enumerate(cells.columns):  # labels and repeated headers
        if not present[:, j].any():
            continue
        text = arrow_strings(cells[c])
        suspect |= arrow_mask(pc.match_substring_regex(text, lead if c in leading else _LABEL_RE2))
        if c in headers and layout.header_rows != [-1]:
            suspect |= arrow_mask(pc.equal(pc.utf8_trim_whitespace(text), headers[c]))
    if name_col is not None:  # "24人" or a sentence where a name should be
        suspect |= arrow_mask(pc.match_substring_regex(arrow_strings(cells[name_col.index]), "[0-9]|.{12,}"))
    blocks = layout.header_rows != [-1]
    header_like = np.zeros(n, dtype=bool)  # another block's header may stand here: the ID (else the phone) column
    digits = id_col or layout.column_of("phone")  # holds text without a digit; without either, the name column a
    if blocks and digits is not None:  # field's name
        text = arrow_strings(cells[digits.index])
        header_like = present[:, digits.index] & ~arrow_mask(pc.match_substring_regex(text, "[0-9\uff10-\uff19]"))
    elif blocks and name_col is not None:
        header_like = arrow_mask(pc.match_substring_regex(arrow_strings(cells[name_col.index]), matcher.contained_pattern))
    suspect |= header_like
    header_texts = frozenset(headers.values())
    where = np.flatnonzero(suspect)
    if not len(where):
        return kinds
    # the suspect rows' non-empty cells, stripped as str.strip() does (Arrow, column by column)
    taken = pa.array(where)
    columns = [pc.utf8_trim(pc.take(arrow_strings(cells[c]), taken), PY_WHITESPACE).to_pylist() for c in cells.columns]
    for i, row in zip(where, zip(*columns, strict=True), strict=True):
        values = tuple(v for v in row if v)
        colon = len(values) <= 3 and any(map(_COLON.search, values))
        ctx = parse_context("  ".join(map(_spaced, values)), matcher) if colon else {}
        if ctx:  # "单位名称：… 单位性质：…" opening the next block
            kinds[i] = CONTEXT
            layout.row_context[offset + int(i)] = ctx
            continue
        kind = _nondata_kind(values, header_texts) or DATA
        if header_like[i] and kind in (DATA, HEADER_REPEAT) and _starts_block(row, layout, matcher):
            kind = BLOCK_HEADER
        kinds[i] = kind
    return kinds


def _starts_block(row: tuple, layout: Layout, matcher: FieldMatcher) -> bool:
    """Whether a row below the header is the header of another block: it reads as a header and names a field
    in a column whose own header names another (a repeated header names the same ones)."""
    texts = [_text(v) for v in row]
    if all(not t or t == c.header for t, c in zip(texts, layout.columns, strict=False)):
        return False  # the header again, as it was
    if any(v and _looks_like_id(v) for v in row):
        return False
    score, matches = _score(texts, matcher)
    if score < MIN_SCORE:
        return False
    own = layout.header_fields(matcher)
    return any(f and own.get(j) != f for j, (f, _) in enumerate(matches))


def row_kind(values: tuple[str, ...]) -> str | None:
    """The non-data kind of a line from its non-empty cells (total, signature, note), or None."""
    return _nondata_kind(tuple(v.strip() for v in values if v and v.strip()), frozenset())


# the characters whose half-width (NFKC) form holds a colon: a line without one names no field (`parse_context`)
_COLON = re.compile("[:\u2a74\ufe13\ufe55\uff1a]")


@lru_cache(maxsize=20_000)  # repeated header rows and "合计" lines come back many times
def _nondata_kind(values: tuple[str, ...], header_texts: frozenset[str]) -> str | None:
    if not values:
        return BLANK
    first = _folded(values[0])
    some_id = any(_looks_like_id(v) for v in values)
    if not some_id and any(_TOTAL.match(_folded(v)) for v in values):
        return TOTAL
    if _NOTE.match(first):
        return NOTE
    joined = " ".join(values)
    if not some_id and (_SIGNATURE.search(joined) or (len(values) <= 3 and _SIGNATURE_WORD.search(joined))):
        return SIGNATURE
    if header_texts and sum(_squeezed(v) in header_texts for v in values) >= max(2, len(values) // 2):
        return HEADER_REPEAT
    if len(values) == 1 and len(first) > 15:
        return NOTE
    return None


# cell texts of non-data rows repeat (header repeats, "合计" lines): their folded forms are kept
@lru_cache(maxsize=100_000)
def _folded(v: str) -> str:
    return squeeze(halfwidth(v))


@lru_cache(maxsize=100_000)
def _squeezed(v: str) -> str:
    return squeeze(v)


@lru_cache(maxsize=100_000)
def _looks_like_id(v: str) -> bool:
    return bool(re.fullmatch(r"\s*[0-9]{15,17}[0-9Xx]?\s*", halfwidth(v)))

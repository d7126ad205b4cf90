"""How a readable sheet splits into what is read from it: tables, registration forms, and rows nothing explains.

- Tables side by side (columns A–F and H–M): the sheet's columns fall into bands separated by empty columns;
  when two bands or more have a header row of their own, each is a table, read on its own (a band without a
  header stays with the table on its left). Two tables without an empty column between them show as a header
  naming the name (or ID) twice: the sheet is cut before the second table's first column.
- Stacked blocks, each with its own header and column order: the layout step marks the header of a block laid
  out differently (`BLOCK_HEADER`); the sheet is cut there, above the block's own title and context lines, and
  each block is laid out with its own header.
- Registration forms (一人一表): see `forms.py`.
- A sheet without a header is skipped when it holds no person's data (an instructions sheet); when it does, its
  rows are quarantined (`row.no_header`). A row above a header holding an ID number is quarantined too
  (`row.unexplained`, see `layout.py`). Each comes with a line in the ingest summary.

Each part is a `Piece`: a `readers.Table` (a slice of the sheet, or the forms as a table of one row per form)
with its `Layout`, ready for `prepare.py`. One table filling its sheet — nearly every ledger — is the sheet as
it is, without a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..config import FieldMatcher
from ..text import arrow_mask, arrow_strings
from ..vocab import BLANK, BLOCK_HEADER, CONTEXT, DATA, NONDATA_KINDS, NOTE, TITLE
from .forms import forms_table, looks_like_forms, read_forms
from .layout import SCAN_ROWS, Column, Layout, cell_text, find_header, find_layout, parse_context
from .readers import Table

TABLE, FORMS, NO_HEADER = "table", "forms", "no_header"  # what a piece is


@dataclass
class Piece:
    """One part of a sheet: the `table` read (rows of the sheet, or one row per form) and its `layout`; `source`
    the part of the sheet it covers (the table itself, or the rows of the forms); `nondata` the positions (in
    `source`) and kinds of its rows that are not data; `cols` ("H:M") when the sheet holds tables side by side;
    `what`: table, forms or no_header."""

    table: Table
    layout: Layout
    source: Table
    nondata: tuple[np.ndarray, np.ndarray]
    what: str = TABLE
    cols: str | None = None

    @property
    def span(self) -> int:
        """The sheet rows the piece covers (each counted once in its sheet's summary)."""
        return len(self.source.cells)


def _table_piece(t: Table, lay: Layout, what: str = TABLE) -> Piece:
    at = np.flatnonzero(np.isin(lay.kinds, NONDATA_KINDS))
    return Piece(t, lay, t, (at, lay.kinds[at]), what)


def sub_table(t: Table, r0: int, r1: int, c0: int = 0, c1: int | None = None) -> Table:
    """Rows r0..r1-1 and columns c0..c1-1 of a table, columns numbered from 0 again."""
    c1 = t.cells.shape[1] if c1 is None else c1
    if (r0, r1, c0, c1) == (0, len(t.cells), 0, t.cells.shape[1]):
        return t
    cells = t.cells.iloc[r0:r1, c0:c1]
    cells = cells.set_axis(range(c1 - c0), axis=1).reset_index(drop=True)
    return Table(t.sheet, cells, t.rows[r0:r1], t.letters[c0:c1], lossy_numbers=lambda j: t.lossy(c0 + j)[r0:r1])


def plan_sheet(t: Table, matcher: FieldMatcher) -> list[Piece]:
    """The pieces of one sheet (empty when it holds neither a table, a form nor anyone's data)."""
    if t.header is not None:  # .sav: the variables are the header
        return [_table_piece(t, find_layout(t.cells, t.letters, matcher, t.header, t.labels))]
    bands = _bands(t, matcher)
    if len(bands) > 1:
        pieces = []
        for c0, c1 in bands:
            cols = f"{t.letters[c0]}:{t.letters[c1 - 1]}" if t.letters[c0] else f"{c0 + 1}:{c1}"
            for p in _plan_region(sub_table(t, 0, len(t.cells), c0, c1), matcher):
                p.cols = cols
                pieces.append(p)
        return _share_titles(pieces, matcher)
    return _plan_region(t, matcher)


def _share_titles(pieces: list[Piece], matcher: FieldMatcher) -> list[Piece]:
    """Tables side by side: the sheet's title and 填报单位 line stand over the first (in its columns); a table
    beside it whose own columns are empty on those rows inherits them, after its own titles."""
    first = pieces[0].layout if pieces else None
    if first is None or first.kinds is None or not first.header_rows or first.header_rows[0] < 0:
        return pieces
    above = [i for i in range(first.header_rows[0]) if first.kinds[i] in (TITLE, CONTEXT)]
    for p in pieces[1:]:
        if p.source.rows[0] != pieces[0].source.rows[0]:  # a lower block of a table beside: not under the title
            continue
        for i in above:
            if i < len(p.source.cells) and p.source.cells.iloc[i].isna().all():
                line = " ".join(cell_text(v) for v in pieces[0].source.cells.iloc[i] if cell_text(v))
                if line not in p.layout.titles:
                    p.layout.titles.append(line)
                for k, v in parse_context(line, matcher).items():
                    p.layout.context.setdefault(k, v)
    return pieces


def _top(t: Table) -> list[list[str]]:
    head = t.cells.iloc[:SCAN_ROWS]
    columns = [arrow_strings(head[c]).to_pylist() for c in head.columns]
    return [list(map(cell_text, row)) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(len(head))]


def _bands(t: Table, matcher: FieldMatcher) -> list[tuple[int, int]]:
    """Column ranges of tables side by side: runs of columns between empty columns, a run without a header of
    its own joined to the one on its left (the first to the next). One range (the whole sheet) when fewer than
    two runs have a header."""
    k = t.cells.shape[1]
    if k < 4:
        return [(0, k)]
    used = np.array([not _empty(t.cells[c]) for c in t.cells.columns])
    if used.all():
        return [(0, k)]
    runs, start = [], None
    for j in range(k + 1):
        if j < k and used[j]:
            start = j if start is None else start
        elif start is not None:
            runs.append((start, j))
            start = None
    if len(runs) < 2:
        return [(0, k)]
    top = _top(t)
    headed = [find_header([row[a:b] for row in top], matcher) is not None for a, b in runs]
    if sum(headed) < 2:
        return [(0, k)]
    bands: list[list[int]] = []
    for (a, b), h in zip(runs, headed, strict=True):
        if h or not bands:
            bands.append([a, b])
        else:
            bands[-1][1] = b
    if not headed[0]:  # a first run without a header goes with the next
        bands[1][0] = bands[0][0]
        bands.pop(0)
    return [(a, b) for a, b in bands]


def _empty(column: pd.Series) -> bool:
    """Whether a column holds no cell (Arrow keeps the count of its nulls: no pass over the cells)."""
    if isinstance(column.array, pd.arrays.ArrowStringArray):
        return column.array.__arrow_array__().null_count == len(column)
    return bool(column.isna().all())


def _plan_region(t: Table, matcher: FieldMatcher) -> list[Piece]:
    """The pieces of a part of a sheet that holds one table, forms, or one table above another."""
    lay = find_layout(t.cells, t.letters, matcher)
    if (lay is None or not _plain_header(lay, matcher)) and looks_like_forms(t.cells, matcher):
        return [_forms_piece(t, matcher)]
    if lay is None:
        return [_no_header(t)] if _holds_data(t) else []
    cut = _second_table(lay, matcher)
    if cut is not None:  # two tables side by side without an empty column between them
        left, right = sub_table(t, 0, len(t.cells), 0, cut), sub_table(t, 0, len(t.cells), cut)
        pieces = []
        for part, (c0, c1) in ((left, (0, cut)), (right, (cut, t.cells.shape[1]))):
            for p in _plan_region(part, matcher):
                p.cols = p.cols or (f"{t.letters[c0]}:{t.letters[c1 - 1]}" if t.letters[c0] else None)
                pieces.append(p)
        return _share_titles(pieces, matcher)
    starts = np.flatnonzero(lay.kinds == BLOCK_HEADER)
    if not len(starts):
        return [_table_piece(t, lay)]
    s = _block_start(t, lay, int(starts[0]))
    lay.kinds = lay.kinds[:s].copy()
    lay.row_context = {i: c for i, c in lay.row_context.items() if i < s}
    return [_table_piece(sub_table(t, 0, s), lay), *_plan_region(sub_table(t, s, len(t.cells)), matcher)]


def _plain_header(lay: Layout, matcher: FieldMatcher) -> bool:
    """Whether a header is a table's: most of its cells name a field exactly (a form's "header" — 姓名 | 张三 |
    性别 | 男 — has a value after each label)."""
    cells = [c.header for c in lay.columns if c.header]
    return bool(cells) and sum(matcher.match(h)[1] >= 1.0 for h in cells) >= 0.6 * len(cells)


def _block_start(t: Table, lay: Layout, header: int) -> int:
    """Where a block whose header is row `header` begins: above it, its own title and context lines (a
    "单位名称：…" line, "（二）虹苑社区"), up to a blank row or a row of the block above. A line is a context line,
    a note, or a row of a single cell that is no name (a name alone in the name column is a row of the block
    above)."""
    name = lay.column_of("name")
    i = header
    while i > lay.data_start:
        kind = lay.kinds[i - 1]
        if kind not in (CONTEXT, NOTE, DATA):
            break
        if kind == DATA:
            row = [cell_text(v) for v in t.cells.iloc[i - 1]]
            filled = [j for j, v in enumerate(row) if v]
            if len(filled) != 1 or (name is not None and filled[0] == name.index and len(row[filled[0]]) <= 4):
                break
        i -= 1
    return i


def _second_table(lay: Layout, matcher: FieldMatcher) -> int | None:
    """The first column of a second table beside the first without an empty column between them: the header
    names the name (or the ID) twice, exactly; the cut is at the second table's column that repeats the
    first table's first header, else at its second name, and before a 序号 column that opens the second table."""
    own = lay.header_fields(matcher)
    for f in ("name", "id_number"):
        at = [j for j in sorted(own) if own[j] == f and matcher.match(lay.columns[j].header)[1] >= 1.0]
        if len(at) < 2:
            continue
        first = min(j for j in own if lay.columns[j].header)
        second = at[1]
        repeat = [j for j in range(at[0] + 1, second + 1) if lay.columns[j].header == lay.columns[first].header]
        cut = repeat[0] if repeat else second
        while cut - 1 > at[0] and own.get(cut - 1) == "seq":
            cut -= 1
        left = [c.field for c in lay.columns[:cut] if c.field]
        right = [matcher.match(c.header)[0] for c in lay.columns[cut:] if c.header]
        if ({"name", "id_number"} & set(left)) and ({"name", "id_number"} & set(right)):
            return cut
    return None


_PERSON_CELL = r"^[\s']*(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[3-9][0-9]{9})\s*$"


_ID_CELL = r"^[\s']*(?:[0-9]{17}[0-9Xx]|[0-9]{15})\s*$"


def _holds_data(t: Table) -> bool:
    """Whether a sheet without a header holds anyone's data: a cell that is an ID number or a mobile number."""
    return any(arrow_mask(pc.match_substring_regex(arrow_strings(t.cells[c]), _PERSON_CELL)).any() for c in t.cells.columns)


def _no_header(t: Table) -> Piece:
    """A sheet of data without a header: every non-blank row quarantined (`row.no_header`), its cells kept. A
    column of ID numbers or of mobile numbers is kept as one (so that exports mask it), the rest as typed."""
    fields: dict[int, str] = {}
    for j in t.cells.columns:
        text = arrow_strings(t.cells[j])
        filled = max(int(pc.sum(pc.is_valid(text)).as_py() or 0), 1)
        for f, pattern in (("id_number", _ID_CELL), ("phone", _PERSON_CELL)):
            if f not in fields.values() and arrow_mask(pc.match_substring_regex(text, pattern)).sum() * 2 >= filled:
                fields[j] = f
                break
    columns = [Column(j, t.letters[j] if j < len(t.letters) else "", "", fields.get(j), 0.0) for j in range(t.cells.shape[1])]
    lay = Layout([], columns, 0.0)
    lay.kinds = np.where(t.cells.notna().any(axis=1).to_numpy(), DATA, BLANK).astype(object)
    return _table_piece(t, lay, NO_HEADER)


def _forms_piece(t: Table, matcher: FieldMatcher) -> Piece:
    found = read_forms(t.cells, matcher)
    sub, lay = forms_table(t, found)
    at = np.flatnonzero(~np.isin(found.kinds, [DATA, BLANK]))
    return Piece(sub, lay, t, (at, found.kinds[at]), FORMS)

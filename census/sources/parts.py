"""Phase 1 of preparing a file, per piece of a sheet (a table, the records of its forms, or rows no header
explains — see `sheets.py`): the data rows, their raw field cells, the context they inherit, the quarantine
reasons that need the whole row, and the rows that are not data. `prepare.py` runs it for every piece and
normalises the rows of a whole batch at once (`records.normalize`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Register
from ..i18n import _
from ..text import PY_WHITESPACE_RE2, arrow_mask, arrow_strings, clean
from ..vocab import DATA, UNEXPLAINED
from .layout import Column, Layout
from .places import block_context, table_context
from .roster import ROSTER_FIELDS
from .sheets import FORMS, NO_HEADER, Piece


@dataclass(kw_only=True)
class RowCounts:
    """Where the rows of a sheet (or, summed, of a file) went: every row is data (a record or quarantined),
    non-data (titles, headers, totals …) or blank. A sheet holding tables side by side counts each of its rows
    once per table."""

    rows_total: int = 0
    data_rows: int = 0
    records: int = 0
    quarantined: int = 0
    nondata: int = 0
    blank: int = 0


COUNTS = tuple(RowCounts.__dataclass_fields__)


@dataclass
class SheetSummary(RowCounts):
    sheet: str
    status: str  # vocab.SHEET_READ, SHEET_SKIPPED, SHEET_QUARANTINED
    reason: str | None = None
    header_rows: str | None = None
    columns: list[dict] = field(default_factory=list)
    context: dict[str, str] | list[dict[str, str]] = field(default_factory=dict)
    raw_keys: list[str] = field(default_factory=list)  # the keys of its records' raw cells, in order


@dataclass
class Part:
    """One piece of a sheet, laid out: its data rows' raw fields (`frame`), its raw cells (by key, joined once
    the sheet's keys are known), its non-data rows, and what its sheet's summary says of it."""

    part: int
    file: int  # index into the batch's results
    frame: pd.DataFrame
    raw_cells: dict[str, pd.Series]
    labels: dict[str, str]
    nondata: pd.DataFrame
    summary: SheetSummary
    header: str  # its header rows ("4", "3-4"), or what it is (登记表, 无表头, names)
    columns: list[dict]
    context: dict[str, str]
    raw: pa.Array | None = None  # the raw cells joined (`joined_raw`)


RAW_FIELDS = ("name", "id_number", "phone", "birth_date", "sex", "education", "political_status", "representative",
              "work_unit", "unit_type", "position", "occupation", "category", "ethnicity", "address", "note", "street", "community",
              *ROSTER_FIELDS)
_UNIT_NAME = re.compile(r"(公司|事务所|协会|商会|基金会|中心|工作室|集团|厂|店|所|院|学校|银行)$")


def looks_like_unit(name: str) -> bool:
    """Whether a sheet's name is an employer's ("南京云帆科技有限公司"): its rows work there."""
    return bool(name) and bool(_UNIT_NAME.search(clean(name)))


def _unit_context(lay: Layout, sheet: str) -> dict[str, str]:
    """The unit every row of a table works for, when a line above the header or the sheet's name says so."""
    ctx = {k: lay.context[k] for k in ("work_unit", "unit_type") if k in lay.context}
    if "work_unit" not in ctx and looks_like_unit(sheet):
        ctx["work_unit"] = sheet
    return ctx


def lay_out_piece(piece: Piece, kind: str, display_path: str, street: str | None, community: str | None,
                  register: Register, summary: SheetSummary, part: int, ordinal0: int) -> Part:
    """Phase 1, per piece: pick the data rows, their raw field cells, the context they inherit, and the
    quarantine reasons that need the whole row."""
    table, lay = piece.table, piece.layout
    kinds = lay.kinds
    data_mask = (kinds == DATA) | (kinds == UNEXPLAINED)
    at = np.flatnonzero(data_mask)
    if len(at) and at[-1] - at[0] + 1 == len(at):  # one run of rows (no blocks, no blank lines): a slice, no copy
        cells = table.cells.iloc[at[0]:at[-1] + 1].reset_index(drop=True)
    else:
        cells = table.cells[data_mask].reset_index(drop=True)
    rows = table.rows[data_mask]
    n = len(cells)
    col = {c.field: c for c in lay.columns if c.field}
    empty = pd.Series(pd.NA, index=cells.index, dtype="string")
    columns = {"ordinal": np.arange(ordinal0, ordinal0 + n, dtype=np.int64), "part": np.full(n, part), "sheet": _constant(table.sheet, n),
               "row": rows.astype(np.int64), "col_range": _constant(piece.cols, n), "source_kind": _constant(kind, n)}
    columns.update({f"f_{f}": (cells[col[f].index] if f in col else empty) for f in RAW_FIELDS})
    for f in ("street", "community"):  # a merged 社区 cell holds its text in its first row only: the rows below
        if f in col and columns[f"f_{f}"].isna().any():  # it, and those left blank under one, are of that place
            columns[f"f_{f}"] = columns[f"f_{f}"].ffill()
    columns["lossy_id"] = table.lossy(col["id_number"].index)[data_mask] if "id_number" in col else np.zeros(n, dtype=bool)

    # rows that are data-shaped but are no record
    present = cells.notna().to_numpy()
    has_name, has_id = columns["f_name"].notna().to_numpy(), columns["f_id_number"].notna().to_numpy()
    numeric_only = np.zeros(n, dtype=bool)
    number = f"^[{PY_WHITESPACE_RE2}]*\\p{{Nd}}+(\\.\\p{{Nd}}+)?[{PY_WHITESPACE_RE2}]*$"  # what Python reads as \s*\d+(\.\d+)?\s*
    cand = ~has_name | arrow_mask(pc.match_substring_regex(arrow_strings(columns["f_name"]), number))
    if cand.any():  # only rows whose name cell is empty or a number can be all numbers
        sub = cells[cand]
        digits = sum(arrow_mask(pc.match_substring_regex(arrow_strings(sub[c]), number)).astype(np.int64) for c in sub.columns)
        nonempty = present[cand].sum(axis=1)
        numeric_only[cand] = (digits == nonempty) & (nonempty >= 3)
    meaningful = [c.index for c in lay.columns if c.field and c.field not in ("seq", "name", "note")]
    others = present[:, meaningful].any(axis=1) if meaningful else np.zeros(n, dtype=bool)
    reason = np.full(n, None, dtype=object)
    reason[numeric_only] = "row.all_numeric"
    reason[(reason == None) & ~has_name & ~has_id] = "row.no_identity"  # noqa: E711
    reason[(reason == None) & has_name & ~has_id & ~others & (kind != "questionnaire")] = "row.name_only"  # noqa: E711
    if piece.what == NO_HEADER:
        reason[:] = "row.no_header"
    reason[kinds[data_mask] == UNEXPLAINED] = "row.unexplained"
    if table.faults:  # a line the reader could not read whole is quarantined with the reader's reason
        fault = np.full(len(table.rows), None, dtype=object)
        fault[list(table.faults)] = list(table.faults.values())
        fault = fault[data_mask]
        reason = np.where(fault != None, fault, reason)  # noqa: E711
    columns["reason"] = reason
    texts = np.full(n, None, dtype=object)
    if (reason != None).any():  # noqa: E711 - the quarantined rows' text, for the issue
        texts[reason != None] = row_texts(cells, np.flatnonzero(reason != None))  # noqa: E711
    columns["row_text"] = texts

    # what the rows inherit: a context line of their block, else the table's context
    ctx = table_context(lay, table.sheet, display_path, street, community, register)
    ctx.update(_unit_context(lay, table.sheet))
    if lay.row_context:
        block = block_context(lay, data_mask, register)
        for k in ("work_unit", "unit_type"):
            columns[f"ctx_{k}"] = block[k].fillna(ctx[k]) if k in ctx else block[k]
        in_block = block["street"].notna() | block["community"].notna()
        columns["fb_street"] = block["street"].where(in_block, ctx.get("street"))
        columns["fb_community"] = block["community"].where(in_block, ctx.get("community"))
        columns["fb_street_from"] = np.where(in_block, "context", ctx.get("_street_from"))
        columns["fb_community_from"] = np.where(in_block, "context", ctx.get("_community_from"))
    else:  # no context lines between blocks: the table's context holds for every row
        for k in ("work_unit", "unit_type"):
            columns[f"ctx_{k}"] = _constant(ctx.get(k), n)
        for k in ("street", "community"):
            columns[f"fb_{k}"] = _constant(ctx.get(k), n)
            columns[f"fb_{k}_from"] = _constant(ctx.get(f"_{k}_from"), n)
    frame = pd.DataFrame(columns, index=cells.index, copy=False)

    # the raw cells (ID and phone columns are kept apart, to be masked)
    skip_raw = {c.index for f, c in col.items() if f in ("id_number", "phone")}
    raw_cells: dict[str, pd.Series] = {}
    raw_key_of: dict[int, str] = {}
    for c in lay.columns:
        if c.index in skip_raw:
            continue
        key = c.header or (f"列{c.letter}" if c.letter else f"列{c.index + 1}")
        base, k = key, 2
        while key in raw_cells:
            key, k = f"{base}_{k}", k + 1
        raw_key_of[c.index] = key
        raw_cells[key] = cells[c.index]

    at, nd_kinds = piece.nondata
    nondata = pd.DataFrame({"sheet": table.sheet, "row": piece.source.rows[at], "kind": nd_kinds,
                            "text": row_texts(piece.source.cells, at)})
    summary.data_rows += n
    summary.nondata += len(at)
    info = [{"letter": c.letter, "header": c.header, "field": c.field, "raw_key": raw_key_of.get(c.index)} for c in lay.columns]
    if table.header is not None:  # .sav: keep variable names, labels and value labels for questionnaire tables
        for c, entry in zip(lay.columns, info, strict=True):
            name = table.header[c.index]
            entry["variable"] = name
            entry["label"] = (table.labels or [""] * len(table.header))[c.index] or None
            value_labels = table.value_labels.get(name)
            if value_labels:
                entry["value_labels"] = [{"value": _plain(v), "label": str(lab)} for v, lab in value_labels.items()]
    header = (_("登记表") if piece.what == FORMS else _("无表头") if piece.what == NO_HEADER else "names" if lay.header_rows == [-1]
              else "-".join(str(int(piece.source.rows[r])) for r in lay.header_rows))
    context = {k: v for k, v in ctx.items() if not k.startswith("_")}
    labels = {f: _column_label(c) for f, c in col.items()}
    return Part(part, -1, frame, raw_cells, labels, nondata, summary, header, info, context)


def joined_raw(cells: list[pd.Series | None], n: int) -> pa.Array:
    """A table's raw cells, one string per row: the cells in the order of its raw keys joined by U+001F (a
    character no ledger holds; one typed in a cell becomes a space), empty cells (and keys the table does not
    have, None) as ''."""
    if not cells:
        return pa.array([""] * n, type=pa.string())
    cols = []
    for c in cells:
        if c is None:
            cols.append(pa.array([""] * n, type=pa.string()))
            continue
        text = pc.fill_null(arrow_strings(c), "")
        cols.append(pc.replace_substring(text, "\x1f", " ") if pc.any(pc.match_substring(text, "\x1f")).as_py() else text)
    return pc.binary_join_element_wise(*cols, "\x1f")


def row_texts(cells: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
    """Each row's non-empty cells joined by one space, runs of spaces inside a cell squeezed to one (what a
    non-data or quarantined row said). `rows`: the positions of the rows wanted (all when None)."""
    n = len(cells) if rows is None else len(rows)
    if not n or not cells.shape[1]:
        return np.full(n, "", dtype=object)
    taken = None if rows is None else pa.array(rows, type=pa.int64())
    cols = []
    for c in cells.columns:
        text = arrow_strings(cells[c]) if taken is None else arrow_strings(cells[c]).take(taken)
        cols.append(pc.fill_null(pc.replace_substring_regex(text, f"[{PY_WHITESPACE_RE2}]+", " "), ""))
    joined = pc.binary_join_element_wise(*cols, " ")  # (null_handling="skip" drops all-null rows in pyarrow 26)
    joined = pc.utf8_trim(pc.replace_substring_regex(joined, " {2,}", " "), " ")
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def _constant(value: str | None, n: int) -> pd.Series | np.ndarray:
    """A column of n times one value, as pandas makes it from the value alone (text: Arrow strings, made
    here by one Arrow take; None: an object column)."""
    if value is None:
        return np.full(n, None, dtype=object)
    repeated = pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([repeated]), dtype=_STR))


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"


def _plain(v):
    """A value-label key as JSON can hold it: 1.0 → 1."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _column_label(c: Column) -> str:
    if c.letter and c.header:
        return f"{c.letter}（{c.header}）"
    return c.header or c.letter

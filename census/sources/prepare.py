"""Preparing source files: each file read, laid out and normalised into Arrow tables (records, issues, non-data
rows) and sheet summaries, without touching the workspace.

`prepare_files` runs in the ingest's worker processes (`workers.py`), so both cores read at once; `ingest.py`
writes what it returns. Per table (phase 1, `_lay_out_table`): the data rows, their raw field cells, the context
they inherit and the quarantine reasons that need the whole row. Over every row of a batch at once (phase 2,
`records.normalize`): the record columns and the issues found.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Register, Schemas, load_schemas
from ..errors import SourceError
from ..text import PY_WHITESPACE_RE2, arrow_mask, arrow_strings, clean
from ..vocab import DATA, NONDATA_KINDS, SKIPPED_SHEET
from .layout import Column, Layout, find_layout
from .places import block_context, table_context
from .readers import Table, read_source
from .records import ISSUE_SCHEMA, NONDATA_SCHEMA, RECORD_SCHEMA, normalize
from .roster import ROSTER_FIELDS


@dataclass
class IngestOptions:
    encoding: str | None = None
    kind: str | None = None  # force the source kind
    street: str | None = None
    community: str | None = None
    replace: bool = False
    schema_files: tuple[str, ...] = ()


@dataclass(kw_only=True)
class RowCounts:
    """Where the rows of a sheet (or, summed, of a file) went: every row is data (a record or quarantined),
    non-data (titles, headers, totals …) or blank."""

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
    status: str  # read, skipped
    reason: str | None = None
    header_rows: str | None = None
    columns: list[dict] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)


@dataclass
class Prepared:
    """One file read and normalised, ready to be written."""

    path: str
    abs_path: str
    sha256: str
    size: int
    format: str
    encoding: str | None
    kind: str
    records: pa.Table | None  # ordinal, sheet, row, status, reason, source_kind, raw and RECORD_COLUMNS
    issues: pa.Table | None  # ordinal, sheet, row, column, field, code, severity, value, message
    nondata: pa.Table | None  # sheet, row, kind, text
    sheets: list[SheetSummary]
    notices: list[str]
    warnings: dict[str, int] = field(default_factory=dict)  # issues that are not quarantine reasons, by code
    spilled: dict[str, str] = field(default_factory=dict)  # table → Arrow IPC file, while crossing processes

    def counts(self) -> dict[str, int]:
        """Its sheets' row counts, summed."""
        return {k: sum(getattr(s, k) for s in self.sheets) for k in COUNTS}


TABLES = ("records", "issues", "nondata")  # the tables of a Prepared file


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ============================================================================================ files
def prepare_files(items: list[tuple[Path, str, str | None]], options: IngestOptions, register_yaml: str) -> list[Prepared | Exception]:
    """Read several files and normalise all their rows in one pass (ledgers come as many small files, and
    each normalising step has a fixed cost). One result per file: its tables, or the error that stopped it."""
    schemas = load_schemas(options.schema_files)
    register = Register.from_yaml(register_yaml) if register_yaml else Register()
    results: list[Prepared | Exception] = []
    parts: list[_Part] = []
    for path, display_path, sha in items:
        try:
            prep, file_parts = _lay_out_file(path, display_path, options, schemas, register, sha, len(parts), len(results))
        except Exception as e:  # noqa: BLE001 - reported per file, the other files still go in
            results.append(e)
            continue
        results.append(prep)
        parts.extend(file_parts)
    if parts:
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        out, issues = normalize(frame, schemas, register, {p.part: p.labels for p in parts})
        _assemble(results, parts, out, issues)
    return results


@dataclass
class _Part:
    """One table of one file, laid out: its data rows' raw fields (`frame`), the raw cells kept as they are,
    its non-data rows, and its summary."""

    part: int
    file: int  # index into the batch's results
    frame: pd.DataFrame
    raw: pa.Array  # the raw cells joined (`_joined_raw`)
    raw_keys: list[str]
    labels: dict[str, str]
    nondata: pd.DataFrame
    summary: SheetSummary


def _lay_out_file(path: Path, display_path: str, options: IngestOptions, schemas: Schemas, register: Register,
                  sha: str | None, part0: int, file_index: int) -> tuple[Prepared, list[_Part]]:
    src = read_source(path, options.encoding)
    kind = options.kind or _file_kind(src.format, display_path)
    prep = Prepared(display_path, str(path.resolve()), sha or file_sha256(path), path.stat().st_size, src.format,
                    src.encoding, kind, None, None, None, [], [])
    parts: list[_Part] = []
    nondata: list[pd.DataFrame] = []
    ordinal = 0
    for table in src.tables:
        summary = SheetSummary(table.sheet, "read", rows_total=int(table.rows[-1]) if len(table.rows) else 0)
        prep.sheets.append(summary)
        lay = find_layout(table.cells, table.letters, schemas.fields, table.header, table.labels)
        if lay is None:
            summary.status = "skipped"
            summary.reason = "no header row: no row names a name or ID column and another known field"
            texts = _row_texts(table.cells)
            keep = texts != ""
            summary.nondata = int(keep.sum())
            summary.blank = summary.rows_total - summary.nondata
            nondata.append(pd.DataFrame({"sheet": table.sheet, "row": table.rows[keep], "kind": SKIPPED_SHEET, "text": texts[keep]}))
            continue
        table_kind = options.kind or _table_kind(kind, lay, table.sheet, src.format)
        part = _lay_out_table(table, lay, table_kind, display_path, options, register, summary, part0 + len(parts), ordinal)
        part.file = file_index
        if len(part.frame) and part.frame["fb_street"].isna().all() and part.frame["fb_community"].isna().all() \
                and part.frame["f_street"].isna().all() and part.frame["f_community"].isna().all() \
                and table_kind in ("community_ledger", "household_register"):
            where = f"sheet {table.sheet!r} of " if table.sheet else ""
            prep.notices.append(f"{display_path}: the rows of {where}this file name no street or community, and neither do its "
                                "title, sheet or path; pass --community NAME (and --street NAME) to place them.")
        ordinal += len(part.frame)
        nondata.append(part.nondata)
        parts.append(part)
    if src.tables and all(s.status == "skipped" for s in prep.sheets):
        raise SourceError(display_path, "no sheet has a header row naming a name or ID column and another known field "
                          "(姓名, 身份证号, 联系电话 …); check the file, or add the column names to a --schema file.")
    if nondata:
        frame = pd.concat(nondata, ignore_index=True)
        prep.nondata = pa.Table.from_pandas(frame, schema=NONDATA_SCHEMA, preserve_index=False)
    return prep, parts


def _assemble(results: list, parts: list[_Part], out: dict[str, Any], issues: pd.DataFrame) -> None:
    """Split the batch's normalised rows and issues back into each file: its records as one Arrow table (which
    crosses from the worker process and into DuckDB without a per-value cost), with the raw cells joined."""
    table = pa.Table.from_arrays([pa.array(out[f.name], type=f.type, from_pandas=True) for f in RECORD_SCHEMA],
                                 schema=RECORD_SCHEMA)
    bounds = np.cumsum([0] + [len(p.frame) for p in parts])
    tables: dict[int, list[pa.Table]] = {}
    for j, p in enumerate(parts):
        chunk = table.slice(bounds[j], bounds[j + 1] - bounds[j])
        tables.setdefault(p.file, []).append(chunk.append_column("raw", p.raw))
        p.summary.quarantined = int(pc.sum(pc.equal(chunk["status"], "quarantined")).as_py() or 0)
        p.summary.records = p.summary.data_rows - p.summary.quarantined
    for i, chunks in tables.items():
        t = pa.concat_tables(chunks)
        # a copy of the file's rows, unless they are the whole batch in one piece: a slice pickles (crossing to
        # the writer) with the whole of the buffers it points into
        whole = len(chunks) == 1 and t.num_rows == table.num_rows
        results[i].records = t if whole else t.take(pa.array(np.arange(t.num_rows)))
    if not len(issues):
        return
    # each file's issues, table by table, each in the order found; taken out (copied) of the batch's columns
    # like the records, or a file's few issues would cross to the writer with the batch's whole buffers
    issues = issues.iloc[np.argsort(issues["part"].to_numpy(), kind="stable")].reset_index(drop=True)
    file_of = pd.Series({p.part: p.file for p in parts})
    files = file_of.reindex(issues["part"].to_numpy()).to_numpy()
    all_issues = pa.Table.from_pandas(issues.drop(columns=["part"]), schema=ISSUE_SCHEMA, preserve_index=False)
    counted = issues["code"].where(issues["severity"] != "quarantine")
    for i in pd.unique(files):
        rows = np.flatnonzero(files == i)
        results[i].warnings = dict(sorted(Counter(counted.iloc[rows].dropna()).items()))
        results[i].issues = all_issues.take(pa.array(rows))


def _joined_raw(cells: list[pd.Series], n: int) -> pa.Array:
    """A table's raw cells, one string per row: the cells in the order of its raw keys joined by U+001F (a
    character no ledger holds; one typed in a cell becomes a space), empty cells as ''."""
    if not cells:
        return pa.array([""] * n, type=pa.string())
    cols = []
    for c in cells:
        text = pc.fill_null(arrow_strings(c), "")
        cols.append(pc.replace_substring(text, "\x1f", " ") if pc.any(pc.match_substring(text, "\x1f")).as_py() else text)
    return pc.binary_join_element_wise(*cols, "\x1f")


def _row_texts(cells: pd.DataFrame, rows: np.ndarray | None = None) -> np.ndarray:
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


_HOUSEHOLD_PATH = re.compile(r"住户|户籍|户口|人口|居民信息|实有人口")
_ROSTER_PATH = re.compile(r"代表人士|政治安排|人大代表|政协委员")
_UNIT_PATH = re.compile(r"驻地单位|单位台帐|单位台账|企业|员工|职工|花名册|公司|事务所|协会")


def _file_kind(fmt: str, display_path: str) -> str:
    if fmt == "sav":
        return "questionnaire"
    if _ROSTER_PATH.search(display_path):
        return "roster"
    if _HOUSEHOLD_PATH.search(display_path):
        return "household_register"
    if _UNIT_PATH.search(display_path):
        return "unit_ledger"
    return "community_ledger"


def _table_kind(file_kind: str, lay: Layout, sheet: str, fmt: str) -> str:
    fields = {c.field for c in lay.columns if c.field}
    if file_kind in ("questionnaire", "roster"):
        return file_kind
    if len(set(ROSTER_FIELDS) & fields) >= 2 and not {"category", "community", "household_no"} & fields:
        return "roster"  # a list of arrangements (人大代表, 政协委员 …) that is no ledger
    if {"household_no", "relation"} & fields:
        return "household_register"
    if "work_unit" in lay.context or _looks_like_unit(sheet):
        return "unit_ledger"
    return file_kind


_UNIT_NAME = re.compile(r"(公司|事务所|协会|商会|基金会|中心|工作室|集团|厂|店|所|院|学校|银行)$")


def _looks_like_unit(name: str) -> bool:
    return bool(name) and bool(_UNIT_NAME.search(clean(name)))


def _unit_context(lay: Layout, sheet: str) -> dict[str, str]:
    """The unit every row of a table works for, when a line above the header or the sheet's name says so."""
    ctx = {k: lay.context[k] for k in ("work_unit", "unit_type") if k in lay.context}
    if "work_unit" not in ctx and _looks_like_unit(sheet):
        ctx["work_unit"] = sheet
    return ctx


# ============================================================================================ one table
RAW_FIELDS = ("name", "id_number", "phone", "birth_date", "sex", "education", "political_status", "representative",
              "work_unit", "unit_type", "position", "occupation", "category", "ethnicity", "address", "note", "street", "community",
              *ROSTER_FIELDS)


def _lay_out_table(table: Table, lay: Layout, kind: str, display_path: str, options: IngestOptions,
                   register: Register, summary: SheetSummary, part: int, ordinal0: int) -> _Part:
    """Phase 1, per table: pick the data rows, their raw field cells, the context they inherit, and the
    quarantine reasons that need the whole row."""
    kinds = lay.kinds
    data_mask = kinds == DATA
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
               "row": rows.astype(np.int64), "source_kind": _constant(kind, n)}
    columns.update({f"f_{f}": (cells[col[f].index] if f in col else empty) for f in RAW_FIELDS})
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
    columns["reason"] = reason
    texts = np.full(n, None, dtype=object)
    if (reason != None).any():  # noqa: E711 - the quarantined rows' text, for the issue
        texts[reason != None] = _row_texts(cells, np.flatnonzero(reason != None))  # noqa: E711
    columns["row_text"] = texts

    # what the rows inherit: a context line of their block, else the table's context
    ctx = table_context(lay, table.sheet, display_path, options.street, options.community, register)
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
    raw: list[pd.Series] = []
    raw_keys: list[str] = []
    raw_key_of: dict[int, str] = {}
    for c in lay.columns:
        if c.index in skip_raw:
            continue
        key = c.header or (f"列{c.letter}" if c.letter else f"列{c.index + 1}")
        base, k = key, 2
        while key in raw_keys:
            key, k = f"{base}_{k}", k + 1
        raw_keys.append(key)
        raw_key_of[c.index] = key
        raw.append(cells[c.index])

    nd_mask = np.isin(kinds, NONDATA_KINDS)
    texts = _row_texts(table.cells, np.flatnonzero(nd_mask))
    nondata = pd.DataFrame({"sheet": table.sheet, "row": table.rows[nd_mask], "kind": kinds[nd_mask], "text": texts})

    summary.header_rows = "-".join(str(int(table.rows[r])) for r in lay.header_rows) if lay.header_rows != [-1] else "names"
    summary.columns = [{"letter": c.letter, "header": c.header, "field": c.field, "raw_key": raw_key_of.get(c.index)}
                       for c in lay.columns]
    if table.header is not None:  # .sav: keep variable names, labels and value labels for questionnaire tables
        for c, info in zip(lay.columns, summary.columns, strict=True):
            name = table.header[c.index]
            info["variable"] = name
            info["label"] = (table.labels or [""] * len(table.header))[c.index] or None
            labels = table.value_labels.get(name)
            if labels:
                info["value_labels"] = [{"value": _plain(v), "label": str(lab)} for v, lab in labels.items()]
    summary.context = {k: v for k, v in ctx.items() if not k.startswith("_")}
    summary.data_rows = n
    summary.nondata = int(nd_mask.sum())
    summary.blank = summary.rows_total - n - summary.nondata
    labels = {f: _column_label(c) for f, c in col.items()}
    return _Part(part, -1, frame, _joined_raw(raw, n), raw_keys, labels, nondata, summary)


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

"""Preparing source files: each file read, laid out and normalised into Arrow tables (records, issues, non-data
rows) and sheet summaries, without touching the workspace.

`prepare_files` runs in the ingest's worker processes (`workers.py`), so both cores read at once; `ingest.py`
writes what it returns. Each sheet is split into pieces (`sheets.plan_sheet`: tables, forms, rows no header
explains); per piece (phase 1, `parts.lay_out_piece`): the data rows, their raw field cells, the context they
inherit and the quarantine reasons that need the whole row. Over every row of a batch at once (phase 2,
`records.normalize`): the record columns and the issues found.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Register, Schemas, load_schemas
from ..errors import NotATable, SourceError
from ..i18n import N_, _
from ..vocab import DATA, NONDATA_KINDS, SHEET_QUARANTINED, SHEET_READ, SHEET_SKIPPED, SKIPPED_SHEET
from .layout import Layout
from .parts import (
    COUNTS,
    Part,
    RowCounts,
    SheetSummary,
    joined_raw,
    lay_out_piece,
    looks_like_unit,
    row_texts,
)
from .readers import PASS_THROUGH, Table, read_source
from .records import ISSUE_SCHEMA, NONDATA_SCHEMA, RECORD_SCHEMA, normalize
from .roster import ROSTER_FIELDS
from .sheets import FORMS, NO_HEADER, TABLE, Piece, plan_sheet

__all__ = ["COUNTS", "IngestOptions", "Prepared", "RowCounts", "SheetSummary", "file_sha256", "prepare_files"]


@dataclass
class IngestOptions:
    encoding: str | None = None
    kind: str | None = None  # force the source kind
    street: str | None = None
    community: str | None = None
    replace: bool = False
    schema_files: tuple[str, ...] = ()


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
SKIPPED_REASON = N_("无表头，也无身份证号或手机号码：说明页或空白工作表")  # why a sheet is skipped


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ============================================================================================ files
def prepare_files(items: list[tuple[Path, str, str | None]], options: IngestOptions, register_yaml: str,
                  reading: Callable[[int | None], None] | None = None) -> list[Prepared | BaseException]:
    """Read several files and normalise all their rows in one pass (ledgers come as many small files, and
    each normalising step has a fixed cost). One result per file: its tables, or the error that stopped it
    (any error: a reader's panic is no `Exception`); an error while normalising the batch is retried file by
    file, so that it stops only its own file. `reading(k)` is called before the k-th file is read, and with
    None before the batch is normalised (a worker process tells its supervisor where it is)."""
    schemas = load_schemas(options.schema_files)
    register = Register.from_yaml(register_yaml) if register_yaml else Register()
    results: list[Prepared | BaseException] = []
    parts: list[Part] = []
    for k, (path, display_path, sha) in enumerate(items):
        if reading is not None:
            reading(k)
        try:
            prep, file_parts = _lay_out_file(path, display_path, options, schemas, register, sha, len(parts), len(results))
        except BaseException as e:  # noqa: BLE001 - reported per file, the other files still go in
            if isinstance(e, PASS_THROUGH):
                raise
            results.append(e)
            continue
        results.append(prep)
        parts.extend(file_parts)
    if reading is not None:
        reading(None)
    if parts:
        _normalize_parts(results, parts, schemas, register)
    return results


def _normalize_parts(results: list, parts: list[Part], schemas: Schemas, register: Register) -> None:
    """Normalise the batch's tables in one pass; if that fails, file by file (the error is then the result of
    the file that caused it)."""
    try:
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        out, issues = normalize(frame, schemas, register, {p.part: p.labels for p in parts})
        _assemble(results, parts, out, issues)
        return
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, PASS_THROUGH):
            raise
        files = list(dict.fromkeys(p.file for p in parts))
        if len(files) == 1:
            results[files[0]] = e
            return
    for i in files:
        own = [p for p in parts if p.file == i]
        try:
            frame = pd.concat([p.frame for p in own], ignore_index=True)
            out, issues = normalize(frame, schemas, register, {p.part: p.labels for p in own})
            _assemble(results, own, out, issues)
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, PASS_THROUGH):
                raise
            results[i] = e


def _lay_out_file(path: Path, display_path: str, options: IngestOptions, schemas: Schemas, register: Register,
                  sha: str | None, part0: int, file_index: int) -> tuple[Prepared, list[Part]]:
    try:
        src = read_source(path, options.encoding)
    except SourceError as e:  # named as the user knows the file
        raise type(e)(display_path, e.reason) from None
    kind = options.kind or _file_kind(src.format, display_path)
    prep = Prepared(display_path, str(path.resolve()), sha or file_sha256(path), path.stat().st_size, src.format,
                    src.encoding, kind, None, None, None, [], [])
    parts: list[Part] = []
    nondata: list[pd.DataFrame] = []
    ordinal = 0
    for table in src.tables:
        summary = SheetSummary(table.sheet, SHEET_READ, rows_total=int(table.rows[-1]) if len(table.rows) else 0)
        prep.sheets.append(summary)
        pieces = plan_sheet(table, schemas.fields)
        for piece in pieces:
            _with_faults(piece, table)
        if not pieces:
            summary.status = SHEET_SKIPPED
            summary.reason = SKIPPED_REASON  # stored as written here, shown with _()
            texts = row_texts(table.cells)
            keep = texts != ""
            summary.nondata = int(keep.sum())
            summary.blank = summary.rows_total - summary.nondata
            nondata.append(pd.DataFrame({"sheet": table.sheet, "row": table.rows[keep], "kind": SKIPPED_SHEET, "text": texts[keep]}))
            continue
        summary.rows_total += sum(p.span for p in pieces) - len(table.cells)  # tables side by side: each its rows
        sheet_parts = []
        for piece in pieces:
            table_kind = options.kind or _table_kind(kind, piece.layout, table.sheet, src.format)
            part = lay_out_piece(piece, table_kind, display_path, options.street, options.community, register, summary,
                                 part0 + len(parts), ordinal)
            part.file = file_index
            ordinal += len(part.frame)
            nondata.append(part.nondata)
            parts.append(part)
            sheet_parts.append(part)
            if len(part.frame) and part.frame["fb_street"].isna().all() and part.frame["fb_community"].isna().all() \
                    and part.frame["f_street"].isna().all() and part.frame["f_community"].isna().all() \
                    and table_kind in ("community_ledger", "household_register"):
                where = _("工作表“{sheet}”").format(sheet=table.sheet) if table.sheet else _("这个文件")
                notice = _("{path}：{where}的各行没有写街道和社区，标题、工作表名和路径也没有；"
                           "请用 --community 社区名（和 --street 街道名）指明它们属于哪里。").format(path=display_path, where=where)
                if notice not in prep.notices:
                    prep.notices.append(notice)
        _sum_up_sheet(summary, pieces, sheet_parts, display_path, prep.notices)
    if src.tables and all(s.status == SHEET_SKIPPED for s in prep.sheets):
        if src.format == "html" or path.suffix.lower() == ".txt":  # a readme, a web page: no table at all
            raise NotATable(display_path, _("不是表格：没有一行像表头那样写着姓名、身份证号等列名。"))
        raise SourceError(display_path, _("没有哪个工作表的表头同时写有姓名或身份证号列和另一个已知字段（姓名、身份证号、联系电话……）；"
                                          "请检查文件，或把这些列名写进 --schema 文件。"))
    if nondata:
        frame = pd.concat(nondata, ignore_index=True)
        prep.nondata = pa.Table.from_pandas(frame, schema=NONDATA_SCHEMA, preserve_index=False)
    return prep, parts


def _with_faults(piece: Piece, table: Table) -> None:
    """Lines the reader could not read whole (`Table.faults`, by position) are data rows of the piece holding them,
    to be quarantined with the reader's reason (`lay_out_piece`), not titles or notes."""
    if not table.faults or piece.what != TABLE:
        return
    reasons = {int(table.rows[p]): why for p, why in table.faults.items()}
    own = {i: reasons[int(r)] for i, r in enumerate(piece.table.rows) if int(r) in reasons}
    lay = piece.layout
    below = [i for i in own if i > lay.header_rows[-1]]
    if not below:
        return
    lay.kinds[below] = DATA
    piece.table.faults = {i: own[i] for i in below}
    at = np.flatnonzero(np.isin(lay.kinds, NONDATA_KINDS))
    piece.nondata = (at, lay.kinds[at])


def _sum_up_sheet(summary: SheetSummary, pieces: list[Piece], parts: list[Part], display_path: str, notices: list[str]) -> None:
    """A sheet's summary from its pieces (header rows, columns, context; blank rows), its parts' raw cells joined
    under the sheet's raw keys (every key of its pieces, in order), and a line in the ingest summary for every
    sheet or block of rows whose data was quarantined because no header explains it."""
    keys = list(dict.fromkeys(k for p in parts for k in p.raw_cells))
    summary.raw_keys = keys
    for p in parts:
        p.raw = joined_raw([p.raw_cells.get(k) for k in keys], len(p.frame)) if keys else joined_raw([], len(p.frame))
    several = len(pieces) > 1
    summary.header_rows = ", ".join(f"{piece.cols} {p.header}" if piece.cols else p.header for piece, p in zip(pieces, parts, strict=True))
    summary.columns = [{**c, **({"table": k + 1} if several else {})} for k, p in enumerate(parts) for c in p.columns]
    summary.context = [p.context for p in parts] if several else parts[0].context
    summary.blank = summary.rows_total - summary.data_rows - summary.nondata
    where = f"工作表“{summary.sheet}”" if summary.sheet else "文件"
    if all(p.what == NO_HEADER for p in pieces):
        summary.status = SHEET_QUARANTINED
        summary.reason = _("有数据（身份证号或手机号码），但没有一行表头写明姓名或身份证号及其他字段")
        notices.append(_("{path}：{where}有{n}行数据，但找不到表头（没有一行写明姓名或身份证号及其他字段），这些行已全部隔离；"
                         "请补上表头后用 --replace 重新导入，隔离的行可用 census export records --quarantined 查看。").format(
            path=display_path, where=where, n=summary.data_rows))
    for part in parts:
        unexplained = part.frame["row"][part.frame["reason"] == "row.unexplained"]
        if len(unexplained):
            notices.append(_("{path}：{where}第{rows}行有身份证号，却在表头之上，无法归入任何表格，已隔离；"
                             "请把它们移到表头之下，用 --replace 重新导入。").format(
                path=display_path, where=where, rows=_row_list(unexplained.tolist())))
    if several or pieces[0].what == FORMS:
        forms = sum(len(p.frame) for piece, p in zip(pieces, parts, strict=True) if piece.what == FORMS)
        tables = sum(piece.what != FORMS for piece in pieces)
        described = [*([_("{n}个表格").format(n=tables)] if tables else []), *([_("登记表{n}份").format(n=forms)] if forms else [])]
        summary.reason = "、".join(described)


def _row_list(rows: list[int]) -> str:
    """[3, 4, 5, 9] → "3–5、9"."""
    spans: list[list[int]] = []
    for r in rows:
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    return "、".join(f"{a}–{b}" if a != b else f"{a}" for a, b in spans)


def _assemble(results: list, parts: list[Part], out: dict[str, Any], issues: pd.DataFrame) -> None:
    """Split the batch's normalised rows and issues back into each file: its records as one Arrow table (which
    crosses from the worker process and into DuckDB without a per-value cost), with the raw cells joined."""
    table = pa.Table.from_arrays([pa.array(out[f.name], type=f.type, from_pandas=True) for f in RECORD_SCHEMA],
                                 schema=RECORD_SCHEMA)
    bounds = np.cumsum([0] + [len(p.frame) for p in parts])
    tables: dict[int, list[pa.Table]] = {}
    for j, p in enumerate(parts):
        chunk = table.slice(bounds[j], bounds[j + 1] - bounds[j])
        tables.setdefault(p.file, []).append(chunk.append_column("raw", p.raw))
        quarantined = int(pc.sum(pc.equal(chunk["status"], "quarantined")).as_py() or 0)
        p.summary.quarantined += quarantined
        p.summary.records += len(p.frame) - quarantined
    for p in parts:  # a sheet whose every data row was quarantined yields no one: said once, in the summary
        s = p.summary
        notice = _("{path}：工作表“{sheet}”的{n}行数据全部隔离，没有读出任何人员；请检查该表（census export records "
                   "--quarantined 列出隔离的行和原因）。").format(path=results[p.file].path, sheet=s.sheet, n=s.data_rows)
        if s.data_rows and not s.records and s.status == SHEET_READ and notice not in results[p.file].notices:
            results[p.file].notices.append(notice)
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
    if "work_unit" in lay.context or looks_like_unit(sheet):
        return "unit_ledger"
    return file_kind

"""Ingest: source files → records in the workspace, every row accounted for.

`prepare.py` reads files and turns them into Arrow tables without touching the workspace; `workers.py` runs it
on both cores. `ingest` writes each file in one transaction: a file already ingested (same content hash, under
any name) changes nothing; a changed file under the same path replaces its earlier records only with
`replace=True`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from ..config import load_register_file, load_schemas
from ..errors import CensusError, UsageError
from ..vocab import SOURCE_KINDS
from ..workspace import Workspace
from ..workspace.queries import register_yaml as stored_register_yaml
from ..workspace.queries import store_register
from ..workspace.rounds import ingest_round
from .discover import discover
from .prepare import COUNTS, IngestOptions, Prepared, RowCounts, SheetSummary, file_sha256
from .records import RECORD_COLUMNS
from .workers import prepare_all


@dataclass
class FileResult(RowCounts):
    """What happened to one file. `status`: ingested, replaced, unchanged (already in the workspace), changed
    (a different version is in the workspace and `replace` was not given), failed."""

    path: str
    status: str
    message: str | None = None
    kind: str | None = None
    format: str | None = None
    encoding: str | None = None
    warnings: dict[str, int] = field(default_factory=dict)
    sheets: list[SheetSummary] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    source_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ingested", "replaced", "unchanged")


@dataclass
class IngestResult:
    files: list[FileResult]
    round: str | None = None  # the round (year) the files went into

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def totals(self) -> dict[str, int]:
        out = {k: sum(getattr(f, k) for f in self.files) for k in COUNTS}
        out["files"] = len(self.files)
        out["failed"] = sum(not f.ok for f in self.files)
        return out

    def to_dict(self) -> dict:
        return {"ok": self.ok, "round": self.round, "totals": self.totals(), "files": [asdict(f) for f in self.files]}


# ============================================================================================ writing
def _insert(ws: Workspace, prep: Prepared, source_id: int, round_: str) -> None:
    con = ws.con
    base = ws.scalar("SELECT coalesce(max(record_id), 0) FROM records") + 1
    now = datetime.now().replace(microsecond=0)
    totals = prep.counts()
    n_warn = sum(prep.warnings.values())
    con.execute(
        "INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [source_id, prep.path, prep.abs_path, prep.sha256, prep.size, prep.format, prep.encoding, prep.kind, now,
         totals["rows_total"], totals["data_rows"], totals["records"], totals["quarantined"], totals["nondata"],
         totals["blank"], n_warn, sum(s.status == "read" for s in prep.sheets), sum(s.status == "skipped" for s in prep.sheets),
         round_],
    )
    for s in prep.sheets:
        con.execute(
            "INSERT INTO sheets VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [source_id, s.sheet, s.status, s.reason, s.header_rows, json.dumps(s.columns, ensure_ascii=False),
             [c["raw_key"] for c in s.columns if c.get("raw_key")], json.dumps(s.context, ensure_ascii=False),
             s.rows_total, s.data_rows, s.records, s.quarantined, s.nondata, s.blank],
        )
    if prep.records is not None and prep.records.num_rows:
        cols = ", ".join(RECORD_COLUMNS)
        _insert_frame(con, prep.records, f"""INSERT INTO records (record_id, source_id, sheet, row, status, reason, source_kind, raw, {cols})
            SELECT {base} + ordinal, {source_id}, sheet, row, status, reason, source_kind, raw, {cols} FROM _frame""")
    if prep.issues is not None and prep.issues.num_rows:
        _insert_frame(con, prep.issues, f"""INSERT INTO issues SELECT {base} + ordinal, NULL, {source_id}, sheet, row, "column",
            field, code, severity, value, message, '{round_}', NULL FROM _frame""")
    if prep.nondata is not None and prep.nondata.num_rows:
        _insert_frame(con, prep.nondata, f"INSERT INTO nondata SELECT {source_id}, sheet, row, kind, text FROM _frame")


def _insert_frame(con, frame: pa.Table, sql: str) -> None:
    con.register("_frame", frame)  # DuckDB scans Arrow without a copy
    try:
        con.execute(sql)
    finally:
        con.unregister("_frame")


def remove_source(ws: Workspace, source_id: int) -> None:
    """Delete a source and everything derived from its rows (inside the caller's transaction)."""
    for t in ("issues", "nondata", "sheets"):
        ws.con.execute(f"DELETE FROM {t} WHERE source_id = ?", [source_id])
    ws.con.execute("DELETE FROM links WHERE record_id IN (SELECT record_id FROM records WHERE source_id = ?)", [source_id])
    ws.con.execute("DELETE FROM records WHERE source_id = ?", [source_id])
    ws.con.execute("DELETE FROM sources WHERE source_id = ?", [source_id])


def _result_from(prep: Prepared, status: str, source_id: int) -> FileResult:
    return FileResult(prep.path, status, kind=prep.kind, format=prep.format, encoding=prep.encoding, sheets=prep.sheets,
                      notices=prep.notices, source_id=source_id, warnings=prep.warnings, **prep.counts())


# ============================================================================================ the stage
def ingest(ws: Workspace, paths: Iterable[str | os.PathLike], options: IngestOptions | None = None,
           regions: str | os.PathLike | None = None, progress: Callable[[str, int, int], None] | None = None,
           workers: int | None = None, round: str | int | None = None) -> IngestResult:
    """Ingest files and directories into the workspace. Each file is one transaction; a file that fails is
    reported and the others still go in. `regions` loads (and stores) the district's register first. `round` is
    the round (year) the files go into: default the workspace's latest round, in a new workspace the current
    year; a file already in that round (same content) changes nothing, the same content may go into another."""
    options = options or IngestOptions()
    target = ingest_round(ws, round)
    if options.kind and options.kind not in SOURCE_KINDS:
        raise UsageError(f"--kind must be one of {', '.join(SOURCE_KINDS)}, not {options.kind!r}.")
    load_schemas(options.schema_files)  # validate --schema files before reading any data
    if regions is not None:
        store_register(ws, load_register_file(regions))
    register_yaml = stored_register_yaml(ws)
    files = discover(paths)
    if not files:
        raise UsageError("no .xlsx, .xls, .csv or .sav files found in the paths given.")

    results: dict[int, FileResult] = {}
    todo: list[tuple[int, Path, str, str]] = []
    known = {sha: (sid, p) for sid, p, sha in ws.query("SELECT source_id, path, sha256 FROM sources WHERE round = ?", [target])}
    by_path = {p: (sid, sha) for sha, (sid, p) in known.items()}
    claimed: set[str] = set()
    for i, (f, shown) in enumerate(files):
        try:
            sha = file_sha256(f)
        except OSError as e:
            results[i] = FileResult(shown, "failed", f"{shown}: cannot be read ({e.strerror}).")
            continue
        if sha in known or sha in claimed:
            where = known[sha][1] if sha in known else "another file of this run"
            results[i] = FileResult(shown, "unchanged", f"{shown}: already ingested (same content as {where}); nothing changed.",
                                    source_id=known.get(sha, (None,))[0])
            continue
        if shown in by_path and not options.replace:
            results[i] = FileResult(shown, "changed", f"{shown}: a different version of this file is already in the workspace; "
                                    "pass --replace to replace its records with this one.")
            continue
        claimed.add(sha)
        todo.append((i, f, shown, sha))

    def finish(i: int, shown: str, prep: Prepared | None, error: Exception | None) -> None:
        if error is not None and not isinstance(error, CensusError) and os.environ.get("CENSUS_DEBUG") == "1":
            raise error
        if error is not None:
            msg = str(error) if isinstance(error, CensusError) else f"{shown}: cannot be read ({type(error).__name__}: {error})."
            results[i] = FileResult(shown, "failed", msg)
            return
        assert prep is not None
        old = by_path.get(shown)
        with ws.transaction():
            if old is not None:
                remove_source(ws, old[0])
            sid = int(ws.scalar("SELECT coalesce(max(source_id), 0) FROM sources")) + 1
            _insert(ws, prep, sid, target)
            ws.bump_data_version()
        results[i] = _result_from(prep, "replaced" if old is not None else "ingested", sid)

    done = 0

    def finished(batch: list, outcomes: list) -> None:
        nonlocal done
        for (i, _, shown, _), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                finish(i, shown, None, outcome)
            else:
                finish(i, shown, outcome, None)
            done += 1
            if progress:
                progress(shown, done, len(todo))

    with _deferred_checkpoint(ws):
        prepare_all(todo, options, register_yaml, finished, workers)
    return IngestResult([results[i] for i in sorted(results)], target)


@contextmanager
def _deferred_checkpoint(ws: Workspace) -> Iterator[None]:
    """Write the files the way a bulk load wants it. Each file's transaction is durable when committed: its
    records go compressed into the database file in row groups (store.ROW_GROUP_SIZE), and what is smaller
    than a row group (a last part, most files' issues) goes to DuckDB's write-ahead log, which a crash replays
    when the workspace is next opened. The log is merged into the file every 256 MB and at the end, not every
    16 MB: those merges rewrite the tables' last, partly filled row groups, and ledgers come as many small
    files. DuckDB works on one thread meanwhile: the cores are for reading files (in the worker processes)."""
    before = ws.con.execute("SELECT current_setting('checkpoint_threshold'), current_setting('threads')").fetchall()[0]
    try:
        ws.con.execute("SET checkpoint_threshold = '256MB'")
        ws.con.execute("SET threads = 1")
        yield
    finally:
        ws.con.execute(f"SET checkpoint_threshold = '{before[0]}'")
        ws.con.execute(f"SET threads = {int(before[1])}")
    ws.con.execute("CHECKPOINT")

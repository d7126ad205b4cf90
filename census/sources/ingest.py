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
from ..errors import CensusError, NotATable, UsageError
from ..i18n import N_, _, listing
from ..vocab import SOURCE_KIND_LABELS, SOURCE_KINDS
from ..workspace import Workspace
from ..workspace.queries import is_merged, store_register
from ..workspace.queries import register_yaml as stored_register_yaml
from ..workspace.rounds import ingest_round
from ..workspace.store import interrupted
from .discover import discover
from .pool import WorkerError
from .prepare import COUNTS, IngestOptions, Prepared, RowCounts, SheetSummary, file_sha256
from .records import RECORD_COLUMNS
from .workers import prepare_all


@dataclass
class FileResult(RowCounts):
    """What happened to one file. `status`: ingested, replaced, unchanged (already in the workspace), changed
    (a different version is in the workspace and `replace` was not given), skipped (found in a folder, and no
    table: a Word file, a readme), failed."""

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
        return self.status in ("ingested", "replaced", "unchanged", "skipped")


@dataclass
class IngestResult:
    files: list[FileResult]
    notices: list[str] = field(default_factory=list)  # what holds for the whole run (said once)
    round: str | None = None  # the round (year) the files went into

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def totals(self) -> dict[str, int]:
        out = {k: sum(getattr(f, k) for f in self.files) for k in COUNTS}
        out["files"] = len(self.files)
        out["failed"] = sum(not f.ok for f in self.files)
        out["skipped"] = sum(f.status == "skipped" for f in self.files)
        return out

    def to_dict(self) -> dict:
        return {"ok": self.ok, "round": self.round, "totals": self.totals(), "notices": list(self.notices),
                "files": [asdict(f) for f in self.files]}


# ============================================================================================ writing
def _insert(ws: Workspace, prep: Prepared, source_id: int, round_: str) -> None:
    con = ws.con
    base = ws.scalar("SELECT coalesce(max(record_id), 0) FROM records") + 1
    now = datetime.now().replace(microsecond=0)
    totals = prep.counts()
    n_warn = sum(prep.warnings.values())
    con.execute(
        """INSERT INTO sources SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,
                  (SELECT code FROM regions WHERE level = 'district' LIMIT 1),
                  (SELECT name FROM regions WHERE level = 'district' LIMIT 1)""",
        [source_id, prep.path, prep.abs_path, prep.sha256, prep.size, prep.format, prep.encoding, prep.kind, now,
         totals["rows_total"], totals["data_rows"], totals["records"], totals["quarantined"], totals["nondata"],
         totals["blank"], n_warn, sum(s.status != "skipped" for s in prep.sheets), sum(s.status == "skipped" for s in prep.sheets),
         round_],
    )
    for s in prep.sheets:
        con.execute(
            "INSERT INTO sheets VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [source_id, s.sheet, s.status, s.reason, s.header_rows, json.dumps(s.columns, ensure_ascii=False),
             s.raw_keys, json.dumps(s.context, ensure_ascii=False),
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
    reported (one line naming it) and the others still go in, whatever happened to it (an error, a reader's
    panic, a crash of the process reading it). Files of a folder that are no table are skipped. A source is
    the file at its path in its round: a changed file replaces its earlier records only with `replace=True` (and
    only its own), under whatever name it is given. `regions` loads (and stores) the district's register first.
    `round` is the round (year) the files go into: default the workspace's latest round, in a new workspace the
    current year; a file already in that round (same content) changes nothing, the same content may go into
    another."""
    options = options or IngestOptions()
    if is_merged(ws):
        raise UsageError(_("{db}：这是由各区县工作区合并而成的工作区，不能直接导入文件；请导入到所属区县的工作区，"
                           "再用 census merge 重新合并。").format(db=ws.path))
    target = ingest_round(ws, round)
    if options.kind and options.kind not in SOURCE_KINDS:
        raise UsageError(_("--kind {kind}：只能是 {kinds} 之一。").format(kind=options.kind, kinds=listing(_("{name}（{label}）").format(name=k, label=_(SOURCE_KIND_LABELS[k])) for k in SOURCE_KINDS)))
    load_schemas(options.schema_files)  # validate --schema files before reading any data
    own = ws.path.resolve()
    files = discover(paths, exclude={own, own.with_name(own.name + ".wal"), own.with_name(own.name + ".tmp")})
    if not files:
        raise UsageError(_("所给的路径中没有任何文件（census 读取 .xlsx、.xls、.csv、.txt、.sav 和网页导出的表格）。"))
    if regions is not None:
        store_register(ws, load_register_file(regions))
    register_yaml = stored_register_yaml(ws)

    results: dict[int, FileResult] = {}
    todo: list[tuple[int, Path, str, str]] = []
    known = {sha: (sid, p) for sid, p, sha in ws.query("SELECT source_id, path, sha256 FROM sources WHERE round = ?", [target])}
    at_path = {a: (sid, sha) for sid, a, sha in ws.query("SELECT source_id, abs_path, sha256 FROM sources WHERE round = ?", [target])}
    shown_taken = {p for (p,) in ws.query("SELECT path FROM sources WHERE round = ?", [target])}
    claimed: set[str] = set()
    named: set[int] = set()
    for i, found in enumerate(files):
        f = found.path
        if found.skip is not None:
            results[i] = FileResult(found.shown, "skipped", _("{path}：已跳过，{reason}。").format(path=found.shown, reason=found.skip))
            continue
        old = at_path.get(str(f.resolve()))
        shown = (_stored_path(ws, old[0]) if old is not None else None) or found.shown_as(shown_taken)
        if found.named:
            named.add(i)
        try:
            sha = file_sha256(f)
        except OSError as e:
            results[i] = FileResult(shown, "failed", _("{path}：无法读取（{error}）。").format(path=shown, error=e.strerror or e))
            continue
        if sha in known or sha in claimed:
            where = known[sha][1] if sha in known else _("本次导入的另一个文件")
            results[i] = FileResult(shown, "unchanged", _("{path}：已导入过（与{where}内容相同），未作改动。").format(path=shown, where=where),
                                    source_id=known.get(sha, (None,))[0])
            continue
        if old is not None and not options.replace:
            results[i] = FileResult(shown, "changed", _("{path}：工作区里已有这个文件的另一个版本；"
                                                        "要用这一版替换它的记录，请加 --replace。").format(path=shown))
            continue
        claimed.add(sha)
        shown_taken.add(shown)
        todo.append((i, f, shown, sha))

    def finish(i: int, shown: str, prep: Prepared | None, error: BaseException | None) -> None:
        if error is not None and not isinstance(error, CensusError) and os.environ.get("CENSUS_DEBUG") == "1":
            raise error
        if error is not None:
            if isinstance(error, NotATable) and i not in named:
                results[i] = FileResult(shown, "skipped", _("{path}：已跳过，{reason}").format(path=shown, reason=error.reason))
                return
            results[i] = FileResult(shown, "failed", failure_message(shown, error))
            return
        assert prep is not None
        old = at_path.get(prep.abs_path)
        try:
            with ws.transaction():
                if old is not None:
                    remove_source(ws, old[0])
                sid = int(ws.scalar("SELECT coalesce(max(source_id), 0) FROM sources")) + 1
                _insert(ws, prep, sid, target)
                ws.bump_data_version()
        except Exception as e:  # noqa: BLE001 - rolled back: this file is not in, the next ones go on
            if interrupted(e):
                raise KeyboardInterrupt from e
            if os.environ.get("CENSUS_DEBUG") == "1":
                raise
            detail = (str(e).splitlines() or [type(e).__name__])[0][:200]
            results[i] = FileResult(shown, "failed", _("{path}：写入工作区时出错（{error}），此文件未读入，工作区保持原样；"
                                                        "请把这个文件和这句话交给技术人员。").format(path=shown, error=detail))
            return
        results[i] = _result_from(prep, "replaced" if old is not None else "ingested", sid)

    done = 0

    def finished(batch: list, outcomes: list) -> None:
        nonlocal done
        for (i, _f, shown, _sha), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                finish(i, shown, None, outcome)
            else:
                finish(i, shown, outcome, None)
            done += 1
            if progress:
                progress(shown, done, len(todo))

    if todo:
        with _deferred_checkpoint(ws):
            prepare_all(todo, options, register_yaml, finished, workers)
    notices = [] if register_yaml else [_(NO_REGISTER)]
    return IngestResult([results[i] for i in sorted(results)], notices, target)


NO_REGISTER = N_("没有区划名册（--regions）：街道和社区只能从台账的列、标题、工作表名和文件名中的名称得出，可能不全，也无法核对；"
                 "用 census regions init 生成本区名册、补上社区后，加 --regions 重新导入。")


def _stored_path(ws: Workspace, source_id: int) -> str | None:
    """The display path a source was stored under (a file read again keeps it)."""
    return ws.scalar("SELECT path FROM sources WHERE source_id = ?", [source_id])


def failure_message(shown: str, error: BaseException) -> str:
    """One line naming the file and what to do, for any error that stopped it."""
    if isinstance(error, CensusError):
        text = str(error)
    else:
        kind = error.kind if isinstance(error, WorkerError) else type(error).__name__
        detail = error.message if isinstance(error, WorkerError) else str(error)
        detail = (detail.splitlines() or [""])[0][:200]
        text = _("{path}：读取时出错（{kind}：{detail}），文件可能已损坏；请用 Excel 或 WPS 打开后另存，或从原系统重新导出，再读入。其他文件照常读入。") \
            .format(path=shown, kind=kind, detail=detail)
    return " ".join(text.split("\n"))


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

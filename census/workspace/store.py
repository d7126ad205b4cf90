"""The workspace: one DuckDB file holding everything of a census.

Tables are created with explicit types (nothing is left to inference) and the schema is versioned: `meta`
holds `schema_version`, and `MIGRATIONS` brings an older workspace up to date when it is opened. Each source
file is ingested in one transaction, so an interrupted ingest leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from ..errors import WorkspaceError
from ..i18n import _
from ..privacy import hold_private_umask, make_private, release_private_umask
from .schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = "census.duckdb"
# Rows per row group of the workspace's tables (DuckDB's default is 122,880). A transaction that appends at least
# a row group's worth of rows writes them compressed, straight into the database file, and logs only where they
# are; smaller appends go through the write-ahead log and are compressed again when it is merged. A ledger holds
# a few thousand to a few tens of thousands of rows and is one transaction, so with the default nearly every row
# went the long way: at 8,192 a million ledger rows are written in 6.5-8.8 s of CPU instead of 12.6-15.6 (one
# transaction per file either way). Scans are no slower (the link stage was a little faster in the same runs);
# the file is larger (290 MB instead of 185 MB for a million records). DuckDB does not store the setting: it
# applies to what is written while the file is attached with it.
ROW_GROUP_SIZE = 8192

# Every workspace open in this process is a database attached to one in-memory DuckDB (`_HUB`), each Workspace
# a connection of its own to it: ATTACH is what takes ROW_GROUP_SIZE, and opening one file twice shares it (as
# duckdb.connect(path) did). The file is detached, and so checkpointed and unlocked, when its last Workspace
# closes. While a file is attached, the process's umask holds 077, so the database, its write-ahead log (.wal) and
# the spill folder (.tmp) DuckDB creates are readable by their owner only (files 0600, folders 0700).
_HUB: duckdb.DuckDBPyConnection | None = None
_OPEN: dict[str, int] = {}  # alias → Workspaces open on it
_HUB_LOCK = threading.Lock()


def _alias(path: Path) -> str:
    return "ws_" + hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:16]


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    global _HUB
    alias = _alias(path)
    with _HUB_LOCK:
        if _HUB is None:
            _HUB = duckdb.connect(config={"memory_limit": memory_limit()})
        if alias not in _OPEN:
            hold_private_umask()
            try:
                _attach_file(path, alias)
            except BaseException:
                release_private_umask()
                raise
            _OPEN[alias] = 0
        _OPEN[alias] += 1
        con = _HUB.cursor()
    try:
        con.execute(f"USE {alias}")
    except BaseException:
        _detach(con, alias)
        raise
    return con


# The share of this machine's memory each DuckDB census opens may hold before it spills to disk: the workspace's and
# the one Splink scores pairs in run side by side, and DuckDB's default (80 % each) let the two of them outgrow the
# machine (5 million records were killed for want of memory at 19 GB of 23).
MEMORY_SHARE = 0.4


def machine_memory() -> int | None:
    """This machine's memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def memory_limit(share: float = MEMORY_SHARE) -> str:
    """DuckDB's memory_limit for `share` of this machine's memory (DuckDB's own default where it is not known)."""
    total = machine_memory()
    return "80%" if total is None else f"{max(256, int(total * share / 2**20))}MB"


def _attach_file(path: Path, alias: str) -> None:
    """ATTACH the file (under the private umask); a workspace written before files were kept private is made so."""
    quoted = str(path).replace("'", "''")
    _HUB.execute(f"ATTACH '{quoted}' AS {alias} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    # where DuckDB spills, as for a file it opens itself; once this process has spilled, DuckDB keeps spilling where
    # it did (a folder also made private)
    with suppress(duckdb.NotImplementedException):
        _HUB.execute(f"SET temp_directory = '{quoted}.tmp'")
    for p in (path, _sibling(path, ".wal"), _sibling(path, ".tmp")):
        make_private(p)


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _detach(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    con.close()
    with _HUB_LOCK:
        _OPEN[alias] -= 1
        if not _OPEN[alias]:
            del _OPEN[alias]
            try:
                if _HUB is not None:
                    _HUB.execute(f"DETACH {alias}")
            finally:
                release_private_umask()


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to the disk; where a folder cannot be opened (Windows), nothing."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def interrupted(error: BaseException) -> bool:
    """Whether an error is Ctrl-C: DuckDB answers it inside a query with an error of its own
    (RuntimeError("Query interrupted") in DuckDB 2.0)."""
    return isinstance(error, KeyboardInterrupt | duckdb.InterruptException) or (
        isinstance(error, RuntimeError) and str(error).startswith("Query interrupted"))


def resolve_db(db: str | os.PathLike | None) -> Path:
    """--db, else $CENSUS_DB, else ./census.duckdb."""
    return Path(db or os.environ.get("CENSUS_DB") or DEFAULT_DB)


class Workspace:
    """An open workspace. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | os.PathLike | None = None, create: bool = True):
        self.path = resolve_db(path)
        self._depth = 0
        if not create and not self.path.exists():
            raise WorkspaceError(_("{path}：这里还没有工作区；请先运行 census ingest（或用 --db 指定工作区）。").format(path=self.path))
        if self.path.parent and not self.path.parent.exists():
            raise WorkspaceError(_("{path}：文件夹 {folder} 不存在。").format(path=self.path, folder=self.path.parent))
        try:
            self.con = _attach(self.path)
        except duckdb.IOException as e:
            msg = str(e).splitlines()[0]
            if "lock" in msg.lower():
                raise WorkspaceError(_("{path}：另一个 census 进程正在使用这个工作区；请等它结束。").format(path=self.path)) from None
            raise WorkspaceError(_("{path}：无法打开工作区（{reason}）。").format(path=self.path, reason=msg)) from None
        except duckdb.Error as e:
            raise WorkspaceError(_("{path}：不是 census 工作区（{reason}）。").format(path=self.path, reason=str(e).splitlines()[0])) from None
        self._release = weakref.finalize(self, _detach, self.con, _alias(self.path))  # on close(), or when collected
        self._migrate()

    @property
    def catalog(self) -> str:
        """The name this workspace's database is attached under: another workspace open in this process reads its
        tables as `{catalog}.main.records` (what `census merge` copies from)."""
        return _alias(self.path)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self._release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _migrate(self) -> None:
        have = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main' AND table_catalog = current_database()"
        ).fetchall()[0][0]
        version = int(self.get("schema_version", "0")) if have else 0
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                _("{path}：这个工作区由更新版本的 census 写成（结构版本 {version}，本版本只认到 {known}）；请升级 census。").format(
                    path=self.path, version=version, known=SCHEMA_VERSION)
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for ddl in MIGRATIONS[v]:
                    self.con.execute(ddl)
                self.set("schema_version", str(v))
            if version == 0:
                self.set("data_version", "0")
                self.set("linked_version", "-1")

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: committed when the outermost block ends, rolled back on any exception, Ctrl-C
        included (raised as KeyboardInterrupt, whatever error DuckDB made of it). Blocks nest: an inner block
        joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self.con
            finally:
                self._depth -= 1
            return
        try:
            self.con.execute("BEGIN TRANSACTION")
        except Exception as e:
            if interrupted(e):
                raise KeyboardInterrupt from e
            raise
        self._depth = 1
        try:
            yield self.con
        except BaseException as e:
            self._depth = 0
            with suppress(duckdb.Error):  # an interrupted query may have ended the transaction already
                self.con.execute("ROLLBACK")
            if interrupted(e) and not isinstance(e, KeyboardInterrupt):
                raise KeyboardInterrupt from e  # Ctrl-C, however DuckDB put it: nothing may go on as if it were an error
            raise
        self._depth = 0
        try:
            self.con.execute("COMMIT")
        except Exception as e:
            if interrupted(e):  # Ctrl-C as the transaction commits: DuckDB rolled it back
                raise KeyboardInterrupt from e
            raise

    def check_rewritable(self) -> None:
        """Raise WorkspaceError unless this is the only Workspace open on its file in this process (`rewrite`)."""
        if _OPEN.get(_alias(self.path)) != 1 or _HUB is None:
            raise WorkspaceError(_("{path}：工作区在本进程中另有打开，无法重写；请先关闭其他连接。").format(path=self.path))

    def rewrite(self) -> None:
        """Write the workspace anew into a fresh file and put it in place of the old one (atomically, by rename).

        DuckDB keeps deleted rows' old blocks in the file (marked free, not overwritten) even after a checkpoint, so
        after a purge the removed numbers can still be read from the file's bytes; a fresh copy holds only the
        rows that remain. Needs this Workspace to be the only one open on the file in this process."""
        alias = _alias(self.path)
        with _HUB_LOCK:
            self.check_rewritable()
            hub = _HUB
            fresh = _sibling(self.path, ".rewrite")
            for p in (fresh, _sibling(fresh, ".wal")):
                p.unlink(missing_ok=True)
            new_alias = alias + "_rewrite"
            quoted = str(fresh).replace("'", "''")
            self.con.execute(f"CHECKPOINT {alias}")
            hub.execute(f"ATTACH '{quoted}' AS {new_alias} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            try:
                hub.execute(f"COPY FROM DATABASE {alias} TO {new_alias}")
            except BaseException:
                hub.execute(f"DETACH {new_alias}")
                fresh.unlink(missing_ok=True)
                raise
            hub.execute(f"DETACH {new_alias}")
            self.con.close()
            hub.execute(f"DETACH {alias}")
            try:
                _fsync(fresh)
                os.replace(fresh, self.path)
                _fsync(self.path.parent)
            finally:
                fresh.unlink(missing_ok=True)
                _attach_file(self.path, alias)
                self.con = hub.cursor()
                self.con.execute(f"USE {alias}")
                self._release.detach()
                self._release = weakref.finalize(self, _detach, self.con, alias)

    # ------------------------------------------------------------------ meta
    def get(self, key: str, default: str | None = None) -> str | None:
        rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else default

    def set(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    @property
    def schema_version(self) -> int:
        return int(self.get("schema_version", "0"))

    def bump_data_version(self) -> None:
        """Called inside the transaction that changed records, the register or a decision: the stages after
        ingest are then out of date (`census.pipeline`)."""
        self.set("data_version", str(int(self.get("data_version", "0")) + 1))

    # ------------------------------------------------------------------ helpers
    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None):
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def df(self, sql: str, params: list | None = None):
        return self.con.execute(sql, params or []).df()


def discard_if_empty(path: str | os.PathLike) -> bool:
    """Remove the workspace at `path` (with its log and spill folder) when it holds no source file: a run that
    ingested nothing (a mistyped path, an empty folder, Ctrl-C before the first file) leaves nothing behind.
    For workspaces a command created; True when it was removed."""
    path = Path(path)
    if not path.exists():
        return False
    try:
        with Workspace(path) as ws:
            empty = not ws.scalar("SELECT count(*) FROM sources")
    except (WorkspaceError, duckdb.Error):
        return False
    if empty:
        for f in (path, path.with_name(path.name + ".wal")):
            f.unlink(missing_ok=True)
        shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)
    return empty

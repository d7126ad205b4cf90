"""Preparing files on both cores: batches of files go to worker processes (`pool.Supervisor`), which read, lay
out and normalise them (`prepare.prepare_files`) and hand each file's tables back through Arrow IPC files in
shared memory, which the writer maps without a copy. Without enough to read, everything runs in this process,
except the files a native reader could crash on (.sav): those are always read in a worker process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from .pool import Item, Outcome, Supervisor
from .prepare import TABLES, IngestOptions, Prepared, prepare_files
from .sniff import risky

PARALLEL_BYTES = 4_000_000  # below this much to read, worker processes cost more than they save
_SHARED_MEMORY = "/dev/shm"  # where the workers leave their tables for the writer (a RAM disk on Linux)


# ============================================================================================ the handover
def spill(prep: Prepared, folder: str) -> None:
    """Move a file's tables into Arrow IPC files in `folder` (shared memory), for the writer to map: pickled
    through the worker pool's pipe, a million rows' tables cost 2.4 s of CPU to pickle and unpickle, and 0.4 s
    to write this way. If the folder is full (or writing fails otherwise), the tables stay where they are."""
    try:
        for name in TABLES:
            table = getattr(prep, name)
            if table is not None:
                fd, path = tempfile.mkstemp(suffix=f".{name}.arrow", dir=folder)
                os.close(fd)
                prep.spilled[name] = path
                with pa.OSFile(path, "wb") as fh, pa.ipc.new_file(fh, table.schema) as writer:
                    writer.write_table(table)
    except Exception:  # noqa: BLE001 - only the way across: the tables then travel pickled, as they are
        discard_spilled(prep)
        return
    for name in prep.spilled:
        setattr(prep, name, None)


def unspill(prep: Prepared) -> None:
    """Map the spilled tables back (no copy) and remove their files (the mapping holds the data)."""
    for name, path in prep.spilled.items():
        setattr(prep, name, pa.ipc.open_file(pa.memory_map(path)).read_all())
    discard_spilled(prep)


def discard_spilled(prep: Prepared) -> None:
    for path in prep.spilled.values():
        Path(path).unlink(missing_ok=True)
    prep.spilled = {}


def prepare_files_spilled(items: list[tuple[Path, str, str | None]], options: IngestOptions, register_yaml: str,
                          folder: str | None, reading: Callable[[int | None], None] | None = None) -> list[Outcome]:
    """`prepare_files` as a worker process runs it: the tables handed over through files in `folder` (when
    there is one; else they are pickled with the results)."""
    results = prepare_files(items, options, register_yaml, reading)
    for r in results:
        if isinstance(r, Prepared) and folder is not None:
            spill(r, folder)
    return results


# ============================================================================================ the batches
def prepare_all(todo: list[Item], options: IngestOptions, register_yaml: str,
                finished: Callable[[list[Item], list[Outcome]], None], workers: int | None = None) -> None:
    """Prepare the files in batches (on worker processes when there is enough to read) and hand each batch's
    results, in the batch's order, to `finished` as it comes back. The biggest batches go first, on any number
    of workers (so that record ids do not depend on it): a big file read last would keep one core busy while
    the other has nothing left to do. Files a reader could crash on are batched apart and read by a worker
    even in a small run (a crash in this process would end the whole ingest)."""
    sizes = {i: f.stat().st_size for i, f, _, _ in todo}
    unsafe = {i for i, f, _, _ in todo if risky(f)}
    batches = batch_files([t for t in todo if t[0] not in unsafe], sizes) + batch_files([t for t in todo if t[0] in unsafe], sizes)
    batches.sort(key=lambda b: -sum(sizes[i] for i, _, _, _ in b))
    size = sum(sizes.values())
    n_workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if len(batches) > 1 and size > PARALLEL_BYTES else 1)
    if n_workers <= 1 and not unsafe:
        for b in batches:
            finished(b, prepare_files([(f, shown, sha) for _, f, shown, sha in b], options, register_yaml))
        return
    folder = _spill_folder() if os.name == "posix" else None  # (elsewhere a mapped file cannot be removed)

    def handed(batch: list[Item], outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Prepared):
                unspill(outcome)
        finished(batch, outcomes)

    try:
        with Supervisor(max(1, n_workers), prepare_files_spilled, options, register_yaml, folder) as pool:
            if n_workers > 1:
                pool.run(batches, handed)
                return
            for b in batches:  # one process: only the unsafe files go to the (one) worker
                if b[0][0] in unsafe:
                    pool.run([b], handed)
                else:
                    finished(b, prepare_files([(f, shown, sha) for _, f, shown, sha in b], options, register_yaml))
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def batch_files(todo: list[Item], sizes: dict[int, int], max_bytes: int = 2_000_000, max_files: int = 40) -> list[list[Item]]:
    """Group files into batches normalised together: small ledgers share one pass, a big file goes alone.
    `sizes`: each file's bytes, by its index."""
    batches: list[list[Item]] = []
    current: list[Item] = []
    size = 0
    for item in todo:
        n = sizes[item[0]]
        if current and (size + n > max_bytes or len(current) >= max_files):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += n
    if current:
        batches.append(current)
    return batches


def _spill_folder() -> str:
    """A new folder for the workers' tables, named after this process. Folders left by an ingest that was
    killed outright (its process gone) are removed first: they hold memory until the machine restarts."""
    root = Path(_SHARED_MEMORY if os.access(_SHARED_MEMORY, os.W_OK) else tempfile.gettempdir())
    for old in root.glob("census-ingest-*-*"):
        pid = old.name.split("-")[2]
        try:
            mine = old.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"census-ingest-{os.getpid()}-", dir=root)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (POSIX: signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):  # none, or no possible process id
        return False
    except OSError:  # another user's process
        return True
    return True

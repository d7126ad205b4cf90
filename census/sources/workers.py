"""Preparing files on both cores: batches of files go to worker processes, which read, lay out and normalise
them (`prepare.prepare_files`) and hand each file's tables back through Arrow IPC files in shared memory, which
the writer maps without a copy. Without enough to read, everything runs in this process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa

from ..i18n import language, set_language
from .prepare import TABLES, IngestOptions, Prepared, prepare_files

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
                          folder: str | None) -> list[Prepared | Exception]:
    """`prepare_files` as a worker process runs it: the tables handed over through files in `folder` (when
    there is one; else they are pickled with the results)."""
    results = prepare_files(items, options, register_yaml)
    for r in results:
        if isinstance(r, Prepared) and folder is not None:
            spill(r, folder)
    return results


# ============================================================================================ the batches
Item = tuple[int, Path, str, str]  # (index in the run, file, display path, sha256)


def prepare_all(todo: list[Item], options: IngestOptions, register_yaml: str,
                finished: Callable[[list[Item], list[Prepared | Exception]], None], workers: int | None = None) -> None:
    """Prepare the files in batches (on worker processes when there is enough to read) and hand each batch's
    results, in the batch's order, to `finished` as it comes back. The biggest batches go first, on any number
    of workers (so that record ids do not depend on it): a big file read last would keep one core busy while
    the other has nothing left to do."""
    sizes = {i: f.stat().st_size for i, f, _, _ in todo}
    batches = sorted(batch_files(todo, sizes), key=lambda b: -sum(sizes[i] for i, _, _, _ in b))
    size = sum(sizes.values())
    n_workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if len(batches) > 1 and size > PARALLEL_BYTES else 1)
    if n_workers <= 1:
        for b in batches:
            finished(b, prepare_files([(f, shown, sha) for _, f, shown, sha in b], options, register_yaml))
        return
    folder = _spill_folder() if os.name == "posix" else None  # (elsewhere a mapped file cannot be removed)
    try:
        with ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_start, initargs=(language(),)) as pool:
            futures = [(b, pool.submit(prepare_files_spilled, [(f, shown, sha) for _, f, shown, sha in b], options,
                                       register_yaml, folder)) for b in batches]
            try:
                for j, (b, fut) in enumerate(futures):
                    try:
                        outcomes = fut.result()
                    except Exception as e:  # noqa: BLE001 - a worker died: its files are reported, the others go in
                        outcomes = [e] * len(b)
                    futures[j] = (b, None)  # the batch's tables are freed once written
                    for outcome in outcomes:
                        if isinstance(outcome, Prepared):
                            unspill(outcome)
                    finished(b, outcomes)
                    del outcomes
            except BaseException:
                for _, fut in futures:
                    if fut is not None:
                        fut.cancel()
                raise
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


def _worker_start(lang: str) -> None:
    """A worker process has a core to itself: Arrow's conversions run on this one thread, not on a pool of as
    many threads as cores (which the other worker and the writer are using). Its messages are in the language
    of the process that started it."""
    pa.set_cpu_count(1)
    set_language(lang)


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

"""Worker processes under supervision: one file that crashes its reader costs no other file a row.

A damaged file can take down the process reading it (pyreadstat dies with a segmentation fault on a .sav whose
variable dictionary is damaged; a reader can exhaust memory), and `concurrent.futures.ProcessPoolExecutor`
then marks the whole pool broken: every file of the call failed. Here each worker is a process of its own,
watched through its pipe and its sentinel:

- a worker says which file of its batch it is reading; when it dies, that file is tried again alone and the
  rest of the batch goes back to the queue (a death while the batch is normalised sends every file back
  alone). A file that kills a worker when it is alone fails, with one line naming it; a new worker takes the
  next batch.
- results cross back pickled (tables through shared memory, `workers.spill`); an error that could not be
  rebuilt on this side (an exception class with its own constructor, a reader's PanicException) crosses as
  `WorkerError`, with its type, message and traceback as text.
- workers ignore Ctrl-C (the terminal sends it to the whole process group; the main process alone answers
  it and stops them), and die with the main process, even when it is killed outright (Linux: the parent-death
  signal; elsewhere a thread watching the parent).
- results are handed on in the order of the batches, whatever order the workers finish in, so that record
  ids do not depend on the number of workers or on crashes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.forkserver as forkserver
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

import pyarrow as pa

from ..errors import SourceError
from ..i18n import _, language, set_language
from .prepare import IngestOptions, Prepared

Item = tuple[int, Path, str, str]  # (index in the run, file, display path, sha256)
Outcome = Prepared | BaseException
Finished = Callable[[list[Item], list[Outcome]], None]
Work = Callable[[list[tuple[Path, str, str | None]], IngestOptions, str, str | None, Callable[[int | None], None]], list[Outcome]]

_PR_SET_PDEATHSIG = 1
# what the fork server imports once for every worker: the main module (which a worker would import again
# otherwise: the command line) and the readers
_PRELOAD = ["__main__", "census.sources.workers"]
_STARTING, _NORMALISING = "starting", "normalising"  # where a worker is, besides reading file k


class WorkerError(Exception):
    """An error raised in a worker that could not cross to the main process as itself."""

    def __init__(self, kind: str, message: str, trace: str = ""):
        self.kind, self.message, self.trace = kind, message, trace
        super().__init__(f"{kind}: {message}")

    def __reduce__(self):
        return (type(self), (self.kind, self.message, self.trace))


def crash_message(path: str, exitcode: int | None) -> SourceError:
    """The one line for a file whose reading killed the worker process alone."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return SourceError(path, _("读取这个文件的进程被系统终止（{signal}，多半是内存不足）；请把文件拆小，或关闭其他程序后再读入。"
                                       "其他文件照常读入。").format(signal=name))
        return SourceError(path, _("读取这个文件时读取程序崩溃（{signal}），文件已损坏；请从原系统重新导出，或用 Excel、WPS、SPSS 打开后另存，"
                                   "再读入。其他文件照常读入。").format(signal=name))
    return SourceError(path, _("读取这个文件的进程意外退出（退出码 {code}）；请从原系统重新导出后再读入。其他文件照常读入。")
                       .format(code=exitcode))


# ============================================================================================ the worker
def _die_with(main: int) -> None:
    """End this process when the main process ends, however it ends (kill -9 included): on Linux the
    parent-death signal (the parent is the fork server, which exits when the main process does), and
    everywhere a thread that looks for the main process every second."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    parent = os.getppid()

    def watch() -> None:
        while True:
            try:
                os.kill(main, 0)
            except ProcessLookupError:
                os._exit(0)
            except OSError:
                pass
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(1.0)

    threading.Thread(target=watch, name="census-main-watch", daemon=True).start()


def _sendable(outcomes: list[Outcome]) -> list[Outcome]:
    """Errors that pickle and unpickle as themselves stay; any other becomes a `WorkerError`."""
    out: list[Outcome] = []
    for o in outcomes:
        if isinstance(o, BaseException):
            try:
                back = pickle.loads(pickle.dumps(o))
                if type(back) is not type(o) or str(back) != str(o):
                    raise TypeError("changed crossing")
            except Exception:  # noqa: BLE001 - whatever stops the round trip, the error crosses as text
                text = str(o)
                o = WorkerError(type(o).__name__, text.splitlines()[0] if text else "",
                                "".join(traceback.format_exception(o)))
        out.append(o)
    return out


def _work(conn, work: Work, options: IngestOptions, register_yaml: str, folder: str | None, lang: str, main: int) -> None:
    """A worker's life: take a batch, say which file it reads, send the results, until told to stop. Its messages
    are in the language (`lang`) of the process that started it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the main process answers
    _die_with(main)
    pa.set_cpu_count(1)  # a core to itself: Arrow's conversions on this one thread
    set_language(lang)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        task_id, items = task

        def reading(k: int | None, task_id=task_id) -> None:
            conn.send(("at", task_id, _NORMALISING if k is None else k))

        try:
            outcomes = work(items, options, register_yaml, folder, reading)
        except Exception as e:  # noqa: BLE001 - the batch's own machinery failed: every file of it says so
            outcomes = [e] * len(items)
        outcomes = _sendable(outcomes)
        try:
            conn.send(("done", task_id, outcomes))
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            conn.send(("done", task_id, [WorkerError(type(e).__name__, str(e))] * len(items)))


# ============================================================================================ the supervisor
@dataclass
class _Task:
    id: int
    batch: int  # index of the batch its files belong to
    items: list[Item]


class _Worker:
    def __init__(self, ctx, target_args: tuple):
        self.conn, child = ctx.Pipe(duplex=True)
        try:
            with _deaf(ctx.get_start_method() == "spawn"), _main_hidden():  # (a spawned interpreter keeps an ignored Ctrl-C ignored)
                self.process = ctx.Process(target=_work, args=(child, *target_args, os.getpid()), daemon=True,
                                           name="census-reader")
                self.process.start()
        finally:
            child.close()
        self.task: _Task | None = None
        self.at: int | str = _STARTING

    def stop(self, wait_seconds: float = 2.0) -> None:
        """An idle worker is asked to leave; a busy one (Ctrl-C, an error of this process) is terminated."""
        if self.process.is_alive():
            asked = False
            if self.task is None:
                try:
                    self.conn.send(None)
                    asked = True
                except (OSError, ValueError):
                    pass
            if not asked:
                self.process.terminate()
            self.process.join(wait_seconds)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.conn.close()


@contextmanager
def _deaf(really: bool = True) -> Iterator[None]:
    """Ctrl-C ignored for a moment, while a process is started that inherits it so (a Python interpreter keeps
    an ignored SIGINT ignored): the terminal sends Ctrl-C to the whole process group, and a worker caught
    importing would print a traceback. (A Ctrl-C in this moment, a few milliseconds, is lost.)"""
    if not really or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _context():
    """Workers are forked from a fork server (a clean process that imported the readers once, and that ignores
    Ctrl-C, as its children do from their first instant), not from this process: a fork of a process whose
    libraries run threads (Arrow, DuckDB) can crash in the child, and a spawned worker would import the
    package again (a second or two) after every crash."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    with _deaf(), _main_hidden():
        forkserver.ensure_running()
    return ctx


@contextmanager
def _main_hidden() -> Iterator[None]:
    """The program's own `__main__` kept out of the worker processes while they start. multiprocessing runs the
    parent's main script again in every forkserver or spawned child (as `__mp_main__`), so a user's script that
    calls `census.ingest` without an `if __name__ == "__main__":` guard would run again in each worker (and fail
    there: its workspace is open). The workers need nothing of it: their work is `census.sources.pool._work`."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    if "__spec__" in saved:
        main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)


class Supervisor:
    """Up to `workers` worker processes running `work` on batches of files; `run` hands each batch's outcomes
    on in the batches' order. Use as a context manager (workers are stopped on leaving, Ctrl-C included)."""

    def __init__(self, workers: int, work: Work, options: IngestOptions, register_yaml: str, folder: str | None):
        self.size = max(1, workers)
        self.args = (work, options, register_yaml, folder, language())
        self.ctx = _context()
        self.crashes = 0  # worker processes that died (each replaced)
        self._ids = 0
        self.workers: list[_Worker] = [_Worker(self.ctx, self.args)]  # started now: it gets ready while this process reads

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.workers = []

    def _task(self, batch: int, items: list[Item]) -> _Task:
        self._ids += 1
        return _Task(self._ids, batch, items)

    def run(self, batches: list[list[Item]], finished: Finished) -> None:
        queue = deque(self._task(j, b) for j, b in enumerate(batches))
        outcomes: dict[int, Outcome] = {}
        delivered = 0
        while delivered < len(batches):
            self._assign(queue)
            busy = [w for w in self.workers if w.task is not None]
            if busy:
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for w in busy:
                    if w.conn in ready or w.process.sentinel in ready:
                        self._hear(w, queue, outcomes)
            while delivered < len(batches) and all(i in outcomes for i, *_rest in batches[delivered]):
                batch = batches[delivered]
                finished(batch, [outcomes.pop(i) for i, *_rest in batch])
                delivered += 1

    def _assign(self, queue: deque[_Task]) -> None:
        while queue:
            idle = next((w for w in self.workers if w.task is None), None)
            if idle is None:
                if len(self.workers) >= self.size:
                    return
                idle = _Worker(self.ctx, self.args)
                self.workers.append(idle)
            task = queue.popleft()
            try:
                idle.conn.send((task.id, [(f, shown, sha) for _, f, shown, sha in task.items]))
            except (OSError, ValueError):  # it died while idle: the task goes back, the worker is replaced
                queue.appendleft(task)
                self._bury(idle)
                continue
            idle.task, idle.at = task, _STARTING

    def _hear(self, w: _Worker, queue: deque[_Task], outcomes: dict[int, Outcome]) -> None:
        """Read what a worker said; if it died, deal with the batch it was preparing."""
        while w.task is not None:
            try:
                if not w.conn.poll():
                    break
                kind, task_id, value = w.conn.recv()
            except (EOFError, OSError):
                break
            except Exception as e:  # noqa: BLE001 - a result that cannot be rebuilt here: its files fail with it
                self._failed(w.task, outcomes, WorkerError(type(e).__name__, str(e)))
                w.task = None
                break
            if task_id != w.task.id:
                continue
            if kind == "at":
                w.at = value
            else:
                for (i, *_rest), o in zip(w.task.items, value, strict=True):
                    outcomes[i] = o
                w.task = None
        if w.task is not None and not w.process.is_alive():
            self._crashed(w, queue, outcomes)

    def _failed(self, task: _Task, outcomes: dict[int, Outcome], error: BaseException) -> None:
        for i, *_rest in task.items:
            outcomes[i] = error

    def _crashed(self, w: _Worker, queue: deque[_Task], outcomes: dict[int, Outcome]) -> None:
        """A worker died preparing `w.task`: the file it was reading is tried alone, the rest again; a file
        alone fails with the crash."""
        task, at = w.task, w.at
        w.process.join()
        code = w.process.exitcode
        self._bury(w)
        self.crashes += 1
        assert task is not None
        items = task.items
        if len(items) == 1:
            outcomes[items[0][0]] = crash_message(items[0][2], code)
            return
        # it died reading items[at]: that file alone first, then the others together; it died normalising the
        # batch (or starting): every file alone
        again = [[items[at]], items[:at] + items[at + 1:]] if isinstance(at, int) else [[it] for it in items]
        for part in reversed([p for p in again if p]):
            queue.appendleft(self._task(task.batch, part))

    def _bury(self, w: _Worker) -> None:
        w.task = None
        w.stop(0.5)
        self.workers.remove(w)

"""One bad file never costs another file a row: errors, reader panics and crashes of the process reading a file
fail that file alone, with one line naming it; Ctrl-C ends a command with one line; workers die with the main
process."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from census import IngestOptions, Workspace, ingest
from census.errors import INTERRUPTED_EXIT, INTERRUPTED_TEXT, SourceError
from census.sources import prepare as prepare_module
from census.sources.pool import Supervisor, WorkerError, _sendable
from census.sources.prepare import prepare_files
from census.sources.readers import read_source

from ..conftest import EXAMPLES, ROOT, make_id, write_csv, write_xlsx

SAV = EXAMPLES / "district" / "问卷" / "雨花台区新的社会阶层人士问卷调查_2026.sav"
PYTHON = sys.executable


def _ledger(path: Path, n: int = 3, seq0: int = 100) -> Path:
    rows = [["姓名", "身份证号", "所属社区"]] + [[f"人{seq0 + i}", make_id("19800101", f"{seq0 + i:03d}"), "虹苑社区"] for i in range(n)]
    return write_xlsx(path, {"S": rows})


def damaged_sav(target: Path) -> Path:
    """The demo questionnaire with one byte of its variable dictionary changed: pyreadstat 1.3 dies with a
    segmentation fault reading it."""
    data = bytearray(SAV.read_bytes())
    data[1797] = 0x37
    target.write_bytes(bytes(data))
    return target


def _crashes_pyreadstat(path: Path) -> bool:
    code = f"import pyreadstat; pyreadstat.read_sav({str(path)!r}, apply_value_formats=True)"
    return subprocess.run([PYTHON, "-c", code], capture_output=True).returncode < 0


# ============================================================================================ crashes
@pytest.mark.parametrize("workers", [None, 2])
def test_a_sav_that_crashes_its_reader_fails_alone(tmp_path, workers):
    """A .sav whose damaged dictionary kills pyreadstat (a segmentation fault) fails with one line naming it;
    the clean files beside it, the clean questionnaire included, are whole. In a small run too (a .sav is
    never read in the main process)."""
    d = tmp_path / "in"
    d.mkdir()
    bad = damaged_sav(d / "坏问卷.sav")
    assert _crashes_pyreadstat(bad)
    shutil.copy(SAV, d / "问卷.sav")
    for k in range(3):
        _ledger(d / f"台账{k}.xlsx", 3, 100 + 10 * k)
    with Workspace(tmp_path / "w.duckdb") as ws:
        r = ingest(ws, [d], IngestOptions(community="虹苑社区"), workers=workers)
        status = {f.path: f.status for f in r.files}
        assert status == {"坏问卷.sav": "failed", "问卷.sav": "ingested", "台账0.xlsx": "ingested", "台账1.xlsx": "ingested",
                          "台账2.xlsx": "ingested"}
        msg = next(f.message for f in r.files if f.path == "坏问卷.sav")
        assert msg.startswith("坏问卷.sav") and "SIGSEGV" in msg and "\n" not in msg
        assert ws.scalar("SELECT count(*) FROM records WHERE source_kind = 'community_ledger'") == 9
        assert ws.scalar("SELECT records + quarantined FROM sources WHERE path = '问卷.sav'") == len(read_source(SAV).tables[0].cells)


def _work(items, options, register_yaml, folder, reading):
    """A stand-in for prepare_files, run by the workers of the supervisor tests: a file's name says what
    happens to it."""
    out = []
    for k, (path, shown, _sha) in enumerate(items):
        reading(k)
        name = Path(path).name
        if "segv" in name:
            ctypes.string_at(0)  # a native crash
        if "exit" in name:
            os._exit(3)
        out.append(_Odd("odd", 2) if "odd" in name else f"read {shown}")
    reading(None)
    if any("late" in Path(p).name for p, _s, _h in items):
        os.kill(os.getpid(), signal.SIGSEGV)  # a crash while the batch is normalised
    return out


class _Odd(Exception):
    """An error that cannot be rebuilt after pickling (its constructor wants two arguments, args holds one)."""

    def __init__(self, text, n):
        super().__init__(f"{text} {n}")


def test_supervisor_finds_the_file_that_killed_a_worker(tmp_path):
    """Batches come back in their order; a worker that dies reading a file is replaced, the file is tried
    alone and fails with the crash, the rest of its batch is read again; a death while a batch is normalised
    sends each file back alone; an error that cannot cross pickled arrives as WorkerError."""
    names = [["a", "b_segv", "c"], ["d", "e_exit"], ["f_late", "g"], ["h_odd", "i"], ["j"]]
    batches = [[(i, tmp_path / n, n, "") for i, n in enumerate(b, start=10 * j)] for j, b in enumerate(names)]
    got = []
    with Supervisor(2, _work, IngestOptions(), "", None) as pool:
        pool.run(batches, lambda batch, outcomes: got.append(([shown for _i, _p, shown, _h in batch], outcomes)))
        assert pool.crashes == 6  # b with its batch, then alone; e likewise; f_late's batch (normalising), then f_late alone
    assert [b for b, _ in got] == names
    out = {name: o for b, outcomes in got for name, o in zip(b, outcomes, strict=True)}
    assert {n: o for n, o in out.items() if isinstance(o, str)} == {n: f"read {n}" for n in "acdgij"}
    assert isinstance(out["b_segv"], SourceError) and "SIGSEGV" in str(out["b_segv"]) and str(out["b_segv"]).startswith("b_segv")
    assert "退出码 3" in str(out["e_exit"])
    assert "SIGSEGV" in str(out["f_late"])
    assert isinstance(out["h_odd"], WorkerError) and out["h_odd"].kind == "_Odd" and out["h_odd"].message == "odd 2"


def test_errors_cross_from_a_worker_intact():
    """A SourceError (whose constructor takes the path and the message) is rebuilt as itself; an error that
    cannot be becomes a WorkerError with its type, message and traceback."""
    e = SourceError("台账.xlsx", "工作簿已损坏")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is SourceError and str(back) == str(e) and back.path == "台账.xlsx"
    try:
        raise _Odd("odd", 2)
    except _Odd as odd:
        sent = _sendable([odd, e, "x"])
    assert isinstance(sent[0], WorkerError) and "_Odd" in sent[0].trace and sent[1] is e and sent[2] == "x"
    assert pickle.loads(pickle.dumps(sent[0])).message == "odd 2"


# ============================================================================================ errors in this process
class PanicException(BaseException):
    """What a Rust reader raises when it panics (pyo3_runtime.PanicException is no Exception)."""


def test_a_reader_panic_or_error_fails_its_file_alone(tmp_path, monkeypatch):
    real = prepare_module.read_source

    def read(path, encoding=None):
        if "panic" in path.name:
            raise PanicException("slice index starts at 12288 but ends at 12101")
        if "boom" in path.name:
            raise ZeroDivisionError("division by zero")
        return real(path, encoding)

    monkeypatch.setattr(prepare_module, "read_source", read)
    files = [_ledger(tmp_path / "a.xlsx", 2, 100), _ledger(tmp_path / "panic.xlsx", 2, 110), _ledger(tmp_path / "boom.xlsx", 2, 120),
             _ledger(tmp_path / "b.xlsx", 2, 130)]
    with Workspace(tmp_path / "w.duckdb") as ws:
        r = ingest(ws, files, IngestOptions(community="虹苑社区"))
        assert [f.status for f in r.files] == ["ingested", "failed", "failed", "ingested"]
        assert ws.scalar("SELECT count(*) FROM records") == 4
    for f in r.files[1:3]:
        assert f.message.startswith(f.path) and "\n" not in f.message and "请用 Excel 或 WPS 打开后另存" in f.message
    assert "PanicException" in r.files[1].message and "ZeroDivisionError" in r.files[2].message


def test_a_file_that_breaks_the_batch_normalisation_fails_alone(tmp_path, monkeypatch):
    """Files are normalised together; when that fails, each file is normalised alone, and only the file that
    breaks it fails."""
    real = prepare_module.normalize

    def normalize(frame, *args):
        if (frame["f_name"] == "人666").any():
            raise RuntimeError("a normaliser met a value it cannot take")
        return real(frame, *args)

    monkeypatch.setattr(prepare_module, "normalize", normalize)
    items = [(_ledger(tmp_path / f"{k}.xlsx", 2, 600 + 33 * k), f"{k}.xlsx", None) for k in range(3)]
    out = prepare_files(items, IngestOptions(community="虹苑社区"), "")
    assert isinstance(out[2], RuntimeError)  # 人666 is in the third file
    assert [o.records.num_rows for o in out[:2]] == [2, 2]


# ============================================================================================ Ctrl-C and kill -9
def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _session_processes(sid: int) -> list[int]:
    ps = subprocess.run(["ps", "-eo", "pid=,sid="], capture_output=True, text=True).stdout.split("\n")
    return [int(p) for p, s in (line.split() for line in ps if line.strip()) if int(s) == sid]


def _gone(pids_of, deadline: float = 60.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if not pids_of():
            return True
        time.sleep(0.2)
    return False


def test_ctrl_c_ends_ingest_with_one_line_and_a_rerun_finishes(tmp_path):
    """SIGINT sent to the command's process group (as a terminal's Ctrl-C is) at several moments: while the
    command starts, while files are read and written. Each time: exit 130 and one line on stderr, no
    traceback, no worker left; files written are kept, and the same command run again finishes the job."""
    db = tmp_path / "w.duckdb"
    cmd = [PYTHON, "-m", "census", "ingest", str(EXAMPLES / "district"), "--regions", str(EXAMPLES / "regions.yaml"), "--db", str(db)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    seen_130, kept = 0, []
    wal = tmp_path / "w.duckdb.wal"
    # when to press Ctrl-C: while the command starts (importing its modules); once the register is stored and
    # files are read; as the first files are written; halfway through writing (by the size of DuckDB's log)
    moments = [(0.3, None), (0.0, 10_000), (0.0, 100_000), (0.0, 700_000)]
    for after, log_size in moments:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env, cwd=tmp_path)
        t0 = time.monotonic()
        while p.poll() is None and not (time.monotonic() - t0 > after and (
                log_size is None or _size(wal) > log_size)):
            time.sleep(0.005)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=300)
        err = err.decode("utf-8")
        assert "Traceback" not in err and "Error" not in err, err
        if p.returncode == INTERRUPTED_EXIT:
            seen_130 += 1
            assert err.strip() == INTERRUPTED_TEXT, err
        else:
            assert p.returncode == 0, err
        assert _gone(lambda p=p: _session_processes(p.pid)), "a worker outlived the command"
        if db.exists():
            with Workspace(db) as ws:
                kept.append(ws.scalar("SELECT count(*) FROM sources"))
    assert seen_130 >= 3
    files = sum(1 for p in (EXAMPLES / "district").rglob("*") if p.is_file())
    assert any(0 < k < files for k in kept), kept  # files written before Ctrl-C are kept
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    with Workspace(db) as ws:
        assert ws.scalar("SELECT count(*) FROM sources") == files
        assert ws.scalar("SELECT count(*) FROM records") == ws.scalar("SELECT sum(data_rows) FROM sources") > 3000


_HOLD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from census.sources.pool import Supervisor
from census.sources.prepare import IngestOptions
from tests.sources.test_faults import _hold

if __name__ == "__main__":
    with Supervisor(2, _hold, IngestOptions(), "", None) as pool:
        pool.run([[(0, Path({a!r}), "a", "")], [(1, Path({b!r}), "b", "")]], lambda b, o: None)
"""


def _hold(items, options, register_yaml, folder, reading):
    """A worker's work that never ends: it writes its process id where the test looks for it, and waits."""
    for path, _shown, _sha in items:
        Path(path).write_text(str(os.getpid()))
    while True:
        time.sleep(1)


def test_workers_die_when_the_main_process_is_killed(tmp_path):
    """kill -9 of the main process leaves no worker (nor the fork server) behind."""
    script = tmp_path / "hold.py"
    a, b = tmp_path / "a.pid", tmp_path / "b.pid"
    script.write_text(_HOLD.format(root=str(ROOT), a=str(a), b=str(b)), encoding="utf-8")
    p = subprocess.Popen([PYTHON, str(script)], start_new_session=True)
    end = time.monotonic() + 120
    while not (a.exists() and b.exists() and a.read_text() and b.read_text()) and time.monotonic() < end:
        time.sleep(0.2)
    workers = [int(a.read_text()), int(b.read_text())]
    assert all(_alive(w) for w in workers)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert _gone(lambda: [w for w in workers if _alive(w)]), "workers outlived the main process"
    assert _gone(lambda: _session_processes(p.pid)), "the fork server outlived the main process"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_damaged_text_csv_in_a_batch_does_not_stop_it(tmp_path):
    """(A guard for the one-process path: a text file the reader rejects fails alone among files read with it.)"""
    write_csv(tmp_path / "ok.csv", [["姓名", "身份证号", "所属社区"], ["甲", make_id("19800101", "111"), "虹苑社区"]])
    (tmp_path / "bin.csv").write_bytes(bytes(range(256)) * 40)
    with Workspace(tmp_path / "w.duckdb") as ws:
        r = ingest(ws, [tmp_path / "ok.csv", tmp_path / "bin.csv"])
    assert [f.status for f in r.files] == ["ingested", "failed"] and "二进制" in r.files[1].message


def test_ctrl_c_while_linking_leaves_the_workspace_whole(demo_linked, tmp_path):
    """Ctrl-C while `census tally` links first (DuckDB answers it inside a query): one line, exit 130; the next
    tally links again and counts what it always counts."""
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_linked, db)
    with Workspace(db) as ws:
        ws.bump_data_version()  # linking is stale: tally links first
    cmd = [PYTHON, "-m", "census", "tally", "--db", str(db), "--format", "json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)
    t0 = time.monotonic()
    while p.poll() is None and time.monotonic() - t0 < 4.0:
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, signal.SIGINT)
    _out, err = p.communicate(timeout=300)
    err = err.decode("utf-8")
    assert "Traceback" not in err and "Error" not in err, err
    assert (p.returncode, err.strip()) == (INTERRUPTED_EXIT, INTERRUPTED_TEXT) or p.returncode == 0, err
    done = subprocess.run(cmd, capture_output=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    assert '"total": 492' in done.stdout.decode()


def test_a_file_that_cannot_be_written_fails_alone(tmp_path, monkeypatch):
    """(A database error while one file is written, as the duplicate sheet names once raised: that file's
    transaction is rolled back and it fails with one line; the files after it go in.)"""
    import duckdb

    from census.sources import ingest as ingest_module

    real = ingest_module._insert

    def insert(ws, prep, sid, round_):
        if prep.path.endswith("b.xlsx"):
            real(ws, prep, sid, round_)  # half written, then the error
            raise duckdb.ConstraintException('Constraint Error: duplicate key "1, S"')
        return real(ws, prep, sid, round_)

    monkeypatch.setattr(ingest_module, "_insert", insert)
    files = [_ledger(tmp_path / f"{n}.xlsx", 2, 100 + 10 * k) for k, n in enumerate("abc")]
    with Workspace(tmp_path / "w.duckdb") as ws:
        r = ingest(ws, files, IngestOptions(community="虹苑社区"))
        assert [f.status for f in r.files] == ["ingested", "failed", "ingested"]
        assert "写入工作区时出错" in r.files[1].message and r.files[1].message.startswith(r.files[1].path)
        assert ws.query("SELECT path FROM sources ORDER BY source_id") == [(str(files[0]),), (str(files[2]),)]
        assert ws.scalar("SELECT count(*) FROM records") == 4


def test_ctrl_c_inside_a_query_is_a_keyboard_interrupt(tmp_path):
    """DuckDB answers Ctrl-C inside a query with RuntimeError("Query interrupted"): a transaction rolls back and
    raises KeyboardInterrupt, so that no caller takes it for a file's error and goes on."""
    with Workspace(tmp_path / "w.duckdb") as ws:
        with pytest.raises(KeyboardInterrupt), ws.transaction():
            ws.set("x", "1")
            raise RuntimeError("Query interrupted")
        assert ws.get("x") is None
        with pytest.raises(RuntimeError, match="another"), ws.transaction():
            raise RuntimeError("another error")


def test_a_script_without_a_main_guard_can_ingest_through_the_workers(tmp_path):
    """(multiprocessing runs the parent's main script again in every worker it starts; a clerk's script that calls
    census.ingest at its top level would open its workspace again there and the .sav, read by a worker, failed.)"""
    script = tmp_path / "统计.py"
    script.write_text(
        "import json, sys\n"
        "from census import Workspace, ingest\n"
        "with Workspace(sys.argv[1]) as ws:\n"
        "    r = ingest(ws, [sys.argv[2]])\n"
        "    print(json.dumps([(f.status, f.records) for f in r.files]))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "w.duckdb"), str(SAV)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (status, records), = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == "ingested" and records > 0, done.stderr

"""Fuzz benchmark: ingest a corpus of damaged and odd files made from the demo district (tests/fuzz_corpus.py),
fifty to a call, each call into a fresh workspace (every other call on two worker processes), and print:

    files, by sort; files failed / skipped; calls crashed (an ingest call that raised); rows lost (rows of clean
    and odd files that became neither record nor quarantined row); files unnamed (a failure without one line
    naming its file); cases that did not end as they must; worker processes that died (and were replaced);
    max RSS of this process and of the largest worker; the slowest file (each file prepared alone, again).

    python benchmarks/fuzz.py                  # 1,000 files
    python benchmarks/fuzz.py --files 2000 --seed 7 --keep /tmp/corpus
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, peak_mb

from census import Workspace, ingest
from census.sources.pool import Supervisor
from census.sources.prepare import IngestOptions, prepare_files
from tests.fuzz_corpus import DISTRICT, build_corpus, check, reference


class _Peaks(threading.Thread):
    """The peak resident memory (VmHWM) of every process descending from this one, sampled."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.largest = 0  # kB
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            for pid in _descendants(os.getpid()):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.largest = max(self.largest, int(line.split()[1]))


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        found += kids
        frontier += kids
    return found


def _timed(items, options, register_yaml, folder, reading):
    """prepare_files on each file alone, timed (run by the supervisor's workers)."""
    out = []
    for k, item in enumerate(items):
        reading(k)
        t = time.perf_counter()
        prepare_files([item], options, register_yaml)
        out.append(time.perf_counter() - t)
    reading(None)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--per-call", type=int, default=50)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="census-fuzz-"))
    corpus = args.keep or work / "corpus"
    try:
        with Workspace(work / "reference.duckdb") as ws:
            ingest(ws, [DISTRICT], regions=ROOT / "examples" / "regions.yaml")
            refs = reference(ws)
        t0 = time.perf_counter()
        batches = build_corpus(corpus, refs, batches=-(-args.files // args.per_call), per_batch=args.per_call, seed=args.seed)
        print(f"corpus: {sum(map(len, batches))} files in {len(batches)} folders, {time.perf_counter() - t0:.0f} s", file=sys.stderr)

        peaks = _Peaks()
        peaks.start()
        totals = {"files": 0, "failed": 0, "skipped": 0, "rows_lost": 0, "unnamed": 0, "crashed_calls": 0, "reader_crashes": 0}
        problems: list[str] = []
        t0 = time.perf_counter()
        for b, cases in enumerate(batches):
            try:
                with Workspace(work / f"w{b}.duckdb") as ws:
                    result = ingest(ws, [corpus / f"batch{b:03d}"], regions=ROOT / "examples" / "regions.yaml",
                                    workers=2 if b % 2 else None)
            except BaseException as e:  # noqa: BLE001 - a crashed call is what this counts
                totals["crashed_calls"] += 1
                problems.append(f"batch{b:03d}: the call raised {type(e).__name__}: {e}")
                continue
            found = check(result, cases, refs)
            totals["reader_crashes"] += sum("读取程序崩溃" in (f.message or "") or "读取这个文件的进程" in (f.message or "")
                                            for f in result.files)
            for k in ("files", "failed", "skipped", "rows_lost"):
                totals[k] += getattr(found, k)
            for p in found.problems or []:
                problems.append(p)
                totals["unnamed"] += "without one line naming it" in p or "no result" in p
            print(f"  batch{b:03d}: {found.files} files, {found.failed} failed, {found.skipped} skipped, {found.rows_lost} rows lost",
                  file=sys.stderr)
        ingest_seconds = time.perf_counter() - t0

        # the slowest file: every file prepared alone again, on two workers (a crashing one counts as failed)
        items = [(i, corpus / f"batch{b:03d}" / c.shown, c.shown, "") for b, cases in enumerate(batches)
                 for i, c in enumerate(cases, start=1000 * b) if c.sort != "nondata"]
        times: dict[str, float] = {}
        with Supervisor(2, _timed, IngestOptions(), "", None) as pool:
            def done(batch, outcomes):
                for (_i, _p, shown, _h), o in zip(batch, outcomes, strict=True):
                    if isinstance(o, float):
                        times[shown] = o

            pool.run([items[k:k + 25] for k in range(0, len(items), 25)], done)
            died = pool.crashes
        peaks.stop.set()
        peaks.join()
        slowest = max(times, key=times.get)
        kinds = {}
        for c in (c for cases in batches for c in cases):
            kinds[c.sort] = kinds.get(c.sort, 0) + 1
        print(f"files            {totals['files']} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}) in {len(batches)} calls")
        print(f"failed, skipped  {totals['failed']}, {totals['skipped']}")
        print(f"calls crashed    {totals['crashed_calls']}")
        print(f"reader crashes   {totals['reader_crashes']} files killed the process reading them (each failed alone)")
        print(f"rows lost        {totals['rows_lost']}")
        print(f"files unnamed    {totals['unnamed']}")
        print(f"other problems   {len(problems) - totals['unnamed'] - totals['crashed_calls']}")
        print(f"ingest           {ingest_seconds:.0f} s for {totals['files']} files")
        print(f"workers died     {died} (files prepared alone for timing)")
        print(f"max RSS          this process and waited children {peak_mb():.0f} MB; largest worker {peaks.largest / 1024:.0f} MB")
        print(f"slowest file     {slowest}: {times[slowest]:.2f} s (prepared alone)")
        for p in problems[:30]:
            print("  " + p)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Ingest speed: census ingest of generated xlsx ledgers, next to a bare fastexcel read of the same files.

The ledgers come from the examples generator, scaled (`--ledgers-only`: community and unit ledgers, every
mess of the demo district included). The bare read loads every sheet of every file to Arrow as text, one
file after another, which is the floor any ingest stands on; census ingest reads, lays out, normalises and
stores them, files read on both cores.

    python benchmarks/ingest_speed.py                 # about 1,000,000 ledger rows (800,000 persons)
    python benchmarks/ingest_speed.py --persons 80000 # about 100,000 rows
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import OUT, ROOT, peak_mb

from census import Workspace, ingest


def ledgers(persons: int, seed: int = 11) -> Path:
    target = OUT / f"ledgers_{persons}_{seed}"
    if not (target / "truth" / "rows.csv").exists():
        sys.path.insert(0, str(ROOT / "examples"))
        from generate import generate

        t = time.perf_counter()
        summary = generate(target, persons, seed, ledgers_only=True)
        print(f"generated {summary['rows']:,} ledger rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return target


def bare_read(files: list[Path]) -> tuple[int, float]:
    """Every sheet of every file to Arrow, all cells as text: rows read and seconds."""
    import fastexcel

    t = time.perf_counter()
    rows = 0
    for f in files:
        reader = fastexcel.read_excel(str(f))
        for name in reader.sheet_names:
            rows += reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0).to_arrow().num_rows
    return rows, time.perf_counter() - t


def children_cpu() -> float:
    """CPU seconds of this process's descendants: those waited for (RUSAGE_CHILDREN), and, from /proc, every one
    still running (the forkserver and the worker processes it starts) with the children each has waited for."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = used.ru_utime + used.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    todo = [str(os.getpid())]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            for child in task.read_text().split():
                try:
                    fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick  # utime, stime, cutime, cstime
                todo.append(child)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=800_000, help="in-scope persons of the generated district")
    args = ap.parse_args()
    folder = ledgers(args.persons)
    files = sorted(p for p in (folder / "district").rglob("*") if p.suffix in (".xlsx", ".xls"))
    data_rows = sum(1 for _ in (folder / "truth" / "rows.csv").open(encoding="utf-8")) - 1
    size = sum(f.stat().st_size for f in files)
    sheet_rows, bare = bare_read(files)
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "bench.duckdb") as ws:
        t, cpu, before = time.perf_counter(), time.process_time(), children_cpu()
        result = ingest(ws, files, regions=folder / "regions.yaml")
        seconds, main_cpu = time.perf_counter() - t, time.process_time() - cpu
        workers = children_cpu() - before  # the worker processes (this script starts no other)
        totals = result.totals()
    out = {
        "files": len(files), "megabytes": round(size / 1e6, 1), "sheet_rows": sheet_rows, "data_rows": data_rows,
        "bare_fastexcel_s": round(bare, 1), "bare_rows_per_s": round(sheet_rows / bare),
        "ingest_s": round(seconds, 1), "ingest_rows_per_s": round(sheet_rows / seconds),
        "ratio_ingest_to_bare": round(seconds / bare, 2),
        # CPU seconds: the bare read's are about its wall time; the ingest's main process writes to DuckDB
        "cpu_main_s": round(main_cpu, 1), "cpu_workers_s": round(workers, 1),
        "records": totals["records"], "quarantined": totals["quarantined"], "nondata": totals["nondata"], "failed": totals["failed"],
        "peak_mb": round(peak_mb()),
    }
    print(json.dumps(out, ensure_ascii=False))
    print("target: 1,000,000 rows in under 30 s, within 2x of the bare read", file=sys.stderr)


if __name__ == "__main__":
    main()

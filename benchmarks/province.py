"""A province-like run on one machine: five generated districts of 200,000 in-scope persons each (about 5 million
source records) ingested into one workspace, linked and tallied on the DuckDB engine, then linked and tallied again
on Spark (`--master`, default local[2]). Prints one JSON line per step (seconds, peak memory) and a summary.

    python benchmarks/province.py                       # both engines
    python benchmarks/province.py --engines duckdb      # DuckDB only
    python benchmarks/province.py --districts 2         # a smaller run (2 districts, about 2 million records)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import district, peak_mb

from census import Workspace, ingest, link, tally
from census.persons import LinkOptions
from census.persons.spark import SparkOptions
from census.persons.spark import stop as stop_spark
from census.tables.spark import SparkTables

PERSONS = 200_000
SEEDS = (7, 8, 9, 10, 11)


class ChildPeak:
    """The peak resident memory of this process's live children (the JVM Spark runs in), sampled every second."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(1.0):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
                    self.peak_mb = max(self.peak_mb, int(fields["VmHWM"].split()[0]) / 1024)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(self.peak_mb)


def say(step: str, **figures) -> None:
    print(json.dumps({"step": step, **figures, "peak_mb": round(peak_mb())}, ensure_ascii=False), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--districts", type=int, default=len(SEEDS))
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--keep", type=Path, help="keep the workspace here (and when it is there already, skip the ingest)")
    args = ap.parse_args()
    folders = [district(PERSONS, seed) for seed in SEEDS[: args.districts]]
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as tmp:
        path = args.keep or Path(tmp) / "province.duckdb"
        ingested = path.exists()
        with Workspace(path) as ws:
            if not ingested:
                t = time.perf_counter()
                records = 0
                for folder in folders:
                    result = ingest(ws, [folder / "district"], regions=folder / "regions.yaml")
                    records += result.totals()["records"]
                say("ingest", seconds=round(time.perf_counter() - t, 1), records=records, districts=len(folders))
            for engine in args.engines:
                watch = ChildPeak()
                options = LinkOptions(engine=engine, spark=SparkOptions(args.master))
                linked = link(ws, options)
                say(f"link:{engine}", seconds=round(linked.seconds, 1), parts=linked.timings, persons=linked.persons,
                    records=linked.records, by_rule=linked.links_by_rule, review_pairs=linked.review_pairs)
                t = time.perf_counter()
                if engine == "spark":
                    with SparkTables(ws, options.spark) as spark:
                        opened = time.perf_counter() - t
                        tables = {s: tally(ws, s, by=["street", "category"], query=spark.query).total
                                  for s in ("current4", "legacy6")}
                    stop_spark()
                else:
                    opened = 0.0
                    tables = {s: tally(ws, s, by=["street", "category"]).total for s in ("current4", "legacy6")}
                say(f"tally:{engine}", seconds=round(time.perf_counter() - t, 1), export_s=round(opened, 1), totals=tables,
                    jvm_peak_mb=watch.stop())
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()

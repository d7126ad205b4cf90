"""Both engines on the same records: a generated district linked on DuckDB and on Spark (`--master`, default
local[2]), compared cluster by cluster, pair by pair, person by person, and table by table.

    python benchmarks/engines.py                     # the 50,000-person district (about 250,000 records)
    python benchmarks/engines.py --persons 3500
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from common import district

from census import Workspace, ingest, link, tally
from census.persons import LinkOptions
from census.persons.spark import SparkOptions
from census.tables.spark import SparkTables

COMPARED = {
    "links": "SELECT record_id, person_id, rule FROM links",
    "pairs": "SELECT record_a, record_b, status FROM pairs",
    "persons": "SELECT * EXCLUDE (arrangements), arrangements::VARCHAR FROM persons",
    "classifications": "SELECT * FROM classifications",
}


def differences(a: Path, b: Path, sql: str) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    left, right = sql.replace("FROM ", "FROM a."), sql.replace("FROM ", "FROM b.")
    n = con.execute(f"SELECT (SELECT count(*) FROM ({left} EXCEPT ALL {right})) + "
                    f"(SELECT count(*) FROM ({right} EXCEPT ALL {left}))").fetchall()[0][0]
    con.close()
    return int(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    folder = district(args.persons)
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as tmp:
        duck, spark = Path(tmp) / "duckdb.duckdb", Path(tmp) / "spark.duckdb"
        with Workspace(duck) as ws:
            result = ingest(ws, [folder / "district"], regions=folder / "regions.yaml")
            records = result.totals()["records"]
        shutil.copy(duck, spark)
        out: dict = {"persons_generated": args.persons, "records": records}
        for path, engine in ((duck, "duckdb"), (spark, "spark")):
            with Workspace(path) as ws:
                linked = link(ws, LinkOptions(engine=engine, spark=SparkOptions(args.master)))
                out[engine] = {"seconds": round(linked.seconds, 1), "parts": linked.timings, "persons": linked.persons}
        out["differences"] = {table: differences(duck, spark, sql) for table, sql in COMPARED.items()}
        tables = {}
        with Workspace(duck) as a, Workspace(spark) as b, SparkTables(b, SparkOptions(args.master)) as on_spark:
            for scheme in ("current4", "legacy6"):
                for by in (["street", "category"], ["age_band", "sex"], ["community"], ["source_kind"]):
                    t = time.perf_counter()
                    here = tally(a, scheme, by=by).to_dict()
                    t_duck = time.perf_counter() - t
                    t = time.perf_counter()
                    there = tally(b, scheme, by=by, query=on_spark.query).to_dict()
                    tables[f"{scheme}:{'×'.join(by)}"] = {"equal": here == there, "total": here["total"],
                                                          "duckdb_s": round(t_duck, 2), "spark_s": round(time.perf_counter() - t, 2)}
        out["tallies"] = tables
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

"""Linking quality and speed on generated districts with a known truth.

For each district: ingest, link (valid IDs first, then Splink for the rest), and compare the persons with the
truth — pairwise precision and recall of the person clusters, persons merged or split, and the error of the
district total under both schemes. With `--baseline`, the same records also go through a plain ("textbook")
Splink deduplication — every record, standard comparisons, connected components at 0.95 — timed and scored
in the same run.

    python benchmarks/link_quality.py                      # the demo district and a 5× larger one
    python benchmarks/link_quality.py --persons 200000 --baseline    # about a million source records
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, district, peak_mb

from census import Workspace, ingest, link, tally
from census.persons.match import FEATURES_SQL
from tests.evaluate import load_truth, pairwise, records_with_truth


def plain_splink(ws: Workspace) -> tuple[dict, float]:
    """A textbook Splink dedupe of every record: no ID pass, standard comparisons, connected components."""
    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    t = time.perf_counter()
    records = ws.df("SELECT record_id FROM records WHERE status = 'record'")
    ws.con.register("clusters", pd.DataFrame({"record_id": records["record_id"], "cluster": records["record_id"]}))
    features = ws.con.sql(FEATURES_SQL).to_arrow_table()
    ws.con.unregister("clusters")
    con = duckdb.connect()
    con.register("f", features)
    con.execute("CREATE TABLE people AS SELECT * FROM f")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name_py", [0.92, 0.8]).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("id_number"),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.ExactMatch("sex"),
            cl.ExactMatch("community").configure(term_frequency_adjustments=True),
            cl.ExactMatch("work_unit"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_py", "birth_year"), block_on("id_number"), block_on("phones", arrays_to_explode=["phones"]),
            block_on("surname", "birth_date"),
        ],
    )
    linker = Linker(DuckDBAPI(connection=con).register("people"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_py", "birth_year"), max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"), max_pairs=2e6)
    pred = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold_match_probability=0.95)
    assignment = con.execute(f"SELECT unique_id AS record_id, cluster_id FROM {clusters.physical_name}").df()
    con.close()
    return assignment.set_index("record_id")["cluster_id"].to_dict(), time.perf_counter() - t


def run(folder: Path, label: str, baseline: bool) -> dict:
    truth = load_truth(folder / "truth")
    out: dict = {"district": label, "source_rows": len(truth.rows)}
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "bench.duckdb") as ws:
        t = time.perf_counter()
        result = ingest(ws, [folder / "district"], regions=folder / "regions.yaml")
        out["ingest_s"] = round(time.perf_counter() - t, 1)
        out["records"] = result.totals()["records"]
        linked = link(ws)
        out["link_s"] = round(linked.seconds, 1)
        out["link_parts_s"] = linked.timings
        out["records_by_rule"] = linked.links_by_rule
        rec = records_with_truth(ws, truth)
        q = pairwise(rec["person_id"], rec["person_key"])
        out.update(precision=round(q.precision, 5), recall=round(q.recall, 5), f1=round(q.f1, 5), persons=q.persons,
                   true_persons=q.true_persons, merged=q.merged, split=q.split)
        for scheme in ("current4", "legacy6"):
            got, want = tally(ws, scheme).total, truth.expected[scheme]["total"]
            out[f"total_{scheme}"] = got
            out[f"total_error_{scheme}_pct"] = round(100 * (got - want) / want, 3)
        if baseline:
            assignment, seconds = plain_splink(ws)
            rec["baseline"] = rec["record_id"].map(assignment)
            b = pairwise(rec["baseline"], rec["person_key"])
            out["baseline"] = {"seconds": round(seconds, 1), "precision": round(b.precision, 5), "recall": round(b.recall, 5),
                               "f1": round(b.f1, 5), "persons": b.persons}
    out["peak_mb"] = round(peak_mb())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, nargs="*", help="generate districts of these many in-scope persons "
                    "(default: the committed demo district and one of 3,500 persons)")
    ap.add_argument("--baseline", action="store_true", help="also run a plain Splink dedupe of the same records")
    args = ap.parse_args()
    runs = [(ROOT / "examples", "demo")] if not args.persons else []
    runs += [(district(n), f"{n} persons") for n in (args.persons or [3500])]
    for folder, label in runs:
        print(json.dumps(run(folder, label, args.baseline), ensure_ascii=False), flush=True)
    print("targets: precision >= 0.995, recall >= 0.99, district total within 0.5 %", file=sys.stderr)


if __name__ == "__main__":
    main()

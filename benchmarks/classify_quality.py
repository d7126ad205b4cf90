"""Classification without a declared category: a generated district whose ledgers leave 人员类别 empty and whose
questionnaire does not ask it, its units written the way a hidden district had them (shops with fashionable
words in their names, private firms decorated with a technology word, technology firms whose 单位性质 says only
民营企业), classified and compared with the truth, category by category, under both schemes.

Persons are the true ones (`link_given`), so the figures are the classification's alone; `--linked` links the
records instead (the figures then hold linking errors too).

    python benchmarks/classify_quality.py                    # a district of 20,000 in-scope persons
    python benchmarks/classify_quality.py --persons 3500 --linked
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from common import OUT, ROOT

from census import Workspace, ingest, link, tally
from census.persons import link_given
from tests.evaluate import load_truth, records_with_truth


def district(persons: int, seed: int) -> Path:
    """The benchmark's district (generated once, cached under benchmarks/out/)."""
    target = OUT / f"undeclared_{persons}_{seed}"
    if not (target / "truth" / "expected.json").exists():
        sys.path.insert(0, str(ROOT / "examples"))
        from generate import generate

        t = time.perf_counter()
        summary = generate(target, persons, seed, undeclared=True, hard_units=True)
        print(f"generated {target.name}: {summary['rows']} source rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return target


def compare(ws: Workspace, truth, scheme: str) -> dict:
    """Per category (and 非公有制经济人士, 不属于统计范围, 待核实): the true count, the count found, the error in per
    cent of the true count; and the share of persons whose category is the true one."""
    e = truth.expected[scheme]
    want = {**e["by_category"], **e["outside_total"], "不属于统计范围": e["excluded"], "待核实": e["unresolved"]}
    got = dict(ws.query("SELECT category, count(*) FROM classifications WHERE scheme = ? GROUP BY ALL", [scheme]))
    out = {c: {"truth": n, "found": got.get(c, 0), "error_pct": round(100 * (got.get(c, 0) - n) / n, 2) if n else None}
           for c, n in want.items()}
    rec = records_with_truth(ws, truth)
    persons = truth.persons.set_index("person_key")[f"category_{scheme}"]
    cls = ws.df("SELECT person_id, category FROM classifications WHERE scheme = ?", [scheme]).set_index("person_id")["category"]
    pairs = rec.dropna(subset=["person_key", "person_id"]).drop_duplicates("person_key")
    right = (pairs["person_id"].map(cls) == pairs["person_key"].map(persons)).mean()
    total = tally(ws, scheme).total
    return {"total": total, "true_total": e["total"], "total_error_pct": round(100 * (total - e["total"]) / e["total"], 2),
            "persons_right_pct": round(100 * right, 2), "categories": out,
            "worst_new_class_error_pct": max(abs(v["error_pct"]) for c, v in out.items() if c in e["by_category"] and v["error_pct"] is not None)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=20_000, help="in-scope persons of the generated district")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--linked", action="store_true", help="link the records instead of taking the true persons")
    args = ap.parse_args()
    folder = district(args.persons, args.seed)
    truth = load_truth(folder / "truth")
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "bench.duckdb") as ws:
        ingest(ws, [folder / "district"], regions=folder / "regions.yaml")
        declared = ws.scalar("SELECT count(*) FROM records WHERE status = 'record' AND category_raw IS NOT NULL")
        if args.linked:
            link(ws)
        else:
            rec = records_with_truth(ws, truth)
            link_given(ws, rec[rec["status"] == "record"][["record_id", "person_key"]])
        tally(ws, "current4")  # classifies (ensure_current)
        out = {"persons": args.persons, "seed": args.seed, "linked": args.linked, "declared_records": declared,
               **{s: compare(ws, truth, s) for s in ("current4", "legacy6")}}
    print(json.dumps(out, ensure_ascii=False))
    print("target: every category within 1 % of the truth", file=sys.stderr)


if __name__ == "__main__":
    main()

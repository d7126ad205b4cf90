"""Linking: find each real person once, and build the persons table from their records.

Records that share a valid, normalised ID number are one person (`clusters.deterministic_clusters`). The other
records' pairs are scored by a Splink model (`match.score_pairs`); pairs at or above `accept` are merged on top of
the ID clusters (`clusters.constrained_clusters`, which never joins two valid IDs or a pair a clerk said is not one
person), clerks' must-link decisions first. Person ids are stable (`clusters.stable_ids`); persons are built from
their records by survivorship rules (`survivorship.build_persons`) with clerks' corrections on top.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import UsageError
from ..i18n import _
from ..privacy import mask_frame, mask_text
from ..serialize import frame_records
from ..workspace import Workspace
from ..workspace.audit import check_reveal, log_access
from .clusters import constrained_clusters, deterministic_clusters, stable_ids
from .decisions import decided_pairs
from .match import FEATURES_SQL, MatchSettings, no_pairs, score_pairs
from .spark import SparkOptions, spark_match
from .survivorship import apply_corrections, build_persons

LINKED_KEY = "linked_version"  # the data version persons were last built from
PERSONS_KEY = "persons_version"  # counts the builds of the persons table: what classifications are of


def mark_linked(ws: Workspace) -> None:
    """Record that persons are built anew from the workspace's current data (inside the linking transaction)."""
    ws.set(LINKED_KEY, ws.get("data_version", "0"))
    ws.set(PERSONS_KEY, str(int(ws.get(PERSONS_KEY, "0") or "0") + 1))


@dataclass
class LinkResult:
    records: int
    persons: int
    links_by_rule: dict[str, int] = field(default_factory=dict)
    review_pairs: int = 0
    new_persons: int = 0
    kept_ids: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: matching (IDs, Splink, clustering), persons
    engine: str = "duckdb"  # what found the clusters and scored the pairs


ENGINES = ("duckdb", "spark")


@dataclass
class LinkOptions:
    accept: float = 0.95
    review: float = 0.5
    probabilistic: bool = True
    engine: str = "duckdb"  # or "spark": the ID stage and the scoring of pairs on Apache Spark (`persons.spark`)
    spark: SparkOptions = field(default_factory=SparkOptions)


def link(ws: Workspace, options: LinkOptions | None = None) -> LinkResult:
    """Run the linking stage on every record and rebuild persons, links and pairs (classification is its own
    stage: `census.pipeline.ensure_current` runs both)."""
    options = options or LinkOptions()
    if options.engine not in ENGINES:
        raise UsageError(_("没有名为 {engine} 的引擎；可用的引擎：{known}。").format(engine=options.engine, known="、".join(ENGINES)))
    t0 = time.perf_counter()
    records = ws.df("SELECT record_id, id_number, id_valid FROM records WHERE status = 'record' ORDER BY record_id")
    record_ids = records["record_id"].to_numpy()
    index = pd.Series(np.arange(len(records)), index=record_ids)
    settings = MatchSettings(accept=options.accept, review=options.review)
    engine_timings: dict[str, float] = {}
    if options.engine == "spark":
        found = spark_match(ws, record_ids, settings, options.spark, options.probabilistic)
        labels, rule, pairs, engine_timings = found.labels, found.rule, found.pairs, found.timings
    else:
        labels, rule = deterministic_clusters(records)
        pairs = no_pairs()
        if options.probabilistic and len(records) > 1 and not records["id_valid"].all():
            ws.con.register("clusters", pd.DataFrame({"record_id": record_ids, "cluster": labels}))
            try:
                features = ws.con.sql(FEATURES_SQL).to_arrow_table()
            finally:
                ws.con.unregister("clusters")
            pairs = score_pairs(features, settings).pairs

    decided = {pair: k for pair, k in decided_pairs(ws).items() if pair[0] in index and pair[1] in index}
    must = [(int(index[a]), int(index[b])) for (a, b), k in decided.items() if k == "must_link"]
    cannot = [(int(index[a]), int(index[b])) for (a, b), k in decided.items() if k == "cannot_link"]
    accepted = pairs[pairs["probability"] >= options.accept]
    undecided = np.array([(a, b) not in decided for a, b in zip(accepted["record_a"], accepted["record_b"], strict=True)], dtype=bool)
    accepted = accepted.loc[undecided] if len(accepted) else accepted
    edges = must + list(zip(index[accepted["record_a"]].tolist(), index[accepted["record_b"]].tolist(), strict=True))
    final, applied = constrained_clusters(labels, np.where(records["id_valid"], records["id_number"], None), edges, cannot)

    # how each record came to its person
    prob = np.where(rule == "id", 1.0, np.nan)
    accepted_p = accepted["probability"].to_numpy(dtype=float)
    for k, (i, j) in enumerate(edges):
        if not applied[k]:
            continue
        how, p = ("review", 1.0) if k < len(must) else ("probabilistic", float(accepted_p[k - len(must)]))
        for x in (i, j):
            if rule[x] == "single" or (rule[x] == "probabilistic" and how == "probabilistic" and p > prob[x]):
                rule[x], prob[x] = how, p
    sizes = pd.Series(final).map(pd.Series(final).value_counts()).to_numpy()
    rule[(sizes == 1)] = "single"
    pairs = _pair_status(pairs, final, index, options, decided)
    t_match = time.perf_counter() - t0
    with ws.transaction():
        pids, kept, new = stable_ids(ws, record_ids, final)
        assignment = pd.DataFrame({"record_id": record_ids, "person_id": pids, "rule": rule, "probability": prob})
        persons = build_persons(ws, assignment)
        ws.con.execute("DELETE FROM pairs")
        if len(pairs):
            ws.con.register("_pairs", pa.Table.from_pandas(pairs, preserve_index=False))  # see build_persons
            try:
                ws.con.execute("INSERT INTO pairs SELECT record_a, record_b, probability, match_weight, status, detail FROM _pairs")
            finally:
                ws.con.unregister("_pairs")
        apply_corrections(ws)
        mark_linked(ws)
    total = time.perf_counter() - t0
    counts = Counter(rule.tolist())
    review = int((pairs["status"] == "review").sum()) if len(pairs) else 0
    timings = {"matching": round(t_match, 2), **{f"matching.{k}": v for k, v in engine_timings.items()},
               "persons": round(total - t_match, 2)}
    return LinkResult(len(records), persons, dict(counts), review, new, kept, total, timings, options.engine)


def _pair_status(pairs: pd.DataFrame, final: np.ndarray, index: pd.Series, options: LinkOptions,
                 decided: dict) -> pd.DataFrame:
    """accepted (linked), review (a clerk should decide), refused (would join two valid IDs or a cannot-link
    pair), decided (a clerk already did)."""
    if not len(pairs):
        return pairs.assign(status=pd.Series(dtype="object"))
    same = final[index[pairs["record_a"]].to_numpy()] == final[index[pairs["record_b"]].to_numpy()]
    high = pairs["probability"].to_numpy() >= options.accept
    keys = list(zip(pairs["record_a"], pairs["record_b"], strict=True))
    status = np.where(same, "accepted", np.where(high, "refused", "review"))
    status = np.where([k in decided for k in keys], "decided", status)
    return pairs.assign(status=status)


def link_given(ws: Workspace, assignment: pd.DataFrame) -> int:
    """Build persons from a known record → person assignment (columns record_id, person_key) instead of
    linking: for evaluating classification and tallies apart from linking errors. Returns persons built (the
    classification stage then runs as after any link)."""
    records = ws.df("SELECT record_id FROM records WHERE status = 'record' ORDER BY record_id")
    merged = records.merge(assignment, on="record_id", how="left")
    keys = merged["person_key"].astype("object").where(merged["person_key"].notna(), "record:" + merged["record_id"].astype(str))
    codes, _uniques = pd.factorize(keys)
    with ws.transaction():
        pids, _kept, _new = stable_ids(ws, merged["record_id"].to_numpy(), codes)
        frame = pd.DataFrame({"record_id": merged["record_id"].to_numpy(), "person_id": pids, "rule": "given", "probability": 1.0})
        persons = build_persons(ws, frame)
        ws.con.execute("DELETE FROM pairs")
        mark_linked(ws)
    return persons


def explain_person(ws: Workspace, person_id: str, reveal: bool = False, reason: str | None = None) -> dict:
    """A person's records side by side and why each was linked: the rule, or the match weight per comparison
    of the pairs that joined them. Masked unless `reveal` (with a `reason`): IDs and phones masked, birth dates as
    the year, numbers in free text masked. Written to the audit trail."""
    check_reveal(reveal, reason)
    recs = ws.df("""
        SELECT l.record_id, s.round, s.path AS file, r.sheet, r.row, r.source_kind, r.name, r.sex, r.id_raw AS id_number, r.id_valid,
               strftime(r.birth_date, '%Y-%m-%d') AS birth_date, r.phone, r.work_unit, r.position, r.community,
               l.rule, l.probability
        FROM links l JOIN records r USING (record_id) JOIN sources s USING (source_id)
        WHERE l.person_id = ? ORDER BY l.record_id""", [person_id])
    if recs.empty:
        raise UsageError(_("没有编号为 {person} 的人员；census export persons 可列出全部人员。").format(person=mask_text(person_id)))
    ids = recs["record_id"].tolist()
    pairs = ws.df(f"""SELECT record_a, record_b, round(probability, 4) AS probability, round(match_weight, 2) AS match_weight,
                             status, detail FROM pairs
                      WHERE record_a IN ({",".join(map(str, ids))}) OR record_b IN ({",".join(map(str, ids))})
                      ORDER BY match_weight DESC""")
    out_pairs = frame_records(pairs)
    for p in out_pairs:
        p["detail"] = json.loads(p["detail"]) if p.get("detail") else {}
    person = ws.df("SELECT * FROM persons WHERE person_id = ? ORDER BY round DESC LIMIT 1", [person_id])
    if not reveal:
        recs = mask_frame(recs, ids=("id_number",), phones=("phone",), births=("birth_date",), places=("file", "sheet"),
                          keep=("source_kind", "rule"))
        person = mask_frame(person, ids=("id_number",), phones=("phone", "phones"), births=("birth_date",),
                            keep=("arrangements",))
    log_access(ws, "view", person_id, len(recs), reveal, reason)
    one = frame_records(person)[0]
    held = one.get("arrangements")
    one["arrangements"] = [] if held is None else [str(a) for a in held]
    return {"person": one, "records": frame_records(recs), "pairs": out_pairs}

"""Linking: find each real person once, and build the persons table from their records.

Records that share a valid, normalised ID number are one person. Every other record is a person of its own
until the probabilistic stage (Splink) links it. Person ids are stable: after new files arrive, a person keeps
the id of the earlier person whose records they mostly hold.

A person's fields come from their records by declared rules: the valid ID from any record; the name by
majority; the phone most often given; the region from a community ledger before the household register before
a unit ledger; other fields from the most authoritative record that has them. Disagreements (two communities,
two birth dates) are stored as issues on the person.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .store import Workspace

PERSON_ID_WIDTH = 7
# which record wins a field when records disagree (lower first)
REGION_RANK = {"community_ledger": 0, "household_register": 1, "questionnaire": 2, "unit_ledger": 3, "other": 4}
FIELD_RANK = {"community_ledger": 0, "unit_ledger": 1, "questionnaire": 2, "household_register": 3, "other": 4}


@dataclass
class LinkResult:
    records: int
    persons: int
    links_by_rule: dict[str, int] = field(default_factory=dict)
    review_pairs: int = 0
    new_persons: int = 0
    kept_ids: int = 0
    seconds: float = 0.0


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, i: int) -> int:
        p = self.parent
        root = i
        while p[root] != root:
            root = p[root]
        while p[i] != root:
            p[i], i = root, p[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def roots(self) -> np.ndarray:
        return np.array([self.find(i) for i in range(len(self.parent))], dtype=np.int64)


def deterministic_clusters(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(cluster label per record, rule per record): same valid ID → one cluster labelled by its first record."""
    n = len(records)
    labels = np.arange(n, dtype=np.int64)
    rule = np.full(n, "single", dtype=object)
    v = np.flatnonzero(records["id_valid"].to_numpy(dtype=bool))
    if len(v):
        codes, uniques = pd.factorize(records["id_number"].to_numpy()[v])
        first = np.full(len(uniques), n, dtype=np.int64)
        np.minimum.at(first, codes, v)
        labels[v] = first[codes]
        rule[v[np.bincount(codes)[codes] > 1]] = "id"
    return labels, rule


def stable_ids(ws: Workspace, record_ids: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Person ids for clusters: an earlier person's id goes to the cluster holding most of its records."""
    old = ws.df("SELECT record_id, person_id FROM links")
    frame = pd.DataFrame({"record_id": record_ids, "cluster": labels})
    merged = frame.merge(old, on="record_id", how="left")
    overlap = merged.dropna(subset=["person_id"]).groupby(["cluster", "person_id"]).size().reset_index(name="n")
    overlap = overlap.sort_values(["n", "person_id"], ascending=[False, True])
    taken_clusters: set[int] = set()
    taken_ids: set[str] = set()
    assign: dict[int, str] = {}
    for c, pid in zip(overlap["cluster"], overlap["person_id"], strict=True):
        if c in taken_clusters or pid in taken_ids:
            continue
        assign[int(c)] = pid
        taken_clusters.add(c)
        taken_ids.add(pid)
    next_no = int(ws.get("next_person", "1"))
    kept = len(assign)
    new = 0
    for c in pd.unique(labels):
        if int(c) not in assign:
            assign[int(c)] = f"P{next_no:0{PERSON_ID_WIDTH}d}"
            next_no += 1
            new += 1
    ws.set("next_person", str(next_no))
    return np.array([assign[int(c)] for c in labels], dtype=object), kept, new


_PERSONS_SQL = """
WITH pr AS (
    SELECT a.person_id, r.*, rr.rank AS region_rank, fr.rank AS field_rank
    FROM assignment a JOIN records r USING (record_id)
    JOIN region_rank rr ON rr.kind = r.source_kind
    JOIN field_rank fr ON fr.kind = r.source_kind
),
names AS (
    SELECT person_id, arg_min(name, (-n, best)) AS name, arg_min(name_pinyin, (-n, best)) AS name_pinyin FROM (
        SELECT person_id, name, any_value(name_pinyin) AS name_pinyin, count(*) AS n, min(field_rank) AS best
        FROM pr WHERE name IS NOT NULL GROUP BY ALL) GROUP BY person_id
),
phones AS (
    SELECT person_id, arg_min(phone, (-n, best)) AS phone, string_agg(phone, '/' ORDER BY -n, best, phone) AS phones FROM (
        SELECT person_id, phone, count(*) AS n, min(field_rank) AS best
        FROM (SELECT person_id, field_rank, unnest(string_split(phones, '/')) AS phone FROM pr WHERE phones IS NOT NULL)
        GROUP BY ALL) GROUP BY person_id
),
community AS (
    SELECT person_id,
           arg_min(community, (best, NOT in_household, -n, community)) AS community,
           arg_min(community_code, (best, NOT in_household, -n, community)) AS community_code,
           arg_min(street, (best, NOT in_household, -n, community)) AS street,
           arg_min(street_code, (best, NOT in_household, -n, community)) AS street_code,
           count(DISTINCT coalesce(community_code, regexp_replace(community, '(社区居民委员会|村民委员会|居民委员会|社区居委会|居委会|村委会|社区|村)$', ''))) AS n_communities,
           string_agg(DISTINCT community, '、') AS communities
    FROM (SELECT person_id, community, community_code, street, street_code, min(region_rank) AS best, count(*) AS n,
                 bool_or(source_kind = 'household_register') AS in_household
          FROM pr WHERE community IS NOT NULL GROUP BY ALL)
    GROUP BY person_id
),
street AS (
    SELECT person_id, arg_min(street, (region_rank, record_id)) AS street, arg_min(street_code, (region_rank, record_id)) AS street_code
    FROM pr WHERE street IS NOT NULL GROUP BY person_id
),
births AS (
    SELECT person_id, count(DISTINCT birth_date) FILTER (WHERE birth_precision = 'day') AS n_births,
           string_agg(DISTINCT strftime(birth_date, '%Y-%m-%d'), '、') FILTER (WHERE birth_precision = 'day') AS births
    FROM pr GROUP BY person_id
),
base AS (
    SELECT person_id,
        arg_min(id_number, record_id) FILTER (WHERE id_valid) AS id_number,
        arg_min(sex, (NOT id_valid, field_rank, record_id)) FILTER (WHERE sex IS NOT NULL) AS sex,
        arg_min(birth_date, (NOT id_valid, birth_precision <> 'day', field_rank, record_id)) FILTER (WHERE birth_date IS NOT NULL) AS birth_date,
        arg_min(ethnicity, (field_rank, record_id)) FILTER (WHERE ethnicity IS NOT NULL) AS ethnicity,
        arg_min(education, (field_rank, record_id)) FILTER (WHERE education IS NOT NULL) AS education,
        arg_min(political_status, (field_rank, record_id)) FILTER (WHERE political_status IS NOT NULL) AS political_status,
        arg_min(party, (field_rank, record_id)) FILTER (WHERE party IS NOT NULL) AS party,
        arg_min(work_unit, (field_rank, record_id)) FILTER (WHERE work_unit IS NOT NULL) AS work_unit,
        arg_min(unit_type, (field_rank, record_id)) FILTER (WHERE unit_type IS NOT NULL) AS unit_type,
        arg_min(position, (field_rank, record_id)) FILTER (WHERE position IS NOT NULL) AS position,
        arg_min(occupation, (field_rank, record_id)) FILTER (WHERE occupation IS NOT NULL) AS occupation,
        coalesce(bool_or(representative), false) AS representative,
        string_agg(DISTINCT source_kind, '/' ORDER BY source_kind) AS source_kinds,
        count(*) AS records,
        bool_or(id_valid) AS has_valid_id
    FROM pr GROUP BY person_id
)
SELECT b.person_id, n.name, n.name_pinyin, b.sex, b.id_number, b.birth_date, ph.phone, ph.phones,
       b.ethnicity, b.education, b.political_status, b.party, b.work_unit, b.unit_type, b.position, b.occupation,
       b.representative,
       coalesce(c.street, s.street) AS street, coalesce(c.street_code, s.street_code) AS street_code,
       c.community, c.community_code, b.source_kinds, b.records, b.has_valid_id,
       c.n_communities, c.communities, bi.n_births, bi.births
FROM base b LEFT JOIN names n USING (person_id) LEFT JOIN phones ph USING (person_id)
LEFT JOIN community c USING (person_id) LEFT JOIN street s USING (person_id) LEFT JOIN births bi USING (person_id)
"""


def build_persons(ws: Workspace, assignment: pd.DataFrame) -> int:
    """Replace persons, links and person issues from a record → person assignment (inside a transaction)."""
    con = ws.con
    con.register("assignment", assignment)
    con.register("region_rank", pd.DataFrame({"kind": list(REGION_RANK), "rank": list(REGION_RANK.values())}))
    con.register("field_rank", pd.DataFrame({"kind": list(FIELD_RANK), "rank": list(FIELD_RANK.values())}))
    try:
        con.execute("DELETE FROM persons")
        con.execute("DELETE FROM links")
        con.execute("DELETE FROM issues WHERE person_id IS NOT NULL AND code LIKE 'person.conflict_%'")
        con.execute(f"CREATE OR REPLACE TEMP TABLE person_build AS {_PERSONS_SQL}")
        con.execute("""INSERT INTO persons SELECT person_id, name, name_pinyin, sex, id_number, birth_date, phone, phones,
                       ethnicity, education, political_status, party, work_unit, unit_type, position, occupation,
                       representative, street, street_code, community, community_code, source_kinds, records, has_valid_id
                       FROM person_build""")
        con.execute("INSERT INTO links SELECT record_id, person_id, rule, probability FROM assignment")
        con.execute("""
            INSERT INTO issues
            SELECT NULL, person_id, NULL, NULL, NULL, NULL, 'community', 'person.conflict_community', 'conflict', communities,
                   '所属社区冲突：' || communities FROM person_build WHERE n_communities > 1
            UNION ALL
            SELECT NULL, person_id, NULL, NULL, NULL, NULL, 'birth_date', 'person.conflict_birth_date', 'conflict', births,
                   '出生日期冲突：' || births FROM person_build WHERE n_births > 1
        """)
        con.execute("""
            INSERT INTO issues
            SELECT NULL, person_id, NULL, NULL, NULL, NULL, 'category', 'person.conflict_category', 'conflict', cats,
                   '人员类别申报不一致：' || cats
            FROM (SELECT a.person_id, string_agg(DISTINCT r.category_raw, '、') AS cats, count(DISTINCT r.category_raw) AS n
                  FROM assignment a JOIN records r USING (record_id) WHERE r.category_raw IS NOT NULL GROUP BY a.person_id)
            WHERE n > 1
        """)
        con.execute("DROP TABLE person_build")
    finally:
        for t in ("assignment", "region_rank", "field_rank"):
            with contextlib.suppress(Exception):  # after a failed statement: its error is the one to see
                con.unregister(t)
    return int(ws.scalar("SELECT count(*) FROM persons"))


def link(ws: Workspace) -> LinkResult:
    """Run the linking stage on every record and rebuild persons, links and classifications."""
    import time

    from .classify import classify_persons

    t0 = time.perf_counter()
    records = ws.df("""SELECT record_id, id_number, id_valid FROM records WHERE status = 'record' ORDER BY record_id""")
    labels, rule = deterministic_clusters(records)
    with ws.transaction():
        pids, kept, new = stable_ids(ws, records["record_id"].to_numpy(), labels)
        assignment = pd.DataFrame({"record_id": records["record_id"].to_numpy(), "person_id": pids, "rule": rule,
                                   "probability": np.where(rule == "id", 1.0, np.nan)})
        persons = build_persons(ws, assignment)
        classify_persons(ws)
        ws.set("linked_version", ws.get("data_version", "0"))
    counts = Counter(rule.tolist())
    return LinkResult(len(records), persons, dict(counts), 0, new, kept, time.perf_counter() - t0)


def ensure_linked(ws: Workspace) -> LinkResult | None:
    """Link when the records changed since the last link; None when it was up to date."""
    if ws.link_current:
        return None
    return link(ws)

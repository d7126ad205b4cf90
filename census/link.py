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
import json
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
    timings: dict[str, float] = field(default_factory=dict)  # matching (IDs, Splink, clustering), persons, classification


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


def constrained_clusters(labels: np.ndarray, valid_ids: np.ndarray, edges: list[tuple[int, int]],
                         cannot: list[tuple[int, int]] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Merge records along `edges` (index pairs, most certain first) on top of the ID clusters `labels`,
    refusing any merge that would put two different valid IDs, or a cannot-link pair, in one person.

    Returns (cluster label per record, which edges were applied)."""
    n = len(labels)
    uf = _UnionFind(n)
    for i, c in enumerate(labels):
        if c != i:
            uf.union(i, int(c))
    vid: dict[int, str] = {}
    for i in np.flatnonzero(pd.notna(valid_ids)):
        vid[uf.find(int(i))] = valid_ids[i]
    partners: dict[int, set[int]] = {}
    for a, b in cannot:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    members: dict[int, list[int]] = {}
    if partners:
        for i in range(n):
            members.setdefault(uf.find(i), []).append(i)
    applied = np.zeros(len(edges), dtype=bool)
    for k, (a, b) in enumerate(edges):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            applied[k] = True
            continue
        va, vb = vid.get(ra), vid.get(rb)
        if va is not None and vb is not None and va != vb:
            continue  # two different valid IDs are never one person
        if partners and any(uf.find(p) == rb for m in members.get(ra, [ra]) for p in partners.get(m, ())):
            continue
        uf.union(ra, rb)
        root = uf.find(ra)
        if va is not None or vb is not None:
            vid[root] = va if va is not None else vb
        if partners:
            members[root] = members.pop(ra, [ra]) + members.pop(rb, [rb])
        applied[k] = True
    return uf.roots(), applied


@dataclass
class LinkOptions:
    accept: float = 0.95
    review: float = 0.5
    probabilistic: bool = True


def link(ws: Workspace, options: LinkOptions | None = None) -> LinkResult:
    """Run the linking stage on every record and rebuild persons, links, pairs and classifications."""
    import time

    from .classify import classify_persons
    from .match import FEATURES_SQL, MatchSettings, score_pairs

    options = options or LinkOptions()
    t0 = time.perf_counter()
    records = ws.df("SELECT record_id, id_number, id_valid FROM records WHERE status = 'record' ORDER BY record_id")
    record_ids = records["record_id"].to_numpy()
    labels, rule = deterministic_clusters(records)
    index = pd.Series(np.arange(len(records)), index=record_ids)

    pairs = pd.DataFrame(columns=["record_a", "record_b", "probability", "match_weight", "detail"])
    if options.probabilistic and len(records) > 1 and not records["id_valid"].all():
        ws.con.register("clusters", pd.DataFrame({"record_id": record_ids, "cluster": labels}))
        try:
            features = ws.con.sql(FEATURES_SQL).to_arrow_table()
        finally:
            ws.con.unregister("clusters")
        pairs = score_pairs(features, MatchSettings(accept=options.accept, review=options.review)).pairs

    decisions = ws.df("SELECT kind, record_a, record_b FROM decisions WHERE NOT undone AND kind IN ('must_link', 'cannot_link')")
    decided = {(min(a, b), max(a, b)): k for k, a, b in decisions.itertuples(index=False) if a in index and b in index}
    must = [(int(index[a]), int(index[b])) for (a, b), k in decided.items() if k == "must_link"]
    cannot = [(int(index[a]), int(index[b])) for (a, b), k in decided.items() if k == "cannot_link"]
    accepted = pairs[pairs["probability"] >= options.accept]
    undecided = np.array([(a, b) not in decided for a, b in zip(accepted["record_a"], accepted["record_b"], strict=True)], dtype=bool)
    accepted = accepted.loc[undecided] if len(accepted) else accepted
    edges = must + list(zip(index[accepted["record_a"]].tolist(), index[accepted["record_b"]].tolist(), strict=True))
    final, applied = constrained_clusters(labels, np.where(records["id_valid"], records["id_number"], None), edges, cannot)

    # how each record came to its person
    prob = np.where(rule == "id", 1.0, np.nan)
    for k, (i, j) in enumerate(edges):
        if not applied[k]:
            continue
        how, p = ("review", 1.0) if k < len(must) else ("probabilistic", float(accepted["probability"].iloc[k - len(must)]))
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
            ws.con.register("_pairs", pairs)
            try:
                ws.con.execute("INSERT INTO pairs SELECT record_a, record_b, probability, match_weight, status, detail FROM _pairs")
            finally:
                ws.con.unregister("_pairs")
        apply_corrections(ws)
        t_persons = time.perf_counter() - t0 - t_match
        classify_persons(ws)
        ws.set("linked_version", ws.get("data_version", "0"))
    total = time.perf_counter() - t0
    counts = Counter(rule.tolist())
    review = int((pairs["status"] == "review").sum()) if len(pairs) else 0
    timings = {"matching": round(t_match, 2), "persons": round(t_persons, 2), "classification": round(total - t_match - t_persons, 2)}
    return LinkResult(len(records), persons, dict(counts), review, new, kept, total, timings)


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
    linking: for evaluating classification and tallies apart from linking errors. Returns persons built."""
    from .classify import classify_persons

    records = ws.df("SELECT record_id FROM records WHERE status = 'record' ORDER BY record_id")
    merged = records.merge(assignment, on="record_id", how="left")
    keys = merged["person_key"].astype("object").where(merged["person_key"].notna(), "record:" + merged["record_id"].astype(str))
    codes, _ = pd.factorize(keys)
    with ws.transaction():
        pids, _, _ = stable_ids(ws, merged["record_id"].to_numpy(), codes)
        frame = pd.DataFrame({"record_id": merged["record_id"].to_numpy(), "person_id": pids, "rule": "given", "probability": 1.0})
        persons = build_persons(ws, frame)
        ws.con.execute("DELETE FROM pairs")
        classify_persons(ws)
        ws.set("linked_version", ws.get("data_version", "0"))
    return persons


def apply_corrections(ws: Workspace) -> int:
    """Apply clerks' corrections (review decisions) to the persons holding their anchor records; a corrected
    conflict is no longer an issue. Category corrections are read by the classifier."""
    from .ingest import load_register
    from .review import corrections

    done = 0
    register = None
    for anchor, field_name, value in corrections(ws):
        pid = ws.scalar("SELECT person_id FROM links WHERE record_id = ?", [anchor])
        if pid is None:
            continue  # the anchor record is gone (its file was replaced)
        if field_name == "community":
            register = register or load_register(ws)
            cm = register.community(value) if register else None
            ws.con.execute("UPDATE persons SET community = ?, community_code = ?, street = coalesce(?, street), "
                           "street_code = coalesce(?, street_code) WHERE person_id = ?",
                           [cm.name if cm else value, cm.code if cm else None, cm.street.name if cm else None,
                            cm.street.code if cm else None, pid])
        elif field_name == "birth_date":
            ws.con.execute("UPDATE persons SET birth_date = TRY_CAST(? AS DATE) WHERE person_id = ?", [value, pid])
        if field_name in ("community", "birth_date", "category"):
            ws.con.execute("DELETE FROM issues WHERE person_id = ? AND field = ? AND severity = 'conflict'", [pid, field_name])
        done += 1
    return done


def explain_person(ws: Workspace, person_id: str, reveal: bool = False) -> dict:
    """A person's records side by side and why each was linked: the rule, or the match weight per comparison
    of the pairs that joined them."""
    from .errors import UsageError
    from .privacy import mask_column

    recs = ws.df("""
        SELECT l.record_id, s.path AS file, r.sheet, r.row, r.source_kind, r.name, r.sex, r.id_raw AS id_number, r.id_valid,
               strftime(r.birth_date, '%Y-%m-%d') AS birth_date, r.phone, r.work_unit, r.position, r.community,
               l.rule, l.probability
        FROM links l JOIN records r USING (record_id) JOIN sources s USING (source_id)
        WHERE l.person_id = ? ORDER BY l.record_id""", [person_id])
    if recs.empty:
        raise UsageError(f"there is no person {person_id!r}; `census export persons` lists them.")
    if not reveal:
        recs["id_number"] = mask_column(recs["id_number"], "id")
        recs["phone"] = mask_column(recs["phone"], "phone")
    ids = recs["record_id"].tolist()
    pairs = ws.df(f"""SELECT record_a, record_b, round(probability, 4) AS probability, round(match_weight, 2) AS match_weight,
                             status, detail FROM pairs
                      WHERE record_a IN ({",".join(map(str, ids))}) OR record_b IN ({",".join(map(str, ids))})
                      ORDER BY match_weight DESC""")
    from .export import frame_records

    out_pairs = frame_records(pairs)
    for p in out_pairs:
        p["detail"] = json.loads(p["detail"]) if p.get("detail") else {}
    person = frame_records(ws.df("SELECT * FROM persons WHERE person_id = ?", [person_id]))[0]
    if not reveal:
        from .privacy import mask_id, mask_phone

        person["id_number"], person["phone"] = mask_id(person["id_number"]), mask_phone(person["phone"])
        person["phones"] = mask_phone(person["phones"])
    return {"person": person, "records": frame_records(recs), "pairs": out_pairs}


def ensure_linked(ws: Workspace) -> LinkResult | None:
    """Link when the records changed since the last link; None when it was up to date."""
    if ws.link_current:
        return None
    return link(ws)

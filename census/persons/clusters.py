"""Clusters of records: the same valid ID first (`deterministic_clusters`), then scored pairs merged on top of
them without ever joining two different valid IDs or a pair a clerk said is not one person
(`constrained_clusters`), and person ids that stay with their records from one run to the next (`stable_ids`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocab import PERSON_ID_WIDTH
from ..workspace import Workspace


class UnionFind:
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
        """Each element's root, by pointer jumping over the whole array (what `find` gives each)."""
        p = self.parent.copy()
        while True:
            q = p[p]
            if np.array_equal(q, p):
                return q
            p = q


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
    # a cluster that meets one earlier person who meets no other cluster keeps that id whatever the order: only the
    # rest are assigned one by one, the largest overlap first
    alone = ~overlap["cluster"].duplicated(keep=False) & ~overlap["person_id"].duplicated(keep=False)
    assign: dict[int, str] = dict(zip(overlap["cluster"][alone].astype("int64").tolist(), overlap["person_id"][alone].tolist(), strict=True))
    taken_clusters: set[int] = set()
    taken_ids: set[str] = set()
    for c, pid in zip(overlap["cluster"][~alone].tolist(), overlap["person_id"][~alone].tolist(), strict=True):
        if c in taken_clusters or pid in taken_ids:
            continue
        assign[int(c)] = pid
        taken_clusters.add(c)
        taken_ids.add(pid)
    next_no = int(ws.get("next_person", "1"))
    kept = len(assign)
    clusters = pd.unique(labels)
    fresh = clusters[~pd.Series(clusters).isin(list(assign)).to_numpy()]  # in order of their first record
    new = len(fresh)
    assign.update(zip(fresh.tolist(), [f"P{k:0{PERSON_ID_WIDTH}d}" for k in range(next_no, next_no + new)], strict=True))
    ws.set("next_person", str(next_no + new))
    return pd.Series(labels).map(assign).to_numpy(dtype=object), kept, new


def constrained_clusters(labels: np.ndarray, valid_ids: np.ndarray, edges: list[tuple[int, int]],
                         cannot: list[tuple[int, int]] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Merge records along `edges` (index pairs, most certain first) on top of the ID clusters `labels`,
    refusing any merge that would put two different valid IDs, or a cannot-link pair, in one person.

    Returns (cluster label per record, which edges were applied)."""
    n = len(labels)
    uf = UnionFind(n)
    labels = np.asarray(labels, dtype=np.int64)
    if n and (labels <= np.arange(n)).all() and np.array_equal(labels[labels], labels):
        uf.parent = labels.copy()  # each record under its cluster's first record: the forest the unions below make
    else:
        for i, c in enumerate(labels):
            if c != i:
                uf.union(i, int(c))
    valid = np.flatnonzero(pd.notna(valid_ids))
    vid: dict[int, str] = dict(zip(uf.roots()[valid].tolist(), np.asarray(valid_ids, dtype=object)[valid].tolist(), strict=True))
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

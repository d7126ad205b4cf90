"""The Splink model is a function of the records, not of the order they were read in: its u probabilities come from
a sample of record pairs, which Splink draws by the records' ids (or their order in the table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from census import Workspace
from census.persons.clusters import deterministic_clusters
from census.persons.match import FEATURES_SQL, score_pairs


def _features(ws: Workspace) -> pd.DataFrame:
    """What `census.persons.link.link` gives the scorer: every record's features and its ID cluster."""
    records = ws.df("SELECT record_id, id_number, id_valid FROM records WHERE status = 'record' ORDER BY record_id")
    labels, _rule = deterministic_clusters(records)
    ws.con.register("clusters", pd.DataFrame({"record_id": records["record_id"].to_numpy(), "cluster": labels}))
    try:
        return ws.con.sql(FEATURES_SQL).df()
    finally:
        ws.con.unregister("clusters")


def _reordered(features: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, dict[int, int]]:
    """The same records read in another order: other record ids (and cluster labels), rows shuffled. Returns the
    frame and new id → old id."""
    rng = np.random.default_rng(seed)
    old = features["unique_id"].to_numpy()
    new = rng.permutation(len(old)) * 7 + 1000  # other ids, in another order than the old ones
    clusters = features["cluster"].to_numpy()
    relabel = dict(zip(np.unique(clusters), rng.permutation(len(np.unique(clusters))), strict=True))
    out = features.assign(unique_id=new, cluster=[relabel[c] for c in clusters])
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True), dict(zip(new.tolist(), old.tolist(), strict=True))


def _by_pair(pairs: pd.DataFrame, back: dict[int, int] | None = None) -> dict[tuple[int, int], tuple[float, float]]:
    out = {}
    for a, b, p, w in zip(pairs["record_a"], pairs["record_b"], pairs["probability"], pairs["match_weight"], strict=True):
        a, b = (back[a], back[b]) if back else (a, b)
        out[min(a, b), max(a, b)] = (p, w)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_records_in_another_order_give_the_same_model(demo_linked, seed):
    with Workspace(demo_linked) as ws:
        features = _features(ws)
    assert (~features["id_valid"]).sum() > 200  # records the model scores
    first = _by_pair(score_pairs(features).pairs)
    shuffled, back = _reordered(features, seed)
    second = _by_pair(score_pairs(shuffled).pairs, back)
    assert len(first) > 100
    assert first.keys() == second.keys()
    for pair, (p, w) in first.items():
        assert second[pair] == pytest.approx((p, w), rel=1e-9, abs=1e-12), pair
    again = _by_pair(score_pairs(features).pairs)  # and stable: the same records twice, the same model
    assert again.keys() == first.keys()
    assert all(again[k] == pytest.approx(v, rel=1e-9, abs=1e-12) for k, v in first.items())

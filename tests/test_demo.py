"""The demo district end to end, against the truth its generator wrote (examples/truth/)."""

from __future__ import annotations

import shutil

import pytest

from census import Workspace, ingest, link, tally
from census.persons import LinkOptions, link_given

from .conftest import EXAMPLES
from .evaluate import load_truth, pairwise, records_with_truth

NEW_CLASS = {
    "current4": {"民营企业和外商投资企业管理技术人员", "中介组织和社会组织从业人员", "自由职业人员", "新媒体从业人员"},
    "legacy6": {"民营科技企业创业人员和技术人员", "外资企业管理技术人员", "个体工商户", "私营企业主", "中介组织从业人员", "自由职业人员"},
}


@pytest.fixture(scope="module")
def truth():
    return load_truth(EXAMPLES / "truth")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The demo district ingested once (not linked)."""
    path = tmp_path_factory.mktemp("demo") / "ingested.duckdb"
    with Workspace(path) as ws:
        result = ingest(ws, [EXAMPLES / "district"], regions=EXAMPLES / "regions.yaml")
    assert result.ok, [f.message for f in result.files if not f.ok]
    return path


def _copy(ingested, tmp_path, name):
    target = tmp_path / name
    shutil.copy(ingested, target)
    return Workspace(target)


def _check_tally(ws, expected: dict, scheme: str) -> None:
    t = tally(ws, scheme, ["category"]).to_dict()
    e = expected[scheme]
    assert t["total"] == e["total"]
    assert {r["category"]: r["count"] for r in t["rows"]} == {k: v for k, v in e["by_category"].items() if v}
    assert t["outside_total"] == e["outside_total"]
    assert (t["unresolved"], t["excluded"]) == (e["unresolved"], e["excluded"])
    by_street = tally(ws, scheme, ["street", "category"]).to_dict()["rows"]
    want = {(r["street"], r["category"]): r["count"] for r in e["by_street_category"]
            if r["category"] in NEW_CLASS[scheme] and r["count"]}
    assert {(r["street"], r["category"]): r["count"] for r in by_street} == want


def test_every_row_is_a_record_quarantined_or_non_data(ingested, truth):
    with Workspace(ingested) as ws:
        rec = records_with_truth(ws, truth)
        nondata = ws.df("SELECT s.path AS file, n.sheet, n.row, n.kind FROM nondata n JOIN sources s USING (source_id)")
        sheets = ws.df("SELECT rows_total, data_rows, nondata, blank FROM sheets")
    # every person row of the truth is a record, and no record is unknown to the truth but junk
    data = rec[rec["person_key"].notna()]
    assert len(data) == len(truth.rows) and set(data["status"]) == {"record"}
    extra = rec[rec["person_key"].isna()]
    junk = truth.nondata[truth.nondata["kind"] == "junk"]
    assert set(extra["status"]) <= {"quarantined"}
    assert set(zip(extra["file"], extra["sheet"], extra["row"], strict=True)) <= set(zip(junk["file"], junk["sheet"], junk["row"], strict=True))
    # every other non-blank line is a stored non-data row (titles, headers, totals, signatures, notes …)
    nondata["sheet"] = nondata["sheet"].fillna("")
    stored = set(zip(nondata["file"], nondata["sheet"], nondata["row"], strict=True))
    quarantined = set(zip(extra["file"], extra["sheet"], extra["row"], strict=True))
    for f, s, r, kind in truth.nondata[["file", "sheet", "row", "kind"]].itertuples(index=False):
        assert (f, s, r) in stored or (kind == "junk" and (f, s, r) in quarantined), (f, s, r, kind)
    assert (sheets["data_rows"] + sheets["nondata"] + sheets["blank"] == sheets["rows_total"]).all()


def test_id_validity_matches_truth(ingested, truth):
    with Workspace(ingested) as ws:
        rec = records_with_truth(ws, truth)
    known = rec[rec["person_key"].notna()]
    assert (known["id_valid"] == (known["true_id_valid"] == "true")).all()


def test_classification_is_exact_with_the_true_persons(ingested, truth, tmp_path):
    with _copy(ingested, tmp_path, "given.duckdb") as ws:
        rec = records_with_truth(ws, truth)
        link_given(ws, rec[rec["status"] == "record"][["record_id", "person_key"]])
        for scheme in ("current4", "legacy6"):
            _check_tally(ws, truth.expected, scheme)
        # the persons whose community ledger contradicts their unit ledger are flagged, keeping the declaration
        flagged = ws.df("""SELECT DISTINCT l.person_id FROM classifications c JOIN links l USING (person_id)
                           WHERE c.conflict""")
        rec = records_with_truth(ws, truth)
        keys = set(rec[rec["person_id"].isin(flagged["person_id"])]["person_key"])
        assert keys == set(truth.expected["conflicts"])
        # the representative flag reaches exactly the true representatives whose ledgers mark them (是/√)
        flagged = ws.df("SELECT person_id FROM persons WHERE representative")["person_id"]
        marked = ws.df("SELECT record_id FROM records WHERE representative")["record_id"]
        reps = set(truth.persons[truth.persons["representative"] == "true"]["person_key"])
        assert set(rec[rec["person_id"].isin(flagged)]["person_key"]) == set(rec[rec["record_id"].isin(marked)]["person_key"])
        assert set(rec[rec["record_id"].isin(marked)]["person_key"]) <= reps and len(flagged) > 0


def test_id_linking_matches_truth_for_valid_ids(ingested, truth, tmp_path):
    """The foundation's promise: linking by valid ID alone gives the truth for the persons with a valid ID."""
    with _copy(ingested, tmp_path, "ids.duckdb") as ws:
        link(ws, LinkOptions(probabilistic=False))
        for scheme in ("current4", "legacy6"):
            got = dict(ws.query("""SELECT c.category, count(*) FROM persons p JOIN classifications c USING (person_id)
                                   WHERE p.has_valid_id AND c.scheme = ? AND c.grp = 'new_class' GROUP BY ALL""", [scheme]))
            want = truth.expected["valid_id"][scheme]
            assert sum(got.values()) == want["total"]
            assert got == {k: v for k, v in want["by_category"].items() if v}


def test_linking_quality_and_district_total(ingested, truth, tmp_path):
    with _copy(ingested, tmp_path, "linked.duckdb") as ws:
        result = link(ws)
        rec = records_with_truth(ws, truth)
        q = pairwise(rec["person_id"], rec["person_key"])
        assert q.precision >= 0.995 and q.recall >= 0.99, q
        for scheme in ("current4", "legacy6"):
            total = tally(ws, scheme).total
            assert abs(total - truth.expected[scheme]["total"]) <= 0.005 * truth.expected[scheme]["total"]
        assert result.persons == ws.scalar("SELECT count(*) FROM persons")

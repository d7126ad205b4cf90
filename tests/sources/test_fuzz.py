"""The fuzz test: 250 files made from the demo district (about four in five damaged or odd, see
tests/fuzz_corpus.py), ingested fifty to a call, on one process and on two workers. No call fails; every file
that fails is named in its one line; no odd but readable file loses a row; every clean file is whole; files
that are no table are skipped. (benchmarks/fuzz.py runs the same on 1,000 files and more.)"""

from __future__ import annotations

import pytest

from census import Workspace, ingest

from ..conftest import EXAMPLES
from ..fuzz_corpus import build_corpus, check, reference


@pytest.fixture(scope="module")
def refs(demo_linked):
    with Workspace(demo_linked) as ws:
        return reference(ws)


def test_fuzz_corpus(tmp_path, refs):
    batches = build_corpus(tmp_path / "corpus", refs, batches=5, per_batch=50, seed=2026)
    cases = [c for b in batches for c in b]
    assert len(cases) == 250 and sum(c.sort in ("odd", "damaged") for c in cases) >= 190
    assert {c.mutation for c in cases} >= {"dup_sheets", "xfd", "as_html", "renamed_xls", "renamed_xlsx", "bad_byte", "nul",
                                           "unclosed_quote", "flip", "truncate", "zip_member_removed", "malformed_xml", "sav_crash"}
    failed = 0
    for b, batch in enumerate(batches):
        with Workspace(tmp_path / f"w{b}.duckdb") as ws:
            result = ingest(ws, [tmp_path / "corpus" / f"batch{b:03d}"], regions=EXAMPLES / "regions.yaml",
                            workers=2 if b % 2 else None)
        found = check(result, batch, refs)
        assert found.problems is None, found.problems
        assert found.rows_lost == 0
        failed += found.failed
        crash = next(f for f in result.files if "sav_crash" in f.path)
        assert crash.status == "failed" and "SIGSEGV" in crash.message
    assert failed >= 40  # damaged files were in it

"""Tallies on the demo district: every dimension, filters, the wide table and its margins, percentages,
small-cell suppression that cannot be undone by subtraction, and the narrative."""

from __future__ import annotations

from datetime import date

import pytest

from census import Workspace, crosstab, narrative, tally
from census.errors import UsageError
from census.render.rows import crosstab_grid
from census.tables.suppress import hidden_mark, recoverable
from census.vocab import DIMENSIONS

from ..conftest import demo_copy


@pytest.fixture(scope="module")
def ws(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "tally")
    yield w
    w.close()


@pytest.mark.parametrize("dim", DIMENSIONS)
def test_every_dimension_counts_every_person_once(ws, dim):
    t = tally(ws, "current4", [dim], as_of=date(2026, 10, 1))
    assert sum(r["count"] for r in t.rows) == t.total == tally(ws, "current4").total
    assert len({r[dim] for r in t.rows}) == len(t.rows)
    persons = ws.scalar("SELECT count(*) FROM persons")
    assert t.total + sum(t.outside_total.values()) + t.unresolved + t.excluded == persons


def test_unknown_values_are_a_row_not_dropped(ws):
    t = tally(ws, "current4", ["education"])
    assert "未知" in {r["education"] for r in t.rows}
    assert [r["education"] for r in t.rows][-1] == "未知"


def test_age_bands_at_a_date(ws):
    bands = [r["age_band"] for r in tally(ws, "current4", ["age_band"], as_of=date(2026, 10, 1)).rows]
    order = ["<30", "30-39", "40-49", "50-59", "≥60", "未知"]
    assert bands == [b for b in order if b in bands] and len(bands) >= 3
    older = {r["age_band"]: r["count"] for r in tally(ws, "current4", ["age_band"], as_of=date(2046, 10, 1)).rows}
    assert older.get("<30", 0) == 0


def test_where_narrows_and_nested_subtotals(ws):
    full = tally(ws, "current4", ["street", "category"])
    one = tally(ws, "current4", ["category"], {"street": "雨花街道"})
    assert one.total == full.subtotals[("雨花街道",)]
    assert {r["category"]: r["count"] for r in one.rows} == {r["category"]: r["count"] for r in full.rows if r["street"] == "雨花街道"}
    with pytest.raises(UsageError):
        tally(ws, "current4", ["colour"])


def test_wide_table_margins(ws):
    ct = crosstab(ws, "legacy6", "street", "category")
    assert ct.row_values == [n for (n,) in ws.query("SELECT name FROM regions WHERE level = 'street' ORDER BY code")]
    assert len(ct.col_values) == 6
    for r in ct.row_values:
        assert sum(ct.value(r, c) for c in ct.col_values) == ct.row_totals[r]
    for c in ct.col_values:
        assert sum(ct.value(r, c) for r in ct.row_values) == ct.col_totals[c]
    assert sum(ct.row_totals.values()) == sum(ct.col_totals.values()) == ct.total == tally(ws, "legacy6").total


def test_percentages(ws):
    t = tally(ws, "current4", ["category"], percent="total")
    assert abs(sum(r["percent"] for r in t.rows) - 100) < 0.5
    ct = crosstab(ws, "current4", "street", "category", percent="row")
    for r in ct.row_values:
        assert abs(sum(ct.share(r, c) for c in ct.col_values) - 100) < 0.5
    grid = crosstab_grid(ct)  # each count is followed by its share, both numbers
    first = grid.rows[0][0]
    assert grid.header[1:3] == [ct.col_values[0], f"{ct.col_values[0]}占比（%）"] and 2 in grid.percent_columns
    assert first[1] == ct.value(ct.row_values[0], ct.col_values[0]) and first[2] == ct.share(ct.row_values[0], ct.col_values[0])


def test_suppression_hides_small_cells_and_nothing_can_be_recovered(ws):
    ct = crosstab(ws, "current4", "community", "category", suppress=5, complementary=True)
    keys = [(r, c) for r in ct.row_values for c in ct.col_values]
    shown = {k for k in keys if k not in ct.hidden}
    assert all(not (0 < ct.value(*k) < 5) for k in shown)
    assert {k for k in keys if 0 < ct.value(*k) < 5} <= ct.hidden
    sums = [[i for i, k in enumerate(keys) if k[0] == r] for r in ct.row_values]
    sums += [[i for i, k in enumerate(keys) if k[1] == c] for c in ct.col_values]
    hidden = {i for i, k in enumerate(keys) if k in ct.hidden}
    assert recoverable(hidden, sums, len(keys)) == set()
    # margins stay true
    assert ct.total == tally(ws, "current4").total
    d = ct.to_dict()
    assert all(v is None for row in d["rows"] for c, v in row["cells"].items() if (row["community"], c) in ct.hidden)
    # without complementary suppression a lone small cell in a row could be recovered; with it, never
    plain = crosstab(ws, "current4", "community", "category", suppress=5)
    assert plain.hidden <= ct.hidden


def test_long_table_suppression_protects_subtotals(ws):
    t = tally(ws, "current4", ["street", "sex"], suppress=5, complementary=True)
    counts = [r["count"] for r in t.rows]
    sums = [list(range(len(counts)))]
    groups: dict = {}
    for i, r in enumerate(t.rows):
        groups.setdefault(r["street"], []).append(i)
    sums += list(groups.values())
    assert recoverable(t.hidden, sums, len(counts)) == set()
    for i in t.hidden:
        assert hidden_mark(t.rows[i]["count"], t.suppress) in ("<5", "×")


def test_narrative_states_the_numbers(ws):
    text = narrative(ws, "current4")
    t = tally(ws, "current4", percent="total")
    assert text.startswith(f"全区共有新的社会阶层人士{t.total}名，其中")
    for r in t.rows:
        assert f"{r['category']}{r['count']}人（占{r['percent']:.1f}%）" in text
    assert f"另有非公有制经济人士{t.outside_total['非公有制经济人士']}名。" in text
    assert f"另有{t.unresolved}名人员类别待核实" in text
    assert narrative(ws, "legacy6", {"street": "雨花街道"}).startswith("雨花街道共有新的社会阶层人士")


def test_tally_from_python_counts_current_persons(tmp_path):
    """`tally(ws)` links and classifies first when the records changed (the command line did; Python counted the
    persons of the last link, or none)."""
    from census import ingest
    from census.pipeline import is_current

    from ..conftest import ledger_rows, write_xlsx

    with Workspace(tmp_path / "w.duckdb") as w:
        ingest(w, [write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})])
        assert not is_current(w)
        assert tally(w).total == 3 and is_current(w)
        more = ledger_rows()[:4] + [[5, "钱七", "女", None, "13900005555", None, None, "网络主播", "新媒体从业人员"]]
        ingest(w, [write_xlsx(tmp_path / "雨花街道_翠竹园社区_台账.xlsx", {"台账": more})])
        assert tally(w).total == 4

"""The census cycle on the demo district, against the truth its generator wrote: round 2026 (examples/district and the
2026 roster) and round 2027 (examples/district_2027). A person keeps their id, `census diff` equals the truth of what
changed, the 补查 list lists exactly whom each community's ledger missed, and the report compares the rounds."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter

import openpyxl
import pandas as pd
import pytest

from census import Workspace, build_report, ingest, link, tally
from census.cli import main
from census.persons.decisions import ANSWER, PAIR_SHEET, apply_review
from census.render import export_review
from census.tables.diff import diff
from census.tables.followup import followup
from census.workspace.queries import register_rows, streets

from .conftest import EXAMPLES
from .evaluate import load_truth

TRUTH_2027 = EXAMPLES / "truth_2027"
CHANGES = json.loads((TRUTH_2027 / "changes.json").read_text(encoding="utf-8"))


def _truth_rows() -> pd.DataFrame:
    """Every source row of both rounds with its round and true person, paths as census shows them."""
    parts = []
    for rows, prefix, round_ in ((EXAMPLES / "truth" / "rows.csv", "district/", "2026"),
                                 (TRUTH_2027 / "roster_2026_rows.csv", "roster_2026/", "2026"),
                                 (TRUTH_2027 / "rows.csv", "district_2027/", "2027")):
        t = pd.read_csv(rows, dtype=str, keep_default_na=False)
        t["file"] = t["file"].str.removeprefix(prefix)
        t["row"] = t["row"].astype(int)
        t["col_range"] = t["col_range"].fillna("")
        t["round"] = round_
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def _records(ws: Workspace, truth_rows: pd.DataFrame) -> pd.DataFrame:
    rec = ws.df("""SELECT r.record_id, s.round, s.path AS file, coalesce(r.sheet, '') AS sheet, r.row,
                          coalesce(r.col_range, '') AS col_range, l.person_id
                   FROM records r JOIN sources s USING (source_id) JOIN links l USING (record_id)""")
    keys = ["round", "file", "sheet", "row", "col_range"]
    return rec.merge(truth_rows[[*keys, "person_key"]], on=keys, how="left")


def _answer_pairs(ws: Workspace, path, truth_rows: pd.DataFrame, round_: str) -> int:
    """A clerk who knows the district answers every uncertain pair of the round's review: 是 when both records are
    one person, 否 otherwise. Returns the pairs answered."""
    export_review(ws, path, round=round_)
    key = _records(ws, truth_rows).set_index("record_id")["person_key"]
    book = openpyxl.load_workbook(path)
    sheet = book[PAIR_SHEET]
    header = [c.value for c in sheet[1]]
    answered = 0
    for r in range(2, sheet.max_row + 1):
        pair = str(sheet.cell(r, 1).value or "")
        if "-" not in pair:
            continue
        a, b = (int(x) for x in pair.split("-"))
        sheet.cell(r, header.index(ANSWER) + 1).value = "是" if key[a] == key[b] else "否"
        answered += 1
    book.save(path)
    return answered


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Round 2026 ingested and linked; the 2026 ids kept; round 2027 ingested, linked, and its uncertain pairs
    answered."""
    folder = tmp_path_factory.mktemp("cycle")
    path = folder / "cycle.duckdb"
    truth_rows = _truth_rows()
    with Workspace(path) as ws:
        for where, round_ in ((EXAMPLES / "district", 2026), (EXAMPLES / "roster_2026", 2026), (EXAMPLES / "district_2027", 2027)):
            result = ingest(ws, [where], regions=EXAMPLES / "regions.yaml", round=round_)
            assert result.ok and result.round == str(round_)
            if where.name == "roster_2026":
                link(ws)
                first = _records(ws, truth_rows).groupby("person_key")["person_id"].agg(set).to_dict()
        link(ws)
        answered = _answer_pairs(ws, folder / "核查清单.xlsx", truth_rows, "2027")
        result = apply_review(ws, folder / "核查清单.xlsx")
        assert not result.refused and result.stored == answered
        link(ws)
    return path, first, truth_rows


@pytest.fixture
def ws(cycle):
    with Workspace(cycle[0]) as w:
        yield w


def _tally_matches(ws, expected: dict, round_: str) -> None:
    for scheme in ("current4", "legacy6"):
        t = tally(ws, scheme, ["category"], round=round_)
        e = expected[scheme]
        assert (t.round, t.total, t.outside_total, t.unresolved, t.excluded) == (
            round_, e["total"], e["outside_total"], e["unresolved"], e["excluded"])
        assert {r["category"]: r["count"] for r in t.rows} == {k: v for k, v in e["by_category"].items() if v}


def test_each_round_counts_its_own_truth(ws):
    # the 2026 roster and the 2027 round change nothing of 2026: 492 and 672 as before
    _tally_matches(ws, load_truth(EXAMPLES / "truth").expected, "2026")
    _tally_matches(ws, json.loads((TRUTH_2027 / "expected.json").read_text(encoding="utf-8")), "2027")
    assert tally(ws).round == "2027"  # the latest round by default


def test_persons_keep_their_ids_from_2026_to_2027(cycle, ws):
    _, first, truth_rows = cycle
    now = _records(ws, truth_rows)
    assert now["person_key"].notna().all()
    ids = now.groupby("person_key")["person_id"].agg(set)
    assert (ids.map(len) == 1).all()  # one person, one id, in both rounds
    assert now.groupby("person_id")["person_key"].nunique().max() == 1  # and no two persons share one
    both = now.groupby("person_key")["round"].nunique() == 2
    kept = [k for k in both[both].index if k in first]
    assert len(kept) > 2500
    assert all(ids[k] == first[k] for k in kept)


@pytest.mark.parametrize("scheme", ["current4", "legacy6"])
def test_diff_equals_the_truth_of_what_changed(cycle, ws, scheme):
    _, _, truth_rows = cycle
    key = _records(ws, truth_rows).drop_duplicates("person_id").set_index("person_id")["person_key"]
    d = diff(ws, 2026, 2027, scheme).to_dict()
    want = CHANGES[scheme]
    assert set(d) == {"from", "to", "scheme", "counts", "persons", "representatives"}
    assert (d["from"], d["to"], d["scheme"], d["counts"]) == ("2026", "2027", scheme, want["counts"])

    def mapped(entries):
        return Counter((key[p["person_id"]], p["change"], p["from"], p["to"]) for p in entries)

    assert mapped(d["persons"]) == Counter((p["person_key"], p["change"], p["from"], p["to"]) for p in want["persons"])
    assert all(set(p) == {"person_id", "change", "from", "to"} for p in d["persons"])
    reps = d["representatives"]
    assert reps["counts"] == want["representatives"]["counts"]
    assert mapped(reps["persons"]) == Counter((p["person_key"], p["change"], p["from"], p["to"])
                                              for p in want["representatives"]["persons"])
    # the population rule: new − gone is the change of the total
    totals = [tally(ws, scheme, round=r).total for r in ("2026", "2027")]
    assert d["counts"]["new"] - d["counts"]["gone"] == totals[1] - totals[0]
    assert sum(d["counts"][c] for c in ("gone", "recategorised", "moved", "unchanged")) == totals[0]


def test_the_followup_list_is_whom_each_ledger_missed(cycle, ws):
    _, _, truth_rows = cycle
    key = _records(ws, truth_rows).drop_duplicates("person_id").set_index("person_id")["person_key"]
    with (TRUTH_2027 / "followup.csv").open(encoding="utf-8") as f:
        want = list(csv.DictReader(f))
    for round_ in ("2026", "2027"):
        f = followup(ws, round_)
        got = {(key[p.person_id], p.street, p.community or "") for p in f.persons}
        assert got == {(w["person_key"], w["street"], w["community"]) for w in want if w["round"] == round_}
        # where each was found: their records of the round, none of them a community ledger
        assert all(p.found and all(s.kind != "community_ledger" for s in p.found) for p in f.persons)
        assert {p.group for p in f.persons if key[p.person_id] in {w["person_key"] for w in want if w["why"] == "undecidable"}} == {"unresolved"}
        assert all("*" in (p.id_number or "*") for p in f.persons)  # masked
    # by street and community in the register's order; beside them the communities that found none or too few
    missed = followup(ws, "2027")
    places = list(dict.fromkeys((p.street, p.community) for p in missed.persons))
    register = [(st, cm) for st, _, cm, _, _ in register_rows(ws)]
    rank = {st: i for i, st in enumerate(streets(ws))}
    assert [pl for pl in places if pl in register] == [pl for pl in register if pl in places]
    assert [st for st, _ in places] == sorted((st for st, _ in places), key=lambda st: rank.get(st, len(rank)))
    assert missed.communities and all(c.advice == "补查" and (c.street, c.community) in register for c in missed.communities)


def test_the_roster_gives_each_round_its_arrangements(ws):
    with (TRUTH_2027 / "roster.csv").open(encoding="utf-8") as f:
        want = Counter((r["round"], r["arrangements"]) for r in csv.DictReader(f))
    got = Counter((r, "、".join(a)) for r, a in ws.query("SELECT round, arrangements FROM persons WHERE len(arrangements) > 0"))
    assert got == want
    t = tally(ws, by=["arrangement"], where={"representative": "代表人士"}, round="2026")
    counted = {r["arrangement"]: r["count"] for r in t.rows}
    assert counted["区政协委员"] >= 1 and t.total <= sum(counted.values())  # a person with two is counted under each


def test_the_report_compares_a_round_with_the_one_before(ws, tmp_path):
    later = build_report(ws, tmp_path / "2027.xlsx", round="2027")
    assert later.sheets[-1] == "年度变化"
    numbers = later.numbers["年度变化"]
    assert {k: numbers[k] for k in ("from", "to", "counts")} == {"from": "2026", "to": "2027", "counts": CHANGES["current4"]["counts"]}
    book = openpyxl.load_workbook(tmp_path / "2027.xlsx")
    cells = [c.value for row in book["年度变化"].iter_rows() for c in row if c.value is not None]
    assert "雨花台区新的社会阶层人士年度变化（2027年与上一年度比较）" in cells
    assert "类别变化" in cells and "社区变动" in cells
    # a layout may put the rounds side by side: each with its own totals, none across them
    layout = tmp_path / "layout.yaml"
    layout.write_text("sheets:\n  - {name: 年度对比, kind: crosstab, rows: category, cols: round}\n"
                      "  - {name: 按年度, kind: tally, by: [round, category]}\n", encoding="utf-8")
    side = build_report(ws, tmp_path / "side.xlsx", layout=layout).numbers
    assert side["年度对比"]["column_totals"] == {"2026": 492, "2027": 493} and side["年度对比"]["round"] is None
    assert side["按年度"]["by_round"]["2027"]["total"] == 493
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(tmp_path / "side.xlsx")["年度对比"].iter_rows()]
    assert rows[1] == ["类别", "2026", "2027"] and ["合计", 492, 493] in rows
    first = build_report(ws, tmp_path / "2026.xlsx", round="2026")
    assert "年度变化" not in first.sheets  # nothing earlier to compare with
    assert first.numbers["摘要"]["figures"]["新的社会阶层人士（现行四类）"] == 492


@pytest.mark.parametrize("round_, total", [("2026", 492), ("2027", 493)])
def test_the_written_report_is_of_one_round(ws, tmp_path, round_, total):
    """(The .docx counts the round asked for, the latest by default, and its title names the round's year.)"""
    import docx

    for asked in ([round_] if round_ == "2026" else [round_, None]):
        out = tmp_path / f"{asked}.docx"
        result = build_report(ws, out, round=asked)
        text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
        assert result.numbers["title"] == f"雨花台区新的社会阶层人士统计报告（{round_}年）"
        assert result.numbers["category"]["total"] == total and f"全区共有新的社会阶层人士{total}名" in text


def test_cli_diff_and_followup(cycle, tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    shutil.copy(cycle[0], db)
    assert main(["diff", "2026", "2027", "--db", str(db), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    with Workspace(db) as ws:
        assert out == diff(ws, "2026", "2027").to_dict()
        lib = followup(ws, "2027").to_dict()
    assert main(["diff", "2026", "2027", "--db", str(db), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].lstrip("\ufeff").startswith("变化,人员编号,姓名") and len(lines) == 1 + len(out["persons"]) + len(out["representatives"]["persons"])
    assert main(["diff", "2026", "2027", "--db", str(db), "--format", "xlsx", "-o", str(tmp_path / "d.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "d.xlsx").sheetnames == ["年度变化"]
    assert main(["diff", "2026", "2026", "--db", str(db)]) == 2
    assert "两个不同的年度" in capsys.readouterr().err
    assert main(["diff", "2025", "2027", "--db", str(db)]) == 2
    assert "2025" in capsys.readouterr().err
    for args in (["diff", "2026", "2027"], ["followup"]):  # usage errors before any work
        assert main([*args, "--db", str(db), "--format", "xlsx"]) == 2
        assert "-o" in capsys.readouterr().err
        assert main([*args, "--db", str(db), "--format", "json", "--encoding", "gb18030"]) == 2
        assert "--encoding" in capsys.readouterr().err
        csv_file = tmp_path / f"{args[0]}.csv"
        assert main([*args, "--db", str(db), "--format", "csv", "-o", str(csv_file), "--encoding", "gb18030"]) == 0
        capsys.readouterr()
        assert csv_file.read_bytes().decode("gb18030").startswith("变化," if args[0] == "diff" else "街道,")
    assert main(["followup", "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(lib, ensure_ascii=False))
    assert main(["followup", "--db", str(db), "--round", "2027", "--format", "xlsx", "-o", str(tmp_path / "f.xlsx")]) == 0
    assert "补查人员" in capsys.readouterr().err
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx")["补查名单"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in rows if r and r[0] == "街道")
    assert "核实结果" in header and "发现来源" in header
    assert sum(1 for r in rows if r[2] and str(r[2]).startswith("P")) == len(lib["persons"])
    assert main(["tally", "--db", str(db), "--rows", "category", "--cols", "round", "--format", "json"]) == 0
    wide = json.loads(capsys.readouterr().out)
    assert wide["columns"] == ["2026", "2027"] and wide["round"] is None
    assert wide["column_totals"] == {"2026": 492, "2027": 493}


def test_diff_and_followup_at_80_columns_cut_no_value(cycle, tmp_path, capsys, monkeypatch):
    """(A list wider than the terminal is printed a person to a paragraph: every id and masked number whole.)"""
    db = tmp_path / "cli.duckdb"
    shutil.copy(cycle[0], db)
    monkeypatch.setenv("COLUMNS", "80")
    for args in (["diff", "2026", "2027"], ["followup"]):
        assert main([*args, "--db", str(db), "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert main([*args, "--db", str(db)]) == 0
        text = capsys.readouterr().out
        persons = data["persons"]
        assert persons and all(p["person_id"] in text for p in persons)
        assert all(p["id_number"] in text for p in persons if p.get("id_number"))
        assert max((len(line) for line in text.splitlines() if line.startswith("┃")), default=0) <= 80

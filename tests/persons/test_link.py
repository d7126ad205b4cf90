"""Linking on real files: IDs first, probabilistic links for records without one, the cannot-link rule,
stable person ids across re-links, explanations, and review decisions that survive re-links."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pytest

from census import ingest, link
from census.errors import SchemaError
from census.persons import LinkOptions, explain_person
from census.persons.clusters import constrained_clusters
from census.persons.decisions import apply_review, list_decisions, undo_decision
from census.render import export_review
from census.sources import IngestOptions

from ..conftest import make_id, write_xlsx

HEADER = ["姓名", "性别", "身份证号", "出生日期", "联系电话", "工作单位"]


def _people(n: int, start: int = 0) -> list[list]:
    rows = []
    for i in range(start, start + n):
        birth = f"19{70 + i % 25}{1 + i % 12:02d}{1 + i % 28:02d}"
        rows.append([f"测试{chr(0x4E00 + 37 * i % 20000)}{chr(0x4E00 + 91 * i % 20000)}", "男" if i % 2 else "女",
                     make_id(birth, f"{(2 * i + 1 + (0 if i % 2 else 1)) % 1000:03d}"),
                     f"{birth[:4]}-{birth[4:6]}-{birth[6:]}", f"139{i:08d}", f"南京单位{i % 40}科技有限公司"])
    return rows


@pytest.fixture
def district(ws, tmp_path):
    """300 persons in a community ledger; a household register repeating 120 of them with valid IDs, and a
    unit ledger repeating 60 of them without IDs (phone and birth date only)."""
    people = _people(300)
    write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": [HEADER, *people]})
    write_xlsx(tmp_path / "雨花街道_驻地单位台帐.xlsx", {"名单": [HEADER, *[[p[0], p[1], None, p[3], p[4], p[5]] for p in people[:60]]]})
    write_xlsx(tmp_path / "住户台帐.xlsx", {"S": [["姓名", "公民身份号码", "所属社区"], *[[p[0], p[2], "康盛花园社区"] for p in people[100:220]]]})
    ingest(ws, [tmp_path], IngestOptions(street="雨花街道"))
    return tmp_path


def test_ids_then_probabilistic(ws, district):
    r = link(ws)
    assert r.persons == 300
    assert r.links_by_rule["id"] == 240 and r.links_by_rule["probabilistic"] == 120
    # every unit-ledger record (no ID) joined the person of the same name, phone and birth date
    joined = ws.query("""SELECT count(DISTINCT l.person_id) FROM links l JOIN records r USING (record_id)
                         WHERE r.source_kind = 'unit_ledger' AND l.rule = 'probabilistic'""")[0][0]
    assert joined == 60


def test_two_valid_ids_are_never_one_person():
    labels = np.arange(4)
    ids = np.array(["A", "B", None, None], dtype=object)
    final, applied = constrained_clusters(labels, ids, [(0, 2), (1, 2), (2, 3)])
    assert list(applied) == [True, False, True]
    assert final[0] == final[2] == final[3] != final[1]
    final, _ = constrained_clusters(labels, ids, [(2, 3)], cannot=[(2, 3)])
    assert final[2] != final[3]


def test_person_ids_stay_when_files_arrive(ws, district, tmp_path):
    link(ws)
    before = dict(ws.query("SELECT id_number, person_id FROM persons WHERE id_number IS NOT NULL"))
    more = tmp_path / "more"
    more.mkdir()
    write_xlsx(more / "雨花街道_翠竹园社区_台账.xlsx", {"台账": [HEADER, *_people(50, start=280)]})
    ingest(ws, [more], IngestOptions(street="雨花街道"))
    r = link(ws)
    after = dict(ws.query("SELECT id_number, person_id FROM persons WHERE id_number IS NOT NULL"))
    assert all(after[k] == v for k, v in before.items())
    assert r.persons == 330 and r.new_persons == 30 and r.kept_ids == 300


def test_explain_shows_records_and_weights(ws, district):
    link(ws)
    pid = ws.scalar("SELECT person_id FROM links WHERE rule = 'probabilistic' LIMIT 1")
    d = explain_person(ws, pid)
    assert len(d["records"]) >= 2 and all("*" in (r["id_number"] or "*") for r in d["records"])
    accepted = [p for p in d["pairs"] if p["status"] == "accepted"]
    assert accepted and {"name", "phones", "birth_date"} <= accepted[0]["detail"].keys()
    assert accepted[0]["detail"]["phones"] > 0


def test_review_decisions_survive_relinks_and_can_be_undone(ws, tmp_path):
    a, b = make_id("19800101", "111"), make_id("19900202", "222")
    write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": [HEADER, ["王伟", "男", a, "1980-01-01", "13900000001", "南京甲公司"],
                                                           ["李娜", "女", b, "1990-02-02", "13900000002", "南京乙公司"]]})
    # a record that looks like 王伟 but shares only the name: a pair for review, not a link
    write_xlsx(tmp_path / "雨花街道_驻地单位台帐.xlsx", {"名单": [HEADER, ["王伟", "男", None, "1980-01", None, "南京丙公司"]]})
    ingest(ws, [tmp_path], IngestOptions(street="雨花街道"))
    link(ws, LinkOptions(accept=0.99999, review=0.000001))
    assert ws.scalar("SELECT count(*) FROM persons") == 3
    out = tmp_path / "核查清单.xlsx"
    n_pairs, _ = export_review(ws, out)
    assert n_pairs >= 1
    book = openpyxl.load_workbook(out)
    sheet = book["疑似同一人"]
    header = [c.value for c in sheet[1]]
    answer, ids, side = (header.index(h) + 1 for h in ("是否同一人", "身份证号", "记录"))
    # a pair is two rows, 甲 above 乙; its number and answer cell span both
    row = next(r for r in range(2, sheet.max_row + 1) if "王伟" in [c.value for c in sheet[r]] and sheet.cell(r, 1).value)
    assert (sheet.cell(row, side).value, sheet.cell(row + 1, side).value) == ("甲", "乙")
    assert f"{sheet.cell(row, answer).coordinate}:{sheet.cell(row + 1, answer).coordinate}" in {str(m) for m in sheet.merged_cells.ranges}
    assert all("*" in str(sheet.cell(r, ids).value or "*") for r in (row, row + 1))
    sheet.cell(row, answer).value = "是"
    book.save(out)
    result = apply_review(ws, out)
    assert result.must_link == 1
    link(ws, LinkOptions(accept=0.99999, review=0.000001))
    assert ws.scalar("SELECT count(*) FROM persons") == 2
    assert ws.scalar("SELECT rule FROM links l JOIN records r USING (record_id) WHERE r.source_kind = 'unit_ledger'") == "review"
    link(ws)  # another re-link: the decision still holds
    assert ws.scalar("SELECT count(*) FROM persons") == 2
    decision = int(list_decisions(ws)["decision_id"].iloc[0])
    undo_decision(ws, decision)
    link(ws, LinkOptions(accept=0.99999, review=0.000001))
    assert ws.scalar("SELECT count(*) FROM persons") == 3


def test_schema_file_adds_synonyms_and_is_validated(ws, tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("fields:\n  name: {synonyms: [从业者名]}\n  id_number: {synonyms: [证照编号]}\n", encoding="utf-8")
    p = write_xlsx(tmp_path / "a.xlsx", {"S": [["从业者名", "证照编号"], ["甲", make_id("19800101", "111")]]})
    r = ingest(ws, [p], IngestOptions(schema_files=(str(extra),), community="康盛花园社区"))
    assert r.files[0].records == 1 and ws.scalar("SELECT id_valid FROM records")
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields:\n  nmae: {synonyms: [x]}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad.yaml：fields/nmae：不认识这个字段"):
        ingest(ws, [p], IngestOptions(schema_files=(str(bad),)))


def _transposed(id18: str, i: int, j: int) -> str:
    s = list(id18)
    s[i], s[j] = s[j], s[i]
    return "".join(s)


def test_an_id_with_two_digits_transposed_is_the_same_person(ws, district, tmp_path):
    """A valid ID typed elsewhere with two of its digits swapped — next to each other or far apart — and an agreeing
    name: strong evidence, even with another phone (two digits apart used to count against the pair)."""
    from census.sources.values import normalize_id

    people = _people(300)
    rows, swapped = [HEADER], {}
    for k, p in enumerate(people[230:250]):
        i, j = (7, 8) if k % 2 else (3, 12)
        while p[2][i] == p[2][j] or normalize_id(_transposed(p[2], i, j)).valid:
            i, j = i + 1, j + (1 if k % 2 else 0)
        swapped[p[0]] = _transposed(p[2], i, j)
        phone = p[4] if k < 10 else f"138{k:08d}"  # half of them with a phone of their own
        rows.append([p[0], None, swapped[p[0]], None, phone, p[5]])
    more = tmp_path / "more"
    more.mkdir()
    write_xlsx(more / "雨花街道_补充名单.xlsx", {"名单": rows})
    ingest(ws, [more], IngestOptions(street="雨花街道", kind="unit_ledger"))
    r = link(ws)
    assert r.persons == 300
    got = dict(ws.query("""SELECT r.name, count(DISTINCT l.person_id) FROM records r JOIN links l USING (record_id)
                           WHERE r.name IN (SELECT name FROM records WHERE NOT id_valid AND id_raw IS NOT NULL) GROUP BY r.name"""))
    assert len(got) == len(swapped) == 20 and set(got.values()) == {1}
    weights = [json.loads(d)["id_number"] for (d,) in ws.query("""SELECT detail FROM pairs p JOIN records r ON r.record_id IN (p.record_a, p.record_b)
                                                                  WHERE NOT r.id_valid AND r.id_raw IS NOT NULL""")]
    assert weights and min(weights) > 5  # the transposition weighs for the pair, not against it

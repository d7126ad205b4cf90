"""Merging districts: the workspaces of several districts brought into one, a city's or a province's
(`merge_workspaces`, one transaction for all of them).

Every district's files come in with their full provenance — sources, sheets, records (quarantined rows included),
non-data rows and the issues of rows — and keep their district (`sources.district_code`, `sources.district`,
from the district workspace's register). Source and record ids are renumbered on the way in (each district
workspace counts from 1) and the district's review decisions follow their records. Each district's register is
kept (`regions_yaml:<code>`) and its streets and communities join the regions table. Persons are not copied: the
merged workspace links all records again with the same rules, so a person two districts counted is one person.

A district merged again (the same district code: an updated workspace) replaces that district's files whole. Its
persons keep their ids: each of its new records is given, for the next link, the person its old record had (the
same valid ID number, else the same row of the same file under the same name, else that name in that file), and the stable-id rule of the link
(`census.persons.clusters.stable_ids`) keeps an id with the cluster holding most of its records.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from ..workspace import Workspace
from ..workspace.audit import log_access
from ..workspace.queries import MERGED_KEY, NAME_KEY, district_registers, store_district_register
from .ingest import remove_source


@dataclass
class DistrictMerged:
    """One district as merged: where it came from, what came in, whether it replaced the district's earlier files."""

    code: str
    name: str
    path: str  # the district's workspace file
    files: int
    records: int
    quarantined: int
    decisions: int  # review decisions in force that came with it
    replaced: bool  # the district was in the workspace before: its earlier files were replaced
    carried: int = 0  # of its records, those given their earlier person id (a district merged again)
    persons: int = 0  # persons with a record of the district, once linked (filled by `census.tables.merge`)

    def to_dict(self) -> dict:
        return asdict(self)


_COPIED = ("sources", "sheets", "records", "nondata", "issues", "decisions")


def _open_districts(paths: list[str | os.PathLike], target: Workspace, stack: ExitStack) -> list[tuple[Path, Workspace]]:
    if not paths:
        raise UsageError(_("请给出要合并的区县工作区文件（.duckdb）。"))
    own = target.path.resolve()
    opened: list[tuple[Path, Workspace]] = []
    seen: dict[Path, str] = {}
    for p in map(Path, paths):
        if not p.is_file():
            raise UsageError(_("{path}：没有这个文件。").format(path=p))
        if p.resolve() == own:
            raise UsageError(_("{path}：这是合并的目标工作区本身；请用 --db 指定另一个文件作为合并后的工作区。").format(path=p))
        if p.resolve() in seen:
            continue
        seen[p.resolve()] = str(p)
        opened.append((p, stack.enter_context(Workspace(p, create=False))))
    return opened


def _districts_of(path: Path, src: Workspace) -> list[tuple[str, str]]:
    """(code, name) of the districts a workspace's files belong to; every file must belong to one."""
    cat = src.catalog
    rows = src.query(f"SELECT DISTINCT district_code, district FROM {cat}.main.sources ORDER BY 1 NULLS FIRST")
    if not rows:
        raise UsageError(_("{path}：工作区中没有读入任何文件，没有可合并的内容。").format(path=path))
    if rows[0][0] is None:
        raise UsageError(_("{path}：有文件不属于任何区县（导入时没有区划名册）；请先在该工作区用 census ingest 路径 "
                           "--regions 区划名册 导入本区名册，再合并。").format(path=path))
    registers = district_registers(src)
    for code, _name in rows:
        if code not in registers:
            raise UsageError(_("{path}：工作区中没有区县 {code} 的区划名册，无法合并。").format(path=path, code=code))
    return [(c, n) for c, n in rows]


def merge_workspaces(ws: Workspace, paths: list[str | os.PathLike], name: str | None = None) -> list[DistrictMerged]:
    """Bring the district workspaces at `paths` into `ws`, in one transaction (joined when the caller holds one):
    nothing of any of them is in `ws` if one fails or the run is interrupted. `name` is what the merged
    workspace's tables are titled with (default: the districts' city, else the districts listed). The next link
    runs over every district's records."""
    if ws.scalar("SELECT count(*) FROM sources") and ws.get(MERGED_KEY) != "1":
        raise UsageError(_("{db}：这是一个区县的工作区（直接导入了文件），不能作为合并的目标；请用 --db 指定一个新的工作区文件。")
                         .format(db=ws.path))
    with ExitStack() as stack:
        opened = _open_districts(paths, ws, stack)
        plan: list[tuple[Path, Workspace, list[tuple[str, str]]]] = []
        owner: dict[str, Path] = {}
        for path, src in opened:
            found = _districts_of(path, src)
            for code, dname in found:
                if code in owner:
                    raise UsageError(_("{a} 和 {b} 都是区县 {code}（{name}）的工作区；每个区县只能合并一个。").format(
                        a=owner[code], b=path, code=code, name=dname))
                owner[code] = path
            plan.append((path, src, found))
        merged: list[DistrictMerged] = []
        with ws.transaction():
            for path, src, found in plan:
                merged += _merge_one(ws, path, src, found)
            ws.set(MERGED_KEY, "1")
            # personal data came in from other files: the audit names each district and its records
            for d in merged:
                log_access(ws, "merge", f"{d.name}（{d.code}）{Path(d.path).name}", d.records)
            if name:
                ws.set(NAME_KEY, name)
            ws.bump_data_version()
    return merged


def _merge_one(ws: Workspace, path: Path, src: Workspace, found: list[tuple[str, str]]) -> list[DistrictMerged]:
    con, cat = ws.con, src.catalog
    codes = [c for c, _n in found]
    marks = ", ".join("?" * len(codes))
    # the districts' earlier files: what their records were (for person ids and decisions), then out
    replaced = {c for (c,) in ws.query(f"SELECT DISTINCT district_code FROM sources WHERE district_code IN ({marks})", codes)}
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _carry AS
        SELECT r.record_id, l.person_id, s.district_code, s.round, s.path, r.sheet, r.row, coalesce(r.col_range, '') AS col_range,
               CASE WHEN r.id_valid THEN r.id_number END AS id_number, r.name
        FROM records r JOIN sources s USING (source_id) LEFT JOIN links l USING (record_id)
        WHERE s.district_code IN ({marks})""", codes)
    # renumbered past every id the workspace holds, the replaced ones too (an old record and a new one are never
    # confused); one offset per district workspace keeps its districts' ids apart
    rec_off = int(ws.scalar("SELECT coalesce(max(record_id), 0) FROM records"))
    src_off = int(ws.scalar("SELECT coalesce(max(source_id), 0) FROM sources"))
    dec_off = int(ws.scalar("SELECT coalesce(max(decision_id), 0) FROM decisions"))
    for (sid,) in ws.query(f"SELECT source_id FROM sources WHERE district_code IN ({marks})", codes):
        remove_source(ws, sid)
    for code in codes:
        con.execute("DELETE FROM regions WHERE starts_with(code, ?)", [code])
    theirs = f"(SELECT source_id FROM {cat}.main.sources WHERE district_code IN ({marks}))"
    con.execute(f"INSERT INTO sources SELECT * REPLACE (source_id + {src_off} AS source_id) FROM {cat}.main.sources "
                f"WHERE district_code IN ({marks})", codes)
    con.execute(f"INSERT INTO sheets SELECT * REPLACE (source_id + {src_off} AS source_id) FROM {cat}.main.sheets "
                f"WHERE source_id IN {theirs}", codes)
    con.execute(f"""INSERT INTO records SELECT * REPLACE (record_id + {rec_off} AS record_id, source_id + {src_off} AS source_id)
                    FROM {cat}.main.records WHERE source_id IN {theirs}""", codes)
    con.execute(f"INSERT INTO nondata SELECT * REPLACE (source_id + {src_off} AS source_id) FROM {cat}.main.nondata "
                f"WHERE source_id IN {theirs}", codes)
    # the issues of rows (persons' issues are made again by the link and the classification)
    con.execute(f"""INSERT INTO issues SELECT * REPLACE (record_id + {rec_off} AS record_id, source_id + {src_off} AS source_id)
                    FROM {cat}.main.issues WHERE person_id IS NULL AND source_id IN {theirs}""", codes)
    # decisions on the districts' records, by their records (a district's person ids mean nothing here)
    theirs_records = f"(SELECT record_id FROM {cat}.main.records WHERE source_id IN {theirs})"
    con.execute(f"""INSERT INTO decisions SELECT * REPLACE (
                        {dec_off} + row_number() OVER (ORDER BY decision_id) AS decision_id,
                        record_a + {rec_off} AS record_a, record_b + {rec_off} AS record_b, NULL AS person_id)
                    FROM {cat}.main.decisions WHERE record_a IN {theirs_records}""", codes)
    for code in codes:
        con.execute(f"INSERT INTO regions SELECT * FROM {cat}.main.regions WHERE starts_with(code, ?)", [code])
    registers = district_registers(src)
    for code in codes:
        store_district_register(ws, code, registers[code])

    carried = _carry_over(ws, codes)
    con.execute("DROP TABLE _carry")

    out = []
    for code, dname in found:
        files, records, quarantined = ws.query("""SELECT count(*), coalesce(sum(records), 0), coalesce(sum(quarantined), 0)
                                                  FROM sources WHERE district_code = ?""", [code])[0]
        decisions = ws.scalar("""SELECT count(*) FROM decisions d JOIN records r ON r.record_id = d.record_a
                                 JOIN sources s USING (source_id) WHERE s.district_code = ? AND NOT d.undone""", [code])
        out.append(DistrictMerged(code, dname, str(path), int(files), int(records), int(quarantined), int(decisions),
                                  code in replaced, carried.get(code, 0)))
    return out


def _carry_over(ws: Workspace, codes: list[str]) -> dict[str, int]:
    """A district merged again: its new records given the person ids its old records had (the same valid ID number,
    else the same row of the same file under the same name, else the same name in the same file), as links the next link reads; the decisions made here on its old records
    moved to the new ones (the same row), those on its old records alone dropped (the district's own came in
    again). Returns the records carried per district."""
    con = ws.con
    if not ws.scalar("SELECT count(*) FROM _carry"):
        return {}
    marks = ", ".join("?" * len(codes))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _new AS
        SELECT r.record_id, r.status, s.district_code, s.round, s.path, r.sheet, r.row, coalesce(r.col_range, '') AS col_range,
               CASE WHEN r.id_valid THEN r.id_number END AS id_number, r.name
        FROM records r JOIN sources s USING (source_id) WHERE s.district_code IN ({marks})""", codes)
    # an old record and a new one are the same entry: the same valid ID number; else the same row of the same file
    # under the same name; else, without ID numbers, the same name in the same file (rows move when a ledger grows)
    con.execute("""CREATE OR REPLACE TEMP TABLE _cand AS
        SELECT c.record_id AS old_id, n.record_id AS new_id, c.person_id, n.status, 1 AS priority
        FROM _carry c JOIN _new n USING (district_code, id_number)
        UNION ALL
        SELECT c.record_id, n.record_id, c.person_id, n.status, 2
        FROM _carry c JOIN _new n USING (district_code, round, path, sheet, row, col_range, name)
        UNION ALL
        SELECT c.record_id, n.record_id, c.person_id, n.status, 3
        FROM _carry c JOIN _new n USING (district_code, round, path, sheet, col_range, name)
        WHERE c.id_number IS NULL AND n.id_number IS NULL""")
    con.execute("""INSERT INTO links
        SELECT new_id, arg_min(person_id, (priority, person_id)), 'given', NULL FROM _cand
        WHERE person_id IS NOT NULL AND status = 'record' GROUP BY new_id""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _moved AS
        SELECT old_id, arg_min(new_id, (priority, new_id)) AS new_id FROM _cand GROUP BY old_id""")
    # decisions: on old records alone → gone; touching other districts' records too → moved where the row is
    old = "(SELECT record_id FROM _carry)"
    con.execute(f"DELETE FROM decisions WHERE record_a IN {old} AND (record_b IS NULL OR record_b IN {old})")
    for col in ("record_a", "record_b"):
        con.execute(f"UPDATE decisions d SET {col} = m.new_id FROM _moved m WHERE d.{col} = m.old_id")
    carried = {code: int(n) for code, n in ws.query("""
        SELECT n.district_code, count(*) FROM links l JOIN _new n ON n.record_id = l.record_id GROUP BY ALL""")}
    con.execute("DROP TABLE _moved")
    con.execute("DROP TABLE _cand")
    con.execute("DROP TABLE _new")
    return carried

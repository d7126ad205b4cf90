"""Survivorship: a person's fields from their records, by declared rules. The valid ID from any record; the name
by majority; the phone most often given; the region from a community ledger before the household register before
a unit ledger; other fields from the most authoritative record that has them. Disagreements (two communities, two
birth dates, two declared categories) become conflict issues on the person, for 核查; clerks' corrections from
review are applied on top (`apply_corrections`).
"""

from __future__ import annotations

import contextlib

import pandas as pd
import pyarrow as pa

from ..issues import person_issue_rows
from ..vocab import ARRANGEMENT_SEPARATOR, ARRANGEMENTS, COMMUNITY_SUFFIXES
from ..workspace import Workspace
from ..workspace.queries import insert_issues, load_register
from .decisions import corrections

# which record wins a field when records disagree (lower first)
REGION_RANK = {"community_ledger": 0, "household_register": 1, "questionnaire": 2, "unit_ledger": 3, "roster": 4, "other": 5}
FIELD_RANK = {"community_ledger": 0, "unit_ledger": 1, "questionnaire": 2, "household_register": 3, "roster": 4, "other": 5}
_SUFFIXES = "(" + "|".join(COMMUNITY_SUFFIXES) + ")"  # a community's name without its suffix, in SQL
_ARRANGEMENT_ORDER = "CASE a " + " ".join(f"WHEN '{label}' THEN {i}" for i, label in enumerate(ARRANGEMENTS)) + f" ELSE {len(ARRANGEMENTS)} END"

# the records' columns persons are built from (not r.*: the raw cells, addresses and notes would be carried through
# every step; at five million records that made the build spill to disk and take 40 times as long as at one million)
_RECORD_COLUMNS = ("record_id", "source_kind", "name", "name_pinyin", "sex", "id_number", "id_valid", "birth_date",
                   "birth_precision", "phones", "ethnicity", "education", "political_status", "party", "work_unit",
                   "unit_type", "position", "occupation", "representative", "street", "street_code", "community",
                   "community_code", "arrangements")

# A person is one across rounds (one person_id), and is built once per round they have records in, from that
# round's records alone: their name, community, category … of 2026 and of 2027.
_PERSONS_SQL = f"""
WITH pr AS (
    SELECT a.person_id, s.round, s.district AS src_district, {", ".join("r." + c for c in _RECORD_COLUMNS)},
           rr.rank AS region_rank, fr.rank AS field_rank
    FROM assignment a JOIN records r USING (record_id) JOIN sources s ON s.source_id = r.source_id
    JOIN region_rank rr ON rr.kind = r.source_kind
    JOIN field_rank fr ON fr.kind = r.source_kind
),
names AS (
    SELECT person_id, round, arg_min(name, (-n, best, name)) AS name, arg_min(name_pinyin, (-n, best, name)) AS name_pinyin FROM (
        SELECT person_id, round, name, any_value(name_pinyin) AS name_pinyin, count(*) AS n, min(field_rank) AS best
        FROM pr WHERE name IS NOT NULL GROUP BY ALL) GROUP BY person_id, round
),
phones AS (
    SELECT person_id, round, arg_min(phone, (-n, best, phone)) AS phone, string_agg(phone, '/' ORDER BY -n, best, phone) AS phones FROM (
        SELECT person_id, round, phone, count(*) AS n, min(field_rank) AS best
        FROM (SELECT person_id, round, field_rank, unnest(string_split(phones, '/')) AS phone FROM pr WHERE phones IS NOT NULL)
        GROUP BY ALL) GROUP BY person_id, round
),
community AS (
    SELECT person_id, round,
           arg_min(community, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS community,
           arg_min(community_code, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS community_code,
           arg_min(street, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS street,
           arg_min(street_code, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS street_code,
           arg_min(src_district, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS district,
           count(DISTINCT coalesce(community_code, regexp_replace(community, '{_SUFFIXES}$', ''))) AS n_communities,
           string_agg(DISTINCT community, '、' ORDER BY community) AS communities
    FROM (SELECT person_id, round, community, community_code, street, street_code, src_district, min(region_rank) AS best, count(*) AS n,
                 bool_or(source_kind = 'household_register') AS in_household
          FROM pr WHERE community IS NOT NULL GROUP BY ALL)
    GROUP BY person_id, round
),
street AS (
    SELECT person_id, round, arg_min(street, (region_rank, record_id)) AS street, arg_min(street_code, (region_rank, record_id)) AS street_code,
           arg_min(src_district, (region_rank, record_id)) AS district
    FROM pr WHERE street IS NOT NULL GROUP BY person_id, round
),
births AS (
    SELECT person_id, round, count(DISTINCT birth_date) FILTER (WHERE birth_precision = 'day') AS n_births,
           string_agg(DISTINCT strftime(birth_date, '%Y-%m-%d'), '、' ORDER BY strftime(birth_date, '%Y-%m-%d')) FILTER (WHERE birth_precision = 'day') AS births
    FROM pr GROUP BY person_id, round
),
arrangements AS (
    SELECT person_id, round, list(a ORDER BY {_ARRANGEMENT_ORDER}, a) AS arrangements FROM (
        SELECT DISTINCT person_id, round, unnest(string_split(arrangements, '{ARRANGEMENT_SEPARATOR}')) AS a
        FROM pr WHERE arrangements IS NOT NULL)
    GROUP BY person_id, round
),
base AS (
    SELECT person_id, round,
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
        bool_or(id_valid) AS has_valid_id,
        arg_min(src_district, (region_rank, record_id)) FILTER (WHERE src_district IS NOT NULL) AS district
    FROM pr GROUP BY person_id, round
)
SELECT b.person_id, b.round, n.name, n.name_pinyin, b.sex, b.id_number, b.birth_date, ph.phone, ph.phones,
       b.ethnicity, b.education, b.political_status, b.party, b.work_unit, b.unit_type, b.position, b.occupation,
       b.representative OR ar.arrangements IS NOT NULL AS representative,
       coalesce(c.street, s.street) AS street, coalesce(c.street_code, s.street_code) AS street_code,
       c.community, c.community_code, b.source_kinds, b.records, b.has_valid_id, coalesce(ar.arrangements, []) AS arrangements,
       c.n_communities, c.communities, bi.n_births, bi.births,
       coalesce(c.district, s.district, b.district) AS district
FROM base b LEFT JOIN names n USING (person_id, round) LEFT JOIN phones ph USING (person_id, round)
LEFT JOIN community c USING (person_id, round) LEFT JOIN street s USING (person_id, round)
LEFT JOIN births bi USING (person_id, round) LEFT JOIN arrangements ar USING (person_id, round)
"""

# the columns of `persons`, in the order the build writes them
PERSON_COLUMNS = ("person_id", "name", "name_pinyin", "sex", "id_number", "birth_date", "phone", "phones", "ethnicity",
                  "education", "political_status", "party", "work_unit", "unit_type", "position", "occupation",
                  "representative", "street", "street_code", "community", "community_code", "source_kinds", "records",
                  "has_valid_id", "round", "arrangements", "district")


def build_persons(ws: Workspace, assignment: pd.DataFrame) -> int:
    """Replace persons, links and their conflict issues from a record → person assignment (columns record_id,
    person_id, rule, probability), inside the caller's transaction. Returns the persons built."""
    con = ws.con
    # as Arrow: DuckDB scans a pandas frame's Python strings (person ids, rules) one object at a time, which made
    # this build 3× slower at a million records
    con.register("assignment", pa.Table.from_pandas(assignment, preserve_index=False))
    con.register("region_rank", pd.DataFrame({"kind": list(REGION_RANK), "rank": list(REGION_RANK.values())}))
    con.register("field_rank", pd.DataFrame({"kind": list(FIELD_RANK), "rank": list(FIELD_RANK.values())}))
    try:
        con.execute("DELETE FROM persons")
        con.execute("DELETE FROM links")
        con.execute("DELETE FROM issues WHERE person_id IS NOT NULL AND code LIKE 'person.conflict_%'")
        con.execute(f"CREATE OR REPLACE TEMP TABLE person_build AS {_PERSONS_SQL}")
        columns = ", ".join(PERSON_COLUMNS)
        con.execute(f"INSERT INTO persons ({columns}) SELECT {columns} FROM person_build")
        con.execute("INSERT INTO links SELECT record_id, person_id, rule, probability FROM assignment")
        # conflicts between the records of one round (two rounds' communities are a move, not a conflict); a
        # category conflict depends on the scheme, and is found by classification
        found = con.execute("""
            SELECT person_id, round, 'community' AS field, 'person.conflict_community' AS code, communities AS value
            FROM person_build WHERE n_communities > 1
            UNION ALL
            SELECT person_id, round, 'birth_date', 'person.conflict_birth_date', births FROM person_build WHERE n_births > 1
        """).df()
        insert_issues(ws, person_issue_rows(found))
        con.execute("DROP TABLE person_build")
        carry_arrangements(ws)
    finally:
        for t in ("assignment", "region_rank", "field_rank"):
            with contextlib.suppress(Exception):  # after a failed statement: its error is the one to see
                con.unregister(t)
    return int(ws.scalar("SELECT count(DISTINCT person_id) FROM persons"))


def carry_arrangements(ws: Workspace) -> int:
    """A round without a roster of its own keeps the latest earlier roster: its persons who were on that roster
    keep their arrangements (and stay representatives). Returns the person-rounds carried."""
    carried = 0
    with_roster = [r for (r,) in ws.query("SELECT DISTINCT round FROM sources WHERE kind = 'roster' ORDER BY round")]
    if not with_roster:
        return 0
    for (round_,) in ws.query("SELECT DISTINCT round FROM sources ORDER BY round"):
        earlier = [r for r in with_roster if r < round_]
        if round_ in with_roster or not earlier:
            continue
        carried += ws.con.execute("""
            UPDATE persons p SET arrangements = list_concat(p.arrangements, list_filter(q.arrangements, lambda x: NOT list_contains(p.arrangements, x))),
                                 representative = true
            FROM persons q WHERE q.person_id = p.person_id AND q.round = ? AND p.round = ? AND len(q.arrangements) > 0
        """, [earlier[-1], round_]).fetchall()[0][0]
    return carried


def apply_corrections(ws: Workspace) -> int:
    """Apply clerks' corrections (review decisions) to the person holding each anchor record, in the round of that
    record; a corrected conflict is no longer an issue. Category corrections are read by the classifier."""
    done = 0
    register = None
    for anchor, field_name, value in corrections(ws):
        found = ws.query("""SELECT l.person_id, s.round FROM links l JOIN records r USING (record_id)
                            JOIN sources s ON s.source_id = r.source_id WHERE l.record_id = ?""", [anchor])
        if not found:
            continue  # the anchor record is gone (its file was replaced)
        pid, round_ = found[0]
        if field_name == "community":
            register = register or load_register(ws)
            cm = register.community(value) if register else None
            ws.con.execute("UPDATE persons SET community = ?, community_code = ?, street = coalesce(?, street), "
                           "street_code = coalesce(?, street_code) WHERE person_id = ? AND round = ?",
                           [cm.name if cm else value, cm.code if cm else None, cm.street.name if cm else None,
                            cm.street.code if cm else None, pid, round_])
        elif field_name == "birth_date":
            ws.con.execute("UPDATE persons SET birth_date = TRY_CAST(? AS DATE) WHERE person_id = ? AND round = ?",
                           [value, pid, round_])
        if field_name in ("community", "birth_date"):
            ws.con.execute("DELETE FROM issues WHERE person_id = ? AND round = ? AND field = ? AND severity = 'conflict'",
                           [pid, round_, field_name])
        done += 1
    return done

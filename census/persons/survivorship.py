"""Survivorship: a person's fields from their records, by declared rules. The valid ID from any record; the name
by majority; the phone most often given; the region from a community ledger before the household register before
a unit ledger; other fields from the most authoritative record that has them. Disagreements (two communities, two
birth dates, two declared categories) become conflict issues on the person, for 核查; clerks' corrections from
review are applied on top (`apply_corrections`).
"""

from __future__ import annotations

import contextlib

import pandas as pd

from ..issues import person_issue_rows
from ..vocab import COMMUNITY_SUFFIXES
from ..workspace import Workspace
from ..workspace.queries import insert_issues, load_register
from .decisions import corrections

# which record wins a field when records disagree (lower first)
REGION_RANK = {"community_ledger": 0, "household_register": 1, "questionnaire": 2, "unit_ledger": 3, "other": 4}
FIELD_RANK = {"community_ledger": 0, "unit_ledger": 1, "questionnaire": 2, "household_register": 3, "other": 4}
_SUFFIXES = "(" + "|".join(COMMUNITY_SUFFIXES) + ")"  # a community's name without its suffix, in SQL

_PERSONS_SQL = f"""
WITH pr AS (
    SELECT a.person_id, r.*, rr.rank AS region_rank, fr.rank AS field_rank
    FROM assignment a JOIN records r USING (record_id)
    JOIN region_rank rr ON rr.kind = r.source_kind
    JOIN field_rank fr ON fr.kind = r.source_kind
),
names AS (
    SELECT person_id, arg_min(name, (-n, best, name)) AS name, arg_min(name_pinyin, (-n, best, name)) AS name_pinyin FROM (
        SELECT person_id, name, any_value(name_pinyin) AS name_pinyin, count(*) AS n, min(field_rank) AS best
        FROM pr WHERE name IS NOT NULL GROUP BY ALL) GROUP BY person_id
),
phones AS (
    SELECT person_id, arg_min(phone, (-n, best, phone)) AS phone, string_agg(phone, '/' ORDER BY -n, best, phone) AS phones FROM (
        SELECT person_id, phone, count(*) AS n, min(field_rank) AS best
        FROM (SELECT person_id, field_rank, unnest(string_split(phones, '/')) AS phone FROM pr WHERE phones IS NOT NULL)
        GROUP BY ALL) GROUP BY person_id
),
community AS (
    SELECT person_id,
           arg_min(community, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS community,
           arg_min(community_code, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS community_code,
           arg_min(street, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS street,
           arg_min(street_code, (best, NOT in_household, -n, community, coalesce(community_code, ''), coalesce(street, ''))) AS street_code,
           count(DISTINCT coalesce(community_code, regexp_replace(community, '{_SUFFIXES}$', ''))) AS n_communities,
           string_agg(DISTINCT community, '、' ORDER BY community) AS communities
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
           string_agg(DISTINCT strftime(birth_date, '%Y-%m-%d'), '、' ORDER BY strftime(birth_date, '%Y-%m-%d')) FILTER (WHERE birth_precision = 'day') AS births
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
    """Replace persons, links and their conflict issues from a record → person assignment (columns record_id,
    person_id, rule, probability), inside the caller's transaction. Returns the persons built."""
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
        found = con.execute("""
            SELECT person_id, 'community' AS field, 'person.conflict_community' AS code, communities AS value
            FROM person_build WHERE n_communities > 1
            UNION ALL
            SELECT person_id, 'birth_date', 'person.conflict_birth_date', births FROM person_build WHERE n_births > 1
            UNION ALL
            SELECT person_id, 'category', 'person.conflict_category', cats
            FROM (SELECT a.person_id, string_agg(DISTINCT r.category_raw, '、' ORDER BY r.category_raw) AS cats, count(DISTINCT r.category_raw) AS n
                  FROM assignment a JOIN records r USING (record_id) WHERE r.category_raw IS NOT NULL GROUP BY a.person_id)
            WHERE n > 1
        """).df()
        insert_issues(ws, person_issue_rows(found))
        con.execute("DROP TABLE person_build")
    finally:
        for t in ("assignment", "region_rank", "field_rank"):
            with contextlib.suppress(Exception):  # after a failed statement: its error is the one to see
                con.unregister(t)
    return int(ws.scalar("SELECT count(*) FROM persons"))


def apply_corrections(ws: Workspace) -> int:
    """Apply clerks' corrections (review decisions) to the persons holding their anchor records; a corrected
    conflict is no longer an issue. Category corrections are read by the classifier."""
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

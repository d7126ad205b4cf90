"""The workspace's tables, created with explicit types (nothing is left to inference), and the migrations that
bring an older workspace up to date. `meta` holds `schema_version`; migration v runs the statements of
`MIGRATIONS[v]` in one transaction with the rest.
"""

from __future__ import annotations

from ..issues import CODES, EMPTY

SCHEMA_VERSION = 7

_RECORDS = """CREATE TABLE records (
        record_id BIGINT {key},
        source_id INTEGER NOT NULL,
        sheet VARCHAR NOT NULL,
        row INTEGER NOT NULL,
        status VARCHAR NOT NULL,        -- record, quarantined
        reason VARCHAR,                 -- the quarantine code
        source_kind VARCHAR NOT NULL,
        raw VARCHAR,                    -- every other cell of the row as typed, unknown columns included, joined
                                        -- by U+001F in the order of sheets.raw_keys: raw_cells(raw, raw_keys) is the map
        name VARCHAR, name_raw VARCHAR, name_pinyin VARCHAR,
        sex VARCHAR,
        id_number VARCHAR, id_raw VARCHAR, id_valid BOOLEAN NOT NULL, id_code VARCHAR,
        birth_date DATE, birth_precision VARCHAR,
        phone VARCHAR, phones VARCHAR, phone_raw VARCHAR,
        ethnicity VARCHAR,
        education VARCHAR,
        political_status VARCHAR, party VARCHAR,
        work_unit VARCHAR, unit_key VARCHAR, unit_type VARCHAR,
        position VARCHAR, occupation VARCHAR,
        category_raw VARCHAR,
        representative BOOLEAN,
        street VARCHAR, street_code VARCHAR, community VARCHAR, community_code VARCHAR, region_from VARCHAR,
        address VARCHAR, note VARCHAR
    )"""

_V1 = [
    """CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE sources (
        source_id INTEGER PRIMARY KEY,
        path VARCHAR NOT NULL,          -- as the user named it, or its path under the directory they named
        abs_path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL UNIQUE,
        size BIGINT NOT NULL,
        format VARCHAR NOT NULL,        -- xlsx, xls, csv, sav
        encoding VARCHAR,
        kind VARCHAR NOT NULL,          -- community_ledger, unit_ledger, household_register, questionnaire, other
        ingested_at TIMESTAMP NOT NULL,
        rows_total INTEGER NOT NULL,    -- every row of every sheet, blank ones included
        data_rows INTEGER NOT NULL,
        records INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        nondata INTEGER NOT NULL,
        blank INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        sheets_read INTEGER NOT NULL,
        sheets_skipped INTEGER NOT NULL
    )""",
    """CREATE TABLE sheets (
        source_id INTEGER NOT NULL,
        sheet VARCHAR NOT NULL,
        status VARCHAR NOT NULL,        -- read, skipped, quarantined (data but no header: its rows quarantined)
        reason VARCHAR,
        header_rows VARCHAR,            -- "4" or "3-4"
        columns JSON,                   -- [{letter, header, field, raw_key}]
        raw_keys VARCHAR[],             -- the keys of records.raw, in order
        context JSON,                   -- fields taken from lines above the header, the sheet name, the path
        rows_total INTEGER NOT NULL,
        data_rows INTEGER NOT NULL,
        records INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        nondata INTEGER NOT NULL,
        blank INTEGER NOT NULL,
        PRIMARY KEY (source_id, sheet)
    )""",
    _RECORDS.format(key="PRIMARY KEY"),
    """CREATE MACRO raw_cells(raw, keys) AS
       map_from_entries(list_filter(list_zip(keys, string_split(raw, chr(31))), lambda e: e[2] <> ''))""",
    """CREATE TABLE issues (
        record_id BIGINT,
        person_id VARCHAR,
        source_id INTEGER,
        sheet VARCHAR,
        row INTEGER,
        "column" VARCHAR,               -- the column letter and header, "C（身份证号）"
        field VARCHAR,
        code VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        value VARCHAR,
        message VARCHAR NOT NULL
    )""",
    """CREATE TABLE nondata (
        source_id INTEGER NOT NULL,
        sheet VARCHAR NOT NULL,
        row INTEGER NOT NULL,
        kind VARCHAR NOT NULL,          -- title, context, header, total, signature, note, header_repeat, hint,
                                        -- example, form, skipped_sheet (vocab.NONDATA_KINDS)
        text VARCHAR
    )""",
    """CREATE TABLE regions (
        level VARCHAR NOT NULL,         -- district, street, community
        code VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        parent_code VARCHAR,
        type VARCHAR,
        street VARCHAR,
        PRIMARY KEY (level, code)
    )""",
    # persons, links and classifications are rebuilt whole by their stage, which makes their keys unique;
    # they carry no key index (an ART index makes replacing a million rows thirty times slower)
    """CREATE TABLE persons (
        person_id VARCHAR NOT NULL,
        name VARCHAR, name_pinyin VARCHAR, sex VARCHAR,
        id_number VARCHAR, birth_date DATE,
        phone VARCHAR, phones VARCHAR,
        ethnicity VARCHAR, education VARCHAR, political_status VARCHAR, party VARCHAR,
        work_unit VARCHAR, unit_type VARCHAR, position VARCHAR, occupation VARCHAR,
        representative BOOLEAN NOT NULL,
        street VARCHAR, street_code VARCHAR, community VARCHAR, community_code VARCHAR,
        source_kinds VARCHAR,           -- the kinds of source the person was found in, '/'-joined
        records INTEGER NOT NULL,
        has_valid_id BOOLEAN NOT NULL
    )""",
    """CREATE TABLE links (
        record_id BIGINT NOT NULL,
        person_id VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,          -- id, probabilistic, review, single, given
        probability DOUBLE
    )""",
    """CREATE TABLE pairs (
        record_a BIGINT NOT NULL,
        record_b BIGINT NOT NULL,
        probability DOUBLE NOT NULL,
        match_weight DOUBLE,
        status VARCHAR NOT NULL,        -- accepted, review, refused (it would join two valid IDs or a cannot-link
                                        -- pair), decided (a clerk did): vocab.PAIR_STATUSES
        detail JSON                     -- match weight per comparison
    )""",
    """CREATE TABLE decisions (
        decision_id INTEGER PRIMARY KEY,
        kind VARCHAR NOT NULL,          -- must_link, cannot_link, correction
        record_a BIGINT, record_b BIGINT,
        person_id VARCHAR, field VARCHAR, value VARCHAR,
        source VARCHAR,                 -- the review file it came from
        decided_at TIMESTAMP NOT NULL,
        undone BOOLEAN NOT NULL DEFAULT false
    )""",
    """CREATE TABLE classifications (
        person_id VARCHAR NOT NULL,
        scheme VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        grp VARCHAR NOT NULL,           -- new_class, outside, excluded, unresolved
        rule VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        declared VARCHAR,
        conflict BOOLEAN NOT NULL
    )""",
]

# 2: records without the key index on record_id (ids are handed out by the ingest, one past the largest; the
# index cost a third of the time of writing a file's records)
_V2 = [
    "ALTER TABLE records RENAME TO records_v1",
    _RECORDS.format(key="NOT NULL"),
    "INSERT INTO records SELECT * FROM records_v1",
    "DROP TABLE records_v1",
]



def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# 3: issue messages in Chinese (they were English): each row's message made again from its code's template and its
# value, as the ingest now writes it; the classification is run again on the next table (it writes the messages of
# person.category_evidence with the scheme's name, 现行四类, where the code name current4 stood)
_V3 = [
    *(f"""UPDATE issues SET message = replace({_sql_text(c.message)}, '{{value}}', coalesce(nullif(value, ''), {_sql_text(EMPTY)}))
          WHERE code = {_sql_text(c.code)} AND person_id IS NULL""" for c in CODES.values() if not c.code.startswith("person.")),
    "DELETE FROM meta WHERE key = 'classified_persons'",  # categories.classify.CLASSIFIED_KEY: classify again
]

# 4: where a record's table lies when its sheet holds tables side by side ("H:M"; NULL otherwise): two records
# of one sheet row are told apart by it
_V4 = [
    "ALTER TABLE records ADD COLUMN col_range VARCHAR",
]


# 5: rounds (years). A source belongs to a round, and the same content may be ingested into two rounds (unique per
# round); persons and classifications are of one round (a person keeps one person_id across rounds); issues name
# their round, and a person's category conflict its scheme; records and persons carry political arrangements
# (the representatives' roster). A workspace of an earlier schema becomes one round, the year it was ingested in, and is
# linked again (persons, classifications and conflicts are rebuilt by today's rules; links keep the person ids).
_SOURCES_V3 = """CREATE TABLE sources (
        source_id INTEGER PRIMARY KEY,
        path VARCHAR NOT NULL,          -- as the user named it, or its path under the directory they named
        abs_path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size BIGINT NOT NULL,
        format VARCHAR NOT NULL,        -- xlsx, xls, csv, sav
        encoding VARCHAR,
        kind VARCHAR NOT NULL,          -- community_ledger, unit_ledger, household_register, questionnaire, roster, other
        ingested_at TIMESTAMP NOT NULL,
        rows_total INTEGER NOT NULL,    -- every row of every sheet, blank ones included
        data_rows INTEGER NOT NULL,
        records INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        nondata INTEGER NOT NULL,
        blank INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        sheets_read INTEGER NOT NULL,
        sheets_skipped INTEGER NOT NULL,
        round VARCHAR NOT NULL,         -- the round (year) the file was ingested into
        UNIQUE (round, sha256)
    )"""
_FIRST_ROUND = "(SELECT coalesce(min(round), strftime(current_date, '%Y')) FROM sources)"
_V5 = [
    "ALTER TABLE sources RENAME TO sources_v2",
    _SOURCES_V3,
    """INSERT INTO sources SELECT *, (SELECT coalesce(strftime(min(ingested_at), '%Y'), strftime(current_date, '%Y'))
                                     FROM sources_v2) FROM sources_v2""",
    "DROP TABLE sources_v2",
    "ALTER TABLE records ADD COLUMN arrangements VARCHAR",  # 、-joined labels of vocab.ARRANGEMENTS
    "ALTER TABLE persons ADD COLUMN round VARCHAR",
    "ALTER TABLE persons ADD COLUMN arrangements VARCHAR[]",
    f"UPDATE persons SET round = {_FIRST_ROUND}, arrangements = []",
    "ALTER TABLE classifications ADD COLUMN round VARCHAR",
    f"UPDATE classifications SET round = {_FIRST_ROUND}",
    "ALTER TABLE issues ADD COLUMN round VARCHAR",
    "ALTER TABLE issues ADD COLUMN scheme VARCHAR",
    f"UPDATE issues SET round = {_FIRST_ROUND}",
    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'",
]


# 6: the audit trail: every export of person-level data, every reveal of full numbers and every purge, appended
# (`census.workspace.audit`); never holds a full ID or phone number
_V6 = [
    """CREATE TABLE audit (
        audit_id BIGINT NOT NULL,
        logged_at TIMESTAMP NOT NULL,   -- local time, to the second
        os_user VARCHAR NOT NULL,
        command VARCHAR NOT NULL,       -- the command line, numbers masked, the value of --id-number left out
        action VARCHAR NOT NULL,        -- export, view, purge: audit.ACTIONS
        what VARCHAR NOT NULL,          -- records, persons, links, issues, quarantined, review, decisions, a person id …
        rows BIGINT NOT NULL,           -- rows written (records removed, for a purge)
        revealed BOOLEAN NOT NULL,      -- full ID and phone numbers were shown (--reveal)
        reason VARCHAR                  -- --reason, numbers masked
    )""",
]


# 7: districts. A source belongs to a district (`district_code`, `district`: the code and name of the register it
# was ingested with, NULL without one), so a workspace can hold the workspaces of several districts merged into
# one (`census merge`); the same content may be a file of two districts in one round. A person is placed in the
# district their street came from (`persons.district`, its name). A workspace of an earlier schema is one
# district: its register's.
_SOURCES_V7 = _SOURCES_V3.replace("UNIQUE (round, sha256)", """district_code VARCHAR,          -- the district's 6-digit code (GB/T 2260), from its register
        district VARCHAR,               -- the district's name
        UNIQUE (round, district_code, sha256)""")
_DISTRICT = "(SELECT {column} FROM regions WHERE level = 'district' LIMIT 1)"
_V7 = [
    "ALTER TABLE sources RENAME TO sources_v6",
    _SOURCES_V7,
    f"INSERT INTO sources SELECT *, {_DISTRICT.format(column='code')}, {_DISTRICT.format(column='name')} FROM sources_v6",
    "DROP TABLE sources_v6",
    "ALTER TABLE persons ADD COLUMN district VARCHAR",
    f"UPDATE persons SET district = {_DISTRICT.format(column='name')}",
]

MIGRATIONS: dict[int, list[str]] = {1: _V1, 2: _V2, 3: _V3, 4: _V4, 5: _V5, 6: _V6, 7: _V7}

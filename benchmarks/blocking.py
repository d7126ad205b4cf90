"""How the blocking rules grow with the data: for a workspace holding several generated districts (as
`province.py --keep` leaves it), the pairs each rule of `persons.match` makes over the first 1, 2, … districts'
records. A rule keyed on a name grows with the square of the records that share its key; a rule keyed on a phone or
an ID grows with the records. Counts are per rule (a pair two rules both make is counted under each, as an upper
bound of what Splink scores), over pairs with at least one record without a valid ID, as the rules ask.

    python benchmarks/blocking.py /work/prov/province.duckdb
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from census.persons.match import ID_KEYS, RECORD_FEATURES_SQL

RULES = {  # the equality each blocking rule of `persons.match._model` asks for
    "name_py, birth_year": ["name_py", "birth_year"],
    "name_py_fuzzy, birth_date": ["name_py_fuzzy", "birth_date"],
    "surname, birth_date": ["surname", "birth_date"],
    "name_py, community": ["name_py", "community"],
    "name_py, work_unit": ["name_py", "work_unit"],
    "phones": ["phone"],
    "id_head": ["id_head"],
    "name_py, id_digits": ["name_py", "id_digits"],
    **{f"id key {k}": [k] for k in ID_KEYS},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"ATTACH '{args.workspace}' AS w (READ_ONLY); USE w")
    # the districts in the order they were ingested: each generated district is one folder of sources
    sources = con.execute("SELECT source_id, path FROM sources ORDER BY source_id").fetchall()
    con.execute(f"""CREATE TEMP TABLE f AS
                    SELECT x.*, r.source_id FROM ({RECORD_FEATURES_SQL} FROM records r WHERE r.status = 'record') x
                    JOIN records r ON r.record_id = x.unique_id""")
    con.execute("CREATE TEMP TABLE fp AS SELECT source_id, id_valid, unnest(phones) AS phone FROM f WHERE phones IS NOT NULL")
    con.execute("CREATE TEMP TABLE fk AS SELECT *, " + ", ".join(f"{k} AS \"{k}\"" for k in ID_KEYS) + " FROM f")
    first_ids = _district_starts(sources)
    out = []
    for n, last in enumerate(first_ids[1:] + [None], start=1):
        scope = "TRUE" if last is None else f"source_id < {last}"
        records = con.execute(f"SELECT count(*) FROM f WHERE {scope}").fetchall()[0][0]
        counts = {}
        for label, keys in RULES.items():
            table = "fp" if keys == ["phone"] else "fk"
            cols = ", ".join(f'"{k}"' for k in keys)
            nonnull = " AND ".join(f'"{k}" IS NOT NULL' for k in keys)
            counts[label] = int(con.execute(f"""
                SELECT coalesce(sum(k * (k - 1) / 2 - v * (v - 1) / 2), 0)
                FROM (SELECT count(*) AS k, count(*) FILTER (WHERE id_valid) AS v FROM {table}
                      WHERE {scope} AND {nonnull} GROUP BY {cols})""").fetchall()[0][0])
        out.append({"districts": n, "records": records, "pairs": counts, "total": sum(counts.values())})
        print(json.dumps(out[-1], ensure_ascii=False), flush=True)


def _district_starts(sources: list[tuple[int, str]]) -> list[int]:
    """The first source id of each generated district: the districts hold the same files under their `district/`
    folder, so a district starts where a file comes again."""
    starts, seen = [], set()
    for source_id, full in sources:
        path = full.rsplit("district/", 1)[-1]  # stored relative to where each was ingested from
        if not starts or path in seen:
            starts.append(source_id)
            seen = set()
        seen.add(path)
    return starts


if __name__ == "__main__":
    main()

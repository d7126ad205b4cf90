"""The workspace schema: a workspace written by an older census is brought up to date when opened."""

from __future__ import annotations

import duckdb

from census import Workspace
from census.store import _V1, SCHEMA_VERSION


def test_schema_1_workspace_is_migrated_keeping_its_records(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for ddl in _V1:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('data_version', '3'), ('linked_version', '-1')")
    con.execute("INSERT INTO records (record_id, source_id, sheet, row, status, source_kind, raw, name, id_valid) "
                "VALUES (7, 1, 'S', 4, 'record', 'community_ledger', 'a' || chr(31) || 'b', '张伟', true)")
    con.close()
    with Workspace(path) as ws:
        assert ws.get("schema_version") == str(SCHEMA_VERSION) == "2"
        assert ws.query("SELECT record_id, name, raw_cells(raw, ['x', 'y']) FROM records") == [(7, "张伟", {"x": "a", "y": "b"})]
        kinds = {k for (k,) in ws.query("SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'records'")}
        assert "PRIMARY KEY" not in kinds and "NOT NULL" in kinds
        assert ws.get("data_version") == "3"

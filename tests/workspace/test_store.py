"""The workspace schema: a workspace written by an older census is brought up to date when opened."""

from __future__ import annotations

import os

import duckdb
import pytest

from census import Workspace
from census.errors import WorkspaceError
from census.workspace import ROW_GROUP_SIZE
from census.workspace.schema import _V1, _V2, MIGRATIONS, SCHEMA_VERSION


def test_schema_1_workspace_is_migrated_keeping_its_records(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for ddl in MIGRATIONS[1]:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('data_version', '3'), ('linked_version', '-1')")
    con.execute("INSERT INTO records (record_id, source_id, sheet, row, status, source_kind, raw, name, id_valid) "
                "VALUES (7, 1, 'S', 4, 'record', 'community_ledger', 'a' || chr(31) || 'b', '张伟', true)")
    con.close()
    with Workspace(path) as ws:
        assert ws.get("schema_version") == str(SCHEMA_VERSION)
        assert ws.query("SELECT record_id, name, raw_cells(raw, ['x', 'y']), col_range FROM records") == [
            (7, "张伟", {"x": "a", "y": "b"}, None)]
        kinds = {k for (k,) in ws.query("SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'records'")}
        assert "PRIMARY KEY" not in kinds and "NOT NULL" in kinds
        assert ws.get("data_version") == "4"  # migration 3 makes persons stale: they are rebuilt by round


def test_schema_2_workspace_gets_its_issue_messages_in_chinese(tmp_path):
    """Workspaces written before the Chinese interface stored English issue messages: migration 3 writes them again
    from each issue's code and value, and has the classification run again (its messages name the scheme)."""
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    for ddl in [*_V1, *_V2]:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', '2'), ('persons_version', '4'), ('classified_persons', '4')")
    con.execute("""INSERT INTO issues VALUES
        (1, NULL, 1, 'S', 5, 'C（身份证号）', 'id_number', 'id.checksum', 'error', '32011419850312123X',
         'the ID number 32011419850312123X fails its check digit (a mistyped or swapped digit); it is not used to link records'),
        (2, NULL, 1, 'S', 6, 'D（性别）', 'sex', 'sex.unknown', 'warning', '', '(empty) is not a known way of writing a sex'),
        (3, NULL, 1, 'S', 7, '', '', 'row.no_identity', 'quarantine', '甲 乙', 'the row has neither a name nor an ID number'),
        (NULL, 'P0000001', NULL, NULL, NULL, NULL, 'category', 'person.category_evidence', 'conflict', '个体户',
         'current4：申报为“个体户”')""")
    con.close()
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        got = dict(ws.query("SELECT code, message FROM issues"))
        assert got["id.checksum"] == "身份证号32011419850312123X校验位不对（有数字输错或前后颠倒），不用于关联记录"
        assert got["sex.unknown"] == "“（空）”不是可识别的性别写法"
        assert got["row.no_identity"] == "该行既没有姓名也没有身份证号"
        assert ws.get("classified_persons") is None and ws.get("persons_version") == "4"  # classified again when next asked


def test_a_ledger_sized_transaction_fills_row_groups_of_the_workspace_size(tmp_path):
    # the row group size is what lets a file's rows skip the write-ahead log; and a path with a quote opens
    with Workspace(tmp_path / "it's here.duckdb") as ws:
        with ws.transaction():
            ws.con.execute("INSERT INTO records (record_id, source_id, sheet, row, status, source_kind, id_valid) "
                           "SELECT range, 1, 'S', range, 'record', 'community_ledger', false FROM range(20000)")
        groups = ws.scalar("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('records')")
    assert ROW_GROUP_SIZE < 20000 and groups == -(-20000 // ROW_GROUP_SIZE)
    with Workspace(tmp_path / "it's here.duckdb", create=False) as ws:
        assert ws.scalar("SELECT count(*) FROM records") == 20000


def test_a_workspace_in_use_or_not_a_workspace_is_one_clear_sentence(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "busy.duckdb"
    with Workspace(path):
        code = ("from census.workspace import Workspace\nfrom census.errors import WorkspaceError\n"
                f"try:\n    Workspace({str(path)!r})\nexcept WorkspaceError as e:\n    print(e)\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"{path}：另一个 census 进程正在使用这个工作区；请等它结束。"
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a workspace" * 100)
    with pytest.raises(WorkspaceError, match=r"junk\.duckdb：无法打开工作区（.*not a valid DuckDB database file"):
        Workspace(junk)


def test_one_workspace_opened_twice_in_a_process_is_shared_and_freed_when_both_close(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "twice.duckdb"
    a = Workspace(path)
    b = Workspace(path)
    a.set("note", "from a")
    assert b.get("note") == "from a"
    a.close()
    b.set("note", "from b")  # b still open after a closed
    b.close()
    code = f"from census.workspace import Workspace\nprint(Workspace({str(path)!r}).get('note'))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "from b"  # written, and the file no longer held by this process
    c = Workspace(path)
    assert c.scalar("SELECT current_setting('temp_directory')") == f"{path}.tmp"
    c.close()


def test_the_schema_documents_every_pair_status_linking_writes(demo_linked):
    """pairs.status is documented with the statuses linking writes (accepted, review, refused, decided)."""
    from pathlib import Path

    import census.workspace.schema as schema
    from census.vocab import PAIR_STATUSES

    ddl = Path(schema.__file__).read_text(encoding="utf-8")
    comment = ddl[ddl.index("status VARCHAR NOT NULL,        -- accepted"):].split("detail JSON")[0]
    assert all(s in comment for s in PAIR_STATUSES) and "rejected" not in comment
    with Workspace(demo_linked) as ws:
        written = {s for (s,) in ws.query("SELECT DISTINCT status FROM pairs")}
    assert written and written <= set(PAIR_STATUSES)


def test_schema_2_workspace_is_migrated_with_an_empty_audit_trail(tmp_path):
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    for v in (1, 2):
        for ddl in MIGRATIONS[v]:
            con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', '2'), ('data_version', '5'), ('linked_version', '5')")
    con.execute("INSERT INTO records (record_id, source_id, sheet, row, status, source_kind, name, id_valid) "
                "VALUES (1, 1, 'S', 2, 'record', 'community_ledger', '张伟', false)")
    con.close()
    with Workspace(path) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.query("SELECT name FROM records") == [("张伟",)] and ws.get("linked_version") == "5"
        assert ws.scalar("SELECT count(*) FROM audit") == 0
        columns = [c for (c,) in ws.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'audit' "
                                          "AND table_catalog = current_database() ORDER BY ordinal_position")]
    assert columns == ["audit_id", "logged_at", "os_user", "command", "action", "what", "rows", "revealed", "reason"]


def _modes(folder) -> dict[str, int]:
    import stat

    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in sorted(folder.iterdir())}


_SPILL = """
import os, sys
os.umask(int(sys.argv[2], 8))
from census.workspace import Workspace
with Workspace(sys.argv[1]) as ws:
    ws.con.execute("SET memory_limit = '40MB'")
    ws.con.execute("SET threads = 1")  # a sort larger than memory spills to <workspace>.tmp
    ws.con.execute("SELECT count(*) FROM (SELECT md5(range::VARCHAR) AS h FROM range(3000000) ORDER BY h)").fetchall()
    folder = ws.scalar("SELECT current_setting('temp_directory')")
    print(folder, oct(os.stat(folder).st_mode & 0o777), oct(os.stat(sys.argv[1]).st_mode & 0o777))
"""


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_the_workspace_its_log_and_its_spill_folder_are_private_whatever_the_umask(tmp_path, umask):
    import subprocess
    import sys

    old = os.umask(umask)
    try:
        path = tmp_path / "ws.duckdb"
        with Workspace(path) as ws:
            with ws.transaction():  # a small transaction goes through the write-ahead log
                ws.set("note", "x")
            assert _modes(tmp_path) == {"ws.duckdb": 0o600, "ws.duckdb.wal": 0o600}
        assert os.umask(umask) == umask  # the umask is given back when the last workspace closes
        os.chmod(path, 0o644)  # a workspace written before it was kept private
        Workspace(path).close()
        assert _modes(tmp_path) == {"ws.duckdb": 0o600}
    finally:
        os.umask(old)
    spilled = tmp_path / "spilled.duckdb"  # in a process of its own: DuckDB keeps its first spill folder for good
    done = subprocess.run([sys.executable, "-c", _SPILL, str(spilled), oct(umask)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [f"{spilled}.tmp", "0o700", "0o600"]


def test_rewriting_the_workspace_keeps_everything_and_drops_deleted_rows(tmp_path):
    path = tmp_path / "ws.duckdb"
    secret = "GONE-" + "7" * 18
    with Workspace(path) as ws:
        with ws.transaction():
            ws.con.execute("INSERT INTO records (record_id, source_id, sheet, row, status, source_kind, raw, name, id_valid) "
                           "SELECT range, 1, 'S', range, 'record', 'community_ledger', 'a' || chr(31) || 'b', "
                           "CASE WHEN range = 7 THEN ? ELSE '张' || range END, false FROM range(20000)", [secret])
        with ws.transaction():
            ws.con.execute("DELETE FROM records WHERE record_id = 7")
        ws.con.execute("CHECKPOINT")
        assert secret.encode() in path.read_bytes()  # deleted, checkpointed, and still in the file
        other = Workspace(path)
        with pytest.raises(WorkspaceError, match="另有打开"):
            ws.rewrite()
        other.close()
        shape = ("SELECT table_name, constraint_type, count(*) FROM duckdb_constraints() "
                 "WHERE database_name = current_database() GROUP BY ALL ORDER BY ALL")
        constraints = ws.query(shape)
        ws.rewrite()
        assert ws.query(shape) == constraints and ("meta", "PRIMARY KEY", 1) in constraints
        assert secret.encode() not in path.read_bytes()
        assert ws.scalar("SELECT count(*) FROM records") == 19999 and ws.schema_version == SCHEMA_VERSION
        assert ws.query("SELECT raw_cells(raw, ['x', 'y']) FROM records LIMIT 1") == [({"x": "a", "y": "b"},)]
        ws.set("after", "rewrite")  # the workspace stays open and writable
    with Workspace(path) as ws:
        assert ws.get("after") == "rewrite" and ws.scalar("SELECT count(*) FROM records") == 19999
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws.duckdb"]

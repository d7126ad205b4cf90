"""Persons from their records: conflicts between records become person-level issues from the one code table."""

from __future__ import annotations

from census import ingest, link
from census.issues import CODES
from census.sources import IngestOptions

from ..conftest import make_id, write_xlsx


def test_community_suffixes_and_person_issues_come_from_one_place(ws, tmp_path):
    """One person in two files: "康盛花园社区村委会" and "康盛花园" are one community (the SQL copy of the suffixes
    lacked 社区村委会), while two declared categories are a conflict whose severity and message come from the
    code table."""
    header = ["姓名", "身份证号", "所属社区", "人员类别"]
    pid = make_id("19850312", "123")
    a = write_xlsx(tmp_path / "a.xlsx", {"S": [header, ["张伟", pid, "康盛花园社区村委会", "自由职业人员"]]})
    b = write_xlsx(tmp_path / "b.xlsx", {"S": [header, ["张伟", pid, "康盛花园", "个体户"]]})
    ingest(ws, [a, b], IngestOptions(street="雨花街道"))
    link(ws)
    issues = ws.query("SELECT code, severity, value, message FROM issues WHERE person_id IS NOT NULL ORDER BY code")
    assert [i[0] for i in issues] == ["person.conflict_category"]
    for code, severity, value, message in issues:
        assert severity == CODES[code].severity and message == CODES[code].message_zh.format(value=value)

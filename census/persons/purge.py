"""Deleting a person on request (PIPL: deletion): `purge` removes every record of a person (and the rows that
name the same ID number without being linked: quarantined rows, rows ingested since the last link), their raw
cells, issues, scored pairs, review decisions, links, persons row and classifications; an ID number of theirs met in
other rows' free text (备注, 地址, raw cells, title lines, issue texts) is replaced by "［已删除］". The purge goes to
the audit trail without the number, and the workspace file is then rewritten (`Workspace.rewrite`): DuckDB keeps
deleted rows' old blocks in the file until they are reused, so without it the number could still be read from the
file's bytes.

The person's source files are not touched: ingesting one of them again (changed, with --replace) brings the
person back, so the office removes them there too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import pandas as pd

from ..errors import UsageError
from ..i18n import _
from ..privacy import mask_id, mask_text
from ..sources.values import clean_id, normalize_id
from ..vocab import QUARANTINED
from ..workspace import Workspace
from ..workspace.audit import log_access

REMOVED = "［已删除］"  # what an ID number of a purged person reads as in other rows' text
# the text columns of other rows an ID number of a purged person is scrubbed from
_SCRUBBED = {
    "records": ("raw", "name_raw", "address", "note", "work_unit", "position", "occupation", "category_raw"),
    "nondata": ("text",),
    "issues": ("value", "message"),
    "decisions": ("value",),
}


@dataclass
class PurgeResult:
    """What a purge removed: the persons (their ids), records (quarantined rows among them), issues, pairs,
    decisions, title/note lines and other rows' texts that named the number, and the file's size before and
    after it was rewritten."""

    persons: list[str] = field(default_factory=list)
    records: int = 0
    quarantined: int = 0
    issues: int = 0
    pairs: int = 0
    decisions: int = 0
    scrubbed: int = 0
    bytes_before: int = 0
    bytes_after: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def purge(ws: Workspace, person_id: str | None = None, id_number: str | None = None, reason: str | None = None) -> PurgeResult:
    """Remove one person (by `person_id`, or every person and row with `id_number`) from the workspace, for good."""
    if (person_id is None) == (id_number is None):
        raise UsageError(_("请给出要删除的人员编号（PERSON_ID）或 --id-number 身份证号，二者选一。"))
    ws.check_rewritable()  # before anything is deleted: the file must be rewritten afterwards
    if person_id is not None:
        persons, numbers = _by_person(ws, person_id.strip())
    else:
        persons, numbers = _by_number(ws, id_number)
    records = _records_of(ws, persons, numbers)
    pattern = _number_pattern(_written_forms(ws, records, numbers))
    if pattern:  # quarantined rows naming the number in their text are the person's rows too
        records = sorted(set(records) | {int(r) for (r,) in ws.query(
            "SELECT record_id FROM records WHERE status = ? AND regexp_matches(raw, ?)", [QUARANTINED, pattern])})
    result = PurgeResult(persons=persons, bytes_before=ws.path.stat().st_size if ws.path.exists() else 0)
    with ws.transaction():
        ws.con.register("_purged", pd.DataFrame({"record_id": pd.array(records, dtype="int64")}))
        ws.con.register("_purged_persons", pd.DataFrame({"person_id": pd.array(persons, dtype=object)}))
        try:
            result.quarantined = int(ws.scalar(
                "SELECT count(*) FROM records WHERE status = ? AND record_id IN (SELECT record_id FROM _purged)", [QUARANTINED]))
            result.records = len(records)
            rec = "(SELECT record_id FROM _purged)"
            per = "(SELECT person_id FROM _purged_persons)"
            result.issues = _delete(ws, f"issues WHERE record_id IN {rec} OR person_id IN {per}")
            result.pairs = _delete(ws, f"pairs WHERE record_a IN {rec} OR record_b IN {rec}")
            result.decisions = _delete(ws, f"decisions WHERE record_a IN {rec} OR record_b IN {rec} OR person_id IN {per}")
            _delete(ws, f"links WHERE record_id IN {rec} OR person_id IN {per}")
            _delete(ws, f"classifications WHERE person_id IN {per}")
            _delete(ws, f"persons WHERE person_id IN {per}")
            for table, counted in (("sources", ("source_id",)), ("sheets", ("source_id", "sheet"))):
                on = " AND ".join(f"t.{c} = g.{c}" for c in counted)
                ws.con.execute(f"""
                    UPDATE {table} t SET records = t.records - g.records, quarantined = t.quarantined - g.quarantined
                    FROM (SELECT {", ".join(counted)}, count(*) FILTER (WHERE status <> '{QUARANTINED}') AS records,
                                 count(*) FILTER (WHERE status = '{QUARANTINED}') AS quarantined
                          FROM records WHERE record_id IN {rec} GROUP BY ALL) g
                    WHERE {on}""")
            _delete(ws, f"records WHERE record_id IN {rec}")
        finally:
            ws.con.unregister("_purged")
            ws.con.unregister("_purged_persons")
        if pattern:
            result.scrubbed = _scrub(ws, pattern)
        ws.bump_data_version()
        log_access(ws, "purge", "、".join(persons) or _("（未关联人员的记录）"), result.records, reason=reason)
    ws.rewrite()
    result.bytes_after = ws.path.stat().st_size
    return result


def _by_person(ws: Workspace, person_id: str) -> tuple[list[str], list[str]]:
    """The person and the valid ID numbers of their records."""
    found = ws.scalar("SELECT count(*) FROM links WHERE person_id = ?", [person_id]) or \
        ws.scalar("SELECT count(*) FROM persons WHERE person_id = ?", [person_id])
    if not found:
        raise UsageError(_("没有人员 {person}；`census export persons` 列出全部人员。").format(person=repr(mask_text(person_id))))
    numbers = [n for (n,) in ws.query("""
        SELECT DISTINCT r.id_number FROM links l JOIN records r USING (record_id)
        WHERE l.person_id = ? AND r.id_valid UNION SELECT id_number FROM persons WHERE person_id = ? AND id_number IS NOT NULL""",
        [person_id, person_id]) if n]
    return [person_id], sorted(set(numbers))


def _by_number(ws: Workspace, typed: str) -> tuple[list[str], list[str]]:
    """The persons whose records carry the ID number (as normalised, or as typed), and the number itself."""
    checked = normalize_id(typed)
    key = checked.value or clean_id(typed)
    if len(key) < 15 or not re.fullmatch(r"[0-9]+X?", key):
        raise UsageError(_("--id-number {number} 不是身份证号（应为18位或15位）。").format(number=mask_id(typed)))
    numbers = sorted({key, clean_id(typed)})
    hits = _matching_records(ws, numbers)
    if not hits:
        raise UsageError(_("工作区中没有身份证号为 {number} 的记录。").format(number=mask_id(key)))
    persons = [p for (p,) in ws.query(
        f"SELECT DISTINCT person_id FROM links WHERE record_id IN ({', '.join(map(str, hits))}) ORDER BY 1")]
    return persons, numbers


def _matching_records(ws: Workspace, numbers: list[str]) -> list[int]:
    """Records (any status) whose ID number, normalised or as typed, is one of `numbers`."""
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    return [int(r) for (r,) in ws.query(
        f"""SELECT record_id FROM records
            WHERE id_number IN ({marks}) OR regexp_replace(upper(id_raw), '[^0-9X]', '', 'g') IN ({marks})""",
        [*numbers, *numbers])]


def _records_of(ws: Workspace, persons: list[str], numbers: list[str]) -> list[int]:
    linked = [int(r) for (r,) in ws.query(
        f"SELECT record_id FROM links WHERE person_id IN ({', '.join('?' for _ in persons)})", persons)] if persons else []
    return sorted(set(linked) | set(_matching_records(ws, numbers)))


def _written_forms(ws: Workspace, records: list[int], numbers: list[str]) -> list[str]:
    """The ID numbers to scrub from other rows: each as normalised and in its 15-digit form, and as the removed
    records typed them."""
    forms = set(numbers)
    for n in numbers:
        if len(n) == 18 and n[6:8] == "19":
            forms.add(n[:6] + n[8:17])  # the 15-digit number it was converted from
    if records:
        forms |= {clean_id(r) for (r,) in ws.query(
            f"SELECT id_raw FROM records WHERE id_raw IS NOT NULL AND record_id IN ({', '.join(map(str, records))})")}
    return sorted(f for f in forms if len(f) >= 15 and re.fullmatch(r"[0-9]+X?", f))


def _delete(ws: Workspace, what: str) -> int:
    n = ws.con.execute(f"DELETE FROM {what}").fetchall()
    return int(n[0][0]) if n else 0


def _number_pattern(numbers: list[str]) -> str | None:
    """A regular expression (RE2) finding the ID numbers in text as people type them: any one space or dash between
    two characters, a lower-case x."""
    alts = ["[ -]?".join("[Xx]" if ch == "X" else ch for ch in n) for n in numbers]
    return "|".join(alts) or None


def _scrub(ws: Workspace, pattern: str) -> int:
    """Replace the numbers in other rows' texts; returns the cells changed."""
    changed = 0
    for table, columns in _SCRUBBED.items():
        for c in columns:
            col = f'"{c}"'
            n = ws.con.execute(f"UPDATE {table} SET {col} = regexp_replace({col}, ?, ?, 'g') WHERE regexp_matches({col}, ?)",
                               [pattern, REMOVED, pattern]).fetchall()
            changed += int(n[0][0]) if n else 0
    return changed

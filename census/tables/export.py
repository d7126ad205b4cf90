"""Exports: records, quarantined rows, issues, persons and links, as frames ready to write as CSV or JSON.

Unless `reveal=True` (which needs a `reason`), ID and phone numbers are masked, birth dates keep their year only,
and numbers and full dates inside free text (备注, 地址, raw cells of unknown columns, quarantined rows, issue values)
are masked too (`census.privacy`), so no masked ID can be rebuilt from the rest of the export. Every export is
written to the audit trail (`census.workspace.audit`). Every export names its place in the source the way a
person finds it: the file as the user named it, the sheet (empty for CSV and .sav), the row (Excel row, CSV
line, .sav case number).
"""

from __future__ import annotations

import json

import pandas as pd

from ..errors import UsageError
from ..i18n import _
from ..pipeline import ensure_current, require_records
from ..privacy import birth_text_sql, mask_column, mask_frame, mask_free_text
from ..vocab import QUARANTINED, RECORD
from ..workspace import Workspace
from ..workspace.audit import check_reveal, log_access
from ..workspace.rounds import table_round

WHATS = ("records", "persons", "links", "issues")
PLACES = ("file", "sheet", "column")  # where a row came from: numbers in them are masked, dates kept


def export_records(ws: Workspace, reveal: bool = False, quarantined: bool = False, round_: str | None = None) -> pd.DataFrame:
    """One row per record (or per quarantined row) of a round, with its provenance, normalised fields and raw cells."""
    status = QUARANTINED if quarantined else RECORD
    raw = "r.raw"
    if not reveal:  # the cells of a birth-date column keep their year (by position among the sheet's raw keys)
        raw = (f"CASE WHEN b.pos IS NULL THEN r.raw ELSE array_to_string(list_transform(string_split(r.raw, chr(31)), "
               f"lambda v, i: CASE WHEN list_contains(b.pos, i) THEN {birth_text_sql('v')} ELSE v END), chr(31)) END")
    ws.con.register("_birth_cells", _birth_cells(ws))
    try:
        df = ws.df(
            f"""SELECT r.record_id, s.round, s.path AS file, r.sheet, r.row, r.col_range, r.status, r.reason, r.source_kind, l.person_id,
                      r.name, r.name_raw, r.sex, r.id_number, r.id_raw, r.id_valid, r.id_code, r.birth_date, r.phone, r.phone_raw,
                      r.education, r.political_status, r.party, r.work_unit, r.unit_type, r.position, r.occupation,
                      r.category_raw AS category_declared, r.representative, r.street, r.street_code, r.community,
                      r.community_code, r.region_from, r.address, r.note, r.arrangements,
                      to_json(raw_cells({raw}, sh.raw_keys))::VARCHAR AS raw
               FROM records r JOIN sources s USING (source_id) LEFT JOIN links l USING (record_id)
               JOIN sheets sh ON sh.source_id = r.source_id AND sh.sheet = r.sheet
               LEFT JOIN _birth_cells b ON b.source_id = r.source_id AND b.sheet = r.sheet
               WHERE r.status = ? AND s.round = ? ORDER BY r.record_id""",
            [status, round_],
        )
    finally:
        ws.con.unregister("_birth_cells")
    if reveal:
        return df
    return mask_frame(df, ids=("id_number", "id_raw"), phones=("phone", "phone_raw"), births=("birth_date",), places=PLACES,
                      keep=("round", "col_range", "status", "reason", "source_kind", "id_code", "region_from", "arrangements"))


def _birth_cells(ws: Workspace) -> pd.DataFrame:
    """Each sheet's raw cells that hold a birth date: (source_id, sheet, their 1-based positions in raw_keys)."""
    out = []
    for source_id, sheet, columns, keys in ws.query(
            "SELECT source_id, sheet, columns, raw_keys FROM sheets WHERE columns IS NOT NULL AND raw_keys IS NOT NULL"):
        keys = list(keys)
        pos = [keys.index(c["raw_key"]) + 1 for c in json.loads(columns)
               if c.get("field") == "birth_date" and c.get("raw_key") in keys]
        if pos:
            out.append((source_id, sheet, pos))
    return pd.DataFrame(out, columns=["source_id", "sheet", "pos"]).astype({"source_id": "int32", "sheet": object, "pos": object})


def export_persons(ws: Workspace, scheme: str = "current4", reveal: bool = False, round_: str | None = None) -> pd.DataFrame:
    """One row per person of a round: their fields as of the round, their political arrangements, their category."""
    df = ws.df(
        """SELECT p.person_id, p.round, p.name, p.sex, p.id_number, p.birth_date, p.phone, p.education, p.political_status, p.party,
                  p.work_unit, p.unit_type, p.position, p.occupation, p.representative, p.street, p.street_code,
                  p.community, p.community_code, p.source_kinds, p.records, p.has_valid_id,
                  array_to_string(p.arrangements, '、') AS arrangements,
                  c.category, c.grp AS category_group, c.rule AS category_rule, c.reason AS category_reason,
                  c.conflict AS category_conflict
           FROM persons p LEFT JOIN classifications c ON c.person_id = p.person_id AND c.round = p.round AND c.scheme = ?
           WHERE p.round = ? ORDER BY p.person_id""",
        [scheme, round_],
    )
    if reveal:
        return df
    return mask_frame(df, ids=("id_number",), phones=("phone",), births=("birth_date",),
                      keep=("category_group", "category_rule"))


def export_links(ws: Workspace, round_: str | None = None) -> pd.DataFrame:
    """person_id, file, sheet, row, col_range — one row per source record of a round (a person keeps one id in every
    round; col_range: the columns of its table, "H:M", when its sheet holds tables side by side); numbers in file
    names masked."""
    df = ws.df(
        """SELECT l.person_id, s.path AS file, r.sheet, r.row, r.col_range
           FROM links l JOIN records r USING (record_id) JOIN sources s USING (source_id)
           WHERE s.round = ? ORDER BY s.path, r.sheet, r.row, r.col_range""", [round_]
    )
    return mask_frame(df, places=PLACES)


def export_issues(ws: Workspace, reveal: bool = False, round_: str | None = None) -> pd.DataFrame:
    df = ws.df(
        """SELECT s.path AS file, i.sheet, i.row, i."column", i.field, i.code, i.severity, i.value, i.message,
                  i.record_id, i.person_id, i.scheme
           FROM issues i LEFT JOIN sources s USING (source_id) WHERE i.round = ?
           ORDER BY i.person_id NULLS FIRST, s.path, i.sheet, i.row, i.code, i.scheme""", [round_]
    )
    if reveal or not len(df):
        return df
    return _mask_issues(df)


# how an issue's value is masked, by its field (free text otherwise)
_ISSUE_VALUE_KINDS = {"id_number": "id", "phone": "phone", "birth_date": "birth"}


def _mask_issues(df: pd.DataFrame) -> pd.DataFrame:
    """Issues as they may leave the tool: each value masked by its field (an ID as an ID, a birth date to its year,
    a quarantined row's text as free text), the value inside the message replaced by its masked form, the rest of
    the message as free text."""
    kinds = df["field"].map(_ISSUE_VALUE_KINDS).fillna("free").to_numpy()
    values = df["value"].astype("object")
    masked = pd.Series([None] * len(df), index=df.index, dtype=object)
    for kind in pd.unique(kinds):
        m = kinds == kind
        masked[m] = mask_column(values[m], kind).to_numpy()
    messages = [mask_free_text(msg.replace(v, mv) if isinstance(v, str) and v and isinstance(msg, str) else msg)
                for msg, v, mv in zip(df["message"].astype("object"), values, masked, strict=True)]
    out = mask_frame(df.drop(columns=["value", "message"]), places=PLACES, keep=("field", "code", "severity", "scheme"))
    out.insert(df.columns.get_loc("value"), "value", masked.to_numpy())
    out.insert(df.columns.get_loc("message"), "message", messages)
    return out


def export(ws: Workspace, what: str, scheme: str = "current4", reveal: bool = False, quarantined: bool = False,
           reason: str | None = None, round: str | int | None = None) -> pd.DataFrame:
    """Records (or the quarantined rows), persons, links or issues of one round (default: the latest) as a frame,
    masked unless `reveal` (which needs a `reason`); the export is written to the audit trail."""
    if what not in WHATS:
        raise UsageError(_("export {what}：只能导出 records（记录）、persons（人员）、links（关联）或 issues（问题）。").format(what=what))
    check_reveal(reveal, reason)
    target = table_round(ws, round)
    if what != "issues" and not (what == "records" and quarantined):
        ensure_current(ws)  # persons and links are of the current records
    else:
        require_records(ws, files_only=True)
    if what == "records":
        df = export_records(ws, reveal, quarantined, target)
    elif what == "persons":
        df = export_persons(ws, scheme, reveal, target)
    elif what == "links":
        df = export_links(ws, target)
    else:
        df = export_issues(ws, reveal, target)
    log_access(ws, "export", "quarantined" if what == "records" and quarantined else what, len(df), reveal, reason)
    return df

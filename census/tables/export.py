"""Exports: records, quarantined rows, issues, persons and links, as frames ready to write as CSV or JSON.

ID and phone numbers are masked unless `reveal=True`. Every export names its place in the source the way a
person finds it: the file as the user named it, the sheet (empty for CSV and .sav), the row (Excel row, CSV
line, .sav case number).
"""

from __future__ import annotations

import pandas as pd

from ..errors import UsageError
from ..i18n import _
from ..issues import message
from ..pipeline import ensure_current, require_records
from ..privacy import mask_column
from ..vocab import QUARANTINED, RECORD
from ..workspace import Workspace
from ..workspace.rounds import table_round

WHATS = ("records", "persons", "links", "issues")


def _mask(df: pd.DataFrame, reveal: bool, ids: tuple[str, ...] = (), phones: tuple[str, ...] = ()) -> pd.DataFrame:
    if reveal:
        return df
    for c in ids:
        if c in df:
            df[c] = mask_column(df[c], "id")
    for c in phones:
        if c in df:
            df[c] = mask_column(df[c], "phone")
    return df


def export_records(ws: Workspace, reveal: bool = False, quarantined: bool = False, round_: str | None = None) -> pd.DataFrame:
    """One row per record (or per quarantined row) of a round, with its provenance, normalised fields and raw cells."""
    status = QUARANTINED if quarantined else RECORD
    df = ws.df(
        """SELECT r.record_id, s.round, s.path AS file, r.sheet, r.row, r.col_range, r.status, r.reason, r.source_kind, l.person_id,
                  r.name, r.name_raw, r.sex, r.id_number, r.id_raw, r.id_valid, r.id_code, r.birth_date, r.phone, r.phone_raw,
                  r.education, r.political_status, r.party, r.work_unit, r.unit_type, r.position, r.occupation,
                  r.category_raw AS category_declared, r.representative, r.street, r.street_code, r.community,
                  r.community_code, r.region_from, r.address, r.note, r.arrangements,
                  to_json(raw_cells(r.raw, sh.raw_keys))::VARCHAR AS raw
           FROM records r JOIN sources s USING (source_id) LEFT JOIN links l USING (record_id)
           JOIN sheets sh ON sh.source_id = r.source_id AND sh.sheet = r.sheet
           WHERE r.status = ? AND s.round = ? ORDER BY r.record_id""",
        [status, round_],
    )
    return _mask(df, reveal, ids=("id_number", "id_raw"), phones=("phone", "phone_raw"))


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
    return _mask(df, reveal, ids=("id_number",), phones=("phone",))


def export_links(ws: Workspace, round_: str | None = None) -> pd.DataFrame:
    """person_id, file, sheet, row, col_range — one row per source record of a round (a person keeps one id in every
    round; col_range: the columns of its table, "H:M", when its sheet holds tables side by side)."""
    return ws.df(
        """SELECT l.person_id, s.path AS file, r.sheet, r.row, r.col_range
           FROM links l JOIN records r USING (record_id) JOIN sources s USING (source_id)
           WHERE s.round = ? ORDER BY s.path, r.sheet, r.row, r.col_range""", [round_]
    )


def export_issues(ws: Workspace, reveal: bool = False, round_: str | None = None) -> pd.DataFrame:
    df = ws.df(
        """SELECT s.path AS file, i.sheet, i.row, i."column", i.field, i.code, i.severity, i.value, i.message,
                  i.record_id, i.person_id, i.scheme
           FROM issues i LEFT JOIN sources s USING (source_id) WHERE i.round = ?
           ORDER BY i.person_id NULLS FIRST, s.path, i.sheet, i.row, i.code, i.scheme""", [round_]
    )
    if not reveal and len(df):
        for field, kind in (("id_number", "id"), ("phone", "phone")):
            m = (df["field"] == field).to_numpy()
            if m.any():
                df.loc[m, "value"] = mask_column(df.loc[m, "value"], kind)
                df.loc[m, "message"] = [message(c, v) for c, v in zip(df.loc[m, "code"], df.loc[m, "value"], strict=True)]
        q = (df["severity"] == "quarantine").to_numpy()
        if q.any():  # a quarantined row's value is the whole row's text: mask any number in it
            df.loc[q, "value"] = mask_column(df.loc[q, "value"], "phone")
    return df


def export(ws: Workspace, what: str, scheme: str = "current4", reveal: bool = False, quarantined: bool = False,
           round: str | int | None = None) -> pd.DataFrame:
    """records, persons, links or issues of one round (default: the latest)."""
    if what not in WHATS:
        raise UsageError(_("export {what}：只能导出 records（记录）、persons（人员）、links（关联）或 issues（问题）。").format(what=what))
    target = table_round(ws, round)
    if what != "issues" and not (what == "records" and quarantined):
        ensure_current(ws)  # persons and links are of the current records
    else:
        require_records(ws, files_only=True)
    if what == "records":
        return export_records(ws, reveal, quarantined, target)
    if what == "persons":
        return export_persons(ws, scheme, reveal, target)
    if what == "links":
        return export_links(ws, target)
    return export_issues(ws, reveal, target)

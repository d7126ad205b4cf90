"""The review (核查) as data: the uncertain pairs, the two records side by side, and the persons whose records
disagree, ordered by street and community so each office can take its part. `census.render.review` writes them
as the workbook clerks fill in; `decisions.apply_review` reads it back.

The review is of one round and one scheme (the scheme in force): a person is listed once per conflicting field —
once for their category, when the values their records declare mean different categories under that scheme or
contradict what their employer and position show; a decision a clerk took closes it.
"""

from __future__ import annotations

import pandas as pd

from ..privacy import mask_birth_text, mask_frame
from ..vocab import UNKNOWN
from ..workspace import Workspace
from .decisions import SIDE

REVIEW_FIELDS = ("category", "community", "birth_date")

# the conflicts of a round open for review: community and birth date (of every scheme) and the category under one
_OPEN_CONFLICTS = """FROM issues i WHERE i.severity = 'conflict' AND i.field IN ('category', 'community', 'birth_date')
                     AND i.round = ? AND (i.scheme IS NULL OR i.scheme = ?)"""


def open_conflicts(ws: Workspace, scheme: str, round_: str) -> int:
    """How many conflicts of a round the review lists under `scheme` (one per person and field)."""
    return int(ws.scalar(f"SELECT count(DISTINCT (i.person_id, i.field)) {_OPEN_CONFLICTS}", [round_, scheme]) or 0)


def review_frames(ws: Workspace, reveal: bool = False, scheme: str = "current4",
                  round_: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, conflicts) of a round (default: the latest) as they go into the workbook: the uncertain pairs with
    a record of the round, and one row per person and conflicting field under `scheme`."""
    if round_ is None:
        round_ = ws.scalar("SELECT max(round) FROM sources")
    cols = ", ".join(f"{{s}}.{c} AS {c}_{{s}}" for c, _ in SIDE)
    pairs = ws.df(f"""
        WITH side AS (
            SELECT r.record_id, s.path AS file, r.sheet, r.row, r.name, r.sex, r.id_raw AS id_number,
                   strftime(r.birth_date, '%Y-%m-%d') AS birth_date, r.phone, r.work_unit, r.position,
                   r.community, r.street, s.round
            FROM records r JOIN sources s USING (source_id)
        )
        SELECT p.record_a, p.record_b, round(p.probability, 3) AS probability,
               coalesce(a.street, b.street, '{UNKNOWN}') AS street, coalesce(a.community, b.community, '{UNKNOWN}') AS community_group,
               {cols.format(s='a')}, {cols.format(s='b')}
        FROM pairs p JOIN side a ON a.record_id = p.record_a JOIN side b ON b.record_id = p.record_b
        WHERE p.status = 'review' AND ? IN (a.round, b.round)
        ORDER BY street, community_group, p.probability DESC, p.record_a
    """, [round_])
    conflicts = ws.df(f"""
        WITH found AS (
            SELECT i.person_id, i.field, arg_min(i.value, i.code) AS value, arg_min(i.message, i.code) AS message
            {_OPEN_CONFLICTS} GROUP BY i.person_id, i.field
        ),
        anchors AS (
            SELECT l.person_id, min(l.record_id) AS anchor FROM links l JOIN records r USING (record_id)
            JOIN sources s ON s.source_id = r.source_id WHERE s.round = ? GROUP BY l.person_id
        )
        SELECT f.person_id, p.name, p.round, coalesce(p.street, '{UNKNOWN}') AS street,
               coalesce(p.community, '{UNKNOWN}') AS community_group, f.field, f.value, f.message, a.anchor
        FROM found f JOIN persons p ON p.person_id = f.person_id AND p.round = ? JOIN anchors a ON a.person_id = f.person_id
        ORDER BY street, community_group, f.person_id, f.field
    """, [round_, scheme, round_, round_])
    if not reveal:  # IDs and phones masked, birth dates as the year, numbers and dates in free text masked
        sides = ("a", "b")
        pairs = mask_frame(pairs, ids=tuple(f"id_number_{s}" for s in sides), phones=tuple(f"phone_{s}" for s in sides),
                           births=tuple(f"birth_date_{s}" for s in sides), places=tuple(f"{c}_{s}" for c in ("file", "sheet") for s in sides))
        conflicts = mask_frame(conflicts, keep=("field", "round"))
        birth = (conflicts["field"] == "birth_date").to_numpy()
        for c in ("value", "message"):  # birth dates that disagree: their years
            conflicts.loc[birth, c] = conflicts.loc[birth, c].map(mask_birth_text)
    return pairs, conflicts

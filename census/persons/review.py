"""The review (核查) as data: the uncertain pairs, the two records side by side, and the persons whose records
disagree, ordered by street and community so each office can take its part. `census.render.review` writes them
as the workbook clerks fill in; `decisions.apply_review` reads it back."""

from __future__ import annotations

import pandas as pd

from ..privacy import mask_birth_text, mask_frame
from ..workspace import Workspace
from .decisions import SIDE


def review_frames(ws: Workspace, reveal: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, conflicts) as they go into the workbook."""
    cols = ", ".join(f"{{s}}.{c} AS {c}_{{s}}" for c, _ in SIDE)
    pairs = ws.df(f"""
        WITH side AS (
            SELECT r.record_id, s.path AS file, r.sheet, r.row, r.name, r.sex, r.id_raw AS id_number,
                   strftime(r.birth_date, '%Y-%m-%d') AS birth_date, r.phone, r.work_unit, r.position,
                   r.community, r.street
            FROM records r JOIN sources s USING (source_id)
        )
        SELECT p.record_a, p.record_b, round(p.probability, 3) AS probability,
               coalesce(a.street, b.street, '未知') AS street, coalesce(a.community, b.community, '未知') AS community_group,
               {cols.format(s='a')}, {cols.format(s='b')}
        FROM pairs p JOIN side a ON a.record_id = p.record_a JOIN side b ON b.record_id = p.record_b
        WHERE p.status = 'review'
        ORDER BY street, community_group, p.probability DESC, p.record_a
    """)
    conflicts = ws.df("""
        SELECT i.person_id, p.name, coalesce(p.street, '未知') AS street, coalesce(p.community, '未知') AS community_group,
               i.field, i.code, i.value, i.message,
               (SELECT min(record_id) FROM links l WHERE l.person_id = i.person_id) AS anchor
        FROM issues i JOIN persons p USING (person_id)
        WHERE i.severity = 'conflict' AND i.field IN ('category', 'community', 'birth_date')
        ORDER BY street, community_group, i.person_id, i.field
    """)
    if not reveal:  # IDs and phones masked, birth dates as the year, numbers and dates in free text masked
        sides = ("a", "b")
        pairs = mask_frame(pairs, ids=tuple(f"id_number_{s}" for s in sides), phones=tuple(f"phone_{s}" for s in sides),
                           births=tuple(f"birth_date_{s}" for s in sides), places=tuple(f"{c}_{s}" for c in ("file", "sheet") for s in sides))
        conflicts = mask_frame(conflicts, keep=("field", "code"))
        birth = (conflicts["field"] == "birth_date").to_numpy()
        for c in ("value", "message"):  # birth dates that disagree: their years
            conflicts.loc[birth, c] = conflicts.loc[birth, c].map(mask_birth_text)
    return pairs, conflicts

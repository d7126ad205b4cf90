"""One round against another (`census diff 2026 2027`): who is new, who is gone, who changed category, who moved
community, and who became or stopped being a representative.

A round's population is the persons counted in the scheme's total (under current4 the 非公有制经济人士 are reported
beside the total, not in it). Someone who enters or leaves the total is new or gone; someone counted in both rounds
under different categories is recategorised; someone counted in both under the same category in another community
has moved; so `new - gone` equals the change of the total. Persons are one across rounds (linking keeps a person's
id), so a person is compared with themself. The JSON contract (`RoundDiff.to_dict`):

    {"from": "2026", "to": "2027", "scheme": "current4",
     "counts": {"new": N, "gone": N, "recategorised": N, "moved": N, "unchanged": N},
     "persons": [{"person_id": "P0000012", "change": "moved", "from": "康盛花园社区", "to": "翠竹园社区"}, ...],
     "representatives": {"counts": {"became": N, "stopped": N},
                         "persons": [{"person_id": ..., "change": "became", "from": null, "to": "区政协委员"}, ...]}}

`from`/`to` hold the category (new, gone, recategorised; null on the side the person is not counted) or the
community (moved); a representative's hold their political arrangements (、-joined, or 代表人士 without any).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UsageError
from ..i18n import _
from ..pipeline import ensure_current
from ..privacy import mask_id
from ..vocab import (
    ARRANGEMENT_SEPARATOR,
    CHANGES,
    NEW_CLASS,
    REPRESENTATIVE,
    REPRESENTATIVE_CHANGES,
    UNKNOWN,
)
from ..workspace import Workspace
from ..workspace.audit import check_reveal, log_access
from ..workspace.queries import communities, streets
from ..workspace.rounds import table_round
from .dimensions import check_request


@dataclass
class Change:
    """One person's change between the rounds, with what a clerk needs to find them (their ID masked)."""

    person_id: str
    change: str  # new, gone, recategorised, moved (persons); became, stopped (representatives)
    from_value: str | None
    to_value: str | None
    name: str | None = None
    id_number: str | None = None
    street: str | None = None  # of the later round the person is in
    community: str | None = None
    category_from: str | None = None
    category_to: str | None = None
    community_from: str | None = None
    community_to: str | None = None

    def contract(self) -> dict:
        return {"person_id": self.person_id, "change": self.change, "from": self.from_value, "to": self.to_value}


@dataclass
class RoundDiff:
    from_round: str
    to_round: str
    scheme: str
    counts: dict[str, int]
    persons: list[Change]
    representative_counts: dict[str, int] = field(default_factory=dict)
    representatives: list[Change] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # round → the scheme's total

    def to_dict(self) -> dict:
        return {"from": self.from_round, "to": self.to_round, "scheme": self.scheme, "counts": dict(self.counts),
                "persons": [c.contract() for c in self.persons],
                "representatives": {"counts": dict(self.representative_counts),
                                    "persons": [c.contract() for c in self.representatives]}}


_SIDE = """
    SELECT p.person_id, p.name, p.id_number, p.street, p.community, coalesce(p.community_code, p.community) AS place,
           c.category, c.grp, p.representative, array_to_string(p.arrangements, '{sep}') AS arrangements
    FROM persons p JOIN classifications c ON c.person_id = p.person_id AND c.round = p.round AND c.scheme = ?
    WHERE p.round = ?
"""


def diff(ws: Workspace, from_round: str | int, to_round: str | int, scheme: str = "current4",
         reveal: bool = False, reason: str | None = None) -> RoundDiff:
    """Compare two rounds under `scheme`: counts of each change and the persons who changed (ID numbers masked
    unless `reveal`, which needs a `reason`); written to the audit trail."""
    check_reveal(reveal, reason)
    check_request(scheme, [])
    ensure_current(ws)
    a, b = table_round(ws, from_round), table_round(ws, to_round)
    if a == b:
        raise UsageError(_("请给出两个不同的年度，例如 census diff 2026 2027。"))
    side = _SIDE.format(sep=ARRANGEMENT_SEPARATOR)
    rows = ws.query(f"""
        WITH a AS ({side}), b AS ({side}),
        pop AS (
            SELECT coalesce(b.person_id, a.person_id) AS person_id,
                   CASE WHEN a.person_id IS NULL THEN 'new' WHEN b.person_id IS NULL THEN 'gone'
                        WHEN a.category <> b.category THEN 'recategorised'
                        WHEN a.place IS DISTINCT FROM b.place THEN 'moved' ELSE 'unchanged' END AS change,
                   a.category AS cat_a, b.category AS cat_b, a.community AS cm_a, b.community AS cm_b
            FROM (SELECT * FROM a WHERE grp = '{NEW_CLASS}') a FULL JOIN (SELECT * FROM b WHERE grp = '{NEW_CLASS}') b
                 USING (person_id)
        )
        SELECT pop.*, coalesce(bb.name, aa.name), coalesce(bb.id_number, aa.id_number), coalesce(bb.street, aa.street),
               coalesce(bb.community, aa.community)
        FROM pop LEFT JOIN a aa USING (person_id) LEFT JOIN b bb USING (person_id)
    """, [scheme, a, scheme, b])
    counts = dict.fromkeys(CHANGES, 0)
    persons: list[Change] = []
    for pid, change, cat_a, cat_b, cm_a, cm_b, name, idn, street, community in rows:
        counts[change] += 1
        if change == "unchanged":
            continue
        values = (cm_a or UNKNOWN, cm_b or UNKNOWN) if change == "moved" else (cat_a, cat_b)
        persons.append(Change(pid, change, *values, name=name, id_number=idn if reveal else mask_id(idn), street=street,
                              community=community, category_from=cat_a, category_to=cat_b, community_from=cm_a,
                              community_to=cm_b))
    reps = ws.query(f"""
        WITH a AS ({side}), b AS ({side})
        SELECT person_id, CASE WHEN coalesce(a.representative, false) THEN 'stopped' ELSE 'became' END,
               CASE WHEN a.representative THEN coalesce(nullif(a.arrangements, ''), '{REPRESENTATIVE}') END,
               CASE WHEN b.representative THEN coalesce(nullif(b.arrangements, ''), '{REPRESENTATIVE}') END,
               coalesce(b.name, a.name), coalesce(b.id_number, a.id_number), coalesce(b.street, a.street),
               coalesce(b.community, a.community), a.category, b.category
        FROM a FULL JOIN b USING (person_id)
        WHERE coalesce(a.representative, false) <> coalesce(b.representative, false)
    """, [scheme, a, scheme, b])
    rep_counts = dict.fromkeys(REPRESENTATIVE_CHANGES, 0)
    representatives: list[Change] = []
    for pid, change, f, t, name, idn, street, community, cat_a, cat_b in reps:
        rep_counts[change] += 1
        representatives.append(Change(pid, change, f, t, name=name, id_number=idn if reveal else mask_id(idn),
                                      street=street, community=community, category_from=cat_a, category_to=cat_b))
    order = _place_order(ws)
    persons.sort(key=lambda c: (CHANGES.index(c.change), *order(c), c.person_id))
    representatives.sort(key=lambda c: (REPRESENTATIVE_CHANGES.index(c.change), *order(c), c.person_id))
    totals = {r: int(ws.scalar(f"""SELECT count(*) FROM persons p JOIN classifications c ON c.person_id = p.person_id
                                   AND c.round = p.round WHERE p.round = ? AND c.scheme = ? AND c.grp = '{NEW_CLASS}'""",
                                [r, scheme]) or 0) for r in (a, b)}
    log_access(ws, "export", "diff", len(persons) + len(representatives), reveal, reason)
    return RoundDiff(a, b, scheme, counts, persons, rep_counts, representatives, totals)


def _place_order(ws: Workspace):
    """A sort key of a change's street and community in register order (unknown places last)."""
    st = {n: i for i, n in enumerate(streets(ws))}
    cm = {n: i for i, n in enumerate(communities(ws))}
    return lambda c: (st.get(c.street or "", len(st)), c.street or "", cm.get(c.community or "", len(cm)), c.community or "")

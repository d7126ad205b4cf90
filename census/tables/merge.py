"""`census merge`: district workspaces brought into one (`census.sources.merge`), linked across districts with the
same rules, and the summary of it — per district its files, records and persons, and the persons two districts
share (a person counted by both: one person here, counted in one district's tables, `persons.district`).

The whole run is one transaction: a failure or Ctrl-C leaves the merged workspace as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..i18n import _
from ..persons import LinkOptions
from ..pipeline import ensure_current
from ..sources.merge import DistrictMerged, merge_workspaces
from ..workspace import Workspace
from ..workspace.queries import district_name, districts


@dataclass
class SharedPair:
    """Two districts and the persons both counted (records in both)."""

    a_code: str
    a: str
    b_code: str
    b: str
    persons: int


@dataclass
class MergeSummary:
    name: str  # what the merged workspace's tables are titled with
    districts: list[DistrictMerged]  # those merged in this run
    all_districts: int  # districts in the workspace now
    records: int  # of every district
    persons: int  # after linking, across districts and rounds
    shared: list[SharedPair] = field(default_factory=list)
    shared_persons: int = 0  # persons with records in two districts or more

    def to_dict(self) -> dict:
        return {"name": self.name, "districts": [d.to_dict() for d in self.districts], "all_districts": self.all_districts,
                "records": self.records, "persons": self.persons, "shared_persons": self.shared_persons,
                "shared": [vars(p) for p in self.shared]}

    def summary(self) -> str:
        """One line in Chinese: what is in the workspace now."""
        return _("合并后共{n}个区县，记录{records}条 → {persons}人；其中{shared}人在两个以上区县都有记录（已按一人计）。").format(
            n=self.all_districts, records=self.records, persons=self.persons, shared=self.shared_persons)


_DISTRICTS_OF_PERSONS = """SELECT DISTINCT l.person_id, s.district_code AS code
    FROM links l JOIN records r USING (record_id) JOIN sources s USING (source_id)
    WHERE s.district_code IS NOT NULL {round}"""


def shared_persons(ws: Workspace, round: str | None = None) -> tuple[list[SharedPair], int]:
    """The pairs of districts that share persons (records of one person in both), with how many, and how many
    persons have records in two districts or more (of one round when given)."""
    cond = "AND s.round = ?" if round else ""
    params = [round] if round else []
    base = _DISTRICTS_OF_PERSONS.format(round=cond)
    names = dict(districts(ws))
    pairs = [SharedPair(a, names.get(a, a), b, names.get(b, b), int(n)) for a, b, n in ws.query(f"""
        WITH pd AS ({base}) SELECT x.code, y.code, count(*) FROM pd x JOIN pd y ON x.person_id = y.person_id AND x.code < y.code
        GROUP BY ALL ORDER BY 1, 2""", params)]
    total = int(ws.scalar(f"SELECT count(*) FROM (SELECT person_id FROM ({base}) GROUP BY person_id HAVING count(*) > 1)",
                          params) or 0)
    return pairs, total


def merge_districts(ws: Workspace, paths: list[str | os.PathLike], name: str | None = None,
                    options: LinkOptions | None = None) -> MergeSummary:
    """Merge the district workspaces at `paths` into `ws` (a new workspace, or one merged before: a district
    merged again replaces its files and keeps its persons' ids), link and classify across districts, and say what
    came of it. One transaction: nothing changes if any step fails or the run is interrupted."""
    with ws.transaction():
        merged = merge_workspaces(ws, paths, name)
        ensure_current(ws, options)
        persons_of = dict(ws.query("""SELECT s.district_code, count(DISTINCT l.person_id) FROM links l
                                      JOIN records r USING (record_id) JOIN sources s USING (source_id) GROUP BY ALL"""))
        for d in merged:
            d.persons = int(persons_of.get(d.code, 0))
        pairs, total = shared_persons(ws)
        records = int(ws.scalar("SELECT coalesce(sum(records), 0) FROM sources"))
        persons = int(ws.scalar("SELECT count(DISTINCT person_id) FROM links"))
        return MergeSummary(district_name(ws), merged, len(districts(ws)), records, persons, pairs, total)

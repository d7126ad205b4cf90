"""补查 (follow-up) lists: per street and community, the persons other sources place there (unit ledgers, the
household register, the questionnaire, a roster) whom no community ledger of the round lists, with where each was
found, for the community to confirm or add; beside them the communities whose ledgers found nobody or too few
(`tables.report.coverage`).

A person is listed when, in the round, they are counted in the scheme's total, reported beside it (非公有制经济人士)
or still 待核实, and none of their records of the round is a community-ledger row. They are listed under the
community their other records name (the household register before the questionnaire before a unit ledger), or
under their street alone when no record names a community.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from ..i18n import _
from ..pipeline import ensure_current
from ..privacy import mask_id, mask_phone, mask_text
from ..vocab import EXCLUDED, GROUP_LABELS, GROUPS, SOURCE_KIND_LABELS, UNKNOWN
from ..workspace import Workspace
from ..workspace.audit import check_reveal, log_access
from ..workspace.queries import communities, streets
from ..workspace.rounds import table_round
from .dimensions import check_request
from .report import CoverageRow, coverage


@dataclass
class Sighting:
    """One record of the person: where it is, and the community it names."""

    kind: str
    file: str
    sheet: str
    row: int
    community: str | None

    def text(self) -> str:
        sheet = f"“{self.sheet}”" if self.sheet else ""
        place = f"（{self.community}）" if self.community else ""
        return _("{kind}：{file}{sheet} 第{row}行{place}").format(kind=_(SOURCE_KIND_LABELS.get(self.kind, self.kind)),
                                                               file=self.file, sheet=sheet, row=self.row, place=place)


@dataclass
class FollowupPerson:
    street: str
    community: str | None  # None: no record names a community
    person_id: str
    name: str | None
    sex: str | None
    id_number: str | None  # masked unless revealed
    phone: str | None
    work_unit: str | None
    category: str
    group: str
    found: list[Sighting] = field(default_factory=list)

    def found_text(self) -> str:
        return _("；").join(s.text() for s in self.found)


@dataclass
class Followup:
    round: str
    scheme: str
    persons: list[FollowupPerson]
    communities: list[CoverageRow]  # the register's communities advised 补查 (none or too few found)

    def to_dict(self) -> dict:
        return {"round": self.round, "scheme": self.scheme,
                "persons": [{**{k: v for k, v in asdict(p).items() if k != "found"},
                             "found": [asdict(s) for s in p.found]} for p in self.persons],
                "communities": [{"street": c.street, "community": c.community, "code": c.code, "count": c.count,
                                 "street_median": c.street_median, "why": c.why} for c in self.communities]}


def followup(ws: Workspace, round: str | int | None = None, scheme: str = "current4", reveal: bool = False,
             as_of: date | None = None, reason: str | None = None) -> Followup:
    """The 补查 list of a round (default: the latest) under `scheme`: persons no community ledger lists, by street
    and community, with where they were found (ID and phone numbers masked unless `reveal`), and the communities
    whose ledgers found none or too few. `reveal` needs a `reason`; the list is written to the audit trail."""
    check_reveal(reveal, reason)
    check_request(scheme, [])
    ensure_current(ws)
    target = table_round(ws, round)
    rows = ws.query(f"""
        WITH missed AS (
            SELECT p.person_id, p.street, p.community, p.name, p.sex, p.id_number, p.phone, p.work_unit, c.category, c.grp
            FROM persons p JOIN classifications c ON c.person_id = p.person_id AND c.round = p.round AND c.scheme = ?
            WHERE p.round = ? AND c.grp <> '{EXCLUDED}' AND NOT EXISTS (
                SELECT 1 FROM links l JOIN records r USING (record_id) JOIN sources s ON s.source_id = r.source_id
                WHERE l.person_id = p.person_id AND s.round = p.round AND r.source_kind = 'community_ledger')
        )
        SELECT m.*, list(struct_pack(kind := r.source_kind, file := s.path, sheet := r.sheet, row := r.row,
                                     community := r.community) ORDER BY s.path, r.sheet, r.row)
        FROM missed m JOIN links l ON l.person_id = m.person_id JOIN records r ON r.record_id = l.record_id
        JOIN sources s ON s.source_id = r.source_id AND s.round = ?
        GROUP BY ALL
    """, [scheme, target, target])
    persons = []
    for pid, street, community, name, sex, idn, phone, unit, category, grp, found in rows:
        persons.append(FollowupPerson(street or UNKNOWN, community, pid, name, sex, idn if reveal else mask_id(idn),
                                      phone if reveal else mask_phone(phone), unit, category, grp,
                                      [Sighting(f["kind"], f["file"] if reveal else mask_text(f["file"]),
                                                (f["sheet"] or "") if reveal else mask_text(f["sheet"] or ""),
                                                int(f["row"]), f["community"]) for f in found]))
    st = {n: i for i, n in enumerate(streets(ws))}
    cm = {n: i for i, n in enumerate(communities(ws))}
    persons.sort(key=lambda p: (st.get(p.street, len(st)), p.street, p.community is None, cm.get(p.community or "", len(cm)),
                                p.community or "", GROUPS.index(p.group), p.person_id))
    advised = [r for r in coverage(ws, scheme, as_of or date.today(), target).rows if r.advice]
    log_access(ws, "export", "followup", len(persons), reveal, reason)
    return Followup(target, scheme, persons, advised)


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group)

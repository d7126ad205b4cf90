"""What is in a workspace: files, records, quarantined rows, persons, and whether linking is up to date."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..pipeline import is_current
from ..privacy import mask_text
from ..workspace import Workspace
from ..workspace.queries import district_name


@dataclass
class Status:
    db: str
    schema_version: int
    files: int
    records: int
    quarantined: int
    nondata_rows: int
    persons: int
    link_current: bool
    district: str | None
    issues: dict[str, int] = field(default_factory=dict)  # severity → count
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)  # source kind → files, records
    sources: list[dict] = field(default_factory=list)
    rounds: dict[str, dict[str, int]] = field(default_factory=dict)  # round → files, records, persons

    def to_dict(self) -> dict:
        return asdict(self)


def status(ws: Workspace) -> Status:
    files, records, quarantined = ws.query(
        "SELECT count(*), coalesce(sum(records), 0), coalesce(sum(quarantined), 0) FROM sources")[0]
    nondata = ws.scalar("SELECT count(*) FROM nondata")
    persons = ws.scalar("SELECT count(DISTINCT person_id) FROM persons")
    district = district_name(ws) or None
    issues = dict(ws.query("SELECT severity, count(*) FROM issues GROUP BY ALL ORDER BY 1"))
    by_kind = {k: {"files": f, "records": r} for k, f, r in ws.query(
        "SELECT kind, count(*), sum(records) FROM sources GROUP BY ALL ORDER BY 1")}
    sources = [
        {"path": mask_text(p), "round": rnd, "kind": k, "format": fmt, "records": r, "quarantined": q, "ingested_at": str(t)}
        for p, rnd, k, fmt, r, q, t in ws.query(
            "SELECT path, round, kind, format, records, quarantined, ingested_at FROM sources ORDER BY round, path")
    ]
    persons_by_round = dict(ws.query("SELECT round, count(*) FROM persons GROUP BY ALL"))
    rounds = {r: {"files": int(f), "records": int(n), "persons": int(persons_by_round.get(r, 0))} for r, f, n in ws.query(
        "SELECT round, count(*), sum(records) FROM sources GROUP BY ALL ORDER BY round")}
    return Status(str(ws.path), ws.schema_version, int(files), int(records), int(quarantined), int(nondata),
                  int(persons), is_current(ws), district, issues, by_kind, sources, rounds)

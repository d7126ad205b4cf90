"""The stages after ingest, kept current: linking builds persons from the records, classification puts every
person in a category. Linking records the data version it built persons from (the workspace bumps it in every
transaction that changes records, the register or a decision) and counts its builds; classification records the
build it classified. A stage is stale when what it was made from is not what there is now. `ensure_current(ws)` runs the stale stages in order; every table, export and report calls it first, from
the command line and from Python alike, so nothing is ever counted from stale persons.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .categories import ClassifyResult, classify_persons
from .categories.classify import CLASSIFIED_KEY
from .errors import EmptyWorkspaceError
from .i18n import _
from .persons import LinkOptions, LinkResult
from .persons.link import LINKED_KEY, PERSONS_KEY
from .persons.link import link as link_records
from .workspace import Workspace


def _data_version(ws: Workspace) -> str:
    return ws.get("data_version", "0") or "0"


def link_current(ws: Workspace) -> bool:
    """Whether persons are built from the workspace's current records, register and decisions."""
    return ws.get(LINKED_KEY) == _data_version(ws)


def classification_current(ws: Workspace) -> bool:
    """Whether the classifications are of the current persons."""
    persons = ws.get(PERSONS_KEY)
    if persons is None:  # written before classification was a stage of its own: it classified whenever it linked
        return link_current(ws)
    return ws.get(CLASSIFIED_KEY) == persons


def is_current(ws: Workspace) -> bool:
    return link_current(ws) and classification_current(ws)


@dataclass
class PipelineResult:
    """What `ensure_current` ran: the link and the classification (None for a stage that was current)."""

    linked: LinkResult | None = None
    classified: ClassifyResult | None = None
    seconds: float = 0.0

    @property
    def ran(self) -> bool:
        return self.linked is not None or self.classified is not None


def require_records(ws: Workspace, files_only: bool = False) -> None:
    """Raise `EmptyWorkspaceError` when the workspace holds no record: a table of it would say 合计 0 as if
    the district had no one, when nothing was read. `files_only`: only when no file was read at all (for the
    lists of issues and quarantined rows)."""
    files, records, quarantined = ws.query("""SELECT count(*), coalesce(sum(records), 0), coalesce(sum(quarantined), 0)
                                              FROM sources""")[0]
    if records or (files and files_only):
        return
    if not files:
        raise EmptyWorkspaceError(_("{db}：工作区中还没有读入任何文件；先用 census ingest 读入台账。").format(db=ws.path))
    raise EmptyWorkspaceError(_("{db}：读入的 {files} 个文件中没有一条可用的记录（{quarantined} 行被隔离）；"
                                "用 census export records --quarantined 查看原因。").format(db=ws.path, files=files, quarantined=quarantined))


def ensure_current(ws: Workspace, options: LinkOptions | None = None) -> PipelineResult:
    """Run the stages that are stale: link when the data changed since the last link, then classify when the
    persons changed since the last classification. A workspace without records is an error (`require_records`)."""
    require_records(ws)
    t0 = time.perf_counter()
    result = PipelineResult()
    if not link_current(ws):
        result.linked = link_records(ws, options)
    if not classification_current(ws):
        result.classified = classify_persons(ws)
    result.seconds = time.perf_counter() - t0
    return result


def link(ws: Workspace, options: LinkOptions | None = None) -> LinkResult:
    """Link now (whether or not the data changed), then classify the persons built: what `census link` runs.
    The result's timings include the classification's."""
    require_records(ws)
    linked = link_records(ws, options)
    t0 = time.perf_counter()
    classify_persons(ws)
    linked.timings["classification"] = round(time.perf_counter() - t0, 2)
    linked.seconds += time.perf_counter() - t0
    return linked

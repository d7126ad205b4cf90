"""The source files of a workspace: which are in it (`list_sources`: path, content hash, rows, when), and taking
a wrong file's records out again (`remove_sources`, one transaction for all the files named).

A source is named by its number, by its path as listed, by the file itself on disk (any path to it), or by the
first characters (eight or more) of its SHA-256.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import CensusError, UsageError
from ..i18n import _
from ..workspace import Workspace
from .ingest import remove_source

_HEX = re.compile(r"^[0-9a-fA-F]{8,64}$")
_COLUMNS = ("source_id", "path", "abs_path", "sha256", "size", "format", "encoding", "kind", "ingested_at", "rows_total",
            "data_rows", "records", "quarantined", "nondata", "blank", "warnings")


class SourceNotFound(CensusError):
    """A source named to `census remove` that the workspace does not hold."""

    exit_code = 1


@dataclass
class SourceInfo:
    source_id: int
    path: str  # as the user named it, or its path under the folder they named
    abs_path: str  # where it was read from
    sha256: str
    size: int
    format: str
    encoding: str | None
    kind: str
    ingested_at: str
    rows_total: int
    data_rows: int
    records: int
    quarantined: int
    nondata: int
    blank: int
    warnings: int
    on_disk: bool = True  # whether a file is still at abs_path


@dataclass
class SourceList:
    sources: list[SourceInfo] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"sources": [asdict(s) for s in self.sources]}


@dataclass
class RemoveResult:
    removed: list[SourceInfo] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"removed": [asdict(s) for s in self.removed],
                "records": sum(s.data_rows for s in self.removed)}


def _infos(ws: Workspace) -> list[SourceInfo]:
    rows = ws.query(f"SELECT {', '.join(_COLUMNS)} FROM sources ORDER BY source_id")
    out = []
    for r in rows:
        d = dict(zip(_COLUMNS, r, strict=True))
        d["ingested_at"] = str(d["ingested_at"])
        out.append(SourceInfo(**d, on_disk=os.path.exists(d["abs_path"])))
    return out


def list_sources(ws: Workspace) -> SourceList:
    """Every source file of the workspace, in the order they were ingested."""
    return SourceList(_infos(ws))


def find_source(ws: Workspace, ref: str, infos: list[SourceInfo] | None = None) -> SourceInfo:
    """The source `ref` names: its number, its listed path, a path to the file on disk, the end of its listed
    path ("台账.xlsx" when only one source's path ends so), or a prefix of its SHA-256."""
    infos = _infos(ws) if infos is None else infos
    ref = ref.strip()
    if ref.isdigit():
        hit = [s for s in infos if s.source_id == int(ref)]
        if hit:
            return hit[0]
    hit = [s for s in infos if ref in (s.path, s.abs_path)]
    if not hit and Path(ref).exists():
        resolved = str(Path(ref).resolve())
        hit = [s for s in infos if s.abs_path == resolved]
    if not hit:
        hit = [s for s in infos if s.path.endswith("/" + ref.lstrip("/"))]
    if not hit and _HEX.match(ref):
        hit = [s for s in infos if s.sha256.startswith(ref.lower())]
    if len(hit) > 1:
        listed = "；".join(f"{s.source_id} {s.path}" for s in hit)
        raise UsageError(_("“{ref}”指的来源不止一个（{listed}）；请用编号指明要移除哪一个。").format(ref=ref, listed=listed))
    if not hit:
        raise SourceNotFound(_("工作区中没有来源“{ref}”；用 census sources 查看已读入的文件（编号、路径、哈希）。").format(ref=ref))
    return hit[0]


def remove_sources(ws: Workspace, refs: list[str]) -> RemoveResult:
    """Take the named sources' records, issues, non-data rows and sheets out of the workspace, all in one
    transaction (none is removed if one cannot be found). Persons are built again by the next link."""
    infos = _infos(ws)
    chosen: list[SourceInfo] = []
    for ref in refs:
        s = find_source(ws, ref, infos)
        if s not in chosen:
            chosen.append(s)
    with ws.transaction():
        for s in chosen:
            remove_source(ws, s.source_id)
        if chosen:
            ws.bump_data_version()
    return RemoveResult(chosen)

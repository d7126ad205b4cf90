"""Rounds: a workspace holds the census of several years. Every source file is ingested into one round; persons are
one across rounds (linking runs over every round's records), their fields and categories are of one round, and
every table is of one round (the latest unless one is named)."""

from __future__ import annotations

import re
from datetime import date

from ..errors import UsageError
from ..i18n import _
from .store import Workspace

_ROUND = re.compile(r"\d{4}")


def check_round(text: str | int) -> str:
    """A round as stored: the year of four digits ("2027"); anything else is a usage error."""
    value = str(text).strip()
    if not _ROUND.fullmatch(value) or not 1949 <= int(value) <= 2200:
        raise UsageError(_("年度“{value}”无效：年度写作四位年份，例如 2027。").format(value=text))
    return value


def rounds(ws: Workspace) -> list[str]:
    """The rounds the workspace holds files of, oldest first."""
    return [r for (r,) in ws.query("SELECT DISTINCT round FROM sources ORDER BY round")]


def latest_round(ws: Workspace) -> str | None:
    return ws.scalar("SELECT max(round) FROM sources")


def ingest_round(ws: Workspace, wanted: str | int | None) -> str:
    """The round files go into: the one asked for (a new one may be started), else the latest round of the workspace,
    else (a new workspace) the current year."""
    if wanted is not None:
        return check_round(wanted)
    return latest_round(ws) or str(date.today().year)


def table_round(ws: Workspace, wanted: str | int | None) -> str:
    """The round a table is of: the one asked for, which must be in the workspace, else the latest (in a workspace
    without files, the current year)."""
    have = rounds(ws)
    if wanted is None:
        return have[-1] if have else str(date.today().year)
    value = check_round(wanted)
    if have and value not in have:
        raise UsageError(_("工作区中没有{value}年度的数据；已有年度：{have}。").format(value=value, have="、".join(have)))
    return value


def previous_round(ws: Workspace, of: str) -> str | None:
    """The latest round before `of`, or None."""
    return ws.scalar("SELECT max(round) FROM sources WHERE round < ?", [of])

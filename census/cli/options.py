"""What the commands share: their options (as `Annotated` types), opening the workspace, writing output, and the
line that says stale stages were run first."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from ..errors import UsageError
from ..i18n import _
from ..pipeline import PipelineResult
from ..privacy import private_open
from ..vocab import FORMATS
from ..workspace import Workspace
from .root import err

DbOpt = Annotated[Path | None, typer.Option("--db", help="Workspace file [default: $CENSUS_DB or ./census.duckdb].", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
SchemeOpt = Annotated[str, typer.Option("--scheme", help="Classification scheme: current4 (现行四类) or legacy6 (2001年六类).")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show ID and phone numbers in full (they are masked otherwise).")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help=_("理由，记入审计记录（用 --reveal 显示完整号码时必须给出）。"), show_default=False)]


def format_option(*allowed: str, help: str | None = None):
    """A `--format` option offering `allowed` (a subset of vocab.FORMATS, in that order)."""
    choices = tuple(f for f in FORMATS if f in allowed)
    return Annotated[Literal[choices], typer.Option("--format", help=help or " or ".join(choices) + ".")]


def open_workspace(db: Path | None, create: bool = True) -> Workspace:
    return Workspace(db, create=create)


def write(text: str, output: Path | None) -> None:
    """Text to stdout, or to `output` (created 0600, and a line on stderr saying so)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        with private_open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        err.print(f"Wrote {output}")


def say_ran(result: PipelineResult) -> None:
    """One line on stderr when stale stages were run before a command."""
    if result.linked is not None:
        err.print(f"[dim]The records changed since the last link: linked again ({result.linked.records} records → "
                  f"{result.linked.persons} persons).[/dim]")
    elif result.classified is not None:
        err.print(f"[dim]Classified again ({result.classified.persons} persons).[/dim]")


def parse_date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: write the date as YYYY-MM-DD.") from None

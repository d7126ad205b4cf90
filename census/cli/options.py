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
from ..vocab import FORMATS
from ..workspace import Workspace
from .root import err

DbOpt = Annotated[Path | None, typer.Option("--db", help="Workspace file [default: $CENSUS_DB or ./census.duckdb].", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
SchemeOpt = Annotated[str, typer.Option("--scheme", help="Classification scheme: current4 (现行四类) or legacy6 (2001年六类).")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show ID and phone numbers in full (they are masked otherwise).")]
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
CsvEncodingOpt = Annotated[Literal[CSV_ENCODINGS] | None, typer.Option(
    "--encoding", help=_("写入文件（-o）的CSV的编码：utf-8-sig（默认，带BOM，中文Windows上的Excel可直接打开）、utf-8（不带BOM）"
                         "或 gb18030（较早的系统）；输出到屏幕时总是UTF-8。"), show_default=False)]


def format_option(*allowed: str, help: str | None = None):
    """A `--format` option offering `allowed` (a subset of vocab.FORMATS, in that order)."""
    choices = tuple(f for f in FORMATS if f in allowed)
    return Annotated[Literal[choices], typer.Option("--format", help=help or " or ".join(choices) + ".")]


def open_workspace(db: Path | None, create: bool = True) -> Workspace:
    return Workspace(db, create=create)


def write(text: str, output: Path | None) -> None:
    """Text to stdout, or to `output` (and a line on stderr saying so)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Wrote {output}")


def write_csv(text: str, output: Path | None, encoding: str | None) -> None:
    """CSV to stdout (plain UTF-8), or to `output` as UTF-8 with a BOM (so Excel on Chinese Windows reads it) or
    in the `encoding` asked for."""
    if output is None:
        if encoding:
            raise UsageError(_("--encoding 只用于写入文件的CSV：请同时用 -o 指定文件（输出到屏幕时总是UTF-8）。"))
        write(text, None)
        return
    with open(output, "w", encoding=encoding or CSV_ENCODINGS[0], newline="") as f:
        f.write(text)
    err.print(f"Wrote {output}")


def csv_only(fmt: str, encoding: str | None) -> None:
    """--encoding is for CSV files: a usage error with any other format."""
    if encoding and fmt != "csv":
        raise UsageError(_("--encoding 只用于CSV（--format csv），不能用于 --format {fmt}。").format(fmt=fmt))


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

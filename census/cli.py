"""The `census` command line: parses options, calls the library, renders. Nothing else lives here.

Stdout carries data; progress and messages go to stderr. Exit codes: 0 ok, 1 bad data or a failed run,
2 wrong usage. `--debug` (anywhere on the command line) shows tracebacks.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .errors import CensusError

app = typer.Typer(
    name="census",
    help="Count new social class people (新的社会阶层人士) from community ledgers, unit ledgers, household registers "
    "and questionnaires: ingest every file, find each person once, classify, and print the district's tables.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class DataFmt(StrEnum):
    csv = "csv"
    json = "json"


class StatusFmt(StrEnum):
    table = "table"
    json = "json"


DbOpt = Annotated[Path | None, typer.Option("--db", help="Workspace file [default: $CENSUS_DB or ./census.duckdb].", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
SchemeOpt = Annotated[str, typer.Option("--scheme", help="Classification scheme: current4 (现行四类) or legacy6 (2001年六类).")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show ID and phone numbers in full (they are masked otherwise).")]


def _open(db: Path | None, create: bool = True):
    from .store import Workspace

    return Workspace(db, create=create)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Wrote {output}")


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def _say_linked(result) -> None:
    if result is not None:
        err.print(f"[dim]The records changed since the last link: linked again ({result.records} records → {result.persons} persons).[/dim]")


# the commands, in the order `census --help` lists them (each module adds its own to `app`)
from .commands import ingest, link, tables, workspace  # noqa: E402, F401, I001


# =============================================================================================== entry point
def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; known failures print one line, `--debug` anywhere shows the traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("CENSUS_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    if debug:
        os.environ["CENSUS_DEBUG"] = "1"  # the library re-raises unexpected errors instead of reporting them per file
    try:
        app(args=args, prog_name="census")  # Typer handles usage errors itself (exit 2) and always exits
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except CensusError as e:
        if debug:
            raise
        err.print(f"Error: {e}", markup=False)
        return e.exit_code
    except Exception as e:  # an unexpected failure: one line, and the way to see more
        if debug:
            raise
        err.print(f"Error: {type(e).__name__}: {e} (run again with --debug to see where).", markup=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

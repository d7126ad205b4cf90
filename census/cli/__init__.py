"""The `census` command line: parses options, calls the library, renders. Nothing else lives here.

Stdout carries data; progress and messages go to stderr. Exit codes: 0 ok, 1 bad data or a failed run,
2 wrong usage. `--debug` (anywhere on the command line) shows tracebacks.
"""

from __future__ import annotations

import os
import sys
from contextlib import redirect_stderr

from ..errors import CensusError
from ..privacy import private_umask
from ..workspace.audit import reset_command, set_command
from . import ingest, link, tables, workspace  # noqa: F401 - each adds its commands to `app`, in `census --help` order
from .privacy import MaskedStream  # (and `audit`, `purge`, last)
from .root import app, err


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; known failures print one line, `--debug` anywhere shows the traceback.

    Every file the command writes is readable by its owner only (the umask holds 077 while it runs), messages on
    stderr never show a full ID or phone number, and the audit trail names the command line (numbers masked)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("CENSUS_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    if debug:
        os.environ["CENSUS_DEBUG"] = "1"  # the library re-raises unexpected errors instead of reporting them per file
    token = set_command(args)
    try:
        with private_umask(), redirect_stderr(MaskedStream(sys.stderr)):
            return _run(args, debug)
    finally:
        reset_command(token)


def _run(args: list[str], debug: bool) -> int:
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


__all__ = ["app", "main"]

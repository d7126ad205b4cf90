"""The `census` command line: parses options, calls the library, renders. Nothing else lives here.

Stdout carries data; progress and messages go to stderr. Exit codes: 0 ok, 1 bad data or a failed run,
2 wrong usage, 130 interrupted (Ctrl-C). `--debug` (anywhere on the command line) shows tracebacks.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from ..errors import INTERRUPTED_EXIT, INTERRUPTED_TEXT, CensusError
from ..i18n import _
from . import ingest, link, sources, tables, workspace  # noqa: F401 - each adds its commands to `app`, in `census --help` order
from .root import app, err


class _Interrupts:
    """Ctrl-C, however deep in the work it lands (a DuckDB query turns it into its own error, a transaction
    rolled back raises another): the first is remembered and raised as KeyboardInterrupt, so that every
    transaction rolls back and the worker processes stop; a second, while that cleanup runs, ends the process
    at once with the same line."""

    def __init__(self) -> None:
        self.seen = False
        self.previous = None

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum, frame) -> None:
        if self.seen:
            say_interrupted()
            os._exit(INTERRUPTED_EXIT)
        self.seen = True
        raise KeyboardInterrupt


def say_interrupted() -> None:
    err.print(_(INTERRUPTED_TEXT), markup=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; known failures print one line, `--debug` anywhere shows the traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("CENSUS_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    if debug:
        os.environ["CENSUS_DEBUG"] = "1"  # the library re-raises unexpected errors instead of reporting them per file
    with _Interrupts() as interrupts:
        try:
            app(args=args, prog_name="census")  # Typer handles usage errors itself (exit 2) and always exits
        except SystemExit as e:
            if interrupts.seen or e.code == INTERRUPTED_EXIT:  # (Typer turns KeyboardInterrupt into exit 130)
                say_interrupted()
                return INTERRUPTED_EXIT
            return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:
            if interrupts.seen or isinstance(e, KeyboardInterrupt):
                if debug and not isinstance(e, KeyboardInterrupt):
                    raise
                say_interrupted()
                return INTERRUPTED_EXIT
            if isinstance(e, CensusError):
                if debug:
                    raise
                err.print(f"Error: {e}", markup=False)
                return e.exit_code
            if not isinstance(e, Exception) or debug:
                raise
            # an unexpected failure: one line, and the way to see more
            err.print(f"Error: {type(e).__name__}: {e} (run again with --debug to see where).", markup=False)
            return 1
    return 0


__all__ = ["app", "main"]

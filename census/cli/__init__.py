"""The `census` command line: parses options, calls the library, renders. Nothing else lives here.

Stdout carries data; progress and messages go to stderr. Exit codes: 0 ok, 1 bad data or a failed run,
2 wrong usage, 130 interrupted (Ctrl-C; `--debug` shows where an error came from but keeps its code). Every
text is in the language of the run: Chinese, or English with `CENSUS_LANG=en` (or an English `LANG`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from contextlib import redirect_stderr

import typer
from typer._click import (
    exceptions as click_errors,  # Typer's usage errors (it exports only BadParameter of them)
)

from ..errors import ALL_OR_NOTHING, INTERRUPTED_EXIT, INTERRUPTED_TEXT, INTERRUPTED_UNCHANGED, CensusError
from ..i18n import _, language_from_environment, set_language
from ..privacy import private_umask
from ..workspace.audit import reset_command, set_command
from . import cycle, ingest, link, sources, tables, workspace  # noqa: F401 - each adds its commands to `app` (help.COMMAND_ORDER)
from .help import COMMAND_ORDER, help_hint, usage_message
from .privacy import MaskedStream  # (and adds `audit`, `purge`)
from .root import app, err


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False)


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


_ARGS: list[str] = []  # the command line being run (for what Ctrl-C says)


def say_interrupted() -> None:
    """What Ctrl-C left: an ingest keeps the files it finished; the commands that write in one transaction, nothing."""
    command = next((a for a in _ARGS if a in COMMAND_ORDER), None)  # after root options (census --db X merge …)
    unchanged = command in ALL_OR_NOTHING
    err.print(_(INTERRUPTED_UNCHANGED if unchanged else INTERRUPTED_TEXT), markup=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; known failures print one line, `--debug` anywhere shows the traceback.

    Every file the command writes is readable by its owner only (the umask holds 077 while it runs), messages on
    stderr never show a full ID or phone number, and the audit trail names the command line (numbers masked)."""
    args = list(sys.argv[1:] if argv is None else argv)
    before = os.environ.get("CENSUS_DEBUG")
    debug = "--debug" in args or before == "1"
    args = [a for a in args if a != "--debug"]
    set_language(language_from_environment())
    if debug:
        os.environ["CENSUS_DEBUG"] = "1"  # the library re-raises unexpected errors instead of reporting them per file
    token = set_command(args)
    _ARGS[:] = args
    try:
        with private_umask(), redirect_stderr(MaskedStream(sys.stderr)), _Interrupts() as interrupts:
            try:
                return _run(args, debug, interrupts)
            except BaseException as e:
                if interrupts.seen or isinstance(e, KeyboardInterrupt):
                    if debug and not isinstance(e, KeyboardInterrupt):
                        traceback.print_exc()
                    say_interrupted()
                    return INTERRUPTED_EXIT
                raise
    finally:
        reset_command(token)
        if before is None:
            os.environ.pop("CENSUS_DEBUG", None)


def _run(args: list[str], debug: bool, interrupts: _Interrupts) -> int:
    try:
        code = app(args=args, prog_name="census", standalone_mode=False)
        if interrupts.seen or code == INTERRUPTED_EXIT:  # Typer returns a KeyboardInterrupt as exit code 130
            raise KeyboardInterrupt
        return code if isinstance(code, int) else 0
    except click_errors.UsageError as e:
        if isinstance(e, click_errors.NoArgsIsHelpError):  # `census` or `census review` alone: the help, as Typer does
            sys.stdout.write(e.format_message())
            return 2
        if debug:
            traceback.print_exc()
        _say(_("错误：{message}").format(message=usage_message(e)) + help_hint(e))
        return 2
    except click_errors.ClickException as e:
        if debug:
            traceback.print_exc()
        _say(_("错误：{message}").format(message=e.format_message()))
        return e.exit_code
    except typer.Abort:  # Ctrl-C while Typer was parsing, or at a prompt
        raise KeyboardInterrupt from None
    except Exception as e:
        if interrupts.seen:  # the Ctrl-C, wrapped on its way up (DuckDB: "Query interrupted", inside Splink's error)
            raise KeyboardInterrupt from None
        return _failed(e, debug)


def _failed(e: Exception, debug: bool) -> int:
    """One line for an error (the traceback too with --debug); its exit code."""
    if isinstance(e, CensusError):
        if debug:
            traceback.print_exc()
        _say(_("错误：{message}").format(message=e))
        return e.exit_code
    if debug:  # an unexpected failure: one line, and the way to see more
        traceback.print_exc()
    _say(_("错误：{error}（加 --debug 再运行可看到出错的位置）。").format(error=f"{type(e).__name__}: {e}"))
    return 1


__all__ = ["app", "main"]

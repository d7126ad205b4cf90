"""The `census` command line: parses options, calls the library, renders. Nothing else lives here.

Stdout carries data; progress and messages go to stderr. Exit codes: 0 ok, 1 bad data or a failed run,
2 wrong usage (`--debug` shows where an error came from but keeps its code). Every text is in the language of
the run: Chinese, or English with `CENSUS_LANG=en` (or an English `LANG`).
"""

from __future__ import annotations

import os
import sys
import traceback

import typer
from typer._click import (
    exceptions as click_errors,  # Typer's usage errors (it exports only BadParameter of them)
)

from ..errors import CensusError
from ..i18n import _, language_from_environment, set_language
from . import ingest, link, tables, workspace  # noqa: F401 - each adds its commands to `app`, in `census --help` order
from .help import help_hint, usage_message
from .root import app, err


def _say(text: str) -> None:
    err.print(text, markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; known failures print one line, `--debug` anywhere shows the traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    before = os.environ.get("CENSUS_DEBUG")
    debug = "--debug" in args or before == "1"
    args = [a for a in args if a != "--debug"]
    set_language(language_from_environment())
    if debug:
        os.environ["CENSUS_DEBUG"] = "1"  # the library re-raises unexpected errors instead of reporting them per file
    try:
        return _run(args, debug)
    finally:
        if before is None:
            os.environ.pop("CENSUS_DEBUG", None)


def _run(args: list[str], debug: bool) -> int:
    try:
        code = app(args=args, prog_name="census", standalone_mode=False)
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
    except typer.Abort:
        _say(_("已中止。"))
        return 1
    except CensusError as e:
        if debug:
            traceback.print_exc()
        _say(_("错误：{message}").format(message=e))
        return e.exit_code
    except KeyboardInterrupt:
        _say(_("已中止。"))
        return 130
    except Exception as e:  # an unexpected failure: one line, and the way to see more
        if debug:
            traceback.print_exc()
        _say(_("错误：{error}（加 --debug 再运行可看到出错的位置）。").format(error=f"{type(e).__name__}: {e}"))
        return 1


__all__ = ["app", "main"]

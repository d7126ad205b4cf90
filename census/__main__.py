"""The `census` command and `python -m census`.

Ctrl-C is answered from the first instant: while the command line's modules (pandas, Arrow, DuckDB …) are still
being imported, a Ctrl-C ends the command with the one line every interrupted command ends with, and exit code
130; nothing has been written yet. `census.cli.main` then answers it for the rest of the run.
"""

import os
import signal
import sys

from .errors import INTERRUPTED_EXIT, INTERRUPTED_TEXT
from .i18n import _


def _interrupted_early(signum, frame) -> None:
    sys.stderr.write(_(INTERRUPTED_TEXT) + "\n")
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


# the command's start, before the heavy imports below; not where Ctrl-C is ignored (a worker process, which
# imports the command's main module again) or already handled
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted_early)

from .cli import main  # noqa: E402 - after the handler above, on purpose


def run() -> None:
    """The `census` command (pyproject's [project.scripts])."""
    sys.exit(main())


if __name__ == "__main__":
    run()

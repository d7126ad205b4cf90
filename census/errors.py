"""The one error boundary: every failure a user can cause is a `CensusError` with one clear sentence.

The CLI prints `错误：<message>` to stderr and exits with `exit_code`; `--debug` shows the traceback. Messages are
written in Chinese and translated with `_()` where they are raised.
Problems found *in the data* (a bad ID number, a row without a name) are not exceptions: they are
`census.quality.Issue` rows stored in the workspace.
"""

from __future__ import annotations

from .i18n import _


class CensusError(Exception):
    """A failure the user can fix; `str(error)` is one sentence saying what happened and what to do."""

    exit_code = 1


class UsageError(CensusError):
    """Wrong usage: a bad option value, a missing file argument, a filter that names no dimension."""

    exit_code = 2


class SchemaError(CensusError):
    """A YAML file (fields, codes, scheme, regions, layout) that does not validate; names the key path."""

    exit_code = 1


class SourceError(CensusError):
    """A source file that cannot be read at all (corrupt, password-protected, empty, not a table)."""

    exit_code = 1

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(_("{path}：{message}").format(path=path, message=message))


class WorkspaceError(CensusError):
    """The workspace database cannot be opened, is of a newer version, or is busy."""

    exit_code = 1

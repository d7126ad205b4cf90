"""The one error boundary: every failure a user can cause is a `CensusError` with one clear sentence.

The CLI prints `错误：<message>` to stderr and exits with `exit_code`; `--debug` shows the traceback. Messages are
written in Chinese and translated with `_()` where they are raised.
Problems found *in the data* (a bad ID number, a row without a name) are not exceptions: they are
`census.quality.Issue` rows stored in the workspace.
"""

from __future__ import annotations

from .i18n import N_, _

# how every command ends when Ctrl-C stops it (the code a shell reports for SIGINT: 128 + 2)
INTERRUPTED_TEXT = N_("已中断：已写入工作区的文件都保留着；再运行同一条命令即可完成其余部分。")
# … and the commands that change the workspace in one transaction: all of it or nothing
INTERRUPTED_UNCHANGED = N_("已中断：工作区保持原样，没有写入任何改动；再运行同一条命令即可。")
ALL_OR_NOTHING = ("merge", "link", "classify", "purge", "remove")
INTERRUPTED_EXIT = 130


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
        self.reason = message
        super().__init__(_("{path}：{message}").format(path=path, message=message))

    def __reduce__(self):  # rebuilt from (path, message) when it crosses from a worker process
        return (type(self), (self.path, self.reason))


class NotATable(SourceError):
    """A file that is some other kind of document (a readme, a Word file, a web page without a table): listed
    as skipped when it was found in a folder, a failure when it was named."""


class WorkspaceError(CensusError):
    """The workspace database cannot be opened, is of a newer version, or is busy."""

    exit_code = 1


class EmptyWorkspaceError(WorkspaceError):
    """The workspace holds no records yet: a table of it would only say 合计 0."""

    exit_code = 1

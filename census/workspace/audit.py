"""The audit trail: who exported person-level data, when, with which command, what and how many rows, whether full
numbers were revealed and why; and every purge. Appended to the workspace's `audit` table by the library functions
that hand person-level data out (exports, explanations, the review workbook, the decisions list) and by purge, so a
script calling the library is audited as the command line is. `census audit` lists it.

Full numbers are shown only with a reason: `check_reveal` refuses `reveal` without one (a usage error). No audit
row holds a full ID or phone number: the command line and the reason are masked, and the value of `--id-number` is
left out.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import sys
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime

from ..errors import UsageError
from ..i18n import N_, _
from ..privacy import mask_text
from .store import Workspace

# what was done: export (rows handed out: a file, stdout, or a Python caller), view (one person explained), purge
ACTIONS = {"export": N_("导出"), "view": N_("查看"), "purge": N_("删除"), "merge": N_("合并")}
# what was exported, as a clerk reads it (a person id, a file name or a count is shown as it is)
WHATS = {"records": N_("记录"), "persons": N_("人员"), "links": N_("关联"), "issues": N_("数据问题"),
         "quarantined": N_("隔离行"), "review": N_("核查清单"), "decisions": N_("核查结论"), "diff": N_("年度变化"),
         "followup": N_("补查名单")}
# options whose value is never written to the audit (it is the number being looked for)
SECRET_OPTIONS = ("--id-number",)

_SHELL_SPECIAL = re.compile(r"[\s'\"\\$`!*?;&|<>(){}\[\]#~]")
_COMMAND: ContextVar[str | None] = ContextVar("census_command", default=None)


@dataclass
class AuditEntry:
    audit_id: int
    time: str
    os_user: str
    command: str
    action: str
    what: str
    rows: int
    revealed: bool
    reason: str | None


@dataclass
class AuditLog:
    entries: list[AuditEntry]

    def to_dict(self) -> dict:
        return {"entries": [asdict(e) for e in self.entries]}


def check_reveal(reveal: bool, reason: str | None) -> None:
    """Full numbers only with a reason: `reveal` without a non-blank `reason` is a usage error (exit 2)."""
    if reveal and not (reason or "").strip():
        raise UsageError(_("显示完整的身份证号和电话号码（--reveal）须用 --reason \"…\" 写明理由，理由记入审计记录。"))


def set_command(args: list[str], program: str = "census"):
    """The command line audit rows name from now on (in this context); returns the token to `reset_command`."""
    return _COMMAND.set(command_text([program, *args]))


def reset_command(token) -> None:
    _COMMAND.reset(token)


def command_text(argv: list[str]) -> str:
    """A command line as the audit keeps it: the value of `--id-number` left out, numbers masked."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            out.append("…")
            skip = False
            continue
        name, eq, _value = arg.partition("=")
        if name in SECRET_OPTIONS:
            if eq:
                out.append(f"{name}=…")
            else:
                out.append(arg)
                skip = True
            continue
        out.append(arg)
    return mask_text(" ".join(_quoted(a) for a in out)) or ""


def _quoted(arg: str) -> str:
    """An argument as a shell reads it back: quoted where it holds a space or a character the shell interprets
    (shlex.quote alone would quote every Chinese file name)."""
    return shlex.quote(arg) if not arg or _SHELL_SPECIAL.search(arg) else arg


def current_command() -> str:
    """The command line set by the CLI, else this process's own (a script using the library)."""
    return _COMMAND.get() or command_text([os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python",
                                           *sys.argv[1:]])


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container without a passwd entry): the numeric id
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def log_access(ws: Workspace, action: str, what: str, rows: int, revealed: bool = False, reason: str | None = None) -> None:
    """Append one row to the audit trail (in its own transaction, or the caller's)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with ws.transaction():
        next_id = int(ws.scalar("SELECT coalesce(max(audit_id), 0) + 1 FROM audit"))
        ws.con.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            next_id, datetime.now().replace(microsecond=0), os_user(), current_command(), action, mask_text(what) or "",
            int(rows), bool(revealed), mask_text(reason.strip()) if reason and reason.strip() else None,
        ])


def audit_log(ws: Workspace) -> AuditLog:
    """The audit trail, oldest first."""
    rows = ws.query("SELECT audit_id, logged_at, os_user, command, action, what, rows, revealed, reason FROM audit ORDER BY audit_id")
    return AuditLog([AuditEntry(int(i), at.isoformat(sep=" "), u, c, a, w, int(n), bool(r), why)
                     for i, at, u, c, a, w, n, r, why in rows])

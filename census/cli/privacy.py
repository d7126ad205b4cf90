"""Personal data: `census audit` (who exported or revealed what, when and why) and `census purge` (delete a person
for good). `MaskedStream` keeps full ID and phone numbers out of every message on stderr, the user's own typing
included."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..i18n import N_, _
from ..persons.purge import purge as run_purge
from ..privacy import mask_text
from ..render.console import grid_records, grid_table, json_text, natural_width
from ..render.rows import Grid
from ..workspace.audit import ACTIONS, WHATS, audit_log
from .options import DbOpt, ReasonOpt, format_option, open_workspace, write
from .root import app, err


class MaskedStream:
    """A text stream (stderr) that masks ID and mobile numbers in whatever is written to it (`mask_text`)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_text(text) if isinstance(text, str) else text)
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


# =============================================================================================== audit
@app.command(
    help=N_("列出审计记录：每次导出个人信息、显示完整号码（--reveal）和删除人员的时间、操作系统用户、命令、内容、行数和理由。"),
    epilog=N_("census audit\n"
              "census audit --format json"))
def audit(db: DbOpt = None, fmt: format_option("table", "json") = "table") -> None:
    """The audit trail: every export of personal data, every --reveal and every purge."""
    with open_workspace(db, create=False) as ws:
        log = audit_log(ws)
    if fmt == "json":
        write(json_text(log.to_dict()), None)
        return
    rows = [([str(e.audit_id), e.time, e.os_user, _(ACTIONS[e.action]), _(WHATS[e.what]) if e.what in WHATS else e.what,
              str(e.rows), _("是") if e.revealed else _("否"), e.reason or "", e.command], "") for e in log.entries]
    grid = Grid([_("编号"), _("时间"), _("用户"), _("操作"), _("内容"), _("行数"), _("完整号码"), _("理由"), _("命令")],
                rows, label_columns=9)
    con = Console(highlight=False, soft_wrap=True)
    # a trail wider than the terminal: an entry to a paragraph, nothing cut
    con.print(grid_table(grid, _("审计记录")) if natural_width(grid) <= con.width else grid_records(grid, _("审计记录")))
    if not log.entries:
        err.print(_("尚无审计记录。"))


# =============================================================================================== purge
@app.command(
    help=N_("彻底删除一个人：其全部记录、原始单元格、问题、配对和核查决定，并重写工作区文件，使号码不再留在文件中。"
            "删除记入审计记录（不含号码）。来源文件不受影响：请同时从台账中删除此人，否则重新导入会再次出现。"),
    epilog=N_("census purge P0000012 --reason \"本人申请删除\"\n"
              "census purge --id-number 320114198503121234 --reason \"本人申请删除\""))
def purge(
    person: Annotated[str | None, typer.Argument(metavar=N_("人员编号"), help=N_("要删除的人员编号（census export persons 中的 person_id）。"), show_default=False)] = None,
    id_number: Annotated[str | None, typer.Option("--id-number", metavar=N_("身份证号"), help=N_("按身份证号删除：带有该号码的全部记录及其人员（号码不写入审计记录）。"), show_default=False)] = None,
    reason: ReasonOpt = None,
    db: DbOpt = None,
    fmt: format_option("table", "json") = "table",
) -> None:
    """Delete a person for good: records, raw cells, issues, pairs and decisions; the workspace file rewritten."""
    with open_workspace(db, create=False) as ws:
        r = run_purge(ws, person, id_number, reason)
        path = Path(ws.path)
    if fmt == "json":
        write(json_text(r.to_dict()), None)
        return
    err.print(_("已删除{persons}：记录{records}条（其中隔离行{quarantined}条），问题{issues}条，配对{pairs}对，核查决定{decisions}项；"
                "其他行中{scrubbed}处号码已清除。工作区文件 {path} 已重写（{before}→{after}字节）。").format(
        persons="、".join(r.persons) or _("未关联人员的记录"), records=r.records, quarantined=r.quarantined, issues=r.issues,
        pairs=r.pairs, decisions=r.decisions, scrubbed=r.scrubbed, path=path, before=r.bytes_before, after=r.bytes_after),
        markup=False)

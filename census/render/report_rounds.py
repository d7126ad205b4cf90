"""The report's sheets of the census cycle, written beside `census.render.report`: the representatives by category
and political arrangement (on the 代表人士 sheet), and the changes since the previous round (年度变化)."""

from __future__ import annotations

from typing import Any

from ..config.layouts import SheetDef
from ..i18n import _
from ..tables.diff import diff
from ..tables.tally import crosstab
from ..vocab import REPRESENTATIVE
from ..workspace.rounds import previous_round
from .cycle import write_diff_sheet
from .rows import crosstab_grid, suppression_note
from .xlsx import Book, Sheet


def write_arrangements(s: Sheet, ctx: Any, prefix: str) -> dict:
    """The representatives of the report's round by category × political arrangement, on their sheet. A person
    holding two arrangements is counted under each; the 合计 column counts persons once."""
    ct = crosstab(ctx.ws, ctx.scheme, "category", "arrangement", where={"representative": REPRESENTATIVE},
                  as_of=ctx.as_of, suppress=ctx.suppress, round=ctx.round)
    grid = crosstab_grid(ct)
    grid.subtitle = prefix + _("按类别和政治安排")
    grid.foot = (_("一人有多项政治安排的，在各项下分别计数；合计栏按人计数。")
                 + suppression_note(ctx.suppress, grid.cells()))
    s.table(grid)
    return ct.to_dict()


def write_changes(book: Book, ctx: Any, sheet: SheetDef, title: str) -> dict:
    """年度变化: the report's round against the round before it (under the report's scheme)."""
    d = diff(ctx.ws, previous_round(ctx.ws, ctx.round), ctx.round, ctx.scheme)
    write_diff_sheet(book, sheet.name, d, title)
    return {"kind": "changes", **d.to_dict()}

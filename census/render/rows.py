"""Tables as rows, written once for every output: a tally's leaves with a 小计 after each group of its leading
dimensions and the 合计 last; a crosstab's rows with both margins; suppressed cells as "<N" or "×"; the notes
under a table. Cells keep their types — labels are text, counts are numbers, shares are numbers (a separate
column beside their count) — so the console, CSV, Markdown and Excel writers each format them their own way and
Excel can sum what it is given. Headings, 小计/合计 and notes are in the language of the run (`_()`); the values in
the cells are the data's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..i18n import N_, _
from ..issues import CODES
from ..tables.shares import percent as share_of
from ..tables.suppress import hidden_mark
from ..tables.tally import Crosstab, Tally
from ..vocab import DIMENSION_LABELS, SECONDARY_MARK, SUBTOTAL, TOTAL


def cell_text(v: Any) -> str:
    """A cell as text: "" for an empty cell, shares with one decimal, everything else as written."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return _("是") if v else _("否")
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


COUNT_HEADING = N_("人数")
PERCENT_HEADING = N_("占比（%）")

Row = tuple[list, str]  # (cells, style): style "" for a leaf, "subtotal" for a 小计 row, "total" for the 合计 row


@dataclass
class Grid:
    """One table as written: header, rows, how many leading columns are labels, which columns are shares.

    For a list a clerk fills in: `input_columns` are the cells to fill (highlighted); `groups` splits the rows into
    consecutive groups kept on one printed page (the two records of a pair), whose `merged` columns are one cell."""

    header: list[str]
    rows: list[Row]
    label_columns: int = 1
    percent_columns: frozenset[int] = frozenset()
    foot: str | None = None
    subtitle: str | None = None
    input_columns: frozenset[int] = frozenset()
    groups: list[int] | None = None
    merged: frozenset[int] = frozenset()

    def cells(self) -> list:
        return [c for cells, _style in self.rows for c in cells]


def dimension_label(dim: str) -> str:
    return _(DIMENSION_LABELS[dim]) if dim in DIMENSION_LABELS else dim


def code_title(code: str) -> str:
    """An issue or quarantine code as a person reads it: its Chinese title (身份证号校验位错误, not id.checksum)."""
    return _(CODES[code].title) if code in CODES else _("其他问题")




def tally_grid(t: Tally, known: list[str] | None = None, percent: bool | None = None) -> Grid:
    """A tally as a long table: its leaves in order with a 小计 after each group of the leading dimensions and the
    合计 last; suppressed leaves read "<N" or "×"; margins are true counts. `known` (one dimension only) lists
    every known value, 0 where nobody is. With shares (`percent`, default: when the tally has them) a 占比
    column follows the count; a 小计 row's share is of the total."""
    depth = len(t.by)
    with_share = bool(t.percent) if percent is None else percent
    header = [*(dimension_label(d) for d in t.by), _(COUNT_HEADING), *([_(PERCENT_HEADING)] if with_share else [])]
    out: list[Row] = []

    def leaf(values: tuple, i: int | None) -> None:
        if i is None:
            count, share = 0, (0.0 if t.total else None)
        elif i in t.hidden:
            count, share = hidden_mark(t.rows[i]["count"], t.suppress), None
        else:
            count, share = t.rows[i]["count"], t.rows[i].get("percent")
        out.append(([*values, count, *([share] if with_share else [])], ""))

    def close(prev: tuple, nxt: tuple | None) -> None:
        for level in range(depth - 1, 0, -1):
            prefix = prev[:level]
            if nxt is None or nxt[:level] != prefix:
                n = t.subtotals.get(prefix, 0)
                share = share_of(n, t.total) if t.percent == "total" else None
                out.append(([*prefix, _(SUBTOTAL), *[""] * (depth - level - 1), n, *([share] if with_share else [])], "subtotal"))

    if known is not None and depth == 1:
        index = {r[t.by[0]]: i for i, r in enumerate(t.rows)}
        for v in dict.fromkeys([*known, *index]):
            leaf((v,), index.get(v))
    else:
        prev: tuple | None = None
        for i, r in enumerate(t.rows):
            values = tuple(r[d] for d in t.by)
            if prev is not None:
                close(prev, values)
            leaf(values, i)
            prev = values
        if prev is not None:
            close(prev, None)
    if not t.rounds:  # rounds side by side have each their 小计, and no total across them
        out.append(([_(TOTAL), *[""] * (depth - 1), t.total, *([100.0 if t.total else None] if with_share else [])], "total"))
    shares = frozenset({depth + 1}) if with_share else frozenset()
    return Grid(header, out, label_columns=depth, percent_columns=shares)


def crosstab_grid(ct: Crosstab) -> Grid:
    """The wide table: one row per value of the row dimension, one column per value of the column dimension and a
    合计 column; the 合计 row last. With shares, each count column is followed by its 占比 column."""
    with_share = bool(ct.percent)
    across = ct.col_dim != "round"  # rounds side by side have no total across them
    header = [dimension_label(ct.row_dim)]
    for c in ct.col_values:
        header += [c, *([f"{c}{_(PERCENT_HEADING)}"] if with_share else [])]
    header += [_(TOTAL)] if across else []
    rows: list[Row] = []
    for r in ct.row_values:
        cells: list = [r]
        for c in ct.col_values:
            hidden = (r, c) in ct.hidden
            cells.append(hidden_mark(ct.value(r, c), ct.suppress) if hidden else ct.value(r, c))
            if with_share:
                cells.append(None if hidden else ct.share(r, c))
        rows.append(([*cells, *([ct.row_totals.get(r, 0)] if across else [])], ""))
    total: list = [_(TOTAL)]
    for c in ct.col_values:
        total += [ct.col_totals.get(c, 0), *([None] if with_share else [])]
    if ct.row_dim != "round":
        rows.append(([*total, *([ct.total] if across else [])], "total"))
    step = 2 if with_share else 1
    shares = frozenset(2 + step * k for k in range(len(ct.col_values))) if with_share else frozenset()
    return Grid(header, rows, label_columns=1, percent_columns=shares)


def footnote(outside: dict[str, int], unresolved: int, excluded: int) -> str:
    """The line under a table: who is reported beside the total, and who is not counted."""
    parts = [_("另有{group}{count}名").format(group=k, count=v) for k, v in outside.items()]
    parts.append(_("待核实{count}名").format(count=unresolved))
    parts.append(_("不属于统计范围{count}名").format(count=excluded))
    return _("；").join(parts) + _("。")


def suppression_note(threshold: int | None, cells: list) -> str:
    """What "<N" and "×" mean, for the marks a table shows ("" when it shows none)."""
    small = f"<{threshold}"
    if not threshold or not (small in cells or SECONDARY_MARK in cells):
        return ""
    note = _("“{mark}”表示1至{most}人").format(mark=small, most=threshold - 1) if small in cells else ""
    if SECONDARY_MARK in cells:
        note += (_("；") if note else "") + _("“{mark}”表示为防止由合计推算而一并隐去的数值").format(mark=SECONDARY_MARK)
    return note + _("；合计按实际人数计算。")


def table_note(outside: dict[str, int], unresolved: int, excluded: int, threshold: int | None, grid: Grid,
               by_round: dict[str, dict] | None = None) -> str:
    """The footnote (each round's, when rounds are side by side) and, where cells are hidden, what the marks mean."""
    if by_round:
        note = "".join(f"{r}年：" + footnote(v["outside_total"], v["unresolved"], v["excluded"]) for r, v in by_round.items())
    else:
        note = footnote(outside, unresolved, excluded)
    return note + suppression_note(threshold, grid.cells())

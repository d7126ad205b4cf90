"""Tallies: distinct persons counted by dimensions, in SQL over the workspace (never a loop over persons).

The JSON contract (`Tally.to_dict`) is stable — scripts depend on it:
    {"scheme": "legacy6", "round": "2027", "by": ["street", "category"], "total": 5419,
     "rows": [{"street": "宁南街道", "category": "个体工商户", "count": 512}, ...],
     "outside_total": {"非公有制经济人士": 4721}, "unresolved": 12, "excluded": 2000}
`rows` are the leaf cells with a non-zero count of the persons in `total`; they sum to `total`. Every table is of
one round (`round`, default the latest); `by` round puts rounds side by side (`round` is then null and `rounds`
lists them). `arrangement` is multi-valued: a person holding two arrangements is counted under each, so its rows
may sum to more than `total`, which counts persons once. A filter is given as `where` ({"street": ["雨花街道"]}: each
dimension's values as persons are stored with them, after `filters.resolve_where` matched what was written), and is
in the JSON only when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..errors import UsageError
from ..i18n import _, listing
from ..pipeline import ensure_current
from ..vocab import DEFAULT_AGE_BANDS, EXCLUDED, MULTI_VALUED, NEW_CLASS, OUTSIDE, REPRESENTATIVE, UNRESOLVED
from ..workspace import Workspace
from ..workspace.queries import district_name, districts
from ..workspace.rounds import rounds as workspace_rounds
from ..workspace.rounds import table_round
from .dimensions import (
    axis_values,
    check_request,
    dimension_sql,
    scheme_label,
    scheme_name,
    select_sql,
    sort_key,
    value_order,
)
from .filters import Where, resolve_where, where_sql
from .shares import percent as share_of
from .suppress import complementary as extend
from .suppress import hidden_mark, primary

# runs a query (SQL in DuckDB's dialect, `?` parameters) and returns its rows: the workspace's, or Spark's
Query = Callable[[str, list], list[tuple]]


def _with_round(d: dict, round_: str | None, rounds: list[str] | None) -> dict:
    """The table's round after its scheme (null, with the rounds listed, when rounds are side by side)."""
    out = {"scheme": d.pop("scheme"), "round": round_}
    if rounds is not None:
        out["rounds"] = list(rounds)
    return {**out, **d}


def _with_options(d: dict, where: dict, percent: str | None, suppress: int | None) -> dict:
    """The keys a table's JSON carries only when asked for: its filter, its percentages, its suppression."""
    if where:
        d["where"] = {k: list(v) for k, v in where.items()}
    if percent:
        d["percent"] = percent
    if suppress:
        d["suppressed_below"] = suppress
    return d


@dataclass
class Tally:
    scheme: str
    by: list[str]
    total: int
    rows: list[dict]
    outside_total: dict[str, int]
    unresolved: int
    excluded: int
    subtotals: dict[tuple, int] = field(default_factory=dict)  # prefix of `by` values → persons
    where: dict[str, list[str]] = field(default_factory=dict)
    percent: str | None = None  # row, col, total
    suppress: int | None = None
    hidden: set[int] = field(default_factory=set)  # indices of `rows` shown as "<N"
    round: str | None = None  # the round counted (None when rounds are a dimension)
    rounds: list[str] | None = None  # the rounds side by side, when `by` holds round
    by_round: dict[str, dict] = field(default_factory=dict)  # rounds side by side: each one's total and who is beside it

    def to_dict(self) -> dict:
        rows = []
        for i, r in enumerate(self.rows):
            r = dict(r)
            if i in self.hidden:
                r["count"], r["display"] = None, hidden_mark(r["count"], self.suppress)
                r.pop("percent", None)
            rows.append(r)
        d = {
            "scheme": self.scheme, "by": list(self.by), "total": self.total, "rows": rows,
            "outside_total": self.outside_total, "unresolved": self.unresolved, "excluded": self.excluded,
        }
        if self.by_round:
            d["by_round"] = self.by_round
        return _with_options(_with_round(d, self.round, self.rounds), self.where, self.percent, self.suppress)


@dataclass
class Crosstab:
    """The wide table districts print: `rows` down, `cols` across, totals in both margins."""

    scheme: str
    row_dim: str
    col_dim: str
    row_values: list[str]
    col_values: list[str]
    cells: dict[tuple[str, str], int]
    row_totals: dict[str, int]
    col_totals: dict[str, int]
    total: int
    outside_total: dict[str, int]
    unresolved: int
    excluded: int
    where: dict[str, list[str]] = field(default_factory=dict)
    percent: str | None = None
    suppress: int | None = None
    hidden: set[tuple[str, str]] = field(default_factory=set)
    round: str | None = None
    rounds: list[str] | None = None
    by_round: dict[str, dict] = field(default_factory=dict)

    def value(self, r: str, c: str) -> int:
        return self.cells.get((r, c), 0)

    def share(self, r: str, c: str) -> float | None:
        den = {"row": self.row_totals.get(r, 0), "col": self.col_totals.get(c, 0), "total": self.total}.get(self.percent or "")
        return share_of(self.value(r, c), den)

    def to_dict(self) -> dict:
        rows = []
        for r in self.row_values:
            cells = {c: (None if (r, c) in self.hidden else self.value(r, c)) for c in self.col_values}
            row = {self.row_dim: r, "cells": cells, "total": self.row_totals.get(r, 0)}
            if self.percent:
                row["percent"] = {c: (None if (r, c) in self.hidden else self.share(r, c)) for c in self.col_values}
            rows.append(row)
        d = {"scheme": self.scheme, "rows_dim": self.row_dim, "cols_dim": self.col_dim, "columns": list(self.col_values),
             "rows": rows, "column_totals": {c: self.col_totals.get(c, 0) for c in self.col_values}, "total": self.total,
             "outside_total": self.outside_total, "unresolved": self.unresolved, "excluded": self.excluded}
        if self.by_round:
            d["by_round"] = self.by_round
        return _with_options(_with_round(d, self.round, self.rounds), self.where, self.percent, self.suppress)


def _resolved(ws: Workspace, scheme: str, where: Where | None, dims: dict[str, str]) -> dict[str, list[str]]:
    """The filter matched to what is known (`filters.resolve_where`), the values persons have queried when needed."""
    def observed(dim: str) -> list[str]:
        sql = f"unnest({dims[dim]})" if dim in MULTI_VALUED else dims[dim]
        return [v for (v,) in ws.query(f"""SELECT DISTINCT {sql} FROM persons p
                                           JOIN classifications c ON c.person_id = p.person_id AND c.round = p.round
                                           WHERE c.scheme = ?""", [scheme])]

    return resolve_where(ws, scheme, where, observed)


def _base(ws: Workspace, scheme: str, where: dict[str, list[str]], dims: dict[str, str],
          round_: str | None, query: Query) -> tuple[str, list, dict, int, int]:
    """(FROM … WHERE clause, params, outside totals, unresolved, excluded) for one scheme, round (None: every round)
    and filter."""
    conds: list[str] = ["c.scheme = ?"]
    params: list = [scheme]
    if round_ is not None:
        conds.append("p.round = ?")
        params.append(round_)
    more, values = where_sql(dims, where)
    conds += more
    params += values
    base = (f"FROM persons p JOIN classifications c ON c.person_id = p.person_id AND c.round = p.round "
            f"WHERE {' AND '.join(conds)}")
    groups = query(f"SELECT c.grp, c.category, count(*) {base} GROUP BY ALL", params)
    order = value_order(ws, scheme, "category")
    outside = {cat: n for grp, cat, n in sorted(groups, key=lambda g: order.get(g[1], 99)) if grp == OUTSIDE}
    unresolved = sum(n for grp, _, n in groups if grp == UNRESOLVED)
    excluded = sum(n for grp, _, n in groups if grp == EXCLUDED)
    return base, params, outside, unresolved, excluded


def _by_round(query: Query, base: str, params: list, rounds: list[str]) -> dict[str, dict]:
    """Rounds side by side: each round's total, who is reported beside it, 待核实 and out of scope."""
    out = {r: {"total": 0, "outside_total": {}, "unresolved": 0, "excluded": 0} for r in rounds}
    for r, grp, cat, n in query(f"SELECT p.round, c.grp, c.category, count(*) {base} GROUP BY ALL ORDER BY ALL", params):
        if grp == NEW_CLASS:
            out[r]["total"] += n
        elif grp == OUTSIDE:
            out[r]["outside_total"][cat] = n
        else:
            out[r]["unresolved" if grp == UNRESOLVED else "excluded"] += n
    return out


def resolve_rounds(ws: Workspace, dims: list[str], where: dict[str, list[str]],
                   wanted: str | int | None) -> tuple[str | None, list[str] | None]:
    """(the round a table counts, or None; the rounds side by side, when `dims` holds round)."""
    if "round" in dims:
        if wanted is not None:
            raise UsageError(_("--round 与按年度（round）统计不能同时使用：按年度统计时各年度并列。"))
        return None, workspace_rounds(ws)
    if "round" in where:
        chosen = where.pop("round")
        if len(chosen) > 1:
            raise UsageError(_("--where round= 只能给一个年度；要并列多个年度，请按 round 统计（--by round）。"))
        return table_round(ws, chosen[0]), None
    return table_round(ws, wanted), None


def tally(ws: Workspace, scheme: str = "current4", by: list[str] | None = None, where: Where | None = None,
          as_of: date | None = None, age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS, percent: str | None = None,
          suppress: int | None = None, complementary: bool = False, round: str | int | None = None,
          query: Query | None = None) -> Tally:
    """Count distinct persons of the new social class by `by`, under `scheme`, in one round (default: the latest;
    `by` round puts every round side by side), after `where` filters.

    `percent` adds each row's share: of the total ("total"), or within its group of the first dimensions
    ("row"). `suppress` N shows cells under N as "<N" (totals stay true); `complementary` also hides the
    fewest further cells so that none can be recovered from the published 小计 and 合计. `where` keeps persons whose
    value of a dimension is any of the values given (street, community: names, aliases or codes; category: labels,
    short names or synonyms; …); a value nothing known matches is a UsageError naming the closest known ones.
    `query` runs the counts elsewhere than in the workspace (`tables.spark.SparkTables.query`: on Spark)."""
    by = list(by or ["category"])
    scheme = scheme_name(scheme)
    check_request(scheme, by, percent, complementary=complementary)
    return _count(ws, scheme, by, where, as_of, age_bands, percent, suppress, complementary, round, query)


def _count(ws: Workspace, scheme: str, by: list[str], where: Where | None, as_of: date | None,
           age_bands: tuple[int, ...], percent: str | None, suppress: int | None, complementary: bool,
           wanted: str | int | None, query: Query | None = None) -> Tally:
    """`tally` after its request was checked (a crosstab's dimensions are checked as a wide table's)."""
    ensure_current(ws)
    query = query or ws.query
    dims = dimension_sql(as_of or date.today(), tuple(age_bands))
    where = _resolved(ws, scheme, where, dims)
    target, side_by_side = resolve_rounds(ws, by, where, wanted)
    base, params, outside, unresolved, excluded = _base(ws, scheme, where, dims, target, query)
    cols = ", ".join(f"{select_sql(dims, d)} AS d{i}" for i, d in enumerate(by))
    keys = ", ".join(f"d{i}" for i in range(len(by)))
    sets = ", ".join("(" + ", ".join(f"d{i}" for i in range(k)) + ")" for k in range(len(by), -1, -1))
    multi = any(d in MULTI_VALUED for d in by)  # a person in several cells: count each person once in every sum
    result = query(
        f"""SELECT {keys}, {' + '.join(f'grouping(d{i})' for i in range(len(by)))} AS level,
                   {'count(DISTINCT pid)' if multi else 'count(*)'} AS n
            FROM (SELECT p.person_id || '/' || p.round AS pid, {cols} {base} AND c.grp = '{NEW_CLASS}')
            GROUP BY GROUPING SETS ({sets})""",
        params,
    )
    leaves, subtotals = [], {}
    for r in result:
        values, level, n = r[: len(by)], r[len(by)], r[len(by) + 1]
        if level == 0:
            leaves.append((values, n))
        else:
            subtotals[tuple(values[: len(by) - level])] = n
    keyfuncs = [sort_key(value_order(ws, scheme, d), d) for d in by]
    leaves.sort(key=lambda x: tuple(f(v) for f, v in zip(keyfuncs, x[0], strict=True)))
    rows = [{**{d: v for d, v in zip(by, values, strict=True)}, "count": n} for values, n in leaves]
    total = subtotals.pop((), 0)
    t = Tally(scheme, by, total, rows, outside, unresolved, excluded, subtotals, where, percent, suppress,
              round=target, rounds=side_by_side)
    if side_by_side is not None:
        t.by_round = _by_round(query, base, params, side_by_side)
    if percent:
        for r in rows:
            group = tuple(r[d] for d in by[:-1])
            den = total if percent == "total" or len(by) == 1 else subtotals.get(group, 0)
            r["percent"] = share_of(r["count"], den)
    if suppress:
        counts = [r["count"] for r in rows]
        t.hidden = _suppress_long(t, counts, suppress, complementary)
    return t


def _suppress_long(t: Tally, counts: list[int], threshold: int, complementary: bool) -> set[int]:
    hidden = primary(counts, threshold)
    if not complementary:
        return hidden
    sums: list[list[int]] = [list(range(len(counts)))]  # the 合计
    for level in range(1, len(t.by)):
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(t.rows):
            groups.setdefault(tuple(r[d] for d in t.by[:level]), []).append(i)
        sums.extend(groups.values())  # the 小计 rows
    return extend(counts, sums, hidden)


def crosstab(ws: Workspace, scheme: str = "current4", rows: str = "street", cols: str = "category",
             where: Where | None = None, as_of: date | None = None,
             age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS, percent: str | None = None,
             suppress: int | None = None, complementary: bool = False, round: str | int | None = None,
             query: Query | None = None) -> Crosstab:
    """The wide table: every known value of `rows` down (all streets of the register, even empty ones),
    every value of `cols` across (all categories of the scheme), totals in both margins. Of one round (default:
    the latest), or rounds side by side when `rows` or `cols` is round."""
    if rows == cols:
        raise UsageError(_("--rows 和 --cols 必须是不同的维度。"))
    scheme = scheme_name(scheme)
    check_request(scheme, [rows, cols], percent, wide=True, complementary=complementary)
    t = _count(ws, scheme, [rows, cols], where, as_of, age_bands, None, None, False, round, query)
    where = t.where
    row_values = axis_values(ws, scheme, rows, {r[rows] for r in t.rows}, where)
    col_values = axis_values(ws, scheme, cols, {r[cols] for r in t.rows}, where)
    cells = {(r[rows], r[cols]): r["count"] for r in t.rows}
    row_totals = {rv: t.subtotals.get((rv,), 0) for rv in row_values}
    if rows in MULTI_VALUED:  # a person may be in several rows: each column's total counts them once
        by_col = _count(ws, scheme, [cols], dict(where), as_of, age_bands, None, None, False, round, query)
        col_totals = {cv: next((r["count"] for r in by_col.rows if r[cols] == cv), 0) for cv in col_values}
    else:
        col_totals = {cv: sum(n for (_r, c), n in cells.items() if c == cv) for cv in col_values}
    ct = Crosstab(scheme, rows, cols, row_values, col_values, cells, row_totals, col_totals, t.total,
                  t.outside_total, t.unresolved, t.excluded, where, percent, suppress, round=t.round, rounds=t.rounds,
                  by_round=t.by_round)
    if suppress:
        keys = [(r, c) for r in row_values for c in col_values]
        counts = [cells.get(k, 0) for k in keys]
        hidden = primary(counts, suppress)
        if complementary:
            sums = [[i for i, k in enumerate(keys) if k[0] == r] for r in row_values]
            sums += [[i for i, k in enumerate(keys) if k[1] == c] for c in col_values]
            sums.append(list(range(len(keys))))
            hidden = extend(counts, sums, hidden)
        ct.hidden = {keys[i] for i in hidden}
    return ct


@dataclass
class Narrative:
    """The summary paragraph and the figures it states (`tally --narrative --format json` prints `to_dict()`)."""

    text: str
    figures: dict

    def to_dict(self) -> dict:
        return {"text": self.text, "figures": self.figures}


def narrative_result(ws: Workspace, scheme: str = "current4", where: Where | None = None,
                     round: str | int | None = None) -> Narrative:
    """The summary paragraph district reports write, "全区共有新的社会阶层人士N名，其中…（占X%）……。另有非公有制经济人士N名。
    代表人士N名。", with the scheme's labels and the 待核实 count stated; and its figures: the scheme, the area, the
    total, each category's count and share, who is reported beside the total, representatives, 待核实, 不属于统计范围
    (of one round, default the latest)."""
    t = tally(ws, scheme, ["category"], where, percent="total", round=round)
    where = t.where
    places = where.get("community") or where.get("street") or where.get("district")
    if places:
        area = listing(places)
    elif where:
        area = _("所选范围内")
    else:  # one district's workspace: 全区; districts merged: their city's (or merge's) name
        area = _("全区") if len(districts(ws)) <= 1 else district_name(ws)
    parts = [_("{category}{count}人（占{percent:.1f}%）").format(category=r["category"], count=r["count"], percent=r["percent"])
             for r in t.rows if r["count"]]
    text = _("{area}共有新的社会阶层人士{total}名").format(area=area, total=t.total)
    text += _("，其中{parts}。").format(parts=_("，").join(parts)) if parts else _("。")
    if t.outside_total:
        text += _("另有{groups}。").format(groups=listing(_("{group}{count}名").format(group=k, count=v) for k, v in t.outside_total.items()))
    reps = tally(ws, t.scheme, ["representative"], where, round=t.round)
    n_reps = sum(r["count"] for r in reps.rows if r["representative"] == REPRESENTATIVE)
    text += _("代表人士{count}名。").format(count=n_reps)
    if t.unresolved:
        text += _("另有{count}名人员类别待核实，未计入上述总数。").format(count=t.unresolved)
    figures = {
        "scheme": t.scheme, "round": t.round, "scheme_label": scheme_label(t.scheme), "area": area,
        **({"where": {k: list(v) for k, v in where.items()}} if where else {}),
        "total": t.total, "categories": [{"category": r["category"], "count": r["count"], "percent": r["percent"]} for r in t.rows],
        "outside_total": dict(t.outside_total), "representatives": n_reps, "unresolved": t.unresolved, "excluded": t.excluded,
    }
    return Narrative(text, figures)


def narrative(ws: Workspace, scheme: str = "current4", where: Where | None = None, round: str | int | None = None) -> str:
    """The summary paragraph alone (`narrative_result(...).text`)."""
    return narrative_result(ws, scheme, where, round).text

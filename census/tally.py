"""Tallies: distinct persons counted by dimensions, in SQL over the workspace (never a loop over persons).

The JSON contract (`Tally.to_dict`) is stable — scripts depend on it:
    {"scheme": "legacy6", "by": ["street", "category"], "total": 5419,
     "rows": [{"street": "宁南街道", "category": "个体工商户", "count": 512}, ...],
     "outside_total": {"非公有制经济人士": 4721}, "unresolved": 12, "excluded": 2000}
`rows` are the leaf cells with a non-zero count of the persons in `total`; they sum to `total`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .classify import compiled_schemes
from .errors import UsageError
from .schema import load_schemas
from .store import Workspace

UNKNOWN = "未知"
DEFAULT_AGE_BANDS = (30, 40, 50, 60)


def age_band_expr(as_of: date, bands: tuple[int, ...]) -> str:
    """SQL for the age band of `p.birth_date` at `as_of`: "<30", "30-39", …, "≥60", else 未知."""
    age = f"date_diff('year', p.birth_date, DATE '{as_of.isoformat()}') - CASE WHEN strftime(p.birth_date, '%m%d') > '{as_of.strftime('%m%d')}' THEN 1 ELSE 0 END"
    parts = [f"WHEN ({age}) < {bands[0]} THEN '<{bands[0]}'"]
    for lo, hi in zip(bands, bands[1:], strict=False):
        parts.append(f"WHEN ({age}) < {hi} THEN '{lo}-{hi - 1}'")
    parts.append(f"ELSE '≥{bands[-1]}'")
    return f"CASE WHEN p.birth_date IS NULL THEN '{UNKNOWN}' " + " ".join(parts) + " END"


def dimension_sql(as_of: date, bands: tuple[int, ...]) -> dict[str, str]:
    return {
        "category": "c.category",
        "street": f"coalesce(p.street, '{UNKNOWN}')",
        "community": f"coalesce(p.community, '{UNKNOWN}')",
        "sex": f"coalesce(p.sex, '{UNKNOWN}')",
        "age_band": age_band_expr(as_of, bands),
        "education": f"coalesce(p.education, '{UNKNOWN}')",
        "political_status": f"coalesce(p.political_status, '{UNKNOWN}')",
        "party": f"coalesce(p.party, '{UNKNOWN}')",
        "representative": "CASE WHEN p.representative THEN '代表人士' ELSE '非代表人士' END",
        "unit_type": f"coalesce(p.unit_type, '{UNKNOWN}')",
        "source_kind": f"coalesce(p.source_kinds, '{UNKNOWN}')",
    }


DIMENSIONS = tuple(dimension_sql(date.today(), DEFAULT_AGE_BANDS))
DIMENSION_LABELS = {
    "category": "类别", "street": "街道", "community": "社区", "sex": "性别", "age_band": "年龄段", "education": "学历",
    "political_status": "政治面貌", "party": "党派", "representative": "代表人士", "unit_type": "单位性质", "source_kind": "来源",
}


def _with_options(d: dict, where: dict, percent: str | None, suppress: int | None) -> dict:
    """The keys a table's JSON carries only when asked for: its filter, its percentages, its suppression."""
    if where:
        d["where"] = dict(where)
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
    where: dict[str, str] = field(default_factory=dict)
    percent: str | None = None  # row, col, total
    suppress: int | None = None
    hidden: set[int] = field(default_factory=set)  # indices of `rows` shown as "<N"

    def to_dict(self) -> dict:
        rows = []
        for i, r in enumerate(self.rows):
            r = dict(r)
            if i in self.hidden:
                r["count"], r["display"] = None, self.display(i)
                r.pop("percent", None)
            rows.append(r)
        d = {
            "scheme": self.scheme, "by": list(self.by), "total": self.total, "rows": rows,
            "outside_total": self.outside_total, "unresolved": self.unresolved, "excluded": self.excluded,
        }
        return _with_options(d, self.where, self.percent, self.suppress)

    def display(self, i: int) -> str:
        """"<N" for a small cell, "×" for a cell hidden only so that a small one cannot be recovered."""
        if i not in self.hidden:
            return str(self.rows[i]["count"])
        return f"<{self.suppress}" if 0 < self.rows[i]["count"] < self.suppress else "×"


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
    where: dict[str, str] = field(default_factory=dict)
    percent: str | None = None
    suppress: int | None = None
    hidden: set[tuple[str, str]] = field(default_factory=set)

    def value(self, r: str, c: str) -> int:
        return self.cells.get((r, c), 0)

    def share(self, r: str, c: str) -> float | None:
        den = {"row": self.row_totals.get(r, 0), "col": self.col_totals.get(c, 0), "total": self.total}.get(self.percent or "")
        return round(100.0 * self.value(r, c) / den, 1) if den else None

    def display(self, r: str, c: str) -> str:
        if (r, c) in self.hidden:
            return f"<{self.suppress}" if 0 < self.value(r, c) < self.suppress else "×"
        v = str(self.value(r, c))
        share = self.share(r, c)
        return f"{v}（{share:.1f}%）" if share is not None else v

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
        return _with_options(d, self.where, self.percent, self.suppress)


def parse_where(items: list[str] | None) -> dict[str, str]:
    """["street=宁南街道", "sex=女"] → {"street": "宁南街道", "sex": "女"}."""
    out: dict[str, str] = {}
    for item in items or []:
        m = re.fullmatch(r"\s*(\w+)\s*=\s*(.+?)\s*", item)
        if not m:
            raise UsageError(f"--where {item!r}: write it as DIMENSION=VALUE, for example street=宁南街道.")
        if m.group(1) not in DIMENSIONS:
            raise UsageError(f"--where {item!r}: {m.group(1)!r} is not a dimension; use one of {', '.join(DIMENSIONS)}.")
        out[m.group(1)] = m.group(2)
    return out


def value_order(ws: Workspace, scheme_name: str, dim: str) -> dict[str, int]:
    """The order values of a dimension are shown in: the scheme's categories, the register's streets and
    communities, the code tables' order; anything else by name; 未知 last."""
    schemas = load_schemas()
    if dim == "category":
        return {lab: i for i, lab in enumerate(compiled_schemes(schemas)[scheme_name].order)}
    if dim == "street":
        return {n: i for i, (n,) in enumerate(ws.query("SELECT name FROM regions WHERE level = 'street' ORDER BY code"))}
    if dim == "community":
        return {n: i for i, (n,) in enumerate(ws.query("SELECT name FROM regions WHERE level = 'community' ORDER BY code"))}
    if dim in ("sex", "education", "political_status"):
        return {label: i for i, label in enumerate(schemas.codes[dim].codes)}
    if dim == "party":
        return {"中共党员": 0, "党外": 1}
    if dim == "representative":
        return {"代表人士": 0, "非代表人士": 1}
    return {}


def sort_key(order: dict[str, int], dim: str):
    def key(v: str):
        if v == UNKNOWN:
            return (2, 0, "")
        if dim == "age_band":
            m = re.match(r"[<≥]?(\d+)", v)
            return (0, (int(m.group(1)) if m else 999) + (0.5 if v.startswith("≥") else -0.5 if v.startswith("<") else 0), v)
        return (0, order[v], v) if v in order else (1, 0, v)
    return key


def check_request(scheme: str, by: list[str], percent: str | None = None, wide: bool = False) -> None:
    """Raise UsageError for an unknown scheme, dimension or percent base (before any work is done)."""
    schemes = compiled_schemes(load_schemas())
    if scheme not in schemes:
        raise UsageError(f"--scheme must be one of {', '.join(schemes)}, not {scheme!r}.")
    for d in by:
        if d not in DIMENSIONS:
            raise UsageError(f"{'--rows/--cols' if wide else '--by'} {d!r} is not a dimension; use one of {', '.join(DIMENSIONS)}.")
    if len(set(by)) != len(by):
        raise UsageError("each --by dimension may be given once.")
    allowed = ("row", "col", "total") if wide else ("row", "total")
    if percent is not None and percent not in allowed:
        raise UsageError(f"--percent must be one of {', '.join(allowed)}{'' if wide else ' (col needs --rows/--cols)'}, not {percent!r}.")


def _base(ws: Workspace, scheme: str, where: dict[str, str], dims: dict[str, str]) -> tuple[str, list, dict, int, int]:
    """(FROM … WHERE clause, params, outside totals, unresolved, excluded) for one scheme and filter."""
    conds = ["c.scheme = ?"]
    params: list = [scheme]
    for k, v in where.items():
        conds.append(f"({dims[k]}) = ?")
        params.append(v)
    base = f"FROM persons p JOIN classifications c ON c.person_id = p.person_id WHERE {' AND '.join(conds)}"
    groups = ws.query(f"SELECT c.grp, c.category, count(*) {base} GROUP BY ALL", params)
    order = value_order(ws, scheme, "category")
    outside = {cat: n for grp, cat, n in sorted(groups, key=lambda g: order.get(g[1], 99)) if grp == "outside"}
    unresolved = sum(n for grp, _, n in groups if grp == "unresolved")
    excluded = sum(n for grp, _, n in groups if grp == "excluded")
    return base, params, outside, unresolved, excluded


def tally(ws: Workspace, scheme: str = "current4", by: list[str] | None = None, where: dict[str, str] | None = None,
          as_of: date | None = None, age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS, percent: str | None = None,
          suppress: int | None = None, complementary: bool = False) -> Tally:
    """Count distinct persons of the new social class by `by`, under `scheme`, after `where` filters.

    `percent` adds each row's share: of the total ("total"), or within its group of the first dimensions
    ("row"). `suppress` N shows cells under N as "<N" (totals stay true); `complementary` also hides the
    fewest further cells so that none can be recovered from the published 小计 and 合计."""
    by = list(by or ["category"])
    where = dict(where or {})
    check_request(scheme, by, percent)
    dims = dimension_sql(as_of or date.today(), tuple(age_bands))
    base, params, outside, unresolved, excluded = _base(ws, scheme, where, dims)
    cols = ", ".join(f"{dims[d]} AS d{i}" for i, d in enumerate(by))
    keys = ", ".join(f"d{i}" for i in range(len(by)))
    sets = ", ".join("(" + ", ".join(f"d{i}" for i in range(k)) + ")" for k in range(len(by), -1, -1))
    result = ws.query(
        f"""SELECT {keys}, {' + '.join(f'grouping(d{i})' for i in range(len(by)))} AS level, count(*) AS n
            FROM (SELECT {cols} {base} AND c.grp = 'new_class')
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
    t = Tally(scheme, by, total, rows, outside, unresolved, excluded, subtotals, where, percent, suppress)
    if percent:
        for r in rows:
            group = tuple(r[d] for d in by[:-1])
            den = total if percent == "total" or len(by) == 1 else subtotals.get(group, 0)
            r["percent"] = round(100.0 * r["count"] / den, 1) if den else None
    if suppress:
        counts = [r["count"] for r in rows]
        t.hidden = _suppress_long(t, counts, suppress, complementary)
    return t


def _suppress_long(t: Tally, counts: list[int], threshold: int, complementary: bool) -> set[int]:
    from .suppress import complementary as extend
    from .suppress import primary

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
             where: dict[str, str] | None = None, as_of: date | None = None,
             age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS, percent: str | None = None,
             suppress: int | None = None, complementary: bool = False) -> Crosstab:
    """The wide table: every known value of `rows` down (all streets of the register, even empty ones),
    every value of `cols` across (all categories of the scheme), totals in both margins."""
    if rows == cols:
        raise UsageError("--rows and --cols must be different dimensions.")
    check_request(scheme, [rows, cols], percent, wide=True)
    where = dict(where or {})
    t = tally(ws, scheme, [rows, cols], where, as_of, age_bands)
    row_values = _axis(ws, scheme, rows, {r[rows] for r in t.rows}, where)
    col_values = _axis(ws, scheme, cols, {r[cols] for r in t.rows}, where)
    cells = {(r[rows], r[cols]): r["count"] for r in t.rows}
    row_totals = {rv: t.subtotals.get((rv,), 0) for rv in row_values}
    col_totals = {cv: sum(n for (_, c), n in cells.items() if c == cv) for cv in col_values}
    ct = Crosstab(scheme, rows, cols, row_values, col_values, cells, row_totals, col_totals, t.total,
                  t.outside_total, t.unresolved, t.excluded, where, percent, suppress)
    if suppress:
        from .suppress import complementary as extend
        from .suppress import primary

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


def _axis(ws: Workspace, scheme: str, dim: str, seen: set[str], where: dict[str, str]) -> list[str]:
    """Values of a crosstab axis: the scheme's new-class categories, the register's streets (or the
    communities of the street filtered on), plus anything observed; ordered."""
    order = value_order(ws, scheme, dim)
    known: list[str] = []
    if dim == "category":
        schemes = compiled_schemes(load_schemas())
        known = [c for c in schemes[scheme].order if schemes[scheme].group[c] == "new_class"]
    elif dim == "street" and "street" not in where:
        known = list(order)
    elif dim == "community":
        sql = "SELECT name FROM regions WHERE level = 'community'" + (" AND street = ?" if "street" in where else "") + " ORDER BY code"
        known = [n for (n,) in ws.query(sql, [where["street"]] if "street" in where else [])]
    values = list(dict.fromkeys([*known, *sorted(seen - set(known), key=sort_key(order, dim))]))
    return values


def table_rows(t: Tally) -> tuple[list[str], list[tuple[list[str], str, str]]]:
    """The printed form of a tally: (header, rows), each row (labels, count text, style) where style is ""
    for a leaf, "subtotal" for a 小计 row and "total" for the 合计 row. Subtotals follow each group of the
    first `--by` dimensions; suppressed leaves read "<N"; margins are true counts."""
    header = [DIMENSION_LABELS.get(d, d) for d in t.by] + ["人数"]
    out: list[tuple[list[str], str, str]] = []
    depth = len(t.by)
    prev: tuple | None = None
    for i, row in enumerate(t.rows):
        values = tuple(row[d] for d in t.by)
        if prev is not None:
            _close_groups(out, t, prev, values, depth)
        text = t.display(i)
        if t.percent and i not in t.hidden and row.get("percent") is not None:
            text += f"（{row['percent']:.1f}%）"
        out.append((list(values), text, ""))
        prev = values
    if prev is not None:
        _close_groups(out, t, prev, None, depth)
    out.append((["合计"] + [""] * (depth - 1), str(t.total), "total"))
    return header, out


def _close_groups(out, t: Tally, prev: tuple, nxt: tuple | None, depth: int) -> None:
    for level in range(depth - 1, 0, -1):
        prefix = prev[:level]
        if nxt is None or nxt[:level] != prefix:
            labels = list(prefix) + ["小计"] + [""] * (depth - level - 1)
            out.append((labels, str(t.subtotals.get(prefix, 0)), "subtotal"))


def crosstab_rows(ct: Crosstab) -> tuple[list[str], list[tuple[list[str], str]]]:
    """The wide table as text: header, then (cells, style) per row, the 合计 row last."""
    header = [DIMENSION_LABELS.get(ct.row_dim, ct.row_dim)] + list(ct.col_values) + ["合计"]
    rows = [([r] + [ct.display(r, c) for c in ct.col_values] + [str(ct.row_totals.get(r, 0))], "") for r in ct.row_values]
    rows.append((["合计"] + [str(ct.col_totals.get(c, 0)) for c in ct.col_values] + [str(ct.total)], "total"))
    return header, rows


def footnote(outside: dict[str, int], unresolved: int, excluded: int, suppress: int | None = None) -> str:
    """The line under a table: who is reported beside the total, who is not counted, what "<N" and "×" mean."""
    parts = [f"另有{k}{v}名" for k, v in outside.items()]
    parts.append(f"待核实{unresolved}名")
    parts.append(f"不属于统计范围{excluded}名")
    text = "；".join(parts) + "。"
    if suppress:
        text += f"“<{suppress}”表示不足{suppress}人；“×”表示为防止推算而隐藏的数；合计按实际人数计算。"
    return text


def narrative(ws: Workspace, scheme: str = "current4", where: dict[str, str] | None = None) -> str:
    """The summary paragraph district reports write: "全区共有新的社会阶层人士N名，其中…（占X%）……；另有非公有制
    经济人士N名。代表人士N名。" with the scheme's labels, and the 待核实 count stated."""
    where = dict(where or {})
    t = tally(ws, scheme, ["category"], where, percent="total")
    area = where.get("community") or where.get("street") or ("全区" if not where else "所选范围内")
    parts = [f"{r['category']}{r['count']}人（占{r['percent']:.1f}%）" for r in t.rows if r["count"]]
    text = f"{area}共有新的社会阶层人士{t.total}名"
    text += ("，其中" + "，".join(parts) + "。") if parts else "。"
    if t.outside_total:
        text += "另有" + "、".join(f"{k}{v}名" for k, v in t.outside_total.items()) + "。"
    reps = tally(ws, scheme, ["representative"], where)
    n_reps = sum(r["count"] for r in reps.rows if r["representative"] == "代表人士")
    text += f"代表人士{n_reps}名。"
    if t.unresolved:
        text += f"另有{t.unresolved}名人员类别待核实，未计入上述总数。"
    return text

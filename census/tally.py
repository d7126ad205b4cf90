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

from .classify import _schemes
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

    def to_dict(self) -> dict:
        d = {
            "scheme": self.scheme, "by": list(self.by), "total": self.total, "rows": self.rows,
            "outside_total": self.outside_total, "unresolved": self.unresolved, "excluded": self.excluded,
        }
        if self.where:
            d["where"] = dict(self.where)
        return d


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


def _order(ws: Workspace, scheme_name: str, dim: str) -> dict[str, int]:
    """The order values of a dimension are shown in: the scheme's categories, the register's streets and
    communities, the code tables' order; anything else by name; 未知 last."""
    schemas = load_schemas()
    if dim == "category":
        return {lab: i for i, lab in enumerate(_schemes(schemas)[scheme_name].order)}
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
            return (0, (int(m.group(1)) if m else 999) + (0.5 if v.startswith("≥") else 0), v)
        return (0, order[v], v) if v in order else (1, 0, v)
    return key


def check_request(scheme: str, by: list[str]) -> None:
    """Raise UsageError for an unknown scheme or dimension (before any work is done)."""
    schemes = _schemes(load_schemas())
    if scheme not in schemes:
        raise UsageError(f"--scheme must be one of {', '.join(schemes)}, not {scheme!r}.")
    for d in by:
        if d not in DIMENSIONS:
            raise UsageError(f"--by {d!r} is not a dimension; use one of {', '.join(DIMENSIONS)}.")
    if len(set(by)) != len(by):
        raise UsageError("each --by dimension may be given once.")


def tally(ws: Workspace, scheme: str = "current4", by: list[str] | None = None, where: dict[str, str] | None = None,
          as_of: date | None = None, age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS) -> Tally:
    """Count distinct persons of the new social class by `by`, under `scheme`, after `where` filters."""
    by = list(by or ["category"])
    where = dict(where or {})
    check_request(scheme, by)
    dims = dimension_sql(as_of or date.today(), tuple(age_bands))
    conds = ["c.scheme = ?"]
    params: list = [scheme]
    for k, v in where.items():
        conds.append(f"({dims[k]}) = ?")
        params.append(v)
    base = f"FROM persons p JOIN classifications c ON c.person_id = p.person_id WHERE {' AND '.join(conds)}"
    groups = ws.query(f"SELECT c.grp, c.category, count(*) {base} GROUP BY ALL", params)
    outside = {cat: n for grp, cat, n in groups if grp == "outside"}
    unresolved = sum(n for grp, _, n in groups if grp == "unresolved")
    excluded = sum(n for grp, _, n in groups if grp == "excluded")
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
    keyfuncs = [sort_key(_order(ws, scheme, d), d) for d in by]
    leaves.sort(key=lambda x: tuple(f(v) for f, v in zip(keyfuncs, x[0], strict=True)))
    rows = [{**{d: v for d, v in zip(by, values, strict=True)}, "count": n} for values, n in leaves]
    total = subtotals.pop((), 0)
    return Tally(scheme, by, total, rows, outside, unresolved, excluded, subtotals, where)


def table_rows(t: Tally) -> tuple[list[str], list[tuple[list[str], int, str]]]:
    """The printed form of a tally: (header, rows), each row (labels, count, style) where style is "" for a
    leaf, "subtotal" for a 小计 row and "total" for the 合计 row. Subtotals follow each group of the first
    `--by` dimensions."""
    header = [DIMENSION_LABELS.get(d, d) for d in t.by] + ["人数"]
    out: list[tuple[list[str], int, str]] = []
    depth = len(t.by)
    prev: tuple | None = None
    for row in t.rows:
        values = tuple(row[d] for d in t.by)
        if prev is not None:
            _close_groups(out, t, prev, values, depth)
        out.append((list(values), row["count"], ""))
        prev = values
    if prev is not None:
        _close_groups(out, t, prev, None, depth)
    out.append((["合计"] + [""] * (depth - 1), t.total, "total"))
    return header, out


def _close_groups(out, t: Tally, prev: tuple, nxt: tuple | None, depth: int) -> None:
    for level in range(depth - 1, 0, -1):
        prefix = prev[:level]
        if nxt is None or nxt[:level] != prefix:
            labels = list(prefix) + ["小计"] + [""] * (depth - level - 1)
            out.append((labels, t.subtotals.get(prefix, 0), "subtotal"))

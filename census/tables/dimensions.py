"""The dimensions persons are counted by: the SQL of each over persons and classifications, the order their
values are shown in, and the checks every request passes before any work is done."""

from __future__ import annotations

import re
from datetime import date

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..errors import UsageError
from ..i18n import _
from ..vocab import (
    ARRANGEMENTS,
    CPC_MEMBER,
    DEFAULT_AGE_BANDS,
    DIMENSIONS,
    MULTI_VALUED,
    NEW_CLASS,
    NO_ARRANGEMENT,
    NON_CPC,
    NOT_REPRESENTATIVE,
    REPRESENTATIVE,
    UNKNOWN,
    age_band_labels,
)
from ..workspace import Workspace
from ..workspace.queries import communities, streets
from ..workspace.rounds import rounds


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
        "representative": f"CASE WHEN p.representative THEN '{REPRESENTATIVE}' ELSE '{NOT_REPRESENTATIVE}' END",
        "unit_type": f"coalesce(p.unit_type, '{UNKNOWN}')",
        "source_kind": f"coalesce(p.source_kinds, '{UNKNOWN}')",
        # multi-valued (vocab.MULTI_VALUED): the list of a person's values; tallies unnest it and filters test it
        "arrangement": f"CASE WHEN len(coalesce(p.arrangements, [])) = 0 THEN ['{NO_ARRANGEMENT}'] ELSE p.arrangements END",
        "round": "p.round",
    }


def select_sql(dims: dict[str, str], dim: str) -> str:
    """The SQL of a dimension's value in a SELECT list (a multi-valued one unnested: one row per value)."""
    return f"unnest({dims[dim]})" if dim in MULTI_VALUED else dims[dim]


def filter_sql(dims: dict[str, str], dim: str) -> str:
    """The SQL of a filter `dim = ?` (a multi-valued dimension: the person holds the value)."""
    return f"list_contains({dims[dim]}, ?)" if dim in MULTI_VALUED else f"({dims[dim]}) = ?"


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
        return {n: i for i, n in enumerate(streets(ws))}
    if dim == "community":
        return {n: i for i, n in enumerate(communities(ws))}
    if dim in ("sex", "education", "political_status"):
        return {label: i for i, label in enumerate(schemas.codes[dim].codes)}
    if dim == "party":
        return {CPC_MEMBER: 0, NON_CPC: 1}
    if dim == "representative":
        return {REPRESENTATIVE: 0, NOT_REPRESENTATIVE: 1}
    if dim == "arrangement":
        return {label: i for i, label in enumerate((*ARRANGEMENTS, NO_ARRANGEMENT))}
    if dim == "round":
        return {r: i for i, r in enumerate(rounds(ws))}
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


def check_request(scheme: str, by: list[str], percent: str | None = None, wide: bool = False,
                  complementary: bool = False) -> None:
    """Raise UsageError for an unknown scheme, dimension or percent base (before any work is done)."""
    schemes = compiled_schemes(load_schemas())
    if scheme not in schemes:
        raise UsageError(f"--scheme must be one of {', '.join(schemes)}, not {scheme!r}.")
    for d in by:
        if d not in DIMENSIONS:
            raise UsageError(f"{'--rows/--cols' if wide else '--by'} {d!r} is not a dimension; use one of {', '.join(DIMENSIONS)}.")
    if len(set(by)) != len(by):
        raise UsageError("each --by dimension may be given once.")
    if "round" in by and not wide and by[0] != "round":
        raise UsageError(_("按年度并列时，round 须为第一个 --by 维度（各年度分别小计），或使用 --rows/--cols。"))
    if complementary and any(d in MULTI_VALUED for d in by):
        raise UsageError(_("按政治安排统计时一人可计入多项，各项之和不等于合计，不能使用 --suppress-complementary；请只用 --suppress。"))
    allowed = ("row", "col", "total") if wide else ("row", "total")
    if percent is not None and percent not in allowed:
        raise UsageError(f"--percent must be one of {', '.join(allowed)}{'' if wide else ' (col needs --rows/--cols)'}, not {percent!r}.")


def axis_values(ws: Workspace, scheme: str, dim: str, seen: set[str], where: dict[str, str]) -> list[str]:
    """Values of a crosstab axis: the scheme's new-class categories, the register's streets (or the
    communities of the street filtered on), plus anything observed; ordered."""
    order = value_order(ws, scheme, dim)
    known: list[str] = []
    if dim == "category":
        known = new_class_categories(scheme)
    elif dim == "street" and "street" not in where:
        known = list(order)
    elif dim == "community":
        known = communities(ws, where.get("street"))
    elif dim == "round":
        known = rounds(ws)
    values = list(dict.fromkeys([*known, *sorted(seen - set(known), key=sort_key(order, dim))]))
    return values




def new_class_categories(scheme: str) -> list[str]:
    """The scheme's categories counted in its total, in order."""
    s = compiled_schemes(load_schemas())[scheme]
    return [c for c in s.order if s.group[c] == NEW_CLASS]


def known_values(ws: Workspace, scheme: str, dim: str) -> list[str]:
    """Values a one-dimension table always lists (even at 0): the scheme's new-class categories, the register's
    streets, the code tables' labels, the age bands."""
    if dim == "category":
        return new_class_categories(scheme)
    if dim == "street":
        return streets(ws)
    if dim in ("sex", "education", "political_status"):
        return list(load_schemas().codes[dim].codes)
    if dim == "party":
        return [CPC_MEMBER, NON_CPC]
    if dim == "representative":
        return [REPRESENTATIVE, NOT_REPRESENTATIVE]
    if dim == "age_band":
        return age_band_labels(DEFAULT_AGE_BANDS)
    if dim == "round":
        return rounds(ws)
    return []

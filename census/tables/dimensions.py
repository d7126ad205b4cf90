"""The dimensions persons are counted by: the SQL of each over persons and classifications, the order their
values are shown in, and the checks every request passes before any work is done."""

from __future__ import annotations

import re
from datetime import date

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..errors import UsageError
from ..i18n import _, listing
from ..text import clean, fold
from ..vocab import (
    ARRANGEMENTS,
    CPC_MEMBER,
    DEFAULT_AGE_BANDS,
    DIMENSION_LABELS,
    DIMENSIONS,
    MULTI_VALUED,
    NEW_CLASS,
    NO_ARRANGEMENT,
    NON_CPC,
    NOT_REPRESENTATIVE,
    REPRESENTATIVE,
    SOURCE_KIND_LABELS,
    SOURCE_KINDS,
    UNKNOWN,
    age_band_labels,
)
from ..workspace import Workspace
from ..workspace.queries import communities, districts, streets
from ..workspace.rounds import rounds


def age_band_expr(as_of: date, bands: tuple[int, ...]) -> str:
    """SQL for the age band of `p.birth_date` at `as_of`: "<30", "30-39", …, "≥60", else 未知."""
    # years between the birth year and `as_of`'s, one fewer before the birthday (written so that Spark SQL, where
    # tallies may also run, reads it alike: its datediff(year, …) counts whole years, DuckDB's year boundaries)
    age = f"{as_of.year} - year(p.birth_date) - CASE WHEN strftime(p.birth_date, '%m%d') > '{as_of.strftime('%m%d')}' THEN 1 ELSE 0 END"
    parts = [f"WHEN ({age}) < {bands[0]} THEN '<{bands[0]}'"]
    for lo, hi in zip(bands, bands[1:], strict=False):
        parts.append(f"WHEN ({age}) < {hi} THEN '{lo}-{hi - 1}'")
    parts.append(f"ELSE '≥{bands[-1]}'")
    return f"CASE WHEN p.birth_date IS NULL THEN '{UNKNOWN}' " + " ".join(parts) + " END"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def unit_type_labels() -> list[str]:
    """The canonical 单位性质 of `evidence.yaml`, in its order (a rule's `label`, else its sector's)."""
    ev = load_schemas().evidence
    return list(dict.fromkeys(r.label or ev.facets["sector"].get(r.sector, r.sector) for r in ev.unit_type if r.sector))


def unit_type_sql(column: str = "p.unit_type") -> str:
    """SQL for the canonical 单位性质 of a unit type as written: the label of the first `evidence.yaml` unit-type
    rule it matches (as the classifier matches it: lower case, without spaces), else the text without spaces and
    punctuation; 未知 when there is none. 民营（科技型）, 民营(科技型) and 民营科技型 are one value."""
    ev = load_schemas().evidence
    key = f"lower(regexp_replace({column}, '\\s+', '', 'g'))"
    whens = []
    for rule in ev.unit_type:
        if not rule.sector:
            continue
        label = rule.label or ev.facets["sector"].get(rule.sector, rule.sector)
        conds = [f"contains({key}, {_quoted(clean(k))})" for k in rule.keywords if clean(k)]
        conds += [f"regexp_matches({key}, {_quoted(p)})" for p in rule.patterns]
        if conds:
            whens.append(f"WHEN {' OR '.join(conds)} THEN {_quoted(label)}")
    plain = f"regexp_replace({column}, '[^\\p{{L}}\\p{{N}}]+', '', 'g')"
    return f"CASE WHEN {column} IS NULL OR {plain} = '' THEN '{UNKNOWN}' {' '.join(whens)} ELSE {plain} END"


def dimension_sql(as_of: date, bands: tuple[int, ...]) -> dict[str, str]:
    return {
        "category": "c.category",
        "district": f"coalesce(p.district, '{UNKNOWN}')",
        "street": f"coalesce(p.street, '{UNKNOWN}')",
        "community": f"coalesce(p.community, '{UNKNOWN}')",
        "sex": f"coalesce(p.sex, '{UNKNOWN}')",
        "age_band": age_band_expr(as_of, bands),
        "education": f"coalesce(p.education, '{UNKNOWN}')",
        "political_status": f"coalesce(p.political_status, '{UNKNOWN}')",
        "party": f"coalesce(p.party, '{UNKNOWN}')",
        "representative": f"CASE WHEN p.representative THEN '{REPRESENTATIVE}' ELSE '{NOT_REPRESENTATIVE}' END",
        "unit_type": unit_type_sql(),
        "source_kind": source_kind_sql(),
        # multi-valued (vocab.MULTI_VALUED): the list of a person's values; tallies unnest it and filters test it
        "arrangement": f"CASE WHEN array_length(coalesce(p.arrangements, [])) = 0 THEN ['{NO_ARRANGEMENT}'] ELSE p.arrangements END",
        "round": "p.round",
    }


def select_sql(dims: dict[str, str], dim: str) -> str:
    """The SQL of a dimension's value in a SELECT list (a multi-valued one unnested: one row per value)."""
    return f"unnest({dims[dim]})" if dim in MULTI_VALUED else dims[dim]


def source_kind_sql() -> str:
    """SQL for the kinds of source a person was found in, as their labels in the order of `SOURCE_KINDS` joined by
    "、" ("社区台账、住户台帐"), else 未知."""
    parts = ", ".join(f"CASE WHEN contains('/' || p.source_kinds || '/', '/{k}/') THEN '{SOURCE_KIND_LABELS[k]}' END"
                      for k in SOURCE_KINDS)
    return f"coalesce(nullif(concat_ws('、', {parts}), ''), '{UNKNOWN}')"


def value_order(ws: Workspace, scheme_name: str, dim: str) -> dict[str, int]:
    """The order values of a dimension are shown in: the scheme's categories, the register's streets and
    communities, the code tables' order; anything else by name; 未知 last."""
    schemas = load_schemas()
    if dim == "category":
        return {lab: i for i, lab in enumerate(compiled_schemes(schemas)[scheme_name].order)}
    if dim == "district":
        return {n: i for i, (_code, n) in enumerate(districts(ws))}
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
    if dim == "source_kind":
        return {SOURCE_KIND_LABELS[k]: i for i, k in enumerate(SOURCE_KINDS)}
    if dim == "unit_type":
        return {label: i for i, label in enumerate(unit_type_labels())}
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
        if dim == "source_kind" and "、" in v:  # the kinds a person was found in, after the single kinds, by kind
            return (0, len(order) + 1, tuple(order.get(k, len(order)) for k in v.split("、")))
        return (0, order[v], v) if v in order else (1, 0, v)
    return key


def scheme_label(scheme: str) -> str:
    """现行四类, 2001年六类: a scheme as people name it (the last bracketed part of its title)."""
    return compiled_schemes(load_schemas())[scheme].file.label


def dimension_list() -> str:
    """The dimensions as a message names them: "category（类别）、street（街道）……"."""
    return listing(_("{name}（{label}）").format(name=d, label=_(DIMENSION_LABELS[d])) for d in DIMENSIONS)


def scheme_list() -> str:
    """The schemes as a message names them: "current4（现行四类）、legacy6（2001年六类）"."""
    return listing(_("{name}（{label}）").format(name=name, label=s.file.label) for name, s in compiled_schemes(load_schemas()).items())


def scheme_name(text: str) -> str:
    """The scheme a person names: by its name (current4), its label (现行四类, 2001年六类), its title, or a part of
    its label that only it has (四类, 六类); anything else is returned as written (`check_request` refuses it)."""
    schemes = compiled_schemes(load_schemas())
    if text in schemes:
        return text
    key = fold(text)
    for name, s in schemes.items():
        if key and key in (fold(name), fold(s.file.label), fold(s.file.title)):
            return name
    hits = [name for name, s in schemes.items() if len(key) >= 2 and key in fold(s.file.label)]
    return hits[0] if len(hits) == 1 else text


def check_request(scheme: str, by: list[str], percent: str | None = None, wide: bool = False,
                  complementary: bool = False) -> None:
    """Raise UsageError for an unknown scheme, dimension or percent base (before any work is done)."""
    schemes = compiled_schemes(load_schemas())
    if scheme not in schemes:
        raise UsageError(_("--scheme {scheme}：没有这个分类方案；可用的有 {schemes}。").format(scheme=scheme, schemes=scheme_list()))
    for d in by:
        if d not in DIMENSIONS:
            raise UsageError(_("{option} {value}：不是维度；可用的维度有 {dimensions}。").format(
                option="--rows/--cols" if wide else "--by", value=d, dimensions=dimension_list()))
    if len(set(by)) != len(by):
        raise UsageError(_("每个 --by 维度只能给一次。"))
    if "round" in by and not wide and by[0] != "round":
        raise UsageError(_("按年度并列时，round 须为第一个 --by 维度（各年度分别小计），或使用 --rows/--cols。"))
    if complementary and any(d in MULTI_VALUED for d in by):
        raise UsageError(_("按政治安排统计时一人可计入多项，各项之和不等于合计，不能使用 --suppress-complementary；请只用 --suppress。"))
    allowed = ("row", "col", "total") if wide else ("row", "total")
    if percent is not None and percent not in allowed:
        if wide:
            raise UsageError(_("--percent {value}：只能是 row、col 或 total。").format(value=percent))
        raise UsageError(_("--percent {value}：只能是 row 或 total（col 需要 --rows 和 --cols）。").format(value=percent))


def axis_values(ws: Workspace, scheme: str, dim: str, seen: set[str], where: dict[str, list[str]]) -> list[str]:
    """Values of a crosstab axis: the scheme's new-class categories, the register's streets (or the streets
    filtered on), the communities of the register (of the streets filtered on), plus anything observed; ordered.
    A value filtered on is listed even where nobody is."""
    order = value_order(ws, scheme, dim)
    known: list[str] = []
    if dim == "category":
        known = new_class_categories(scheme)
    elif dim in ("street", "district"):
        known = list(order)
    elif dim == "community":
        known = [c for s in where.get("street") or [None] for c in communities(ws, s)]
    elif dim == "round":
        known = rounds(ws)
    if where.get(dim):
        known = [v for v in known if v in where[dim]] + [v for v in where[dim] if v not in known]
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
    if dim == "district":
        return [n for _code, n in districts(ws)]
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

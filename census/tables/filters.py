"""Filters (`--where DIMENSION=VALUE`) that cannot mislead: each value is matched to what is known of its dimension —
the register's streets and communities by name, alias or code, the scheme's categories by label, short name or
synonym, the code tables' labels and variants, the values persons have — and becomes the value persons are stored
with. A value that matches nothing known is a usage error naming the closest known values (a typo would otherwise
print a table of 0 persons). Repeating a dimension means any of its values.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property

from ..categories.schemes import compiled_schemes
from ..config import Register, load_schemas
from ..errors import UsageError
from ..i18n import _, listing
from ..text import fold, halfwidth, squeeze
from ..vocab import (
    CPC_MEMBER,
    DEFAULT_AGE_BANDS,
    DIMENSION_LABELS,
    DIMENSIONS,
    MULTI_VALUED,
    NON_CPC,
    NOT_REPRESENTATIVE,
    REPRESENTATIVE,
    SOURCE_KIND_LABELS,
    SOURCE_KINDS,
    UNKNOWN,
    age_band_labels,
)
from ..workspace import Workspace
from ..workspace.queries import districts, load_register
from .dimensions import dimension_list

Where = Mapping[str, str | Iterable[str]]

# ways of saying a party or a representative flag that the code tables do not hold
_PARTY = {CPC_MEMBER: ("中共党员", "党员", "共产党员", "中国共产党党员", "中共", "cpc"),
          NON_CPC: ("党外", "党外人士", "非党员", "非中共党员", "非党")}
_REPRESENTATIVE = {REPRESENTATIVE: ("代表人士", "代表", "是"), NOT_REPRESENTATIVE: ("非代表人士", "非代表", "否")}


def parse_where(items: Iterable[str] | None) -> dict[str, list[str]]:
    """["street=宁南街道", "sex=女", "street=雨花街道"] → {"street": ["宁南街道", "雨花街道"], "sex": ["女"]} (the values as
    written; `resolve_where` matches them). A dimension may be named by its Chinese label too (街道=宁南街道)."""
    by_label = {fold(label): dim for dim, label in DIMENSION_LABELS.items()}
    out: dict[str, list[str]] = {}
    for item in items or []:
        m = re.fullmatch(r"\s*([^=＝\s]+)\s*[=＝]\s*(.+?)\s*", item)
        if not m:
            raise UsageError(_("--where {item}：请写成 维度=值，例如 street=雨花街道。").format(item=item))
        name = m.group(1)
        dim = name if name in DIMENSIONS else by_label.get(fold(name))
        if dim is None:
            raise UsageError(_("--where {item}：“{name}”不是维度；可用的维度有 {dimensions}。").format(
                item=item, name=name, dimensions=dimension_list()))
        out.setdefault(dim, [])
        if m.group(2) not in out[dim]:
            out[dim].append(m.group(2))
    return out


def as_lists(where: Where | None) -> dict[str, list[str]]:
    """A filter with one value or several per dimension, as lists."""
    return {k: [v] if isinstance(v, str) else list(dict.fromkeys(v)) for k, v in (where or {}).items()}


def resolve_where(ws: Workspace, scheme: str, where: Where | None,
                  observed: Callable[[str], list[str]] | None = None) -> dict[str, list[str]]:
    """Each filter value as the value persons are stored with; a value nothing known matches raises a UsageError
    naming the closest known values. `observed(dim)` gives the values persons have (a query, run only when the
    register, the scheme and the code tables do not know a value)."""
    out: dict[str, list[str]] = {}
    for dim, values in as_lists(where).items():
        if dim not in DIMENSIONS:
            raise UsageError(_("--where：“{name}”不是维度；可用的维度有 {dimensions}。").format(name=dim, dimensions=dimension_list()))
        matcher = _Matcher(ws, scheme, dim, (lambda d=dim: observed(d)) if observed else list)
        out[dim] = list(dict.fromkeys(v for value in values for v in matcher.match(value)))
    return out


class _Matcher:
    """What is known of one dimension, and a value matched against it."""

    def __init__(self, ws: Workspace, scheme: str, dim: str, observed: Callable[[], list[str]]):
        self.dim = dim
        self.scheme = scheme
        self._observed = observed
        self.register: Register = load_register(ws) if dim in ("street", "community") else Register()
        self.districts = districts(ws) if dim == "district" else []
        self.base = self._base()

    @cached_property
    def known(self) -> list[str]:
        """The values a person would pick from: register names, labels, the values persons have, 未知."""
        return list(dict.fromkeys([*self.base, *(v for v in self._observed() if v), UNKNOWN]))

    def _base(self) -> list[str]:
        """The values the register, the scheme and the code tables know."""
        schemas = load_schemas()
        if self.dim == "district":
            base = [name for _code, name in self.districts]
        elif self.dim == "street":
            base = [s.name for s in self.register.streets]
        elif self.dim == "community":
            base = [c.name for c in self.register.communities]
        elif self.dim == "category":
            base = list(compiled_schemes(schemas)[self.scheme].order)
        elif self.dim in ("sex", "education", "political_status"):
            base = list(schemas.codes[self.dim].codes)
        elif self.dim == "party":
            base = list(_PARTY)
        elif self.dim == "representative":
            base = list(_REPRESENTATIVE)
        elif self.dim == "age_band":
            base = age_band_labels(DEFAULT_AGE_BANDS)
        elif self.dim == "source_kind":
            base = list(SOURCE_KIND_LABELS.values())
        else:
            base = []
        return base

    def match(self, value: str) -> list[str]:
        text = value.strip()
        if text in self.base or text == UNKNOWN:
            return [text]
        hits = self._lookup(text)
        if not hits:
            key = fold(text)
            hits = [v for v in self.known if v == text or (key and fold(v) == key)]
        if not hits:
            raise UsageError(self._no_match(text))
        return hits

    def _lookup(self, text: str) -> list[str]:
        schemas = load_schemas()
        digits = squeeze(halfwidth(text))
        if self.dim == "district":  # by code, or by name without its suffix (雨花台 for 雨花台区)
            key = fold(text)
            return [name for code, name in self.districts
                    if code == digits or (len(key) >= 2 and fold(name).startswith(key) and fold(name)[len(key):] in ("", "区", "县", "市", "旗"))]
        if self.dim == "street":
            by_code = [s.name for s in self.register.streets if s.code == digits]
            hit = self.register.street(text)
            return by_code or ([hit.name] if hit else [])
        if self.dim == "community":
            by_code = [c.name for c in self.register.communities if c.code == digits]
            if by_code:
                return by_code
            hit = self.register.community(text)
            if hit is not None:
                return [hit.name]
            # a name two streets share: every community of that name
            return list(dict.fromkeys(c.name for s in self.register.streets if (c := self.register.community(text, s))))
        if self.dim == "category":
            scheme = compiled_schemes(schemas)[self.scheme]
            hit = scheme.own(text, contained=False) or scheme.own(text, contained=True)
            return [hit] if hit else []
        if self.dim in ("sex", "education", "political_status"):
            hit = schemas.codes[self.dim].lookup(text)
            return [hit] if hit else []
        if self.dim in ("party", "representative"):
            table = _PARTY if self.dim == "party" else _REPRESENTATIVE
            key = fold(text)
            return [label for label, ways in table.items() if key in {fold(w) for w in ways}]
        if self.dim == "age_band":
            written = digits.replace(">=", "≥").replace("＞＝", "≥").replace("~", "-").replace("～", "-").replace("至", "-")
            written = re.sub(r"岁$", "", written)
            return [b for b in age_band_labels(DEFAULT_AGE_BANDS) if b == written]
        if self.dim == "source_kind":
            key = fold(text)
            return [label for kind, label in SOURCE_KIND_LABELS.items() if key in (fold(kind), fold(label), fold(_(label)))]
        return []

    def _no_match(self, text: str) -> str:
        label = _(DIMENSION_LABELS[self.dim])
        pool = list(self.known)
        if self.dim == "district":
            pool += [code for code, _name in self.districts]
        elif self.dim == "street":
            pool += [s.code for s in self.register.streets]
        elif self.dim == "community":
            pool += [c.code for c in self.register.communities]
        close = difflib.get_close_matches(text, pool, n=3, cutoff=0.5)
        if close:
            return _("--where {dim}={value}：没有这个{label}；最接近的是 {close}。").format(
                dim=self.dim, value=text, label=label, close=listing(close))
        shown = [v for v in self.known if v != UNKNOWN]
        if not shown:
            return _("--where {dim}={value}：没有这个{label}，现有人员中也没有这个值。").format(dim=self.dim, value=text, label=label)
        more = "……" if len(shown) > 8 else ""
        return _("--where {dim}={value}：没有这个{label}；已知的{label}有 {known}。").format(
            dim=self.dim, value=text, label=label, known=listing(shown[:8]) + more)


def where_sql(dims: dict[str, str], where: Mapping[str, list[str]]) -> tuple[list[str], list]:
    """SQL conditions and their parameters for resolved filters: a person matches any value of a dimension. A
    source kind matches persons found in it (whatever other kinds of source they are in too)."""
    conds: list[str] = []
    params: list = []
    for dim, values in where.items():
        if not values:
            continue
        marks = ", ".join("?" * len(values))
        if dim in MULTI_VALUED:  # a person holding any of the values
            conds.append(f"list_has_any({dims[dim]}, [{marks}])")
        elif dim == "source_kind":
            kinds = [k for k in SOURCE_KINDS if SOURCE_KIND_LABELS[k] in values]
            found_in = [f"contains('/' || coalesce(p.source_kinds, '') || '/', '/{k}/')" for k in kinds]
            conds.append("(" + " OR ".join([f"({dims[dim]}) IN ({marks})", *found_in]) + ")")
        else:
            conds.append(f"({dims[dim]}) IN ({marks})")
        params += list(values)
    return conds, params


def filter_title(where: Mapping[str, list[str]], district: str) -> str:
    """Who a table counts, for its title: the communities, streets or districts filtered on, else the district."""
    for dim in ("community", "street", "district"):
        if where.get(dim):
            return listing(where[dim])
    return district


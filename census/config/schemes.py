"""schemes/*.yaml: a classification scheme's categories, synonyms, crosswalk from other schemes' labels, ordered
inference rules and source authority; and `Terms`, the compiled lookup from a declared text to a category."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, field_validator, model_validator

from ..i18n import _, listing
from ..text import fold
from ..vocab import GROUPS, SOURCE_KINDS
from .evidence import FACETS
from .yaml import Model, Text, keyed

FacetValue = Text


class Category(Model):
    code: Text
    label: Text
    short: Text | None = None
    group: Text
    synonyms: list[Text] = Field(default_factory=list)

    @field_validator("group")
    @classmethod
    def _group(cls, v: str) -> str:
        if v not in GROUPS:
            raise ValueError(_("“{value}”不是分组；只能是 {groups} 之一").format(value=v, groups=listing(GROUPS)))
        return v


class Condition(Model):
    sector: list[FacetValue] | None = None
    role: list[FacetValue] | None = None
    status: list[FacetValue] | None = None

    @model_validator(mode="after")
    def _values(self) -> Condition:
        for facet, allowed in FACETS.items():
            for v in getattr(self, facet) or []:
                if v not in allowed and v != "unknown":
                    raise keyed((facet,), _("“{value}”不是 {facet} 的取值；只能是 {allowed} 或 unknown").format(
                        value=v, facet=facet, allowed=listing(allowed)))
        return self


class Case(Model):
    when: Condition | None = None
    category: Text
    reason: Text | None = None


class Rule(Model):
    id: Text
    when: Condition
    category: Text
    strong: bool = False
    reason: Text | None = None


class SchemeFile(Model):
    version: int = 1
    scheme: Text
    title: Text
    basis: Text | None = None
    authority: list[Text]
    categories: list[Category]
    crosswalk: dict[str, dict[str, list[Case]]] = Field(default_factory=dict)
    rules: list[Rule]

    @property
    def label(self) -> str:
        """The scheme as people name it: the last bracketed part of its title ("新的社会阶层人士（现行四类）" →
        "现行四类"), else the whole title."""
        m = re.search(r"[（(]([^（）()]+)[）)]\s*$", self.title)
        return m.group(1).strip() if m else self.title

    @field_validator("authority")
    @classmethod
    def _kinds(cls, kinds: list[str]) -> list[str]:
        for i, k in enumerate(kinds):
            if k not in SOURCE_KINDS:
                raise keyed((i,), _("“{value}”不是来源类型；只能是 {kinds} 之一").format(value=k, kinds=listing(SOURCE_KINDS)))
        return kinds

    @model_validator(mode="after")
    def _consistent(self) -> SchemeFile:
        labels = [c.label for c in self.categories]
        for i, c in enumerate(self.categories):
            if labels.count(c.label) > 1:
                raise keyed(("categories", i, "label"), _("“{label}”出现了两次").format(label=c.label))
        for g in ("excluded", "unresolved"):
            if sum(c.group == g for c in self.categories) != 1:
                raise keyed(("categories",), _("必须恰好有一个类别的 group 是 {group}").format(group=g))
        if not any(c.group == "new_class" for c in self.categories):
            raise keyed(("categories",), _("至少要有一个类别的 group 是 new_class"))
        for other, entries in self.crosswalk.items():
            for src, cases in entries.items():
                for k, case in enumerate(cases):
                    if case.category not in labels:
                        raise keyed(("crosswalk", other, src, k, "category"), _("“{category}”不是本方案的类别").format(category=case.category))
                if not cases or cases[-1].when is not None:
                    raise keyed(("crosswalk", other, src), _("最后一种情况不能有 when（它是默认情况）"))
        for k, rule in enumerate(self.rules):
            if rule.category not in labels:
                raise keyed(("rules", k, "category"), _("“{category}”不是本方案的类别").format(category=rule.category))
        return self


class Terms:
    """A scheme's categories by the texts that name them: its labels, short names and synonyms, folded."""

    def __init__(self, sf: SchemeFile):
        self.exact: dict[str, str] = {}
        for c in sf.categories:
            for s in [c.label, c.short or "", *c.synonyms]:
                if fold(s):
                    self.exact.setdefault(fold(s), c.label)
        self.contained = sorted(((k, v) for k, v in self.exact.items() if len(k) >= 3), key=lambda kv: -len(kv[0]))

    @lru_cache(maxsize=100_000)  # noqa: B019 - one Terms per loaded scheme, kept for the process
    def category(self, text: str, contained: bool = True) -> str | None:
        """The category a declared text names: an exact synonym, else (with `contained`) the one category whose
        synonyms the text contains ("规模个体工商户（年营业额百万）"); a text naming two categories ("私营企业主或个体工商户")
        names none."""
        key = fold(text)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        if not contained:
            return None
        hits = {v for k, v in self.contained if k in key}
        return hits.pop() if len(hits) == 1 else None

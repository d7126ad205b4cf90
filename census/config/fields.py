"""fields.yaml: the canonical fields of a record and the column names ledgers use for them, compiled into a
`FieldMatcher` (column header → field) that the layout step uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import Field, model_validator

from ..i18n import _, listing
from ..text import fold, has_cjk, header_key
from .yaml import Model, Text, keyed

FIELD_NAMES = (
    "seq", "name", "sex", "id_number", "birth_date", "age", "ethnicity", "phone", "education", "political_status",
    "work_unit", "unit_type", "position", "occupation", "category", "representative", "street", "community",
    "address", "household_no", "relation", "note",
    "npc", "cppcc", "arrangement", "level", "acfic", "nsca", "special",  # a roster's political arrangements
)
CONTEXT_KEYS = ("work_unit", "unit_type", "street", "community", "reporting_unit")


class FieldDef(Model):
    label: Text | None = None
    weight: float = Field(1.0, ge=0)
    synonyms: list[Text] = Field(default_factory=list)


class FieldsFile(Model):
    version: int = 1
    fields: dict[str, FieldDef]
    context: dict[str, list[Text]] = Field(default_factory=dict)
    sections: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known(self) -> FieldsFile:
        for name in self.fields:
            if name not in FIELD_NAMES:
                raise keyed(("fields", name), _("不认识这个字段；字段有 {fields}").format(fields=listing(FIELD_NAMES)))
        for name in self.context:
            if name not in CONTEXT_KEYS:
                raise keyed(("context", name), _("不认识这个上下文键；只能是 {keys} 之一").format(keys=listing(CONTEXT_KEYS)))
        return self


@dataclass(frozen=True)
class FieldMatcher:
    """Column header → canonical field, compiled from fields.yaml (plus any `--schema` extras)."""

    exact: dict[str, str]
    contained: list[tuple[str, str]]  # (synonym key, field), longest first
    weights: dict[str, float]
    labels: dict[str, str]
    context: dict[str, str]  # folded context key → field
    sections: frozenset[str] = frozenset()  # folded titles of a registration form's sub-tables (政治安排, 工作经历 …)
    _cache: dict[str, tuple[str | None, float]] = field(default_factory=dict, repr=False, compare=False)
    _context_cache: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    def match(self, header: str | None) -> tuple[str | None, float]:
        """(field, quality) for one header: quality 1 for an exact synonym, 0.6 when a synonym is contained."""
        if not header:
            return None, 0.0
        hit = self._cache.get(header)
        if hit is None:
            hit = self._cache[header] = self._match(header)
        return hit

    def _match(self, header: str) -> tuple[str | None, float]:
        if len(header) > 40 or sum(ch.isdigit() for ch in header) >= 5:
            return None, 0.0  # a sentence, or a value (ID, phone, date): never a column name
        key = header_key(header)
        if not key:
            return None, 0.0
        f = self.exact.get(key)
        if f:
            return f, 1.0
        if len(key) > 24 or not has_cjk(key):  # a sentence or an English word: no substring guessing
            return None, 0.0
        if not self._any_contained.search(key):  # most cells looked at are data: no synonym in them at all
            return None, 0.0
        for syn, f in self.contained:
            if syn in key:
                return f, 0.6
        return None, 0.0

    @cached_property
    def _any_contained(self) -> re.Pattern:
        return re.compile(self.contained_pattern)

    @cached_property
    def contained_pattern(self) -> str:
        """An alternation of the synonyms a header may contain (Python and RE2 alike): a cell matching none
        of them names no field but by an exact synonym."""
        return "|".join(re.escape(syn) for syn, _ in self.contained) or r"(?!)"

    def is_section(self, text: str | None) -> bool:
        """Whether a cell is the title of a registration form's sub-table ("政治安排", "主要工作经历")."""
        return bool(text) and fold(text) in self.sections

    def context_field(self, key: str) -> str | None:
        """The field a "key：value" line above a header names ("单位" → work_unit), or None."""
        hit = self._context_cache.get(key, False)
        if hit is False:
            hit = self._context_cache[key] = self.context.get(fold(key))
        return hit


def compile_fields(files: list[FieldsFile]) -> FieldMatcher:
    exact: dict[str, str] = {}
    weights: dict[str, float] = {}
    labels: dict[str, str] = {}
    context: dict[str, str] = {}
    sections: set[str] = set()
    for ff in files:
        sections.update(fold(t) for t in ff.sections if fold(t))
        for name, fd in ff.fields.items():
            weights[name] = fd.weight if name not in weights or "weight" in fd.model_fields_set else weights[name]
            labels[name] = fd.label or labels.get(name) or name
            for syn in [name, fd.label or "", *fd.synonyms]:
                key = header_key(syn)
                if key:
                    exact[key] = name
        for name, keys in ff.context.items():
            for k in keys:
                context[fold(k)] = name
    contained = sorted(((k, f) for k, f in exact.items() if len(k) >= 2 and has_cjk(k)), key=lambda kv: -len(kv[0]))
    return FieldMatcher(exact, contained, weights, labels, context, frozenset(sections))

"""codes.yaml: the code tables (sex GB/T 2261.1, education GB/T 4658, political status GB/T 4762, yes/no),
compiled into lookups from the ways ledgers write a value to its canonical label."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from ..text import clean, fold
from .yaml import Model, Text


class CodeValue(Model):
    code: Text
    label: Text
    party: bool = False
    variants: list[Text] = Field(default_factory=list)


class CodeTable(Model):
    standard: Text | None = None
    values: list[CodeValue]


class CodesFile(Model):
    version: int = 1
    tables: dict[str, CodeTable]


@dataclass(frozen=True)
class CodeLookup:
    """One code table compiled: folded variant → canonical label (plus which labels are CPC members)."""

    name: str
    exact: dict[str, str]
    contained: list[tuple[str, str]]
    codes: dict[str, str]
    party: frozenset[str] = field(default_factory=frozenset)

    def lookup(self, raw: str | None) -> str | None:
        key = _code_key(raw)
        if not key:
            return None
        hit = self.exact.get(key)
        if hit:
            return hit
        for variant, label in self.contained:
            if variant in key:
                return label
        return None


def _code_key(text: str | None) -> str:
    """The match key of a coded value: `fold`, or the cleaned text when it is only a symbol ("√", "×")."""
    return fold(text) or clean(text)


def compile_codes(codes: CodesFile) -> dict[str, CodeLookup]:
    out = {}
    for name, table in codes.tables.items():
        exact: dict[str, str] = {}
        for v in table.values:
            for variant in [v.label, *v.variants]:
                exact.setdefault(_code_key(variant), v.label)
        # substring matching only for variants of 2+ characters ("本科学历" contains "本科"), longest first
        contained = sorted(((k, lab) for k, lab in exact.items() if len(k) >= 2), key=lambda kv: -len(kv[0]))
        out[name] = CodeLookup(
            name, exact, contained, {v.label: v.code for v in table.values},
            frozenset(v.label for v in table.values if v.party),
        )
    return out

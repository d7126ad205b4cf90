"""The classification schemes compiled: a declared category is looked up in the scheme's synonyms, else in another
scheme's synonyms and translated through this scheme's crosswalk; declarations are ranked by source authority
(community ledger > unit ledger > questionnaire, configurable in the scheme file). Without a usable declaration the
scheme's ordered rules decide from the facets. When a declaration contradicts a strong rule, the declaration stands
and the person is flagged for review (核查)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from ..config import Schemas, SchemeFile, Terms
from ..vocab import EXCLUDED, REVIEW_SOURCE, REVIEW_SOURCE_LABEL, SOURCE_KIND_LABELS, UNRESOLVED
from .evidence import Facets

SOURCE_LABELS = {REVIEW_SOURCE: REVIEW_SOURCE_LABEL, **SOURCE_KIND_LABELS}


@dataclass
class Decision:
    category: str
    group: str
    rule: str
    reason: str
    declared: str | None = None
    conflict: bool = False  # for review (核查): the declarations disagree, or contradict a strong rule
    steps: list[str] = field(default_factory=list)
    disagreeing: bool = False  # the declared values mean different categories of this scheme


class Scheme:
    """One scheme file compiled: synonym lookups, crosswalk and rules."""

    def __init__(self, sf: SchemeFile, terms: Terms):
        self.file = sf
        self.name = sf.scheme
        self.group = {c.label: c.group for c in sf.categories}
        self.order = [c.label for c in sf.categories]
        self.excluded = next(c.label for c in sf.categories if c.group == EXCLUDED)
        self.unresolved = next(c.label for c in sf.categories if c.group == UNRESOLVED)
        self.terms = terms
        self.rank = {REVIEW_SOURCE: -1, **{k: i for i, k in enumerate(sf.authority)}}  # a clerk's correction outranks all

    def rule_label(self, rule_id: str) -> str:
        """A rule as a person reads it in a decision path: "第3条规则" (by its place in the scheme file)."""
        for i, rule in enumerate(self.file.rules, start=1):
            if rule.id == rule_id:
                return f"第{i}条规则"
        return "无规则适用"

    def own(self, text: str, contained: bool = True) -> str | None:
        """The category a declared text names in this scheme (`config.schemes.Terms.category`)."""
        return self.terms.category(text, contained)

    @lru_cache(maxsize=1024)  # noqa: B019
    def _rule_for(self, sector: str, role: str, status: str):
        """The first rule whose condition the facet values meet (a few hundred combinations exist)."""
        values = {"sector": sector, "role": role, "status": status}
        for rule in self.file.rules:
            if self._applies(rule.when, values):
                return rule
        return None

    @staticmethod
    def _applies(when, facets) -> bool:
        if when is None:
            return True
        for name in ("sector", "role", "status"):
            allowed = getattr(when, name)
            if allowed is not None and facets.get(name) not in allowed:
                return False
        return True

    def declared(self, text: str, facets: Facets, others: dict[str, Scheme]) -> tuple[str, str] | None:
        """(category, reason) for a declared text: this scheme's exact synonyms, then another scheme's exact
        synonyms through this scheme's crosswalk, then the same two by containment."""
        for contained in (False, True):
            own = self.own(text, contained)
            if own:
                return own, f"申报为“{text}”"
            for name, other in others.items():
                if name == self.name:
                    continue
                theirs = other.own(text, contained)
                cases = self.file.crosswalk.get(name, {}).get(theirs) if theirs else None
                if not cases:
                    continue
                for case in cases:
                    if self._applies(case.when, facets):
                        return case.category, case.reason or f"申报为“{text}”（{other.file.title}：{theirs}）"
        return None

    def infer(self, facets: Facets) -> tuple[str, str, bool, str]:
        """(category, rule id, strong, reason) from facets by the ordered rules."""
        rule = self._rule_for(facets.get("sector"), facets.get("role"), facets.get("status"))
        if rule is not None:
            reason = rule.reason or ("，".join(facets.phrases()) or "依据单位与职务")
            return rule.category, rule.id, rule.strong, reason
        phrases = "，".join(facets.phrases())
        return self.unresolved, "no_evidence", False, (f"{phrases}，不足以确定类别" if phrases else "无申报类别，也无单位、职务或职业信息")


@lru_cache(maxsize=8)
def compiled_schemes(schemas: Schemas) -> dict[str, Scheme]:
    """Every scheme of a loaded `Schemas`, compiled once."""
    return {name: Scheme(sf, schemas.terms[name]) for name, sf in schemas.schemes.items()}


def decide(scheme: Scheme, others: dict[str, Scheme], facets: Facets, declared: list[tuple[str, str]]) -> Decision:
    """One person under one scheme. `declared`: (source kind, text) pairs."""
    steps: list[str] = []
    ranked = sorted(declared, key=lambda d: scheme.rank.get(d[0], len(scheme.rank)))
    chosen: tuple[str, str, str, str] | None = None  # (category, reason, kind, text)
    unresolved_reason = None
    seen: dict[str, str] = {}
    for kind, text in ranked:
        mapped = scheme.declared(text, facets, others)
        src = SOURCE_LABELS.get(kind, kind)
        if mapped is None:
            steps.append(f"{src}申报“{text}”：本方案无对应类别，忽略")
            continue
        cat, why = mapped
        steps.append(f"{src}申报“{text}” → {cat}")
        if scheme.group[cat] == "unresolved":
            unresolved_reason = unresolved_reason or f"{src}{why}"
            continue
        seen.setdefault(cat, src)
        if chosen is None:
            chosen = (cat, f"{src}{why}", kind, text)
    inferred, rule_id, strong, why = scheme.infer(facets)
    steps.append(f"依据证据（{'；'.join(facets.phrases()) or '无'}）按{scheme.rule_label(rule_id)} → {inferred}")
    if chosen is None:
        if scheme.group[inferred] == "unresolved" and unresolved_reason:
            why = unresolved_reason
        return Decision(inferred, scheme.group[inferred], rule_id, why, None, False, steps)
    cat, reason, kind, text = chosen
    if kind == REVIEW_SOURCE:  # a clerk decided: the review is closed
        steps.append(f"{REVIEW_SOURCE_LABEL}为准，不再核查")
        return Decision(cat, scheme.group[cat], f"declared:{kind}", reason, text, False, steps)
    disagreeing = len(seen) > 1
    contradicted = strong and inferred != cat and scheme.group[inferred] != "unresolved"
    if disagreeing:
        reason += "（另有来源申报" + "、".join(f"{c}" for c in seen if c != cat) + ("，待核查）" if not contradicted else "）")
        steps.append(f"各来源申报的类别不一致：按来源权威取 {cat}，标记核查")
    if contradicted:
        reason += f"；但{why}，应为{inferred}，待核查"
        steps.append(f"申报与证据不符：保留申报类别 {cat}，标记核查")
    return Decision(cat, scheme.group[cat], f"declared:{kind}", reason, text, disagreeing or contradicted, steps, disagreeing)

"""Evidence → facets (scheme-neutral, `schemas/evidence.yaml`): the unit type (单位性质), the unit's name, the
position (职务) and the occupation (职业) say what kind of employer a person has (`sector`), what they do there
(`role`), and whether they are out of scope altogether (`status`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..config import EvidenceFile, EvidenceRule, Schemas
from ..text import clean


@dataclass(frozen=True)
class Facet:
    value: str
    evidence: str  # Chinese phrase: 单位性质为外资企业


@dataclass(frozen=True)
class Facets:
    sector: Facet | None = None
    role: Facet | None = None
    status: Facet | None = None

    def get(self, name: str) -> str:
        f = getattr(self, name)
        return f.value if f else "unknown"

    def phrases(self) -> list[str]:
        return [f.evidence for f in (self.status, self.sector, self.role) if f]


class Evidence:
    """`evidence.yaml` compiled: text → facet, each distinct text looked up once."""

    def __init__(self, ev: EvidenceFile):
        self.labels = {k: dict(v) for k, v in ev.facets.items()}
        self._tables = {name: [(r, [clean(k) for k in r.keywords], [re.compile(p) for p in r.patterns],
                                tuple(clean(k) for k in r.industry if clean(k))) for r in getattr(ev, name)]
                        for name in ("unit_type", "unit_name", "position", "occupation")}
        forms = sorted({clean(f) for f in ev.unit_form.forms if clean(f)}, key=len, reverse=True)
        generic = sorted({clean(g) for g in ev.unit_form.generic if clean(g)}, key=len, reverse=True)
        self._form = re.compile("(" + "|".join(map(re.escape, forms)) + r")(.{0,8}分公司)?$") if forms else None
        self._generic = re.compile("(" + "|".join(map(re.escape, generic)) + ")$") if generic else None
        self._unit_rule_index = {id(rule): i for i, (rule, *_rest) in enumerate(self._tables["unit_name"])}

    def trade(self, unit: str) -> str:
        """The trade a unit's name ends with: "南京云帆智能建材有限公司" → "南京云帆智能建材"; "…餐饮管理有限公司" →
        "…餐饮" (the company form, a branch, bracketed places and the generic words before the form taken off)."""
        t = _BRACKETED.sub("", clean(unit))
        if self._form is not None:
            t = self._form.sub("", t)
        while self._generic is not None and len(t) > 2:
            stripped = self._generic.sub("", t)
            if stripped == t:
                break
            t = stripped
        return t

    def is_company(self, unit: str | None) -> bool:
        """Whether a unit's name ends with a company form (有限公司 …): a registered company, not a shop."""
        return bool(unit) and self._form is not None and bool(self._form.search(_BRACKETED.sub("", clean(unit))))

    @lru_cache(maxsize=200_000)  # noqa: B019 - one Evidence per schema load, kept for the process
    def match(self, table: str, text: str) -> tuple[EvidenceRule, str] | None:
        t = clean(text)
        if not t:
            return None
        trade = None
        for rule, keywords, patterns, industry in self._tables[table]:
            for k in keywords:
                if k and k in t:
                    return rule, k
            for p in patterns:
                if p.search(t):
                    return rule, p.pattern
            if industry:
                trade = self.trade(text) if trade is None else trade
                hit = next((k for k in industry if trade.endswith(k)), None)
                if hit:
                    return rule, hit
        return None

    def unit_facts(self, unit: str) -> tuple[int, bool]:
        """All `facets` reads of a unit's name but the name itself: the place of the unit-name rule it matches
        (-1: none) and whether it names a company. Persons whose units' names say the same are decided alike, up to
        the name in the evidence phrases (see `facets`)."""
        m = self.match("unit_name", unit)
        return (-1 if m is None else self._unit_rule_index[id(m[0])]), self.is_company(unit)

    def facets(self, unit: str | None, unit_type: str | None, position: str | None, occupation: str | None,
               occupation_only: bool, unit_facts: tuple[int, bool] | None = None) -> Facets:
        """Facets from one person's evidence. `occupation_only`: the occupation comes from a source below every
        other (a household register) and no other record says where the person works; only then may it put the
        person out of scope. With `unit_facts` (`unit_facts(name)`), `unit` may stand for the name (a placeholder
        in the phrases): the name is read no further."""
        sector = role = status = None
        refine: list[str] = []
        if unit_type:
            m = self.match("unit_type", unit_type)
            if m and m[0].sector:
                sector = Facet(m[0].sector, f"单位性质为{unit_type}")
                refine = m[0].refine
        by_name = False  # the sector read from the unit's name (an occupation may say more of a shop's)
        if (sector is None or refine) and unit:
            if unit_facts is None:
                m = self.match("unit_name", unit)
            else:
                m = None if unit_facts[0] < 0 else (self._tables["unit_name"][unit_facts[0]][0], "")
            if m and m[0].sector and (sector is None or m[0].sector in refine):
                label = self.labels["sector"].get(m[0].sector, m[0].sector)
                said = f"单位性质为{unit_type}，但" if sector is not None else ""
                sector, by_name = Facet(m[0].sector, f"{said}单位“{unit}”属{label}"), sector is None
        if position:
            m = self.match("position", position)
            if m and m[0].role:
                employed = m[0].employed_role and sector is not None and sector.value != "none"
                role = Facet(m[0].employed_role if employed else m[0].role, f"职务为{position}")
        if occupation:
            m = self.match("occupation", occupation)
            if m:
                rule = m[0]
                if rule.status and (occupation_only or not (sector or role)):
                    status = Facet(rule.status, f"职业为{occupation}（{rule.reason or self.labels['status'][rule.status]}）")
                replaces = (sector is not None and by_name and sector.value in rule.refine
                            and not (self.is_company(unit) if unit_facts is None else unit_facts[1]))
                if rule.sector and (sector is None or replaces) and not (rule.sector == "none" and unit):
                    sector = Facet(rule.sector, f"职业为{occupation}")
                if rule.role and role is None:
                    role = Facet(rule.role, f"职业为{occupation}")
        if sector is None and unit is None and role is not None and role.value == "freelancer":
            sector = Facet("none", "无工作单位")
        return Facets(sector, role, status)


_BRACKETED = re.compile(r"\([^)]*\)")


@lru_cache(maxsize=8)
def compiled_evidence(schemas: Schemas) -> Evidence:
    """The evidence of a loaded `Schemas`, compiled once."""
    return Evidence(schemas.evidence)

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
        self._tables = {name: [(r, [clean(k) for k in r.keywords], [re.compile(p) for p in r.patterns]) for r in getattr(ev, name)]
                        for name in ("unit_type", "unit_name", "position", "occupation")}

    @lru_cache(maxsize=200_000)  # noqa: B019 - one Evidence per schema load, kept for the process
    def match(self, table: str, text: str) -> tuple[EvidenceRule, str] | None:
        t = clean(text)
        if not t:
            return None
        for rule, keywords, patterns in self._tables[table]:
            for k in keywords:
                if k and k in t:
                    return rule, k
            for p in patterns:
                if p.search(t):
                    return rule, p.pattern
        return None

    def facets(self, unit: str | None, unit_type: str | None, position: str | None, occupation: str | None,
               occupation_only: bool) -> Facets:
        """Facets from one person's evidence. `occupation_only`: the occupation comes from a source below every
        other (a household register) and no other record says where the person works; only then may it put the
        person out of scope."""
        sector = role = status = None
        if unit_type:
            m = self.match("unit_type", unit_type)
            if m and m[0].sector:
                sector = Facet(m[0].sector, f"单位性质为{unit_type}")
        if sector is None and unit:
            m = self.match("unit_name", unit)
            if m and m[0].sector:
                label = self.labels["sector"].get(m[0].sector, m[0].sector)
                sector = Facet(m[0].sector, f"单位“{unit}”属{label}")
        if position:
            m = self.match("position", position)
            if m and m[0].role:
                role = Facet(m[0].role, f"职务为{position}")
        if occupation:
            m = self.match("occupation", occupation)
            if m:
                rule = m[0]
                if rule.status and (occupation_only or not (sector or role)):
                    status = Facet(rule.status, f"职业为{occupation}（{rule.reason or self.labels['status'][rule.status]}）")
                if rule.sector and sector is None and not (rule.sector == "none" and unit):
                    sector = Facet(rule.sector, f"职业为{occupation}")
                if rule.role and role is None:
                    role = Facet(rule.role, f"职业为{occupation}")
        if sector is None and unit is None and role is not None and role.value == "freelancer":
            sector = Facet("none", "无工作单位")
        return Facets(sector, role, status)


@lru_cache(maxsize=8)
def compiled_evidence(schemas: Schemas) -> Evidence:
    """The evidence of a loaded `Schemas`, compiled once."""
    return Evidence(schemas.evidence)

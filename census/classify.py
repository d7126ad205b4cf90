"""Classification: every person, under every scheme, gets a category, the rule that decided it and a one-line
reason in Chinese.

1. Evidence → facets (scheme-neutral, `schemas/evidence.yaml`): the unit type (单位性质), the unit's name, the
   position (职务) and the occupation (职业) say what kind of employer a person has (`sector`), what they do there
   (`role`), and whether they are out of scope altogether (`status`). What a unit ledger says of a unit's type
   holds for every record naming the same unit.
2. A declared category (ledger column, questionnaire answer) is looked up in the scheme's synonyms, else in
   another scheme's synonyms and translated through this scheme's crosswalk. Declarations are ranked by source
   authority (community ledger > unit ledger > questionnaire, configurable in the scheme file).
3. Without a usable declaration the scheme's ordered rules decide from the facets. When a declaration
   contradicts a strong rule, the declaration stands and the person is flagged for review (核查).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from .errors import UsageError
from .schema import EvidenceFile, EvidenceRule, Schemas, SchemeFile, load_schemas
from .store import Workspace
from .text import clean, fold

SOURCE_LABELS = {
    "review": "核查结论",
    "community_ledger": "社区台账", "unit_ledger": "单位台账", "questionnaire": "问卷",
    "household_register": "住户台帐", "other": "其他来源",
}


# ============================================================================================ evidence → facets
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


# ============================================================================================ schemes
@dataclass
class Decision:
    category: str
    group: str
    rule: str
    reason: str
    declared: str | None = None
    conflict: bool = False
    steps: list[str] = field(default_factory=list)


class Scheme:
    """One scheme file compiled: synonym lookups, crosswalk and rules."""

    def __init__(self, sf: SchemeFile):
        self.file = sf
        self.name = sf.scheme
        self.group = {c.label: c.group for c in sf.categories}
        self.order = [c.label for c in sf.categories]
        self.excluded = next(c.label for c in sf.categories if c.group == "excluded")
        self.unresolved = next(c.label for c in sf.categories if c.group == "unresolved")
        self.exact: dict[str, str] = {}
        for c in sf.categories:
            for s in [c.label, c.short or "", *c.synonyms]:
                if fold(s):
                    self.exact.setdefault(fold(s), c.label)
        self.contained = sorted(((k, v) for k, v in self.exact.items() if len(k) >= 3), key=lambda kv: -len(kv[0]))
        self.rank = {"review": -1, **{k: i for i, k in enumerate(sf.authority)}}  # a clerk's correction outranks all

    @lru_cache(maxsize=100_000)  # noqa: B019 - schemes live as long as their loaded Schemas
    def own(self, text: str, contained: bool = True) -> str | None:
        """The category a declared text names in this scheme: an exact synonym, else (with `contained`) the
        one category whose synonyms the text contains ("规模个体工商户（年营业额百万）"); a text naming two
        categories ("私营企业主或个体工商户") names none."""
        key = fold(text)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key]
        if not contained:
            return None
        hits = {v for k, v in self.contained if k in key}
        return hits.pop() if len(hits) == 1 else None

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


def declared_known(text: str, schemas: Schemas) -> bool:
    """Whether any scheme knows a declared category text (used at ingest for `category.unknown`)."""
    return any(s.own(text) for s in compiled_schemes(schemas).values())


@lru_cache(maxsize=8)
def compiled_schemes(schemas: Schemas) -> dict[str, Scheme]:
    """Every scheme of a loaded `Schemas`, compiled once."""
    return {name: Scheme(sf) for name, sf in schemas.schemes.items()}


@lru_cache(maxsize=8)
def _evidence(schemas: Schemas) -> Evidence:
    return Evidence(schemas.evidence)


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
    steps.append(f"依据证据（{'；'.join(facets.phrases()) or '无'}）按规则 {rule_id} → {inferred}")
    if chosen is None:
        if scheme.group[inferred] == "unresolved" and unresolved_reason:
            why = unresolved_reason
        return Decision(inferred, scheme.group[inferred], rule_id, why, None, False, steps)
    cat, reason, kind, text = chosen
    conflict = strong and inferred != cat and scheme.group[inferred] != "unresolved"
    if len(seen) > 1:
        reason += "（另有来源申报" + "、".join(f"{c}" for c in seen if c != cat) + "）"
    if conflict:
        reason += f"；但{why}，应为{inferred}，待核查"
        steps.append(f"申报与证据不符：保留申报类别 {cat}，标记核查")
    return Decision(cat, scheme.group[cat], f"declared:{kind}", reason, text, conflict, steps)


# ============================================================================================ the stage
@dataclass
class ClassifyResult:
    persons: int
    by_scheme: dict[str, dict[str, int]]  # scheme → group → persons
    conflicts: dict[str, int]


_EVIDENCE_SQL = """
WITH ranked AS (
    SELECT l.person_id, r.*, coalesce(a.rank, 99) AS rank
    FROM links l JOIN records r USING (record_id)
    LEFT JOIN authority a ON a.kind = r.source_kind
    WHERE r.status = 'record'
)
SELECT p.person_id,
       arg_min(work_unit, rank) FILTER (WHERE work_unit IS NOT NULL) AS work_unit,
       arg_min(unit_key, rank) FILTER (WHERE work_unit IS NOT NULL) AS unit_key,
       arg_min(unit_type, rank) FILTER (WHERE unit_type IS NOT NULL) AS unit_type,
       arg_min(position, rank) FILTER (WHERE position IS NOT NULL) AS position,
       arg_min(occupation, rank) FILTER (WHERE occupation IS NOT NULL) AS occupation,
       NOT bool_or(source_kind <> 'household_register' AND (work_unit IS NOT NULL OR position IS NOT NULL OR unit_type IS NOT NULL)) AS occupation_only,
       list(struct_pack(kind := source_kind, text := category_raw) ORDER BY rank, record_id) FILTER (WHERE category_raw IS NOT NULL) AS declared
FROM ranked p GROUP BY p.person_id
"""


def person_evidence(ws: Workspace, scheme: Scheme) -> pd.DataFrame:
    """One row per person: the evidence fields from their most authoritative records, and declarations."""
    auth = pd.DataFrame({"kind": list(scheme.rank), "rank": list(scheme.rank.values())})  # noqa: F841
    ws.con.register("authority", auth)
    try:
        df = ws.con.execute(f"""
            WITH ev AS ({_EVIDENCE_SQL}),
            units AS (
                SELECT r.unit_key, arg_min(r.unit_type, coalesce(a.rank, 99)) AS known_type
                FROM records r LEFT JOIN authority a ON a.kind = r.source_kind
                WHERE r.status = 'record' AND r.unit_key IS NOT NULL AND r.unit_type IS NOT NULL GROUP BY r.unit_key
            )
            SELECT ev.* EXCLUDE (unit_type), coalesce(ev.unit_type, u.known_type) AS unit_type
            FROM ev LEFT JOIN units u ON u.unit_key = ev.unit_key
            ORDER BY ev.person_id
        """).df()
    finally:
        ws.con.unregister("authority")
    return df


def classify_persons(ws: Workspace, schemas: Schemas | None = None) -> ClassifyResult:
    """Classify every person under every scheme and store the results (replacing earlier ones)."""
    schemas = schemas or load_schemas()
    schemes = compiled_schemes(schemas)
    evidence = _evidence(schemas)
    reviewed = reviewed_categories(ws)
    rows = []
    evidence_by_authority: dict[tuple, list] = {}  # schemes ranking sources alike share one evidence query
    for name, scheme in schemes.items():
        ranking = tuple(scheme.file.authority)
        if ranking not in evidence_by_authority:
            ev = person_evidence(ws, scheme)
            evidence_by_authority[ranking] = [
                ev[c].astype(object).where(ev[c].notna(), None).tolist()
                for c in ("person_id", "work_unit", "unit_type", "position", "occupation", "occupation_only", "declared")]
        columns = evidence_by_authority[ranking]
        cache: dict[tuple, Decision] = {}
        for pid, unit, utype, pos, occ, only, decl in zip(*columns, strict=True):
            declared = _declared(decl)
            if pid in reviewed:
                declared = (("review", reviewed[pid]), *declared)
            key = (unit, utype, pos, occ, bool(only), declared)
            d = cache.get(key)
            if d is None:
                facets = evidence.facets(key[0], key[1], key[2], key[3], key[4])
                d = cache[key] = decide(scheme, schemes, facets, list(declared))
            rows.append((pid, name, d.category, d.group, d.rule, d.reason, d.declared, d.conflict))
    out = pd.DataFrame(rows, columns=["person_id", "scheme", "category", "grp", "rule", "reason", "declared", "conflict"])  # noqa: F841
    with ws.transaction():
        ws.con.execute("DELETE FROM classifications")
        ws.con.execute("INSERT INTO classifications SELECT * FROM out")
        ws.con.execute("DELETE FROM issues WHERE code = 'person.category_evidence'")
        ws.con.execute("""
            INSERT INTO issues SELECT NULL, person_id, NULL, NULL, NULL, NULL, 'category', 'person.category_evidence', 'conflict',
                   declared, scheme || '：' || reason FROM out WHERE conflict
        """)
    return classification_summary(ws)


def reviewed_categories(ws: Workspace) -> dict[str, str]:
    """person → category a clerk decided in review (the latest correction wins)."""
    return dict(ws.query("""
        SELECT l.person_id, arg_max(d.value, d.decision_id) FROM decisions d JOIN links l ON l.record_id = d.record_a
        WHERE d.kind = 'correction' AND d.field = 'category' AND NOT d.undone GROUP BY l.person_id"""))


def classification_summary(ws: Workspace) -> ClassifyResult:
    """Persons per scheme and group, and how many are flagged for review, from the stored classifications."""
    summary: dict[str, dict[str, int]] = {}
    conflicts: dict[str, int] = {}
    for name, grp, n, c in ws.query("SELECT scheme, grp, count(*), count(*) FILTER (WHERE conflict) FROM classifications GROUP BY ALL"):
        summary.setdefault(name, {})[grp] = n
        conflicts[name] = conflicts.get(name, 0) + c
    persons = ws.scalar("SELECT count(*) FROM persons") or 0
    return ClassifyResult(int(persons), summary, conflicts)


def _declared(decl) -> tuple[tuple[str, str], ...]:
    """The declarations list of `person_evidence` (NULL when a person declares nothing)."""
    if decl is None or decl is pd.NA or (isinstance(decl, float) and pd.isna(decl)):
        return ()
    return tuple((d["kind"], d["text"]) for d in decl)


def _s(v) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else str(v)


def explain(ws: Workspace, person_id: str, scheme_name: str, schemas: Schemas | None = None) -> dict:
    """The decision path for one person under one scheme: evidence, facets, declarations, rules, result."""
    schemas = schemas or load_schemas()
    schemes = compiled_schemes(schemas)
    if scheme_name not in schemes:
        raise UsageError(f"--scheme must be one of {', '.join(schemes)}, not {scheme_name!r}.")
    scheme = schemes[scheme_name]
    ev = person_evidence(ws, scheme)
    row = ev[ev["person_id"] == person_id]
    if row.empty:
        raise UsageError(f"there is no person {person_id!r}; `census export persons` lists them.")
    r = row.iloc[0]
    declared = list(_declared(r["declared"]))
    if person_id in (reviewed := reviewed_categories(ws)):
        declared.insert(0, ("review", reviewed[person_id]))
    facets = _evidence(schemas).facets(_s(r["work_unit"]), _s(r["unit_type"]), _s(r["position"]), _s(r["occupation"]), bool(r["occupation_only"]))
    d = decide(scheme, schemes, facets, declared)
    return {
        "person_id": person_id, "scheme": scheme_name, "category": d.category, "group": d.group, "rule": d.rule,
        "reason": d.reason, "conflict": d.conflict,
        "evidence": {"work_unit": _s(r["work_unit"]), "unit_type": _s(r["unit_type"]), "position": _s(r["position"]),
                     "occupation": _s(r["occupation"]), "declared": [{"source": k, "text": t} for k, t in declared]},
        "facets": {n: (getattr(facets, n).value if getattr(facets, n) else "unknown") for n in ("sector", "role", "status")},
        "steps": d.steps,
    }

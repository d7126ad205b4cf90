"""Classification: every person, under every scheme, gets a category, the rule that decided it and a one-line
reason in Chinese (`classify_persons`); `explain` gives one person's decision path. The evidence is read from each
person's most authoritative records (`person_evidence`); what a unit ledger says of a unit's type holds for every
record naming the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..config import Schemas, load_schemas
from ..errors import UsageError
from ..i18n import _, listing
from ..issues import person_issue_rows
from ..persons.decisions import category_corrections
from ..persons.link import PERSONS_KEY
from ..privacy import mask_text, mask_tree
from ..vocab import REVIEW_SOURCE
from ..workspace import Workspace
from ..workspace.audit import log_access
from ..workspace.queries import insert_issues
from .evidence import compiled_evidence
from .schemes import Decision, Scheme, compiled_schemes, decide

CLASSIFIED_KEY = "classified_persons"  # the build of the persons table the classifications are of


def mark_classified(ws: Workspace) -> None:
    """Record that the classifications are of the current persons (inside the classifying transaction)."""
    ws.set(CLASSIFIED_KEY, ws.get(PERSONS_KEY, "0") or "0")


@dataclass
class ClassifyResult:
    persons: int
    by_scheme: dict[str, dict[str, int]]  # scheme → group → persons
    conflicts: dict[str, int]


_EVIDENCE_SQL = """
WITH ranked AS (
    SELECT l.person_id, s.round, r.*, coalesce(a.rank, 99) AS rank
    FROM links l JOIN records r USING (record_id) JOIN sources s ON s.source_id = r.source_id
    LEFT JOIN authority a ON a.kind = r.source_kind
    WHERE r.status = 'record'
)
SELECT p.person_id, p.round,
       arg_min(work_unit, (rank, record_id)) FILTER (WHERE work_unit IS NOT NULL) AS work_unit,
       arg_min(unit_key, (rank, record_id)) FILTER (WHERE work_unit IS NOT NULL) AS unit_key,
       arg_min(unit_type, (rank, record_id)) FILTER (WHERE unit_type IS NOT NULL) AS unit_type,
       arg_min(position, (rank, record_id)) FILTER (WHERE position IS NOT NULL) AS position,
       arg_min(occupation, (rank, record_id)) FILTER (WHERE occupation IS NOT NULL) AS occupation,
       NOT bool_or(source_kind <> 'household_register' AND (work_unit IS NOT NULL OR position IS NOT NULL OR unit_type IS NOT NULL)) AS occupation_only,
       list(struct_pack(kind := source_kind, text := category_raw) ORDER BY rank, record_id) FILTER (WHERE category_raw IS NOT NULL) AS declared
FROM ranked p GROUP BY p.person_id, p.round
"""


def person_evidence(ws: Workspace, scheme: Scheme) -> pd.DataFrame:
    """One row per person and round: the evidence fields from their most authoritative records of the round, and
    the round's declarations. What a round's records say of a unit's type holds for that round's records naming
    the unit (a round's categories depend on that round's files alone)."""
    auth = pd.DataFrame({"kind": list(scheme.rank), "rank": list(scheme.rank.values())})
    ws.con.register("authority", auth)
    try:
        df = ws.con.execute(f"""
            WITH ev AS ({_EVIDENCE_SQL}),
            units AS (
                SELECT s.round, r.unit_key, arg_min(r.unit_type, (coalesce(a.rank, 99), r.record_id)) AS known_type
                FROM records r JOIN sources s ON s.source_id = r.source_id LEFT JOIN authority a ON a.kind = r.source_kind
                WHERE r.status = 'record' AND r.unit_key IS NOT NULL AND r.unit_type IS NOT NULL GROUP BY s.round, r.unit_key
            )
            SELECT ev.* EXCLUDE (unit_type), coalesce(ev.unit_type, u.known_type) AS unit_type
            FROM ev LEFT JOIN units u ON u.unit_key = ev.unit_key AND u.round = ev.round
            ORDER BY ev.person_id, ev.round
        """).df()
    finally:
        ws.con.unregister("authority")
    return df


def classify_persons(ws: Workspace, schemas: Schemas | None = None) -> ClassifyResult:
    """Classify every person, in every round they have records in, under every scheme, and store the results
    (replacing earlier ones). A person whose declared categories mean different categories under a scheme, or
    contradict a strong rule, is flagged for review under that scheme (one issue per person, round and scheme),
    unless a clerk decided their category."""
    schemas = schemas or load_schemas()
    schemes = compiled_schemes(schemas)
    evidence = compiled_evidence(schemas)
    reviewed = category_corrections(ws)
    rows = []
    evidence_by_authority: dict[tuple, list] = {}  # schemes ranking sources alike share one evidence query
    for name, scheme in schemes.items():
        ranking = tuple(scheme.file.authority)
        if ranking not in evidence_by_authority:
            ev = person_evidence(ws, scheme)
            evidence_by_authority[ranking] = [
                ev[c].astype(object).where(ev[c].notna(), None).tolist()
                for c in ("person_id", "round", "work_unit", "unit_type", "position", "occupation", "occupation_only", "declared")]
        columns = evidence_by_authority[ranking]
        cache: dict[tuple, Decision] = {}
        for pid, rnd, unit, utype, pos, occ, only, decl in zip(*columns, strict=True):
            declared = _declared(decl)
            if (pid, rnd) in reviewed:
                declared = ((REVIEW_SOURCE, reviewed[pid, rnd]), *declared)
            key = (unit, utype, pos, occ, bool(only), declared)
            d = cache.get(key)
            if d is None:
                facets = evidence.facets(key[0], key[1], key[2], key[3], key[4])
                d = cache[key] = decide(scheme, schemes, facets, list(declared))
            rows.append((pid, name, d.category, d.group, d.rule, d.reason, d.declared, d.conflict, rnd, d.disagreeing,
                         "、".join(sorted({t for _k, t in declared})) or None))
    out = pd.DataFrame(rows, columns=["person_id", "scheme", "category", "grp", "rule", "reason", "declared", "conflict",
                                      "round", "disagreeing", "all_declared"])
    flagged = out[out["conflict"]]
    found = pd.DataFrame({"person_id": flagged["person_id"], "round": flagged["round"], "scheme": flagged["scheme"],
                          "field": "category",
                          "code": flagged["disagreeing"].map({True: "person.conflict_category", False: "person.category_evidence"}),
                          "value": flagged["all_declared"].where(flagged["disagreeing"], flagged["declared"]),
                          "detail": flagged["scheme"].map(lambda s: schemes[s].file.label) + "：" + flagged["reason"]})
    out = out[["person_id", "scheme", "category", "grp", "rule", "reason", "declared", "conflict", "round"]]
    with ws.transaction():
        ws.con.execute("DELETE FROM classifications")
        ws.con.register("_classified", out)
        try:
            ws.con.execute("INSERT INTO classifications SELECT * FROM _classified")
        finally:
            ws.con.unregister("_classified")
        ws.con.execute("DELETE FROM issues WHERE code IN ('person.category_evidence', 'person.conflict_category')")
        insert_issues(ws, person_issue_rows(found))
        mark_classified(ws)
    return classification_summary(ws)


def classification_summary(ws: Workspace, round_: str | None = None) -> ClassifyResult:
    """Persons of a round (default: the latest) per scheme and group, and how many are flagged for review, from the
    stored classifications."""
    round_ = round_ or ws.scalar("SELECT max(round) FROM persons")
    summary: dict[str, dict[str, int]] = {}
    conflicts: dict[str, int] = {}
    for name, grp, n, c in ws.query("""SELECT scheme, grp, count(*), count(*) FILTER (WHERE conflict) FROM classifications
                                       WHERE round = ? GROUP BY ALL""", [round_]):
        summary.setdefault(name, {})[grp] = n
        conflicts[name] = conflicts.get(name, 0) + c
    persons = ws.scalar("SELECT count(*) FROM persons WHERE round = ?", [round_]) or 0
    return ClassifyResult(int(persons), summary, conflicts)


def _declared(decl) -> tuple[tuple[str, str], ...]:
    """The declarations list of `person_evidence` (NULL when a person declares nothing)."""
    if decl is None or decl is pd.NA or (isinstance(decl, float) and pd.isna(decl)):
        return ()
    return tuple((d["kind"], d["text"]) for d in decl)


def _s(v) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else str(v)


def explain(ws: Workspace, person_id: str, scheme_name: str, schemas: Schemas | None = None,
            round_: str | None = None) -> dict:
    """The decision path for one person under one scheme in one round (default: the latest round the person has
    records in): evidence, facets, declarations, rules, result; numbers and dates in its texts masked
    (`census.privacy.mask_tree`). Written to the audit trail."""
    schemas = schemas or load_schemas()
    schemes = compiled_schemes(schemas)
    if scheme_name not in schemes:
        raise UsageError(_("--scheme {scheme}：只能是 {schemes} 之一。").format(scheme=scheme_name, schemes=listing(schemes)))
    scheme = schemes[scheme_name]
    ev = person_evidence(ws, scheme)
    row = ev[(ev["person_id"] == person_id) & ((ev["round"] == round_) if round_ else True)]
    if row.empty:
        raise UsageError(_("没有编号为 {person} 的人员；census export persons 可列出全部人员。").format(person=mask_text(person_id)))
    r = row.iloc[-1]
    declared = list(_declared(r["declared"]))
    if (person_id, r["round"]) in (reviewed := category_corrections(ws)):
        declared.insert(0, (REVIEW_SOURCE, reviewed[person_id, r["round"]]))
    facets = compiled_evidence(schemas).facets(_s(r["work_unit"]), _s(r["unit_type"]), _s(r["position"]), _s(r["occupation"]), bool(r["occupation_only"]))
    d = decide(scheme, schemes, facets, declared)
    log_access(ws, "view", person_id, 1)
    return mask_tree({
        "person_id": person_id, "round": r["round"], "scheme": scheme_name, "category": d.category, "group": d.group, "rule": d.rule,
        "reason": d.reason, "conflict": d.conflict,
        "evidence": {"work_unit": _s(r["work_unit"]), "unit_type": _s(r["unit_type"]), "position": _s(r["position"]),
                     "occupation": _s(r["occupation"]), "declared": [{"source": k, "text": t} for k, t in declared]},
        "facets": {n: (getattr(facets, n).value if getattr(facets, n) else "unknown") for n in ("sector", "role", "status")},
        "steps": d.steps,
    })

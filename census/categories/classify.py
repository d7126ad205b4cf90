"""Classification: every person, under every scheme, gets a category, the rule that decided it and a one-line
reason in Chinese (`classify_persons`); `explain` gives one person's decision path. The evidence is read from each
person's most authoritative records (`person_evidence`); what a unit ledger says of a unit's type holds for every
record naming the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

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
from .schemes import Scheme, compiled_schemes, decide

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


_PERSON_EVIDENCE_SQL = f"""
    WITH ev AS ({_EVIDENCE_SQL}),
    units AS (
        SELECT s.round, r.unit_key, arg_min(r.unit_type, (coalesce(a.rank, 99), r.record_id)) AS known_type
        FROM records r JOIN sources s ON s.source_id = r.source_id LEFT JOIN authority a ON a.kind = r.source_kind
        WHERE r.status = 'record' AND r.unit_key IS NOT NULL AND r.unit_type IS NOT NULL GROUP BY s.round, r.unit_key
    )
    SELECT ev.* EXCLUDE (unit_type), coalesce(ev.unit_type, u.known_type) AS unit_type
    FROM ev LEFT JOIN units u ON u.unit_key = ev.unit_key AND u.round = ev.round
"""


def person_evidence(ws: Workspace, scheme: Scheme) -> pd.DataFrame:
    """One row per person and round: the evidence fields from their most authoritative records of the round, and
    the round's declarations. What a round's records say of a unit's type holds for that round's records naming
    the unit (a round's categories depend on that round's files alone)."""
    auth = pd.DataFrame({"kind": list(scheme.rank), "rank": list(scheme.rank.values())})
    ws.con.register("authority", auth)
    try:
        df = ws.con.execute(f"{_PERSON_EVIDENCE_SQL} ORDER BY ev.person_id, ev.round").df()
    finally:
        ws.con.unregister("authority")
    return df


# Stands for a unit's name in the decisions made once for every unit whose name says the same (`Evidence.unit_facts`),
# and is replaced by the name in each person's reason. A person whose evidence holds this character is decided with
# the name itself.
_UNIT = "\ue000"
_EVIDENCE_COLUMNS = ("work_unit", "unit_type", "position", "occupation", "occupation_only", "declared")


def classify_persons(ws: Workspace, schemas: Schemas | None = None) -> ClassifyResult:
    """Classify every person, in every round they have records in, under every scheme, and store the results
    (replacing earlier ones). A person whose declared categories mean different categories under a scheme, or
    contradict a strong rule, is flagged for review under that scheme (one issue per person, round and scheme),
    unless a clerk decided their category.

    Many persons have the same evidence: each distinct combination of unit type, position, occupation,
    declarations and what their unit's name says (`Evidence.unit_facts`, once per name) is decided once per
    scheme, and the decisions are joined back to the persons in DuckDB."""
    schemas = schemas or load_schemas()
    schemes = compiled_schemes(schemas)
    evidence = compiled_evidence(schemas)
    reviewed = category_corrections(ws)
    con = ws.con
    by_authority: dict[tuple, list[tuple[int, str]]] = {}  # schemes ranking sources alike share one evidence query
    for i, (name, scheme) in enumerate(schemes.items()):
        by_authority.setdefault(tuple(scheme.file.authority), []).append((i, name))
    con.register("_reviewed", pd.DataFrame({"person_id": [k[0] for k in reviewed], "round": [k[1] for k in reviewed],
                                            "value": list(reviewed.values())}, dtype=object))
    facets_cache: dict[tuple, object] = {}
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _classified (scheme_no INTEGER, person_id VARCHAR, scheme VARCHAR, "
                    "category VARCHAR, grp VARCHAR, rule VARCHAR, reason VARCHAR, declared VARCHAR, conflict BOOLEAN, "
                    "round VARCHAR, disagreeing BOOLEAN, all_declared VARCHAR)")
        for names in by_authority.values():
            scheme = schemes[names[0][1]]
            con.register("authority", pd.DataFrame({"kind": list(scheme.rank), "rank": list(scheme.rank.values())}))
            try:
                _evidence_combinations(con, evidence)
            finally:
                con.unregister("authority")
            combos = con.execute("SELECT combo, unit, unit_rule, unit_company, unit_type, position, occupation, occupation_only, declared "
                                 "FROM _combos ORDER BY combo").fetchall()
            rows = []
            for combo, unit, unit_rule, company, utype, pos, occ, only, decl in combos:
                declared = tuple((d["kind"], d["text"]) for d in decl) if decl else ()
                key = (unit, None if unit_rule is None else (unit_rule, company), utype, pos, occ, bool(only))
                facets = facets_cache.get(key)
                if facets is None:
                    facets = facets_cache[key] = evidence.facets(unit, utype, pos, occ, bool(only), key[1])
                all_declared = "、".join(sorted({t for _k, t in declared})) or None
                for i, name in names:
                    d = decide(schemes[name], schemes, facets, list(declared))
                    rows.append((combo, i, name, d.category, d.group, d.rule, d.reason, d.declared, d.conflict, d.disagreeing,
                                 all_declared))
            decisions = pd.DataFrame(rows, columns=["combo", "scheme_no", "scheme", "category", "grp", "rule", "reason",
                                                    "declared", "conflict", "disagreeing", "all_declared"])
            con.register("_decisions", pa.Table.from_pandas(decisions, preserve_index=False))  # Arrow: strings scan fast
            try:
                con.execute(f"""
                    INSERT INTO _classified
                    SELECT d.scheme_no, e.person_id, d.scheme, d.category, d.grp, d.rule,
                           CASE WHEN e.by_unit_facts THEN replace(d.reason, '{_UNIT}', e.work_unit) ELSE d.reason END,
                           d.declared, d.conflict, e.round, d.disagreeing, d.all_declared
                    FROM _person_combos e JOIN _decisions d USING (combo)""")
            finally:
                con.unregister("_decisions")
        flagged = con.execute("""
            SELECT person_id, round, scheme, 'category' AS field,
                   CASE WHEN disagreeing THEN 'person.conflict_category' ELSE 'person.category_evidence' END AS code,
                   CASE WHEN disagreeing THEN all_declared ELSE declared END AS value, reason
            FROM _classified WHERE conflict ORDER BY scheme_no, person_id, round""").df()
        found = flagged.assign(detail=flagged["scheme"].map(lambda s: schemes[s].file.label) + "：" + flagged["reason"])
        with ws.transaction():
            con.execute("DELETE FROM classifications")
            con.execute("""INSERT INTO classifications SELECT person_id, scheme, category, grp, rule, reason, declared, conflict, round
                           FROM _classified""")
            con.execute("DELETE FROM issues WHERE code IN ('person.category_evidence', 'person.conflict_category')")
            insert_issues(ws, person_issue_rows(found.drop(columns="reason")))
            mark_classified(ws)
    finally:
        con.unregister("_reviewed")
        for t in ("_classified", "_person_combos", "_combos"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return classification_summary(ws)


def _evidence_combinations(con, evidence) -> None:
    """`_person_combos` (person_id, round, work_unit, by_unit_facts, combo): each person's evidence under the
    ranking in `authority`, a clerk's category first among the declarations, numbered by distinct combination;
    `_combos`: one row per combination, with the unit's name as `facets` takes it — the placeholder and the name's
    `unit_facts`, or the name itself."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _evidence AS
        SELECT e.person_id, e.round, e.work_unit, e.unit_type, e.position, e.occupation, coalesce(e.occupation_only, false) AS occupation_only,
               CASE WHEN v.value IS NULL THEN e.declared
                    ELSE list_prepend(struct_pack(kind := '{REVIEW_SOURCE}', text := v.value::VARCHAR), coalesce(e.declared, [])) END AS declared
        FROM ({_PERSON_EVIDENCE_SQL}) e LEFT JOIN _reviewed v ON v.person_id = e.person_id AND v.round = e.round""")
    units = [u for (u,) in con.execute(f"""SELECT DISTINCT work_unit FROM _evidence WHERE work_unit <> ''
                                           AND strpos(work_unit, '{_UNIT}') = 0""").fetchall()]
    facts = [evidence.unit_facts(u) for u in units]
    con.register("_units", pa.table({"work_unit": pa.array(units, pa.string()),
                                     "unit_rule": pa.array([f[0] for f in facts], pa.int32()),
                                     "unit_company": pa.array([f[1] for f in facts], pa.bool_())}))
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _person_combos AS
            SELECT *, dense_rank() OVER (ORDER BY unit, unit_rule, unit_company, unit_type, position, occupation, occupation_only, declared) AS combo
            FROM (SELECT e.*, u.unit_rule IS NOT NULL AND strpos(concat_ws('', e.unit_type, e.position, e.occupation, e.declared::VARCHAR), '{_UNIT}') = 0 AS by_unit_facts,
                         CASE WHEN by_unit_facts THEN '{_UNIT}' ELSE e.work_unit END AS unit,
                         CASE WHEN by_unit_facts THEN u.unit_rule END AS unit_rule,
                         CASE WHEN by_unit_facts THEN u.unit_company END AS unit_company
                  FROM _evidence e LEFT JOIN _units u USING (work_unit))""")
    finally:
        con.unregister("_units")
    con.execute("""CREATE OR REPLACE TEMP TABLE _combos AS
                   SELECT combo, any_value(unit) AS unit, any_value(unit_rule) AS unit_rule, any_value(unit_company) AS unit_company, any_value(unit_type) AS unit_type,
                          any_value(position) AS position, any_value(occupation) AS occupation,
                          any_value(occupation_only) AS occupation_only, any_value(declared) AS declared
                   FROM _person_combos GROUP BY combo""")
    con.execute("DROP TABLE _evidence")


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

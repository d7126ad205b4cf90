"""The numbers of the report's sheets that are more than one tally: the key figures of the summary, every
community of the register with its counts (grouped by street, suppressed as one table), the data-quality
account and the coverage list that drives 补查. `census.render.report` writes them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..issues import CODES
from ..persons.review import open_conflicts
from ..pipeline import ensure_current, link_current
from ..privacy import mask_text
from ..vocab import LINK_RULES, OUTSIDE, REPRESENTATIVE, UNKNOWN
from ..workspace import Workspace
from ..workspace.queries import register_rows, streets
from .dimensions import sort_key
from .suppress import complementary, hidden_mark, primary
from .tally import crosstab, tally


def scheme_title(scheme: str) -> str:
    return compiled_schemes(load_schemas())[scheme].file.title


def key_figures(ws: Workspace, scheme: str, other: str | None, as_of: date, round_: str | None = None) -> dict[str, int]:
    """The summary's 主要数据 of a round: the total, who is reported beside it, who is not counted, the other scheme's
    total, persons, records and representatives."""
    t = tally(ws, scheme, ["representative"], as_of=as_of, round=round_)
    figures: dict[str, int] = {scheme_title(scheme): t.total}
    figures.update(t.outside_total)
    figures["待核实"] = t.unresolved
    figures["不属于统计范围"] = t.excluded
    if other:
        figures[scheme_title(other)] = tally(ws, other, ["category"], as_of=as_of, round=t.round).total
    figures["人员总数（去重后）"] = int(ws.scalar("SELECT count(*) FROM persons WHERE round = ?", [t.round]) or 0)
    figures["来源记录数"] = int(ws.scalar("""SELECT count(*) FROM records r JOIN sources s USING (source_id)
                                          WHERE r.status = 'record' AND s.round = ?""", [t.round]) or 0)
    figures["代表人士"] = sum(r["count"] for r in t.rows if r["representative"] == REPRESENTATIVE)
    return figures


# ============================================================================================ communities
@dataclass
class CommunityTable:
    """Communities × `cols` grouped by street: every community of the register (0 where nobody is), then any place
    the records name outside it; `shown` holds each cell as published (a count, or "<N"/"×" when suppressed)."""

    cols: list[str]
    groups: dict[str, list[str]]
    counts: dict[tuple[str, str, str], int]
    shown: dict[tuple[str, str, str], int | str]
    outside_total: dict[str, int]
    unresolved: int
    excluded: int
    unplaced: int

    def row_total(self, street: str, community: str) -> int:
        return sum(self.counts.get((street, community, c), 0) for c in self.cols)

    def street_totals(self, street: str) -> list[int]:
        return [sum(self.counts.get((street, cm, c), 0) for cm in self.groups[street]) for c in self.cols]

    def col_totals(self) -> list[int]:
        return [sum(self.counts.get((st, cm, c), 0) for st, cms in self.groups.items() for cm in cms) for c in self.cols]


def community_table(ws: Workspace, scheme: str, cols: str, as_of: date, suppress: int | None,
                    round_: str | None = None) -> CommunityTable:
    """The community table of a round; with `suppress` every published sum (each community, each street's 小计,
    each column, the 合计) is protected by complementary suppression."""
    ct = crosstab(ws, scheme, "community", cols, as_of=as_of, round=round_)
    values_of_cols = list(ct.col_values)
    t = tally(ws, scheme, ["street", "community", cols], as_of=as_of, round=round_)
    counts = {(r["street"], r["community"], r[cols]): r["count"] for r in t.rows}
    groups: dict[str, list[str]] = {st: [] for st in streets(ws)}
    for st, _, cm, _, _ in register_rows(ws):
        groups.setdefault(st, []).append(cm)
    seen = sorted({(st, cm) for st, cm, _ in counts}, key=lambda k: (sort_key({}, "street")(k[0]), sort_key({}, "community")(k[1])))
    for st, cm in seen:
        if cm not in groups.setdefault(st, []):
            groups[st].append(cm)
    groups = {st: cms for st, cms in groups.items() if cms}
    keys = [(st, cm, c) for st, cms in groups.items() for cm in cms for c in values_of_cols]
    values = [counts.get(k, 0) for k in keys]
    hidden: set[int] = set()
    if suppress:
        pos = {k: i for i, k in enumerate(keys)}
        sums = [[pos[st, cm, c] for c in values_of_cols] for st, cms in groups.items() for cm in cms]
        sums += [[pos[st, cm, c] for cm in cms] for st, cms in groups.items() for c in values_of_cols]
        sums += [[pos[st, cm, c] for cm in cms for c in values_of_cols] for st, cms in groups.items()]
        sums += [[pos[st, cm, c] for st, cms in groups.items() for cm in cms] for c in values_of_cols]
        sums.append(list(range(len(keys))))
        hidden = complementary(values, sums, primary(values, suppress))
    shown = {k: (hidden_mark(values[i], suppress) if i in hidden else values[i]) for i, k in enumerate(keys)}
    unplaced = sum(n for (_, cm, _), n in counts.items() if cm == UNKNOWN)
    return CommunityTable(values_of_cols, groups, counts, shown, ct.outside_total, ct.unresolved, ct.excluded, unplaced)


# ============================================================================================ quality
@dataclass
class Quality:
    """The data-quality account: every source file, the quarantined rows by reason, the issues by code, and the
    persons and review items still open."""

    sources: list[tuple[str, str, int, int, int, int]]  # path, kind, data rows, records, quarantined, warnings
    quarantined: list[tuple[str, int]]  # reason, rows
    issues: list[tuple[str, str, int]]  # code, severity, count
    figures: dict[str, int]
    unresolved: int
    review_pairs: int
    conflicts: int
    link_current: bool


def quality(ws: Workspace, scheme: str, as_of: date, round_: str | None = None) -> Quality:
    """The data-quality account of a round (default: the latest): its files, their rows and issues, its persons and
    what the review (under `scheme`) still holds open."""
    ensure_current(ws)
    t = tally(ws, scheme, ["category"], as_of=as_of, round=round_)
    r = t.round
    sources = [(mask_text(p), *rest) for p, *rest in  # a phone or ID in a file's name is masked too
               ws.query("SELECT path, kind, data_rows, records, quarantined, warnings FROM sources WHERE round = ? ORDER BY path", [r])]
    quarantined = ws.query("""SELECT reason, count(*) FROM records JOIN sources USING (source_id)
                              WHERE status = 'quarantined' AND round = ? GROUP BY reason ORDER BY 2 DESC, 1""", [r])
    order = {c: i for i, c in enumerate(CODES)}
    severity_order = {"error": 0, "warning": 1, "conflict": 2}
    issues = sorted(ws.query("""SELECT code, severity, count(*) FROM issues WHERE severity <> 'quarantine' AND round = ?
                                AND (scheme IS NULL OR scheme = ?) GROUP BY ALL""", [r, scheme]),
                    key=lambda x: (severity_order.get(x[1], 9), order.get(x[0], 999), x[0]))
    review_pairs = int(ws.scalar("""SELECT count(*) FROM pairs p WHERE status = 'review' AND ? IN (
                                        (SELECT round FROM records JOIN sources USING (source_id) WHERE record_id = p.record_a),
                                        (SELECT round FROM records JOIN sources USING (source_id) WHERE record_id = p.record_b))""", [r]) or 0)
    conflicts = open_conflicts(ws, scheme, r)
    figures = {
        "人员总数（去重后）": int(ws.scalar("SELECT count(*) FROM persons WHERE round = ?", [r]) or 0),
        "无有效身份证号的人员": int(ws.scalar("SELECT count(*) FROM persons WHERE NOT has_valid_id AND round = ?", [r]) or 0),
        "类别待核实的人员": t.unresolved,
        "待核查：疑似同一人（对）": review_pairs,
        "待核查：信息冲突（项）": conflicts,
        "待核查事项合计": review_pairs + conflicts,
    }
    return Quality(sources, quarantined, issues, figures, t.unresolved, review_pairs, conflicts, link_current(ws))


def link_figures(ws: Workspace) -> dict[str, int]:
    """How records became persons, for the note on method: records, persons, records by how they were joined
    (rule id, probabilistic, review, single, given: see `links.rule`), persons with more than one record."""
    ensure_current(ws)
    by_rule = dict(ws.query("SELECT rule, count(*) FROM links GROUP BY rule"))
    return {
        "records": int(ws.scalar("SELECT count(*) FROM links") or 0),
        "persons": int(ws.scalar("SELECT count(*) FROM persons") or 0),
        "merged_persons": int(ws.scalar("SELECT count(*) FROM persons WHERE records > 1") or 0),
        **{f"rule_{rule}": int(by_rule.get(rule, 0)) for rule in LINK_RULES},
    }


# ============================================================================================ coverage
@dataclass
class CoverageRow:
    street: str
    street_code: str
    community: str
    code: str
    type: str | None
    count: int
    outside: dict[str, int] = field(default_factory=dict)
    street_median: float = 0.0
    advice: str = ""
    why: str = ""


@dataclass
class Coverage:
    """Every community of the register with its count; 补查 where nobody was found or fewer than half the street's
    median — the communities whose ledgers are most likely incomplete."""

    rows: list[CoverageRow]
    outside_categories: list[str]
    unplaced: int

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


def coverage(ws: Workspace, scheme: str, as_of: date, round_: str | None = None) -> Coverage:
    s_def = compiled_schemes(load_schemas())[scheme]
    outside_cats = [c for c in s_def.order if s_def.group[c] == OUTSIDE]
    t = tally(ws, scheme, ["street", "community"], as_of=as_of, round=round_)
    counts = {(r["street"], r["community"]): r["count"] for r in t.rows}
    outside: dict[tuple[str, str, str], int] = {
        (st, cm, cat): n for st, cm, cat, n in ws.query(
            f"""SELECT coalesce(p.street, '{UNKNOWN}'), coalesce(p.community, '{UNKNOWN}'), c.category, count(*)
                FROM persons p JOIN classifications c ON c.person_id = p.person_id AND c.round = p.round
                WHERE c.scheme = ? AND c.grp = '{OUTSIDE}' AND p.round = ? GROUP BY ALL""", [scheme, t.round])}
    register = register_rows(ws)
    medians = {st: statistics.median(counts.get((st, cm), 0) for s2, _, cm, _, _ in register if s2 == st)
               for st in dict.fromkeys(r[0] for r in register)}
    rows = []
    for st, st_code, cm, cm_code, typ in register:
        n = counts.get((st, cm), 0)
        med = medians[st]
        row = CoverageRow(st, st_code, cm, cm_code, typ, n, {c: outside.get((st, cm, c), 0) for c in outside_cats}, med)
        if n == 0:
            row.advice, row.why = "补查", "未登记到新的社会阶层人士"
        elif n < med / 2:
            row.advice, row.why = "补查", f"少于本街道各社区中位数（{med:g}人）的一半"
        rows.append(row)
    registered = {(st, cm) for st, _, cm, _, _ in register}
    unplaced = sum(n for k, n in counts.items() if k not in registered)
    return Coverage(rows, outside_cats, unplaced)

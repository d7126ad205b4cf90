"""Questionnaire estimates: frequency tables of the labelled questions, split by category or calibrated to the census.

A district runs a sample questionnaire beside the census (a .sav from a survey platform). Its cases are the
`records` of questionnaire sources; every answer is in `raw` under its column header, written as its value label,
and each source's `sheets.columns` keeps the variable name, label and ordered value labels. `survey` turns them
into frequency tables in value-label order, with the share of respondents who answered. Multiple-choice questions
exported as 0/1 columns sharing a stem (Q12_1 … Q12_5, labels "…：政治培训") become one table of the share
choosing each option, so their shares can sum to more than 100%.

The questionnaire is a sample, not the count: respondents are joined to the census through `links` (a respondent
without a link is 未关联). `by` splits each table by a dimension of the respondent's person; `calibrate`
post-stratifies: each respondent of a new-class category weighs (census count of the category) / (respondents
in it), so the weights of a category sum to its census count and the shares estimate the district's population.
Every case of a questionnaire source counts as a respondent, quarantined ones too (an anonymous return is still
an answer; it has no person, so it is 未关联).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from ..categories.schemes import compiled_schemes
from ..config import load_schemas
from ..errors import CensusError, UsageError
from ..i18n import _, listing
from ..pipeline import ensure_current
from ..vocab import DEFAULT_AGE_BANDS, DIMENSIONS, MULTI_VALUED, NEW_CLASS, TOTAL
from ..workspace import Workspace
from ..workspace.rounds import table_round
from .dimensions import check_request, dimension_list, dimension_sql, sort_key, value_order
from .shares import percent, round_half_up
from .tally import tally

UNLINKED = "未关联"
IDENTITY_FIELDS = frozenset({"seq", "name", "id_number", "phone", "address", "household_no", "birth_date", "age"})
_ITEM = re.compile(r"^(?P<stem>.+?)_(?P<item>\d+)$")  # Q12_1 → Q12, 1
_SEPARATORS = "：:"
MIN_RESPONDENTS = 5  # a calibration weight resting on fewer respondents than this is flagged as unstable


@dataclass
class Question:
    """One table's question: a single variable, or a multiple-choice group of 0/1 variables sharing a stem."""

    variable: str  # the variable name, or the group's stem ("Q12")
    label: str  # the variable label, or the group's common label ("12.您希望参加的活动")
    kind: str  # "single" or "multiple"
    options: list[str]  # value labels in order; for a group, the option of each member
    labelled: bool = True
    field_name: str | None = None  # the canonical field ingest mapped the column to (name, sex …)
    members: list[str] = field(default_factory=list)  # a group's variables, in item order
    chosen: dict[str, str] = field(default_factory=dict)  # a member → the text meaning "chosen" ("选择" or "1")


@dataclass
class SurveyTable:
    """A frequency table: for each option and column (the `by` values, then 合计) a cell with `count` and
    `percent` (of the column's respondents who answered), plus `estimate` and `weighted_percent` when calibrated.
    `used`: of those who answered, the respondents the calibrated estimate rests on (those with a weight).
    Shares are rounded half up from the exact counts (and exact weights), as Excel rounds."""

    question: Question
    columns: list[str]
    options: list[str]
    cells: dict[tuple[str, str], dict]
    answered: dict[str, int]
    missing: dict[str, int]
    weighted_answered: dict[str, float] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)

    def to_dict(self, by: bool) -> dict:
        q = self.question
        rows = []
        for opt in self.options:
            row = {"value": opt, **self.cells[opt, TOTAL]}
            if by:
                row["by"] = {c: self.cells[opt, c] for c in self.columns if c != TOTAL}
            rows.append(row)
        d = {"variable": q.variable, "label": q.label, "kind": q.kind, "answered": self.answered[TOTAL],
             "missing": self.missing[TOTAL], "rows": rows}
        if q.kind == "multiple":
            d["members"] = list(q.members)
        if self.weighted_answered:
            d["used"] = self.used[TOTAL]
            d["weighted_answered"] = self.weighted_answered[TOTAL]
        if by:
            d["answered_by"] = {c: self.answered[c] for c in self.columns if c != TOTAL}
            if self.weighted_answered:
                d["used_by"] = {c: self.used[c] for c in self.columns if c != TOTAL}
        return d


@dataclass
class SurveyResult:
    scheme: str
    by: str | None
    calibrated: bool
    respondents: int
    linked: int
    sources: list[str]
    tables: list[SurveyTable]
    calibration: list[dict] = field(default_factory=list)  # per category: census, respondents, weight, few_respondents
    left_out: dict[str, int] = field(default_factory=dict)  # respondents outside the calibrated estimate, by reason
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = {"scheme": self.scheme, "by": self.by, "calibrated": self.calibrated, "respondents": self.respondents,
             "linked": self.linked, "sources": list(self.sources),
             "questions": [t.to_dict(self.by is not None) for t in self.tables]}
        if self.calibrated:
            d["calibration"] = {"categories": list(self.calibration), "left_out": dict(self.left_out),
                                "population": sum(c["census"] for c in self.calibration if c["respondents"]),
                                "used": self.used, "min_respondents": MIN_RESPONDENTS,
                                "few_respondents": self.few_respondents}
        d["notes"] = list(self.notes)
        return d

    @property
    def used(self) -> int:
        """Respondents the calibrated estimates rest on (linked to a person of a weighted category)."""
        return sum(c["respondents"] for c in self.calibration)

    @property
    def few_respondents(self) -> list[str]:
        """The categories whose weight rests on fewer than MIN_RESPONDENTS respondents (flagged as unstable)."""
        return [c["category"] for c in self.calibration if c.get("few_respondents")]

    def long_rows(self) -> list[dict]:
        """One row per question, option and column: the CSV form."""
        out = []
        for t in self.tables:
            for opt in t.options:
                for col in t.columns:
                    c = t.cells[opt, col]
                    row = {"variable": t.question.variable, "label": t.question.label, "kind": t.question.kind,
                           "value": opt, "column": col, "count": c["count"], "percent": c["percent"], "answered": t.answered[col]}
                    if self.calibrated:
                        row["used"] = t.used[col]
                        row["estimate"] = c.get("estimate")
                        row["weighted_percent"] = c.get("weighted_percent")
                    out.append(row)
        return out


# ============================================================================================ the questionnaire
def _sheets(ws: Workspace, round_: str | None = None) -> list[tuple[int, str, str, list[dict]]]:
    """The questionnaire sheets of a round (default: the latest)."""
    round_ = round_ or ws.scalar("SELECT max(round) FROM sources")
    rows = ws.query("""SELECT s.source_id, s.path, sh.sheet, sh.columns FROM sources s JOIN sheets sh USING (source_id)
                       WHERE s.kind = 'questionnaire' AND sh.status = 'read' AND s.round = ? ORDER BY s.source_id, sh.sheet""",
                    [round_])
    return [(sid, path, sheet, json.loads(cols) if isinstance(cols, str) else (cols or [])) for sid, path, sheet, cols in rows]


def _binary(info: dict) -> str | None:
    """The text meaning "chosen" for a 0/1 variable (its label for 1, or "1" when unlabelled); None otherwise."""
    labels = info.get("value_labels")
    if not labels:
        return "1"
    values = {str(v["value"]).removesuffix(".0"): v["label"] for v in labels}
    return values["1"] if set(values) == {"0", "1"} else None


def _split_label(label: str) -> tuple[str, str] | None:
    for sep in _SEPARATORS:
        if sep in label:
            stem, _sep, option = label.rpartition(sep)
            return stem.strip(), option.strip()
    return None


def catalogue(ws: Workspace, round_: str | None = None) -> tuple[list[Question], dict[str, Question], dict[tuple[int, str], dict[str, str]]]:
    """(the default questions, every question by name, raw key of each variable per (source, sheet)).

    Default: every variable with value labels that is not an identity field, and the multiple-choice groups, in
    questionnaire order. Variables of several questionnaire sources are merged by name."""
    infos: dict[str, dict] = {}
    keys: dict[tuple[int, str], dict[str, str]] = {}
    for sid, _path, sheet, columns in _sheets(ws, round_):
        for c in columns:
            name = c.get("variable") or c.get("header")
            if not name:
                continue
            if c.get("raw_key"):
                keys.setdefault((sid, sheet), {})[name] = c["raw_key"]
            info = infos.setdefault(name, {"label": c.get("label") or c.get("header") or name, "field": c.get("field"), "value_labels": []})
            have = {v["label"] for v in info["value_labels"]}
            info["value_labels"] += [v for v in c.get("value_labels") or [] if v["label"] not in have]
    # multiple-choice groups: two or more 0/1 variables Stem_1, Stem_2 … with labels "题干：选项"
    stems: dict[str, list[tuple[int, str]]] = {}
    for name, info in infos.items():
        m = _ITEM.match(name)
        if m and info["field"] not in IDENTITY_FIELDS and _binary(info) is not None and _split_label(info["label"]):
            stems.setdefault(m.group("stem"), []).append((int(m.group("item")), name))
    groups: dict[str, Question] = {}
    member_of: dict[str, str] = {}
    for stem, items in stems.items():
        if len(items) < 2:
            continue
        names = [n for _key, n in sorted(items)]
        splits = [_split_label(infos[n]["label"]) for n in names]
        group_name = stem if stem not in infos else f"{stem}_多选"
        groups[group_name] = Question(group_name, splits[0][0], "multiple", [o for _stem, o in splits], members=names,
                                      chosen={n: _binary(infos[n]) for n in names})
        member_of.update({n: group_name for n in names})
    default: list[Question] = []
    by_name: dict[str, Question] = {}
    for name, info in infos.items():
        labels = [v["label"] for v in info["value_labels"]]
        q = Question(name, info["label"], "single", labels, labelled=bool(labels), field_name=info["field"])
        by_name[name] = q  # a group's member stays askable by its own name
        if name in member_of:
            g = groups[member_of[name]]
            by_name.setdefault(g.variable, g)
            if g not in default:
                default.append(g)
        elif labels and info["field"] not in IDENTITY_FIELDS:
            default.append(q)
    return default, by_name, keys


def select(default: list[Question], by_name: dict[str, Question], asked: list[str] | None) -> list[Question]:
    """The questions asked for: each by variable name (case-insensitive), else every question whose label (or
    a group member's option) contains it. Unknown → UsageError naming it; identity columns are refused."""
    if not asked:
        return list(default)
    lower = {n.casefold(): q for n, q in by_name.items()}
    members = {m for q in by_name.values() if q.kind == "multiple" for m in q.members}  # reached through their group
    searchable = [*default, *(q for q in by_name.values()
                              if q not in default and q.field_name not in IDENTITY_FIELDS and q.variable not in members)]
    out: list[Question] = []
    for text in asked:
        key = text.strip()
        q = lower.get(key.casefold())
        if q is not None:
            if q.field_name in IDENTITY_FIELDS:
                raise UsageError(_("--question {question}：这是身份信息列（{field}）；问卷统计只统计回答，不统计回答人是谁。").format(
                    question=text, field=q.label or q.variable))
            hits = [q]
        else:
            needle = key.casefold()
            hits = [q for q in searchable if needle and (needle in q.label.casefold()
                                                          or any(needle in o.casefold() for o in q.options if q.kind == "multiple"))]
        if not hits:
            names = listing(f"{q.variable}（{q.label}）" for q in default) or _("（无）")
            raise UsageError(_("--question {question}：问卷中没有这道题（按变量名或题目文字都找不到）；问卷的题目有 {names}。").format(
                question=text, names=names))
        out += [q for q in hits if q not in out]
    return out


# ============================================================================================ the estimates
def survey(ws: Workspace, questions: list[str] | None = None, by: str | None = None, calibrate: bool = False,
           scheme: str = "current4", round: str | int | None = None) -> SurveyResult:
    """Frequency tables of the questionnaire's labelled questions (or of `questions`, by name or label text), of
    one round's questionnaires (default: the latest round).

    `by` (a tally dimension, e.g. "category") splits each table by the respondent's person; `calibrate` adds
    post-stratified estimates weighted to the census count of each new-class category under `scheme`."""
    check_request(scheme, [])
    if by is not None and by not in DIMENSIONS:
        raise UsageError(_("--by {value}：不是维度；可用的维度有 {dimensions}。").format(value=by, dimensions=dimension_list()))
    if by in MULTI_VALUED or by == "round":
        raise UsageError(_("--by {by}：问卷表只能按每人每年度只有一个取值的维度分组。").format(by=by))
    target = table_round(ws, round)
    default, by_name, keys = catalogue(ws, target)
    if not by_name:
        raise CensusError(_("工作区里没有问卷；请先导入问卷的 .sav 文件（census ingest 问卷.sav）。"))
    chosen = select(default, by_name, questions)
    resp = _respondents(ws, keys, scheme, by, target)
    notes: list[str] = []
    linked = sum(r["person_id"] is not None for r in resp)
    if by or calibrate:
        ensure_current(ws)
    weights: dict[int, Fraction] = {}
    calibration: list[dict] = []
    left_out: dict[str, int] = {}
    calibrated = False
    if calibrate:
        if linked:
            weights, calibration, left_out = _calibrate(ws, resp, scheme, target)
            calibrated = True
            missing = [c["category"] for c in calibration if c["census"] and not c["respondents"]]
            if missing:
                notes.append(_("以下类别无人回答问卷，加权估计不代表这些人员：{categories}。").format(categories=listing(missing)))
            few = [c for c in calibration if c["few_respondents"]]
            if few:
                notes.append(_("※ 以下类别的权数所依据的回答不足{n}人，估计不稳定：{categories}。").format(
                    n=MIN_RESPONDENTS, categories=listing(_("{category}（{n}人）").format(category=c["category"], n=c["respondents"])
                                                          for c in few)))
        else:
            notes.append(_("没有问卷回答与普查人员关联（未运行 census link），只给出未加权的比例。"))
    columns = _columns(ws, scheme, by, resp) if by else []
    tables = [_table(q, resp, columns, weights if calibrated else None) for q in chosen]
    sources = list(dict.fromkeys(path for _sid, path, _sheet, _cols in _sheets(ws, target)))
    return SurveyResult(scheme, by, calibrated, len(resp), linked, sources, tables, calibration, left_out, notes)


def _respondents(ws: Workspace, keys: dict[tuple[int, str], dict[str, str]], scheme: str, by: str | None,
                 round_: str | None = None) -> list[dict]:
    """Every questionnaire case of a round: its answers by variable, its person, category, group and `by` value
    (of the person as of the round)."""
    round_ = round_ or ws.scalar("SELECT max(round) FROM sources")
    dim = dimension_sql(date.today(), DEFAULT_AGE_BANDS)[by] if by else "NULL"
    rows = ws.query(
        f"""SELECT r.record_id, r.source_id, r.sheet, raw_cells(r.raw, sh.raw_keys), l.person_id, c.category, c.grp,
                   CASE WHEN p.person_id IS NULL THEN NULL ELSE {dim} END
            FROM records r
            JOIN sources s ON s.source_id = r.source_id AND s.round = ?
            JOIN sheets sh ON sh.source_id = r.source_id AND sh.sheet = r.sheet
            LEFT JOIN links l USING (record_id)
            LEFT JOIN persons p ON p.person_id = l.person_id AND p.round = s.round
            LEFT JOIN classifications c ON c.person_id = l.person_id AND c.round = s.round AND c.scheme = ?
            WHERE r.source_kind = 'questionnaire'
            ORDER BY r.record_id""",
        [round_, scheme],
    )
    out = []
    for record_id, sid, sheet, raw, person_id, category, grp, value in rows:
        raw = raw or {}
        answers = {}
        for name, key in keys.get((sid, sheet), {}).items():
            v = raw.get(key)
            v = v.strip() if isinstance(v, str) else v
            answers[name] = v or None
        out.append({"record_id": record_id, "answers": answers, "person_id": person_id if category is not None else None,
                    "category": category, "group": grp, "by": value if person_id is not None and category is not None else UNLINKED})
    return out


def _columns(ws: Workspace, scheme: str, by: str, resp: list[dict]) -> list[str]:
    seen = {r["by"] for r in resp} - {UNLINKED}
    ordered = sorted(seen, key=sort_key(value_order(ws, scheme, by), by))
    return [*ordered, *([UNLINKED] if any(r["by"] == UNLINKED for r in resp) else [])]


def _calibrate(ws: Workspace, resp: list[dict], scheme: str,
               round_: str | None = None) -> tuple[dict[int, Fraction], list[dict], dict[str, int]]:
    """Post-stratification to the census of the round: weight = census count of the category / respondents in it
    (exact), flagged when it rests on fewer than MIN_RESPONDENTS respondents."""
    census = {r["category"]: r["count"] for r in tally(ws, scheme, ["category"], round=round_).rows}
    s = compiled_schemes(load_schemas())[scheme]
    order = [c for c in s.order if s.group[c] == NEW_CLASS]
    n = Counter(r["category"] for r in resp if r["person_id"] is not None and r["group"] == NEW_CLASS)
    weight = {c: Fraction(census.get(c, 0), n[c]) for c in order if n[c]}
    weights = {r["record_id"]: weight[r["category"]] for r in resp
               if r["person_id"] is not None and r["group"] == NEW_CLASS and r["category"] in weight}
    calibration = [{"category": c, "census": census.get(c, 0), "respondents": n[c], "weight": round(float(weight.get(c, 0)), 6),
                    "few_respondents": 0 < n[c] < MIN_RESPONDENTS} for c in order]
    left_out = {
        UNLINKED: sum(r["person_id"] is None for r in resp),
        "非新的社会阶层人士": sum(r["person_id"] is not None and r["group"] != NEW_CLASS for r in resp),
    }
    return weights, calibration, left_out


def _table(q: Question, resp: list[dict], columns: list[str], weights: dict[int, Fraction] | None) -> SurveyTable:
    """Counts (and weighted estimates) of one question over every column."""
    options = list(q.options)
    if q.kind == "single":  # answers outside the value labels (or every answer of an unlabelled question)
        extra = Counter(r["answers"].get(q.variable) for r in resp)
        extra.pop(None, None)
        options += [v for v, _n in sorted(extra.items(), key=lambda kv: (-kv[1], kv[0])) if v not in options]
    cols = [*columns, TOTAL]
    cells: dict[tuple[str, str], dict] = {}
    answered: dict[str, int] = {}
    missing: dict[str, int] = {}
    weighted_answered: dict[str, float] = {}
    used: dict[str, int] = {}
    for col in cols:
        group = [r for r in resp if col == TOTAL or r["by"] == col]
        if q.kind == "single":
            picks = [{r["answers"].get(q.variable)} - {None} for r in group]
        else:
            picks = []
            for r in group:
                values = [r["answers"].get(m) for m in q.members]
                picks.append(None if all(v is None for v in values) else
                             {opt for opt, m, v in zip(q.options, q.members, values, strict=True) if v == q.chosen[m]})
        did = [p is not None and (bool(p) or q.kind == "multiple") for p in picks]
        n_answered = sum(did)
        answered[col], missing[col] = n_answered, len(group) - n_answered
        if weights is not None:
            w = [weights.get(r["record_id"]) for r in group]
            w_answered = sum((x for x, d in zip(w, did, strict=True) if d and x is not None), Fraction(0))
            weighted_answered[col] = round_half_up(w_answered, 1)
            used[col] = sum(1 for x, d in zip(w, did, strict=True) if d and x is not None)
        for opt in options:
            hit = [bool(p) and opt in p for p in picks]
            count = sum(hit)
            cell = {"count": count, "percent": percent(count, n_answered)}
            if weights is not None:
                est = sum((x for x, h in zip(w, hit, strict=True) if h and x is not None), Fraction(0))
                cell["estimate"] = round_half_up(est, 1)
                cell["weighted_percent"] = percent(est, w_answered)
            cells[opt, col] = cell
    return SurveyTable(q, cols, options, cells, answered, missing, weighted_answered, used)


def respondent_weights(ws: Workspace, scheme: str = "current4", round_: str | None = None) -> dict[int, float]:
    """The calibration weight of each questionnaire record of a round (record_id → weight); respondents left out
    have none."""
    _questions, _by_name, keys = catalogue(ws, round_)
    resp = _respondents(ws, keys, scheme, None, round_)
    return {k: float(w) for k, w in _calibrate(ws, resp, scheme, round_)[0].items()}


__all__ = ["MIN_RESPONDENTS", "Question", "SurveyResult", "SurveyTable", "UNLINKED", "catalogue", "respondent_weights", "select", "survey"]

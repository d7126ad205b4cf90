"""The `census` command line: parses options, calls the library, renders. Nothing else lives here.

Stdout carries data; progress and messages go to stderr. Exit codes: 0 ok, 1 bad data or a failed run,
2 wrong usage. `--debug` (anywhere on the command line) shows tracebacks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from .errors import CensusError, UsageError

app = typer.Typer(
    name="census",
    help="Count new social class people (新的社会阶层人士) from community ledgers, unit ledgers, household registers "
    "and questionnaires: ingest every file, find each person once, classify, and print the district's tables.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class DataFmt(StrEnum):
    csv = "csv"
    json = "json"


class StatusFmt(StrEnum):
    table = "table"
    json = "json"


DbOpt = Annotated[Path | None, typer.Option("--db", help="Workspace file [default: $CENSUS_DB or ./census.duckdb].", show_default=False)]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
SchemeOpt = Annotated[str, typer.Option("--scheme", help="Classification scheme: current4 (现行四类) or legacy6 (2001年六类).")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show ID and phone numbers in full (they are masked otherwise).")]


def _open(db: Path | None, create: bool = True):
    from .store import Workspace

    return Workspace(db, create=create)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"Wrote {output}")


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def _say_linked(result) -> None:
    if result is not None:
        err.print(f"[dim]The records changed since the last link: linked again ({result.records} records → {result.persons} persons).[/dim]")


# =============================================================================================== ingest
@app.command(epilog="Example: census ingest examples/district --regions examples/regions.yaml")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (read recursively: .xlsx .xlsm .xls .csv .txt .sav).", show_default=False)],
    db: DbOpt = None,
    regions: Annotated[Path | None, typer.Option("--regions", help="The district's region register (YAML); stored in the workspace for later runs.")] = None,
    schema: Annotated[list[Path] | None, typer.Option("--schema", help="Extra field synonyms (YAML, the layout of schemas/fields.yaml).")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Encoding of CSV files (detected otherwise: UTF-8, UTF-8 with BOM, GB18030).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="What the files are: community_ledger, unit_ledger, household_register, questionnaire, other (guessed otherwise).")] = None,
    street: Annotated[str | None, typer.Option("--street", help="Street of rows that name none (after their columns, title, sheet and path).")] = None,
    community: Annotated[str | None, typer.Option("--community", help="Community of rows that name none.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the records of a file whose content changed since it was ingested.")] = False,
    fmt: Annotated[StatusFmt, typer.Option("--format", help="table: a summary on stderr; json: the summary as JSON on stdout.")] = StatusFmt.table,
) -> None:
    """Read source files into the workspace: every row becomes a record or is quarantined with a reason.

    A file already ingested (same content, under any name) changes nothing. Each file is one transaction.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .ingest import IngestOptions
    from .ingest import ingest as run

    options = IngestOptions(encoding=encoding, kind=kind, street=street, community=community, replace=replace,
                            schema_files=tuple(str(p) for p in schema or ()))
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    with _open(db) as ws, bar:
        task = bar.add_task("ingesting", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=name[-40:])

        result = run(ws, paths, options, regions=regions, progress=progress)
    if fmt == StatusFmt.json:
        _write(_json(result.to_dict()), None)
    _print_ingest(result)
    if not result.ok:
        raise typer.Exit(1)


def _print_ingest(result) -> None:
    t = RichTable(title="ingest", title_justify="left", show_edge=False)
    for c in ("file", "status", "kind", "rows", "records", "quarantined", "non-data", "warnings"):
        t.add_column(c, justify="right" if c in ("rows", "records", "quarantined", "non-data") else "left")
    for f in result.files:
        warn = ", ".join(f"{k} {v}" for k, v in sorted(f.warnings.items(), key=lambda kv: -kv[1])[:4])
        t.add_row(f.path, f.status, f.kind or "", str(f.data_rows), str(f.records), str(f.quarantined), str(f.nondata), warn)
    err.print(t)
    tot = result.totals()
    err.print(f"{tot['files']} files: {tot['data_rows']} data rows → {tot['records']} records, {tot['quarantined']} quarantined; "
              f"{tot['nondata']} title/header/total lines, {tot['blank']} blank rows.")
    for f in result.files:
        for s in f.sheets:
            if s.status == "skipped":
                err.print(f"[dim]{f.path}: sheet {s.sheet!r} skipped ({s.reason}).[/dim]")
        for n in f.notices:
            err.print(f"[yellow]{n}[/yellow]")
        if f.message and f.status != "ingested":
            err.print(("[red]" if not f.ok else "[dim]") + f.message + ("[/red]" if not f.ok else "[/dim]"))


# =============================================================================================== link
@app.command(epilog="Examples: census link · census link --explain P0000012")
def link(
    db: DbOpt = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Show one person's records side by side and why each was linked.")] = None,
    accept: Annotated[float, typer.Option("--accept", help="Link pairs at or above this match probability.")] = 0.95,
    review: Annotated[float, typer.Option("--review", help="Send pairs from this probability up to --accept to review (核查).")] = 0.5,
    reveal: RevealOpt = False,
    fmt: Annotated[StatusFmt, typer.Option("--format", help="table or json.")] = StatusFmt.table,
) -> None:
    """Find each real person once: same valid ID number first, then Splink for the rest; then classify."""
    from dataclasses import asdict

    from .link import LinkOptions, explain_person
    from .link import link as run

    if not 0 < review <= accept <= 1:
        raise UsageError(f"need 0 < --review ({review}) <= --accept ({accept}) <= 1.")
    with _open(db, create=False) as ws:
        if explain:
            if not ws.link_current:
                _say_linked(run(ws, LinkOptions(accept, review)))
            d = explain_person(ws, explain, reveal)
        else:
            r = run(ws, LinkOptions(accept, review))
    if explain:
        if fmt == StatusFmt.json:
            _write(_json(d), None)
            return
        _print_explain(d)
        return
    if fmt == StatusFmt.json:
        _write(_json(asdict(r)), None)
        return
    rules = ", ".join(f"{k} {v}" for k, v in sorted(r.links_by_rule.items()))
    _write(f"{r.records} records → {r.persons} persons (records by rule: {rules}); {r.review_pairs} pairs sent to review; "
           f"{r.kept_ids} person ids kept, {r.new_persons} new; {r.seconds:.1f} s.", None)


def _print_explain(d: dict) -> None:
    """Records side by side: one column per record, one row per field; then the scored pairs."""
    p = d["person"]
    con = Console(highlight=False, soft_wrap=True)
    con.print(f"{p['person_id']} {p['name'] or ''} · {p['sex'] or ''} · {p['id_number'] or '无有效身份证号'} · "
              f"{p['street'] or ''}{p['community'] or ''} · {p['records']} records")
    fields = [("file", "文件"), ("sheet", "工作表"), ("row", "行"), ("source_kind", "来源"), ("name", "姓名"), ("sex", "性别"),
              ("id_number", "身份证号"), ("birth_date", "出生日期"), ("phone", "电话"), ("work_unit", "工作单位"),
              ("position", "职务"), ("community", "社区"), ("rule", "关联方式")]
    t = RichTable("", *[f"#{r['record_id']}" for r in d["records"]])
    for key, label in fields:
        cells = []
        for r in d["records"]:
            v = r[key]
            if key == "rule" and v == "probabilistic":
                v = f"probabilistic p={r['probability']:.3f}"
            cells.append("" if v is None else str(v))
        t.add_row(label, *cells)
    con.print(t)
    for pr in d["pairs"]:
        detail = ", ".join(f"{k} {v:+.1f}" for k, v in pr["detail"].items())
        con.print(f"pair #{pr['record_a']}–#{pr['record_b']}: {pr['status']}, p={pr['probability']:.4f}, "
                  f"match weight {pr['match_weight']:.1f} = prior + {detail}")


# =============================================================================================== review
review_app = typer.Typer(help="Review (核查): uncertain pairs and conflicting persons, for clerks to decide.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("export", epilog="Example: census review export -o 核查清单.xlsx")
def review_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")],
    db: DbOpt = None,
    reveal: RevealOpt = False,
) -> None:
    """Write the pairs and conflicts that need a clerk, by street and community, with a column to fill."""
    from .link import ensure_linked
    from .review import export_review

    with _open(db, create=False) as ws:
        _say_linked(ensure_linked(ws))
        n_pairs, n_conflicts = export_review(ws, output, reveal)
    err.print(f"Wrote {output}: {n_pairs} uncertain pairs, {n_conflicts} conflicts.")


@review_app.command("apply", epilog="Example: census review apply 核查清单.xlsx")
def review_apply(file: Annotated[Path, typer.Argument(help="A review workbook, filled in.")], db: DbOpt = None) -> None:
    """Read a filled review workbook back: answers become decisions that survive every later re-link."""
    from .review import apply_review

    with _open(db, create=False) as ws:
        r = apply_review(ws, file)
    for p in r.problems:
        err.print(p, markup=False)
    _write(f"{r.must_link} same person, {r.cannot_link} not the same, {r.corrections} corrections; {r.unanswered} rows left unanswered.", None)
    if r.problems:
        raise typer.Exit(1)


@review_app.command("list", epilog="Example: census review list --format json")
def review_list(db: DbOpt = None, all_: Annotated[bool, typer.Option("--all", help="Include undone decisions.")] = False,
                fmt: Annotated[DataFmt, typer.Option("--format")] = DataFmt.csv) -> None:
    """List the decisions taken in review."""
    from .review import decisions_json, list_decisions

    with _open(db, create=False) as ws:
        df = list_decisions(ws, all_)
    _write(decisions_json(df) if fmt == DataFmt.json else df.to_csv(index=False, lineterminator="\n"), None)


@review_app.command("undo", epilog="Example: census review undo 3")
def review_undo(decision: Annotated[int, typer.Argument(help="The decision_id from `census review list`.")], db: DbOpt = None) -> None:
    """Undo one review decision (the next link no longer applies it)."""
    from .review import undo_decision

    with _open(db, create=False) as ws:
        undo_decision(ws, decision)
    err.print(f"Decision {decision} undone; the next link will not apply it.")


# =============================================================================================== tally
class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"
    xlsx = "xlsx"


class Percent(StrEnum):
    row = "row"
    col = "col"
    total = "total"


@app.command(epilog="Examples: census tally --by street --by category · census tally --rows street --cols category --format xlsx -o 分布.xlsx · "
             "census tally --narrative --where street=雨花街道")
def tally(
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    by: Annotated[list[str] | None, typer.Option("--by", help="Dimension to count by (repeat for nested tables): category, street, community, sex, age_band, education, political_status, party, representative, unit_type, source_kind.")] = None,
    rows: Annotated[str | None, typer.Option("--rows", help="Wide table: the dimension down the side (with --cols).")] = None,
    cols: Annotated[str | None, typer.Option("--cols", help="Wide table: the dimension across (with --rows).")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Filter, DIMENSION=VALUE (repeatable), e.g. street=雨花街道.")] = None,
    percent: Annotated[Percent | None, typer.Option("--percent", help="Add shares: row, col (wide tables) or total.")] = None,
    suppress: Annotated[int | None, typer.Option("--suppress", help="Show cells under N as \"<N\" (totals stay true).", min=2)] = None,
    complementary: Annotated[bool, typer.Option("--suppress-complementary", help="Also hide the fewest cells needed so no hidden cell can be recovered from the totals.")] = False,
    narrative: Annotated[bool, typer.Option("--narrative", help="Print the summary paragraph district reports write.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date ages are computed at (YYYY-MM-DD) [default: today].")] = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table, csv, json, md or xlsx (xlsx needs -o).")] = Fmt.table,
    output: OutOpt = None,
) -> None:
    """Count distinct persons of the new social class, by category, street, community, sex, age band …"""
    from .link import ensure_linked
    from .tally import check_request, crosstab, crosstab_rows, footnote, parse_where, table_rows
    from .tally import narrative as run_narrative
    from .tally import tally as run

    when = _parse_date(as_of, "--as-of")
    wide = rows is not None or cols is not None
    if wide and (rows is None or cols is None or by):
        raise UsageError("a wide table needs both --rows and --cols, and no --by.")
    if complementary and not suppress:
        raise UsageError("--suppress-complementary needs --suppress N.")
    if fmt == Fmt.xlsx and output is None:
        raise UsageError("--format xlsx writes a workbook: give it a file with -o FILE.xlsx.")
    pct = percent.value if percent else None
    check_request(scheme, [rows, cols] if wide else (by or ["category"]), pct, wide)
    filters = parse_where(where)
    with _open(db, create=False) as ws:
        _say_linked(ensure_linked(ws))
        if narrative:
            _write(run_narrative(ws, scheme, filters), output)
            return
        if wide:
            t = crosstab(ws, scheme, rows, cols, filters, when, percent=pct, suppress=suppress, complementary=complementary)
            header, body = crosstab_rows(t)
        else:
            t = run(ws, scheme, by or ["category"], filters, when, percent=pct, suppress=suppress, complementary=complementary)
            header, long_rows = table_rows(t)
            body = [([*labels, text], style) for labels, text, style in long_rows]
        district = ws.scalar("SELECT name FROM regions WHERE level = 'district'") or ""
    title = f"{filters.get('street') or district}新的社会阶层人士分布统计表（{scheme}）"
    foot = footnote(t.outside_total, t.unresolved, t.excluded, suppress)
    if fmt == Fmt.json:
        _write(_json(t.to_dict()), output)
    elif fmt == Fmt.xlsx:
        from .report import write_table_workbook

        write_table_workbook(output, title, header, body, foot, label_columns=1 if wide else len(header) - 1)
        err.print(f"Wrote {output}")
    elif fmt == Fmt.table:
        labels = 1 if wide else len(header) - 1
        rt = RichTable(title=title, caption=foot, caption_justify="left")
        for i, h in enumerate(header):
            rt.add_column(h, justify="left" if i < labels else "right", overflow="fold")
        for cells, style in body:
            rt.add_row(*cells, style={"total": "bold", "subtotal": "italic"}.get(style, ""))
        if output is None:
            Console(highlight=False, soft_wrap=True).print(rt)
        else:
            buf = io.StringIO()
            Console(file=buf, width=160, highlight=False).print(rt)
            _write(buf.getvalue(), output)
    elif fmt == Fmt.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(cells for cells, _ in body)
        _write(buf.getvalue(), output)
    else:
        labels = 1 if wide else len(header) - 1
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * labels + "---:|" * (len(header) - labels)]
        for cells, style in body:
            lines.append("| " + " | ".join(f"**{x}**" if style == "total" and x else x for x in cells) + " |")
        _write(f"**{title}**\n\n" + "\n".join(lines) + "\n\n" + foot + "\n", output)


def _parse_date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: write the date as YYYY-MM-DD.") from None


# =============================================================================================== report
@app.command(epilog="Examples: census report -o 新的社会阶层人士统计报告.xlsx · census report -o 公开版.xlsx --suppress 5 --as-of 2026-10-15 · "
             "census report -o 简报.xlsx --layout my_layout.yaml --scheme legacy6")
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")],
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the report: ages are computed at it, the title carries its year (YYYY-MM-DD) [default: today].")] = None,
    layout: Annotated[Path | None, typer.Option("--layout", help="Report layout (YAML, like schemas/reports/default.yaml): which sheets, in which order; check it with `census schema check`.")] = None,
    suppress: Annotated[int | None, typer.Option("--suppress", help="Published tables show cells under N as \"<N\", with complementary suppression (totals stay true).", min=2)] = None,
) -> None:
    """Write the district's report workbook: summary, tables by category, street, community and structure,
    representatives (代表人士), data quality and coverage (补查建议), with native Excel charts."""
    from .link import ensure_linked
    from .report import build_report, load_layout
    from .tally import check_request

    when = _parse_date(as_of, "--as-of")
    check_request(scheme, [])
    load_layout(layout)  # a bad layout fails before any linking
    with _open(db, create=False) as ws:
        _say_linked(ensure_linked(ws))
        result = build_report(ws, output, scheme, when, layout, suppress)
    err.print(f"Wrote {result.path}: {len(result.sheets)} sheets")


# =============================================================================================== survey
class SurveyFmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


@app.command(epilog="Examples: census survey · census survey --question 学历 --question Q12 --by category · "
             "census survey --calibrate --format json")
def survey(
    db: DbOpt = None,
    question: Annotated[list[str] | None, typer.Option("--question", "-q", help="A question by variable name (Q4_学历) or by words of its label (满意度); repeatable [default: every labelled question and multiple-choice group].")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Split each table by the respondent's linked person: category (or another tally dimension such as street); unlinked respondents are 未关联.")] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Weight respondents to the census count of their category (post-stratification) and add weighted estimates.")] = False,
    scheme: SchemeOpt = "current4",
    fmt: Annotated[SurveyFmt, typer.Option("--format", help="table, csv, json or md.")] = SurveyFmt.table,
    output: OutOpt = None,
) -> None:
    """Frequency tables of the questionnaire's answers (.sav value labels), with the share of those who answered."""
    from .link import ensure_linked
    from .survey import survey as run

    with _open(db, create=False) as ws:
        if by or calibrate:
            _say_linked(ensure_linked(ws))
        r = run(ws, question, by, calibrate, scheme)
    if fmt == SurveyFmt.json:
        _write(_json(r.to_dict()), output)
        return
    if fmt == SurveyFmt.csv:
        rows = r.long_rows()
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["variable"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        _write(buf.getvalue(), output)
        return
    blocks = [(f"{t.question.label}（{t.question.variable}{'，多选' if t.question.kind == 'multiple' else ''}）", *t.text_rows(r.calibrated))
              for t in r.tables]
    if r.calibrated:
        blocks.append(("加权（事后分层）", *r.calibration_rows()))
    foot = r.footnote()
    if fmt == SurveyFmt.md:
        parts = []
        for title, header, body in blocks:
            lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
            lines += ["| " + " | ".join(f"**{x}**" if style == "total" and x else x for x in cells) + " |" for cells, style in body]
            parts.append("\n".join(lines))
        _write("\n\n".join(parts) + "\n\n" + foot + "\n", output)
        return
    buf = io.StringIO() if output is not None else None
    con = Console(file=buf, width=160, highlight=False) if buf is not None else Console(highlight=False, soft_wrap=True)
    for title, header, body in blocks:
        rt = RichTable(title=title, title_justify="left")
        for i, h in enumerate(header):
            rt.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
        for cells, style in body:
            rt.add_row(*cells, style={"total": "bold"}.get(style, ""))
        con.print(rt)
    con.print(foot)
    if buf is not None:
        _write(buf.getvalue(), output)


# =============================================================================================== export
class What(StrEnum):
    records = "records"
    persons = "persons"
    links = "links"
    issues = "issues"


@app.command(epilog="Examples: census export links -o links.csv · census export records --quarantined · census export issues --format json")
def export(
    what: Annotated[What, typer.Argument(help="records, persons, links or issues.")],
    db: DbOpt = None,
    fmt: Annotated[DataFmt, typer.Option("--format", help="csv or json.")] = DataFmt.csv,
    output: OutOpt = None,
    scheme: SchemeOpt = "current4",
    reveal: RevealOpt = False,
    quarantined: Annotated[bool, typer.Option("--quarantined", help="With records: the quarantined rows and their reasons instead.")] = False,
) -> None:
    """Write records, persons, links (person_id, file, sheet, row) or issues as CSV or JSON.

    ID and phone numbers are masked (320114********123X, 138****5678) unless --reveal is given.
    """
    from .export import export as run
    from .export import to_json_records
    from .link import ensure_linked

    with _open(db, create=False) as ws:
        if what in (What.persons, What.links) or (what == What.records and not quarantined):
            _say_linked(ensure_linked(ws))
        df = run(ws, what.value, scheme, reveal, quarantined)
    if fmt == DataFmt.json:
        _write(to_json_records(df), output)
    else:
        _write(df.to_csv(index=False, lineterminator="\n"), output)


# =============================================================================================== status
@app.command(epilog="Example: census status --format json")
def status(db: DbOpt = None, fmt: Annotated[StatusFmt, typer.Option("--format", help="table or json.")] = StatusFmt.table) -> None:
    """Files, records, quarantined rows, persons, and whether linking is up to date."""
    from .status import status as run

    with _open(db, create=False) as ws:
        s = run(ws)
    if fmt == StatusFmt.json:
        _write(_json(s.to_dict()), None)
        return
    lines = [
        f"workspace   {s.db} (schema {s.schema_version})" + (f", district {s.district}" if s.district else ""),
        f"files       {s.files}" + "".join(f", {k} {v['files']}" for k, v in s.by_kind.items()),
        f"records     {s.records} ({s.quarantined} rows quarantined, {s.nondata_rows} non-data lines)",
        f"persons     {s.persons}",
        f"linking     {'up to date' if s.link_current else 'out of date: run census link (tally and export do it for you)'}",
        "issues      " + (", ".join(f"{k} {v}" for k, v in s.issues.items()) or "none"),
    ]
    _write("\n".join(lines), None)


# =============================================================================================== classify
@app.command(epilog="Example: census classify --scheme legacy6 --explain P0000012")
def classify(
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    explain: Annotated[str | None, typer.Option("--explain", help="Print the decision path of one person.")] = None,
    fmt: Annotated[StatusFmt, typer.Option("--format")] = StatusFmt.table,
) -> None:
    """Classify every person under every scheme, or explain one person's category."""
    from dataclasses import asdict

    from .classify import classification_summary, classify_persons
    from .classify import explain as run_explain
    from .link import ensure_linked

    with _open(db, create=False) as ws:
        linked = ensure_linked(ws)
        _say_linked(linked)
        if explain:
            d = run_explain(ws, explain, scheme)
            if fmt == StatusFmt.json:
                _write(_json(d), None)
                return
            lines = [f"{d['person_id']} · {scheme} → {d['category']}（{d['rule']}）", f"理由：{d['reason']}", "过程："]
            lines += [f"  {i + 1}. {s}" for i, s in enumerate(d["steps"])]
            _write("\n".join(lines), None)
            return
        r = classify_persons(ws) if linked is None else classification_summary(ws)
    if fmt == StatusFmt.json:
        _write(_json(asdict(r)), None)
        return
    for s, groups in r.by_scheme.items():
        _write(f"{s}: " + ", ".join(f"{g} {n}" for g, n in sorted(groups.items())) + f"; {r.conflicts.get(s, 0)} flagged for review", None)


# =============================================================================================== schema, regions, codes
schema_app = typer.Typer(help="Check schema files (field synonyms, code tables, schemes, region registers).", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("check", epilog="Example: census schema check my_scheme.yaml")
def schema_check(files: Annotated[list[Path], typer.Argument(help="YAML files to validate.", show_default=False)]) -> None:
    """Validate schema files; errors name the file and the key path."""
    from .schema import load_file

    for f in files:
        kind, _ = load_file(f)
        err.print(f"{f}: a valid {kind} file.")


regions_app = typer.Typer(help="The district's region register.", no_args_is_help=True)
app.add_typer(regions_app, name="regions")


@regions_app.command("init", epilog="Example: census regions init 320114 -o regions.yaml")
def regions_init(district: Annotated[str, typer.Argument(help="6-digit county code or county name.")], output: OutOpt = None) -> None:
    """Start a register from the national street list (real street codes); add the communities yourself."""
    from .regions import init_register

    _write(init_register(district), output)


@app.command(epilog="Example: census codes --format json")
def codes(fmt: Annotated[StatusFmt, typer.Option("--format")] = StatusFmt.table) -> None:
    """The table of issue codes: code, severity, title, meaning."""
    from .quality import CODES

    rows = [{"code": c.code, "severity": c.severity, "title": c.title, "message": c.message} for c in CODES.values()]
    if fmt == StatusFmt.json:
        _write(_json(rows), None)
        return
    t = RichTable("code", "severity", "title", "meaning")
    for r in rows:
        t.add_row(r["code"], r["severity"], r["title"], r["message"])
    Console(highlight=False).print(t)


# =============================================================================================== entry point
def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; known failures print one line, `--debug` anywhere shows the traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("CENSUS_DEBUG") == "1"
    args = [a for a in args if a != "--debug"]
    if debug:
        os.environ["CENSUS_DEBUG"] = "1"  # the library re-raises unexpected errors instead of reporting them per file
    try:
        app(args=args, prog_name="census")  # Typer handles usage errors itself (exit 2) and always exits
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except CensusError as e:
        if debug:
            raise
        err.print(f"Error: {e}", markup=False)
        return e.exit_code
    except Exception as e:  # an unexpected failure: one line, and the way to see more
        if debug:
            raise
        err.print(f"Error: {type(e).__name__}: {e} (run again with --debug to see where).", markup=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The district's tables: `census tally`, `census report`, `census survey`."""

from __future__ import annotations

import csv
import io
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from ..cli import (
    DbOpt,
    OutOpt,
    SchemeOpt,
    _json,
    _open,
    _say_linked,
    _write,
    app,
    err,
)
from ..errors import UsageError


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
    from ..link import ensure_linked
    from ..tally import check_request, crosstab, crosstab_rows, footnote, parse_where, table_rows
    from ..tally import narrative as run_narrative
    from ..tally import tally as run

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
        from ..report import write_table_workbook

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
    from ..link import ensure_linked
    from ..report import build_report, load_layout
    from ..tally import check_request

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
    from ..link import ensure_linked
    from ..survey import survey as run

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

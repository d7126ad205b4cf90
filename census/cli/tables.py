"""The district's tables: `census tally`, `census report`, `census survey`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from ..config import load_layout
from ..errors import UsageError
from ..pipeline import ensure_current
from ..render import build_report, write_table_workbook
from ..render.console import dicts_csv, grid_csv, grid_markdown, grid_table, json_text, rendered
from ..render.rows import crosstab_grid, table_note, tally_grid
from ..render.survey import survey_grids, survey_note
from ..tables.dimensions import check_request, parse_where
from ..tables.survey import survey as run_survey
from ..tables.tally import crosstab
from ..tables.tally import narrative as run_narrative
from ..tables.tally import tally as run_tally
from ..vocab import DIMENSIONS
from ..workspace.queries import district_name
from ..workspace.rounds import rounds as workspace_rounds
from .options import (
    DbOpt,
    OutOpt,
    RoundOpt,
    SchemeOpt,
    format_option,
    open_workspace,
    parse_date,
    say_ran,
    write,
)
from .root import app, err


# =============================================================================================== tally
@app.command(epilog="Examples: census tally --by street --by category · census tally --rows street --cols category --format xlsx -o 分布.xlsx · "
             "census tally --narrative --where street=雨花街道 · census tally --round 2026 · census tally --rows category --cols round")
def tally(
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    by: Annotated[list[str] | None, typer.Option("--by", help=f"Dimension to count by (repeat for nested tables): {', '.join(DIMENSIONS)}.")] = None,
    rows: Annotated[str | None, typer.Option("--rows", help="Wide table: the dimension down the side (with --cols).")] = None,
    cols: Annotated[str | None, typer.Option("--cols", help="Wide table: the dimension across (with --rows).")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Filter, DIMENSION=VALUE (repeatable), e.g. street=雨花街道.")] = None,
    percent: Annotated[Literal["row", "col", "total"] | None, typer.Option("--percent", help="Add shares: row, col (wide tables) or total.")] = None,
    suppress: Annotated[int | None, typer.Option("--suppress", help="Show cells under N as \"<N\" (totals stay true).", min=2)] = None,
    complementary: Annotated[bool, typer.Option("--suppress-complementary", help="Also hide the fewest cells needed so no hidden cell can be recovered from the totals.")] = False,
    narrative: Annotated[bool, typer.Option("--narrative", help="Print the summary paragraph district reports write.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date ages are computed at (YYYY-MM-DD) [default: today].")] = None,
    fmt: format_option("table", "csv", "json", "md", "xlsx", help="table, csv, json, md or xlsx (xlsx needs -o).") = "table",
    output: OutOpt = None,
) -> None:
    """Count distinct persons of the new social class, by category, street, community, sex, age band …"""
    when = parse_date(as_of, "--as-of")
    wide = rows is not None or cols is not None
    if wide and (rows is None or cols is None or by):
        raise UsageError("a wide table needs both --rows and --cols, and no --by.")
    if complementary and not suppress:
        raise UsageError("--suppress-complementary needs --suppress N.")
    if fmt == "xlsx" and output is None:
        raise UsageError("--format xlsx writes a workbook: give it a file with -o FILE.xlsx.")
    check_request(scheme, [rows, cols] if wide else (by or ["category"]), percent, wide)
    filters = parse_where(where)
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        if narrative:
            write(run_narrative(ws, scheme, filters, round=round_), output)
            return
        if wide:
            t = crosstab(ws, scheme, rows, cols, filters, when, percent=percent, suppress=suppress, complementary=complementary,
                         round=round_)
            grid = crosstab_grid(t)
        else:
            t = run_tally(ws, scheme, by or ["category"], filters, when, percent=percent, suppress=suppress,
                          complementary=complementary, round=round_)
            grid = tally_grid(t)
        district = district_name(ws)
        several = len(workspace_rounds(ws)) > 1
    year = f"{t.round}年" if t.round and several else ""
    title = f"{filters.get('street') or district}{year}新的社会阶层人士分布统计表（{scheme}）"
    foot = table_note(t.outside_total, t.unresolved, t.excluded, suppress, grid, t.by_round)
    if fmt == "json":
        write(json_text(t.to_dict()), output)
    elif fmt == "xlsx":
        grid.foot = foot
        write_table_workbook(output, title, grid)
        err.print(f"Wrote {output}")
    elif fmt == "table":
        table = grid_table(grid, title, foot)
        if output is None:
            Console(highlight=False, soft_wrap=True).print(table)
        else:
            write(rendered(table), output)
    elif fmt == "csv":
        write(grid_csv(grid), output)
    else:
        write(grid_markdown(grid, title) + "\n\n" + foot + "\n", output)


# =============================================================================================== report
@app.command(epilog="Examples: census report -o 新的社会阶层人士统计报告.xlsx · census report -o 公开版.xlsx --suppress 5 --as-of 2026-10-15 · "
             "census report -o 简报.xlsx --layout my_layout.yaml --scheme legacy6")
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")],
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the report: ages are computed at it, the title carries its year (YYYY-MM-DD) [default: today].")] = None,
    layout: Annotated[Path | None, typer.Option("--layout", help="Report layout (YAML, like schemas/reports/default.yaml): which sheets, in which order; check it with `census schema check`.")] = None,
    suppress: Annotated[int | None, typer.Option("--suppress", help="Published tables show cells under N as \"<N\", with complementary suppression (totals stay true).", min=2)] = None,
) -> None:
    """Write the district's report workbook: summary, tables by category, street, community and structure,
    representatives (代表人士), data quality, coverage (补查建议) and, when there is an earlier round, the changes
    since it (年度变化), with native Excel charts."""
    when = parse_date(as_of, "--as-of")
    check_request(scheme, [])
    load_layout(layout)  # a bad layout fails before any linking
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        result = build_report(ws, output, scheme, when, layout, suppress, round=round_)
    err.print(f"Wrote {result.path}: {len(result.sheets)} sheets")


# =============================================================================================== survey
@app.command(epilog="Examples: census survey · census survey --question 学历 --question Q12 --by category · "
             "census survey --calibrate --format json")
def survey(
    db: DbOpt = None,
    question: Annotated[list[str] | None, typer.Option("--question", "-q", help="A question by variable name (Q4_学历) or by words of its label (满意度); repeatable [default: every labelled question and multiple-choice group].")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Split each table by the respondent's linked person: category (or another tally dimension such as street); unlinked respondents are 未关联.")] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Weight respondents to the census count of their category (post-stratification) and add weighted estimates.")] = False,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    fmt: format_option("table", "csv", "json", "md") = "table",
    output: OutOpt = None,
) -> None:
    """Frequency tables of the questionnaire's answers (.sav value labels), with the share of those who answered."""
    with open_workspace(db, create=False) as ws:
        if by or calibrate:
            say_ran(ensure_current(ws))
        r = run_survey(ws, question, by, calibrate, scheme, round=round_)
    if fmt == "json":
        write(json_text(r.to_dict()), output)
        return
    if fmt == "csv":
        write(dicts_csv(r.long_rows(), ["variable"]), output)
        return
    blocks = survey_grids(r)
    foot = survey_note(r)
    if fmt == "md":
        write("\n\n".join(grid_markdown(grid, title) for title, grid in blocks) + "\n\n" + foot + "\n", output)
        return
    tables = [grid_table(grid, title) for title, grid in blocks]
    if output is None:
        con = Console(highlight=False, soft_wrap=True)
        for rt in tables:
            con.print(rt)
        con.print(foot)
    else:
        write(rendered(*tables, foot), output)

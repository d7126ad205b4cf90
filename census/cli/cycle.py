"""The census cycle: `census diff` (one round against another) and `census followup` (the 补查 list)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..errors import UsageError
from ..i18n import N_, _
from ..pipeline import ensure_current
from ..render.console import (
    dicts_csv,
    grid_markdown,
    grid_records,
    grid_table,
    json_text,
    natural_width,
    rendered,
)
from ..render.cycle import (
    diff_counts_grid,
    diff_csv_rows,
    diff_note,
    diff_persons_grid,
    diff_representatives_grid,
    diff_title,
    followup_communities_grid,
    followup_csv_rows,
    followup_note,
    followup_persons_grid,
    followup_title,
    write_diff_workbook,
    write_followup_workbook,
)
from ..tables.diff import diff as run_diff
from ..tables.followup import followup as run_followup
from ..workspace.queries import district_name
from .options import (
    CsvEncodingOpt,
    DbOpt,
    OutOpt,
    ReasonOpt,
    RevealOpt,
    RoundOpt,
    SchemeOpt,
    check_output,
    csv_only,
    format_option,
    open_workspace,
    say_ran,
    say_wrote,
    write,
    write_csv,
)
from .root import app

# a list: on the terminal, as a CSV or JSON file, as Markdown, or as a workbook to print and fill in
ListFormatOpt = format_option("table", "csv", "json", "md", "xlsx", help=N_("table、csv、json、md 或 xlsx（xlsx 须用 -o 指定文件）。"))


def _check_output(fmt: str, output: Path | None, encoding: str | None) -> None:
    """Usage errors before any work: --encoding with no CSV, a file in no folder, a workbook with no file."""
    csv_only(fmt, encoding)
    check_output(output)
    if fmt == "xlsx" and output is None:
        raise UsageError(_("--format xlsx 输出为工作簿：请用 -o 文件名.xlsx 指定文件。"))


def _text(blocks: list, title: str, foot: str, fmt: str, output: Path | None) -> None:
    """Grids as a terminal table or Markdown (to stdout or a file)."""
    if fmt == "md":
        write("\n\n".join(grid_markdown(g, g.subtitle) for g in blocks) + "\n\n" + foot + "\n", output)
        return
    if output is None:
        con = Console(highlight=False, soft_wrap=True)
        # a list wider than the terminal: one person to a paragraph rather than a table of cut values
        tables = [grid_table(g, g.subtitle) if natural_width(g) <= con.width else grid_records(g, g.subtitle) for g in blocks]
        con.print(title)
        for t in tables:
            con.print(t)
        con.print(foot)
    else:
        write(rendered(title, *[grid_table(g, g.subtitle) for g in blocks], foot), output)


# =============================================================================================== diff
@app.command(
    help=N_("比较两个年度：新增、减少、类别变化、社区变动的人员，以及新任和不再是代表人士的人员。人数按各年度计入合计的人员"
            "比较（现行四类中非公有制经济人士另计），新增减去减少等于合计的变化。"),
    epilog=N_("census diff 2026 2027\n"
              "census diff 2026 2027 --format json\n"
              "census diff 2026 2027 --format xlsx -o 年度变化.xlsx"))
def diff(
    from_round: Annotated[str, typer.Argument(help=N_("较早的年度。"), metavar=N_("起"), show_default=False)],
    to_round: Annotated[str, typer.Argument(help=N_("较晚的年度。"), metavar=N_("止"), show_default=False)],
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: ListFormatOpt = "table",
    output: OutOpt = None,
    encoding: CsvEncodingOpt = None,
) -> None:
    """Compare two rounds: who is new, gone, recategorised or moved, and who became or stopped being a representative."""
    _check_output(fmt, output, encoding)
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        d = run_diff(ws, from_round, to_round, scheme, reveal, reason)
        district = district_name(ws)
    title = diff_title(d, district)
    if fmt == "json":
        write(json_text(d.to_dict()), output)
    elif fmt == "csv":
        write_csv(dicts_csv(diff_csv_rows(d), [_("变化"), _("人员编号")]), output, encoding)
    elif fmt == "xlsx":
        write_diff_workbook(output, d, title)
        say_wrote(output)
    else:
        _text([diff_counts_grid(d), diff_persons_grid(d), diff_representatives_grid(d)], title, diff_note(d), fmt, output)


# =============================================================================================== followup
@app.command(
    help=N_("补查名单：其他来源（单位台账、住户台帐、问卷、代表人士名册）登记在某社区、而该社区台账未列入的人员，按街道和社区"
            "排列，注明在何处发现，供社区核实增补；并列出登记人数为零或偏少的社区（村）。"),
    epilog=N_("census followup --format xlsx -o 补查名单.xlsx\n"
              "census followup --round 2027 --format csv -o 补查名单.csv"))
def followup(
    db: DbOpt = None,
    round_: RoundOpt = None,
    scheme: SchemeOpt = "current4",
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: ListFormatOpt = "table",
    output: OutOpt = None,
    encoding: CsvEncodingOpt = None,
) -> None:
    """The 补查 list: persons other sources place in a community whose ledger lacks them, by street and community,
    with where they were found; and the communities whose ledgers found none or too few."""
    _check_output(fmt, output, encoding)
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        f = run_followup(ws, round_, scheme, reveal, reason=reason)
        district = district_name(ws)
    title = followup_title(f, district)
    if fmt == "json":
        write(json_text(f.to_dict()), output)
    elif fmt == "csv":
        write_csv(dicts_csv(followup_csv_rows(f), [_("街道"), _("社区（村）"), _("人员编号")]), output, encoding)
    elif fmt == "xlsx":
        write_followup_workbook(output, f, title)
        say_wrote(output, _("补查人员{n}名，需补查社区（村）{m}个。").format(n=len(f.persons), m=len(f.communities)))
    else:
        _text([followup_persons_grid(f, fill=False), followup_communities_grid(f)], title, followup_note(), fmt, output)

"""The district's tables: `census tally`, `census report`, `census survey`."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from ..config import load_layout
from ..errors import UsageError
from ..i18n import N_, _
from ..persons import LinkOptions
from ..persons.spark import DEFAULT_MASTER
from ..pipeline import ensure_current
from ..render import DocumentResult, build_report, write_table_workbook
from ..render.console import FILE_WIDTH, dicts_csv, grid_csv, grid_markdown, grid_tables, json_text, rendered
from ..render.rows import crosstab_grid, table_note, tally_grid
from ..render.survey import survey_grids, survey_note
from ..tables.dimensions import check_request, scheme_label
from ..tables.filters import filter_title, parse_where
from ..tables.spark import SparkTables
from ..tables.survey import survey as run_survey
from ..tables.tally import crosstab, narrative_result
from ..tables.tally import tally as run_tally
from ..workspace.queries import district_name
from ..workspace.rounds import rounds as workspace_rounds
from .options import (
    AsOfOpt,
    CsvEncodingOpt,
    DbOpt,
    EngineOpt,
    OutOpt,
    RoundOpt,
    SchemeOpt,
    SparkDirOpt,
    SparkMasterOpt,
    check_output,
    csv_only,
    format_option,
    open_workspace,
    parse_date,
    say_ran,
    say_wrote,
    spark_options,
    write,
    write_csv,
)
from .root import app

DimensionOpt = N_("维度")


def print_tables(tables: list, foot: str | None, output: Path | None) -> None:
    """Rich tables (and a note under them) to the terminal, or as text to a file."""
    if output is None:
        con = Console(highlight=False)
        for t in tables:
            con.print(t)
        if foot:
            con.print(foot, markup=False)
    else:
        write(rendered(*tables, *([foot] if foot else [])), output)


def _width(output: Path | None) -> int:
    return Console().width if output is None else FILE_WIDTH


# =============================================================================================== tally
@app.command(
    help=N_("统计新的社会阶层人士（每人只计一次），可按类别、街道、社区、性别、年龄段、学历、政治面貌等分组。"),
    epilog=N_("census tally --by street --by category             # 长表，带小计和合计\n"
              "census tally --rows street --cols category --percent row --format xlsx -o 分布表.xlsx\n"
              "census tally --where street=雨花街道 --where street=板桥街道 --by community\n"
              "census tally --narrative --where community=康盛花园   # 一段综述文字\n"
              "census tally --scheme 2001年六类 --where category=个体户\n"
              "census tally --round 2026\n"
              "census tally --rows category --cols round           # 各年度并列\n"
              "census tally --by district --by category --engine spark --spark-master spark://10.0.0.5:7077"))
def tally(
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    by: Annotated[list[str] | None, typer.Option(
        "--by", metavar=DimensionOpt,
        help=N_("按这个维度分组（可重复，得到嵌套的长表）：category 类别、street 街道、community 社区、sex 性别、age_band 年龄段、"
                "education 学历、political_status 政治面貌、party 党派、representative 代表人士、unit_type 单位性质、source_kind 来源、"
                "arrangement 政治安排、round 年度；"
                "默认 category。"))] = None,
    rows: Annotated[str | None, typer.Option("--rows", metavar=DimensionOpt, help=N_("宽表：纵向列出的维度（与 --cols 一起用）。"))] = None,
    cols: Annotated[str | None, typer.Option("--cols", metavar=DimensionOpt, help=N_("宽表：横向列出的维度（与 --rows 一起用）。"))] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", metavar=N_("维度=值"),
        help=N_("只统计这些人，如 street=雨花街道。值可写名称、别名或代码（street=320114001、community=康盛花园），"
                "类别可写简称或同义词（category=自由职业）；同一维度写多次表示“其中任一”；认不出的值会报错并列出最接近的值。"))] = None,
    percent: Annotated[Literal["row", "col", "total"] | None, typer.Option(
        "--percent", metavar="row|col|total", help=N_("加上占比：row 行内占比、col 列内占比（仅宽表）、total 占合计的比。"))] = None,
    suppress: Annotated[int | None, typer.Option("--suppress", metavar="N", min=2,
                                                 help=N_("不足 N 人的格子显示为“<N”（合计仍按实际人数）。"))] = None,
    complementary: Annotated[bool, typer.Option(
        "--suppress-complementary", help=N_("另外隐去最少的几个格子，使隐去的数不能由合计推算出来。"))] = False,
    narrative: Annotated[bool, typer.Option("--narrative", help=N_("打印区里报告常写的一段综述文字（--format json 时给出文字和其中的数字）。"))] = False,
    as_of: AsOfOpt = None,
    fmt: format_option("table", "csv", "json", "md", "xlsx", help=N_("输出格式：table、csv、json、md 或 xlsx（xlsx 需要 -o）。")) = "table",
    output: OutOpt = None,
    encoding: CsvEncodingOpt = None,
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = DEFAULT_MASTER,
    spark_dir: SparkDirOpt = None,
) -> None:
    csv_only(fmt, encoding)
    spark = spark_options(engine, spark_master, spark_dir)
    when = parse_date(as_of, "--as-of")
    wide = rows is not None or cols is not None
    if wide and (rows is None or cols is None or by):
        raise UsageError(_("宽表需要同时给出 --rows 和 --cols，且不能再用 --by。"))
    if complementary and not suppress:
        raise UsageError(_("--suppress-complementary 需要和 --suppress N 一起用。"))
    if fmt == "xlsx" and output is None:
        raise UsageError(_("--format xlsx 写的是工作簿：请用 -o 文件名.xlsx 给出文件。"))
    if narrative and (wide or by or percent or suppress or fmt not in ("table", "json")):
        raise UsageError(_("--narrative 只与 --where、--scheme 和 --format table|json 一起用。"))
    check_request(scheme, [rows, cols] if wide else (by or ["category"]), percent, wide)
    check_output(output)
    filters = parse_where(where)
    with open_workspace(db, create=False) as ws, ExitStack() as stack:
        say_ran(ensure_current(ws, LinkOptions(engine=engine, spark=spark) if spark else None))
        if narrative:
            n = narrative_result(ws, scheme, filters, round=round_)
            write(json_text(n.to_dict()) if fmt == "json" else n.text, output)
            return
        query = stack.enter_context(SparkTables(ws, spark)).query if spark else None
        if wide:
            t = crosstab(ws, scheme, rows, cols, filters, when, percent=percent, suppress=suppress, complementary=complementary,
                         round=round_, query=query)
            grid = crosstab_grid(t)
        else:
            t = run_tally(ws, scheme, by or ["category"], filters, when, percent=percent, suppress=suppress,
                          complementary=complementary, round=round_, query=query)
            grid = tally_grid(t)
        district = district_name(ws)
        several = len(workspace_rounds(ws)) > 1
    year = _("{round}年").format(round=t.round) if t.round and several else ""
    title = _("{area}{year}新的社会阶层人士分布统计表（{scheme}）").format(area=filter_title(t.where, district), year=year,
                                                                 scheme=scheme_label(t.scheme))
    foot = table_note(t.outside_total, t.unresolved, t.excluded, suppress, grid, t.by_round)
    if fmt == "json":
        write(json_text(t.to_dict()), output)
    elif fmt == "xlsx":
        grid.foot = foot
        write_table_workbook(output, title, grid)
        say_wrote(output)
    elif fmt == "table":
        print_tables(grid_tables(grid, title, foot, _width(output)), None, output)
    elif fmt == "csv":
        write_csv(grid_csv(grid), output, encoding)
    else:
        write(grid_markdown(grid, title) + "\n\n" + foot + "\n", output)


# =============================================================================================== report
@app.command(
    help=N_("写出全区的统计报告：以 .xlsx 结尾写报告工作簿（摘要、按类别、街道×类别、社区、结构、代表人士、数据质量和覆盖情况"
            "（补查建议），带 Excel 图表，可直接打印）；以 .docx 结尾写文字报告（按党政机关公文格式排版）。"),
    epilog=N_("census report -o 新的社会阶层人士统计报告.xlsx\n"
              "census report -o 2026年新阶层人士统计报告.docx\n"
              "census report -o 公开版.xlsx --suppress 5 --as-of 2026-10-15\n"
              "census report -o 简报.xlsx --layout 我的版式.yaml --scheme legacy6"))
def report(
    output: Annotated[Path, typer.Option("--output", "-o", metavar=N_("文件"),
                                         help=N_("要写入的文件：以 .xlsx 结尾写报告工作簿，以 .docx 结尾写文字报告（公文格式）。"))],
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar=N_("日期"), show_default=False,
                                              help=N_("报告日期：按这一天计算年龄，标题用这一年（年-月-日；默认：今天）。"))] = None,
    layout: Annotated[Path | None, typer.Option("--layout", metavar=N_("文件"),
                                                help=N_("报告版式（YAML，参照 schemas/reports/default.yaml）：有哪些工作表、按什么顺序；"
                                                        "可用 census schema check 检查。"))] = None,
    suppress: Annotated[int | None, typer.Option("--suppress", metavar="N", min=2,
                                                 help=N_("公开的表中不足 N 人的格子显示为“<N”，并作补充隐藏（合计仍按实际人数）。"))] = None,
) -> None:
    when = parse_date(as_of, "--as-of")
    check_request(scheme, [])
    load_layout(layout)  # a bad layout fails before any linking
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        result = build_report(ws, output, scheme, when, layout, suppress, round=round_)
    if isinstance(result, DocumentResult):
        say_wrote(result.path, _("文字报告，{n}个部分。").format(n=len(result.sections)))
    else:
        say_wrote(result.path, _("{sheets}个工作表。").format(sheets=len(result.sheets)))


# =============================================================================================== survey
@app.command(
    help=N_("问卷各题的频数表（按 .sav 的值标签），给出回答者中的占比。"),
    epilog=N_("census survey\n"
              "census survey --question 学历 --question Q12 --by category\n"
              "census survey --calibrate --format json"))
def survey(
    db: DbOpt = None,
    question: Annotated[list[str] | None, typer.Option(
        "--question", "-q", metavar=N_("题目"),
        help=N_("按变量名（Q4_学历）或题目中的文字（满意度）选题，可重复（默认：所有带值标签的题和多选题组）。"))] = None,
    by: Annotated[str | None, typer.Option(
        "--by", metavar=DimensionOpt,
        help=N_("按回答者关联到的人员分列：category（或 street 等其他统计维度）；未关联的回答者归入“未关联”。"))] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help=N_("按普查中各类别的人数给回答者加权（事后分层），并给出加权估计。"))] = False,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    fmt: format_option("table", "csv", "json", "md") = "table",
    output: OutOpt = None,
    encoding: CsvEncodingOpt = None,
) -> None:
    check_output(output)
    csv_only(fmt, encoding)
    with open_workspace(db, create=False) as ws:
        if by or calibrate:
            say_ran(ensure_current(ws))
        r = run_survey(ws, question, by, calibrate, scheme, round=round_)
    if fmt == "json":
        write(json_text(r.to_dict()), output)
        return
    if fmt == "csv":
        write_csv(dicts_csv(r.long_rows(), ["variable"]), output, encoding)
        return
    blocks = survey_grids(r)
    foot = survey_note(r)
    if fmt == "md":
        write("\n\n".join(grid_markdown(grid, title) for title, grid in blocks) + "\n\n" + foot + "\n", output)
        return
    print_tables([t for title, grid in blocks for t in grid_tables(grid, title, None, _width(output))], foot, output)


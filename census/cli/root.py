"""The root command: the Typer application every command module adds its commands to, its options that hold for
every command (`--db` before the command name), and the console messages go to (stderr)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..i18n import N_
from .help import CensusTyper

app = CensusTyper(
    name="census",
    help=N_("统计新的社会阶层人士：导入社区台账、单位台账、住户台帐和问卷，每个人只认一次，按现行四类和2001年六类分类，"
            "打印区里要上报的统计表。\n\n"
            "工作区（一个 DuckDB 文件）用 --db 指定，可写在命令之前或之后；不写时用环境变量 $CENSUS_DB，"
            "再没有就用当前文件夹的 census.duckdb。设 CENSUS_LANG=en 可显示英文。"),
    epilog=N_("census ingest examples/district --regions examples/regions.yaml\n"
              "census tally --rows street --cols category\n"
              "census --db 雨花.duckdb report -o 统计报告.xlsx"),
    no_args_is_help=True,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", metavar=N_("文件"), show_default=False,
                                            help=N_("所有命令使用的工作区文件（命令后面的 --db 优先）。"))] = None,
    debug: Annotated[bool, typer.Option("--debug", help=N_("出错时显示详细的出错位置（traceback），可写在命令行的任何位置。"))] = False,
) -> None:
    ctx.obj = {"db": db}

"""What the commands share: their options (as `Annotated` types, help written in Chinese and marked for the
catalog), opening the workspace, writing output, and the line that says stale stages were run first."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from ..errors import UsageError
from ..i18n import N_, _
from ..persons import ENGINES
from ..persons.spark import DEFAULT_MASTER, SparkOptions
from ..pipeline import PipelineResult
from ..privacy import private_open
from ..tables.dimensions import scheme_name
from ..vocab import FORMATS
from ..workspace import Workspace
from .root import err

CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
CsvEncodingOpt = Annotated[Literal[CSV_ENCODINGS] | None, typer.Option(
    "--encoding", metavar=N_("编码"), show_default=False,
    help=N_("写入文件（-o）的CSV的编码：utf-8-sig（默认，带BOM，中文Windows上的Excel可直接打开）、utf-8（不带BOM）"
            "或 gb18030（较早的系统）；输出到屏幕时总是UTF-8。"))]

def _db_or_root(ctx: typer.Context, value: Path | None) -> Path | None:
    """--db after the command, else --db before it (`census --db 雨花.duckdb tally`)."""
    if value is not None:
        return value
    root = ctx.find_root().obj
    return root.get("db") if isinstance(root, dict) else None


def _scheme(value: str) -> str:
    return scheme_name(value)


DbOpt = Annotated[Path | None, typer.Option(
    "--db", metavar=N_("文件"), show_default=False, callback=_db_or_root,
    help=N_("工作区文件（默认：环境变量 $CENSUS_DB，没有时用当前文件夹的 census.duckdb）。"))]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", metavar=N_("文件"), help=N_("写入这个文件，而不是打印到屏幕（标准输出）。"))]
SchemeOpt = Annotated[str, typer.Option(
    "--scheme", metavar=N_("方案"), callback=_scheme,
    help=N_("分类方案：current4（现行四类）或 legacy6（2001年六类），也可直接写“现行四类”“2001年六类”。"))]
RevealOpt = Annotated[bool, typer.Option("--reveal", help=N_("显示完整的身份证号和电话号码（默认打码）。"))]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", metavar=N_("日期"), show_default=False,
                                             help=N_("按这一天计算年龄（年-月-日，如 2026-10-15；默认：今天）。"))]
RoundOpt = Annotated[str | None, typer.Option("--round", metavar=N_("年度"), show_default=False,
                                              help=N_("年度，例如 2026（默认：工作区中最近的年度）。"))]
ReasonOpt = Annotated[str | None, typer.Option(
    "--reason", metavar=N_("理由"), show_default=False,
    help=N_("理由，记入审计记录（用 --reveal 显示完整号码时必须给出）。"))]
EngineOpt = Annotated[Literal[ENGINES], typer.Option(
    "--engine", metavar="|".join(ENGINES),
    help=N_("duckdb：本机即可；spark：全省规模，在 Apache Spark 上运行，需 pip install \"census[spark]\" 和 Java 17 或更新版本。"))]
SparkMasterOpt = Annotated[str, typer.Option(
    "--spark-master", metavar=N_("地址"), help=N_("Spark 集群地址，如 spark://主机:7077；local[*] 即用本机全部处理器。"))]
SparkDirOpt = Annotated[Path | None, typer.Option(
    "--spark-dir", metavar=N_("文件夹"), show_default=False,
    help=N_("交给 Spark 的数据（Parquet）放在这里，须是每台 Spark 机器都能读到的文件夹；默认放在工作区旁，用完即删。"))]


def spark_options(engine: str, master: str, folder: Path | None) -> SparkOptions | None:
    """The Spark engine's options (None for DuckDB), checked before any work."""
    if engine != "spark":
        if master != DEFAULT_MASTER or folder is not None:
            raise UsageError(_("--spark-master 和 --spark-dir 只用于 --engine spark。"))
        return None
    if folder is not None and not folder.is_dir():
        raise UsageError(_("{path}：文件夹不存在；--spark-dir 要给一个已有的、每台 Spark 机器都能读到的文件夹。").format(path=folder))
    return SparkOptions(master, folder)


def format_option(*allowed: str, help: str | None = None):
    """A `--format` option offering `allowed` (a subset of vocab.FORMATS, in that order)."""
    choices = tuple(f for f in FORMATS if f in allowed)
    return Annotated[Literal[choices], typer.Option("--format", metavar="|".join(choices), help=help or N_("输出格式。"))]


def open_workspace(db: Path | None, create: bool = True) -> Workspace:
    return Workspace(db, create=create)


def check_output(output: Path | None) -> None:
    """A file to write must go into a folder that exists (a usage error, before any work is done)."""
    if output is not None and not output.parent.exists():
        raise UsageError(_("{path}：文件夹 {folder} 不存在。").format(path=output, folder=output.parent))
    if output is not None and output.is_dir():
        raise UsageError(_("{path}：这是一个文件夹；请给出要写入的文件名。").format(path=output))


def write(text: str, output: Path | None) -> None:
    """Text to stdout, or to `output` (created 0600, and a line on stderr saying so)."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        check_output(output)
        with private_open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        say_wrote(output)


def say_wrote(output: Path, detail: str = "") -> None:
    err.print(_("已写入 {path}").format(path=output) + (_("：{detail}").format(detail=detail) if detail else _("。")), markup=False)


def write_csv(text: str, output: Path | None, encoding: str | None) -> None:
    """CSV to stdout (plain UTF-8), or to `output` as UTF-8 with a BOM (so Excel on Chinese Windows reads it) or
    in the `encoding` asked for."""
    if output is None:
        if encoding:
            raise UsageError(_("--encoding 只用于写入文件的CSV：请同时用 -o 指定文件（输出到屏幕时总是UTF-8）。"))
        write(text, None)
        return
    check_output(output)
    with private_open(output, "w", encoding=encoding or CSV_ENCODINGS[0], newline="") as f:
        f.write(text)
    say_wrote(output)


def csv_only(fmt: str, encoding: str | None) -> None:
    """--encoding is for CSV files: a usage error with any other format."""
    if encoding and fmt != "csv":
        raise UsageError(_("--encoding 只用于CSV（--format csv），不能用于 --format {fmt}。").format(fmt=fmt))


def say_ran(result: PipelineResult) -> None:
    """One line on stderr when stale stages were run before a command."""
    if result.linked is not None:
        err.print(_("记录自上次关联后有变动，已重新关联（{records}条记录 → {persons}人）。").format(
            records=result.linked.records, persons=result.linked.persons), style="dim", markup=False)
    elif result.classified is not None:
        err.print(_("已重新分类（{persons}人）。").format(persons=result.classified.persons), style="dim", markup=False)


def parse_date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(_("{option} {value}：日期请写成 年-月-日，如 2026-10-15。").format(option=option, value=text)) from None

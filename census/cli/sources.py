"""The workspace's source files: `census sources` lists them, `census remove` takes a wrong file's records out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from ..errors import UsageError
from ..i18n import N_, _
from ..persons import LinkOptions
from ..persons.spark import DEFAULT_MASTER
from ..privacy import mask_text, mask_tree
from ..render.console import FILE_WIDTH, json_text
from ..render.merge import merge_table, shared_lines
from ..sources.catalog import list_sources, remove_sources
from ..tables.merge import merge_districts
from ..vocab import SOURCE_KIND_LABELS
from ..workspace import resolve_db
from ..workspace.store import discard_if_empty
from .options import (
    DbOpt,
    EngineOpt,
    SparkDirOpt,
    SparkMasterOpt,
    format_option,
    open_workspace,
    spark_options,
    write,
)
from .root import app, err


@app.command(help=N_("列出工作区中已读入的文件：编号、路径、内容哈希（SHA-256）、数据行、记录、隔离行、读入时间。"),
             epilog=N_("census sources\ncensus sources --format json"))
def sources(db: DbOpt = None, fmt: format_option("table", "json", help=N_("table：表格；json：JSON（供脚本使用）。")) = "table") -> None:
    with open_workspace(db, create=False) as ws:
        result = list_sources(ws)
    if fmt == "json":  # numbers in file names masked, as everywhere a path leaves the tool
        write(json_text(mask_tree(result.to_dict(), mask_text)), None)
        return
    if not result.sources:
        err.print(_("工作区中还没有读入任何文件；用 census ingest 读入。"), markup=False)
        return
    t = RichTable(_("编号"), _("文件"), _("格式"), _("类型"), _("数据行"), _("记录"), _("隔离"), _("读入时间"), "SHA-256",
                  show_edge=False)
    for c in t.columns:
        c.no_wrap = True
    for c in t.columns[4:7]:
        c.justify = "right"
    for s in result.sources:
        path = mask_text(s.path) if s.on_disk else mask_text(s.path) + _("（原文件已不在）")
        t.add_row(str(s.source_id), path, s.format, _(SOURCE_KIND_LABELS.get(s.kind, s.kind)), str(s.data_rows),
                  str(s.records), str(s.quarantined), s.ingested_at, s.sha256[:12])
    out = Console(highlight=False)
    if not out.is_terminal:  # a file or a pipe: every column whole
        out = Console(highlight=False, width=FILE_WIDTH + max(len(s.path) for s in result.sources))
    out.print(t)


@app.command(help=N_("把读错的文件从工作区中移除（它的记录、隔离行、问题和工作表），所有指定的文件在一个事务中移除；"
                     "下一个需要人员的命令会重新关联。"),
             epilog=N_("census remove 3\ncensus remove 雨花街道/台账.xlsx\ncensus remove 9f2c1a7e"))
def remove(
    refs: Annotated[list[str], typer.Argument(metavar=N_("来源"), show_default=False,
                                              help=N_("来源的编号、census sources 列出的路径、文件本身，或其 SHA-256 的前几位（至少 8 位）。"))],
    db: DbOpt = None,
    fmt: format_option("table", "json", help=N_("table：每个文件一行，写到标准错误；json：移除了什么，写到标准输出。")) = "table",
) -> None:
    with open_workspace(db, create=False) as ws:
        result = remove_sources(ws, refs)
    if fmt == "json":  # numbers in file names masked, as everywhere a path leaves the tool
        write(json_text(mask_tree(result.to_dict(), mask_text)), None)
    for s in result.removed:
        err.print(_("已移除 {path}：{records} 条记录、{quarantined} 行隔离数据。").format(
            path=s.path, records=s.records, quarantined=s.quarantined), markup=False)


@app.command(help=N_("把各区县的工作区合并成一个（市、省）：每条记录连同来源文件、工作表、行号、问题和核查结论一并带入，"
                     "并保留所属区县；随后跨区县重新关联，两区都登记的同一个人只算一人。同一区县再次合并时替换其原有数据，"
                     "人员编号不变。整个合并在一个事务中完成。"),
             epilog=N_("census merge 雨花台区.duckdb 江宁区.duckdb --db 南京市.duckdb\n"
                       "census merge 江宁区.duckdb --db 南京市.duckdb\n"
                       "census merge 雨花台区.duckdb 江宁区.duckdb --db 南京市.duckdb --format json\n"
                       "census --db 南京市.duckdb tally --by district --by category\n"
                       "census merge 各区县/*.duckdb --db 江苏省.duckdb --engine spark --spark-master spark://10.0.0.5:7077"))
def merge(
    paths: Annotated[list[Path], typer.Argument(metavar=N_("工作区"), show_default=False,
                                                help=N_("各区县的工作区文件（用 census ingest --regions 建立，带区划名册）。"))],
    db: DbOpt = None,
    name: Annotated[str | None, typer.Option("--name", metavar=N_("名称"), show_default=False,
                                             help=N_("合并后统计表标题中的名称（默认：各区县同属一市时为市名，否则列出各区县）。"))] = None,
    fmt: format_option("table", "json", help=N_("table：合并摘要，写到标准错误；json：合并摘要，写到标准输出。")) = "table",
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = DEFAULT_MASTER,
    spark_dir: SparkDirOpt = None,
) -> None:
    spark = spark_options(engine, spark_master, spark_dir)
    path = resolve_db(db)
    if not path.exists() and not path.parent.exists():
        raise UsageError(_("{path}：文件夹 {folder} 不存在。").format(path=path, folder=path.parent))
    existed = path.exists()
    try:
        with open_workspace(db) as ws:
            summary = merge_districts(ws, paths, name, LinkOptions(engine=engine, spark=spark) if spark else None)
    except BaseException:
        if not existed:  # nothing merged: no workspace left behind
            discard_if_empty(path)
        raise
    if fmt == "json":  # numbers in file names masked, as everywhere a path leaves the tool
        write(json_text(mask_tree(summary.to_dict(), mask_text)), None)
        return
    err.print(merge_table(summary))
    for line in shared_lines(summary):
        err.print(line, markup=False)

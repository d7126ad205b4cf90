"""Ingesting files: `census ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from ..i18n import N_, _, listing
from ..issues import CODES
from ..privacy import mask_text, mask_tree
from ..render.console import json_text
from ..sources import IngestOptions, IngestResult
from ..sources.ingest import FileResult
from ..sources.ingest import ingest as run
from ..vocab import SOURCE_KIND_LABELS
from ..workspace import resolve_db
from ..workspace.store import discard_if_empty
from .options import DbOpt, format_option, open_workspace, write
from .root import app, err

STATUS_LABELS = {"ingested": N_("已导入"), "replaced": N_("已替换"), "unchanged": N_("未改动"), "changed": N_("有新版本"),
                 "failed": N_("失败"), "skipped": N_("已跳过")}


# =============================================================================================== ingest
@app.command(
    help=N_("把源文件导入工作区：每一行要么成为一条记录，要么带着原因进入隔离区。\n\n"
            "同一年度中内容相同的文件（不论叫什么名字）再导入不会有任何改动，同一文件可导入不同年度；每个文件单独作为一次完整写入。"),
    epilog=N_("census ingest examples/district --regions examples/regions.yaml\n"
              "census ingest examples/district_2027 --round 2027\n"
              "census ingest 住户台帐.csv --encoding gb18030 --kind household_register\n"
              "census ingest 康盛花园社区台账.xlsx --replace"))
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar=N_("路径"), show_default=False,
                                                help=N_("要导入的文件或文件夹（文件夹逐层读取：.xlsx .xlsm .xls .csv .txt .sav）"))],
    db: DbOpt = None,
    regions: Annotated[Path | None, typer.Option("--regions", metavar=N_("文件"),
                                                 help=N_("全区的区划名册（YAML）；保存在工作区里，以后不必再给。"))] = None,
    schema: Annotated[list[Path] | None, typer.Option("--schema", metavar=N_("文件"),
                                                      help=N_("补充的列名同义词（YAML，格式同 schemas/fields.yaml）；可重复。"))] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", metavar=N_("编码"),
                                                 help=N_("CSV 文件的编码（默认自动识别 UTF-8、带 BOM 的 UTF-8 和 GB18030）。"))] = None,
    kind: Annotated[str | None, typer.Option("--kind", metavar=N_("类型"),
                                             help=N_("文件是什么：community_ledger（社区台账）、unit_ledger（单位台账）、"
                                                     "household_register（住户台帐）、questionnaire（问卷）、roster（代表人士名册）或 other（其他来源）；默认按文件名和内容判断。"))] = None,
    street: Annotated[str | None, typer.Option("--street", metavar=N_("街道"),
                                               help=N_("没写街道的行（各列、标题、工作表名、路径都没写）归入这个街道。"))] = None,
    community: Annotated[str | None, typer.Option("--community", metavar=N_("社区"), help=N_("没写社区的行归入这个社区。"))] = None,
    replace: Annotated[bool, typer.Option("--replace", help=N_("文件内容自上次导入后有改动时，用新内容替换它的记录。"))] = False,
    round_: Annotated[str | None, typer.Option("--round", metavar=N_("年度"), show_default=False,
                                               help=N_("文件所属的年度，例如 2027（默认：工作区中最近的年度；新工作区为当年）；"
                                                       "同一文件可导入不同年度。"))] = None,
    fmt: format_option("table", "json", help=N_("table：摘要打印在标准错误输出；json：摘要以 JSON 打印到标准输出。")) = "table",
) -> None:
    options = IngestOptions(encoding=encoding, kind=_kind(kind), street=street, community=community, replace=replace,
                            schema_files=tuple(str(p) for p in schema or ()))
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    path = resolve_db(db)
    existed = path.exists()
    try:
        with open_workspace(db) as ws, bar:
            task = bar.add_task(_("导入中"), total=None)

            def progress(name: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=name[-40:])

            result = run(ws, paths, options, regions=regions, progress=progress, round=round_)
    except BaseException:
        if not existed:  # a run that ingested nothing leaves no workspace behind (its error says why)
            discard_if_empty(path)
        raise
    if not existed and discard_if_empty(path):
        err.print(_("没有读入任何文件，未建立工作区 {path}。").format(path=path), markup=False)
    if fmt == "json":  # numbers in file names and in the lines above a header (填表人 … 电话) masked
        write(json_text(mask_tree(result.to_dict(), mask_text)), None)
    print_summary(result, plain=not err.is_terminal)
    if not result.ok:
        raise typer.Exit(1)


def _kind(text: str | None) -> str | None:
    """--kind by its name or by its label (社区台账 …); anything else is refused by the ingest."""
    if text is None:
        return None
    by_label = {_(label): kind for kind, label in SOURCE_KIND_LABELS.items()} | {label: kind for kind, label in SOURCE_KIND_LABELS.items()}
    return by_label.get(text.strip(), text.strip())


def _warnings(f: FileResult, most: int | None = None) -> str:
    found = sorted(f.warnings.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = found if most is None else found[:most]
    text = listing(_("{title}{count}处").format(title=_(CODES[k].title) if k in CODES else k, count=v) for k, v in shown)
    return text + ("……" if len(shown) < len(found) else "")


def _kind_label(kind: str | None) -> str:
    return _(SOURCE_KIND_LABELS[kind]) if kind in SOURCE_KIND_LABELS else (kind or "")


def file_line(f: FileResult) -> str:
    """One file's summary as one plain line, with the whole file name."""
    status = _(STATUS_LABELS.get(f.status, f.status))
    if f.status not in ("ingested", "replaced"):
        return f.message or _("{path}：{status}。").format(path=f.path, status=status)
    line = _("{path}：{status}，{kind}，数据{data}行 → 记录{records}条，隔离{quarantined}行，非数据{nondata}行").format(
        path=f.path, status=status, kind=_kind_label(f.kind), data=f.data_rows, records=f.records, quarantined=f.quarantined,
        nondata=f.nondata)
    warnings = _warnings(f)
    return line + (_("；警告：{warnings}").format(warnings=warnings) if warnings else "") + _("。")


def print_summary(result: IngestResult, plain: bool) -> None:
    """What happened to each file, on stderr: a table on a terminal; one plain line per file otherwise (for logs and
    batch jobs: whole file names, nothing cut)."""
    if plain:
        for f in result.files:
            err.print(file_line(f), markup=False, highlight=False)
    else:
        t = RichTable(title=_("导入结果"), title_justify="left", show_edge=False)
        numbers = (_("数据行"), _("记录"), _("隔离"), _("非数据行"))
        for c in (_("文件"), _("结果"), _("来源"), *numbers, _("警告")):
            t.add_column(c, justify="right" if c in numbers else "left", overflow="fold", no_wrap=c in numbers)
        for f in result.files:
            if f.status == "skipped":  # listed once below, with the reason
                continue
            t.add_row(f.path, _(STATUS_LABELS.get(f.status, f.status)), _kind_label(f.kind), str(f.data_rows), str(f.records),
                      str(f.quarantined), str(f.nondata), _warnings(f, 3))
        err.print(t)
    tot = result.totals()
    err.print(_("共{files}个文件（{round}年度）：数据{data}行 → 记录{records}条，隔离{quarantined}行；标题、表头、合计等非数据行{nondata}行，空行{blank}行。").format(
        round=result.round, files=tot["files"] - tot["skipped"], data=tot["data_rows"], records=tot["records"],
        quarantined=tot["quarantined"], nondata=tot["nondata"], blank=tot["blank"]), markup=False)
    for n in result.notices:
        err.print(n, style="yellow", markup=False)
    for f in result.files:
        for s in f.sheets:
            if s.status == "skipped":
                err.print(_("{path}：已跳过工作表“{sheet}”（{reason}）。").format(path=f.path, sheet=s.sheet, reason=_(s.reason) if s.reason else ""),
                          style="dim", markup=False)
        for n in f.notices:
            err.print(n, style="yellow", markup=False)
        if f.message and f.status not in ("ingested", "replaced") and not plain:
            err.print(f.message, style="red" if not f.ok else "dim", markup=False)


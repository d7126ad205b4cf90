"""Ingesting files: `census ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from ..privacy import mask_text, mask_tree
from ..render.console import json_text
from ..sources import IngestOptions, IngestResult
from ..sources.ingest import ingest as run
from ..vocab import SOURCE_KINDS
from .options import DbOpt, format_option, open_workspace, write
from .root import app, err


# =============================================================================================== ingest
@app.command(epilog="Example: census ingest examples/district --regions examples/regions.yaml")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (read recursively: .xlsx .xlsm .xls .csv .txt .sav).", show_default=False)],
    db: DbOpt = None,
    regions: Annotated[Path | None, typer.Option("--regions", help="The district's region register (YAML); stored in the workspace for later runs.")] = None,
    schema: Annotated[list[Path] | None, typer.Option("--schema", help="Extra field synonyms (YAML, the layout of schemas/fields.yaml).")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Encoding of CSV files (detected otherwise: UTF-8, UTF-8 with BOM, GB18030).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=f"What the files are: {', '.join(SOURCE_KINDS)} (guessed otherwise).")] = None,
    street: Annotated[str | None, typer.Option("--street", help="Street of rows that name none (after their columns, title, sheet and path).")] = None,
    community: Annotated[str | None, typer.Option("--community", help="Community of rows that name none.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the records of a file whose content changed since it was ingested.")] = False,
    fmt: format_option("table", "json", help="table: a summary on stderr; json: the summary as JSON on stdout.") = "table",
) -> None:
    """Read source files into the workspace: every row becomes a record or is quarantined with a reason.

    A file already ingested (same content, under any name) changes nothing. Each file is one transaction.
    """
    options = IngestOptions(encoding=encoding, kind=kind, street=street, community=community, replace=replace,
                            schema_files=tuple(str(p) for p in schema or ()))
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    with open_workspace(db) as ws, bar:
        task = bar.add_task("ingesting", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=name[-40:])

        result = run(ws, paths, options, regions=regions, progress=progress)
    if fmt == "json":  # numbers in file names and in the lines above a header (填表人 … 电话) masked
        write(json_text(mask_tree(result.to_dict(), mask_text)), None)
    _print_ingest(result)
    if not result.ok:
        raise typer.Exit(1)


def _print_ingest(result: IngestResult) -> None:
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

"""What the workspace holds and the files around it: `census export`, `status`, `classify`, `schema`, `regions`, `codes`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table as RichTable

from ..categories import classification_summary
from ..categories import explain as run_explain
from ..config import load_file
from ..config.regions import init_register
from ..issues import CODES
from ..pipeline import ensure_current
from ..render.console import frame_csv, json_text
from ..serialize import to_json_records
from ..tables.export import WHATS
from ..tables.export import export as run_export
from ..tables.status import status as run_status
from ..workspace.audit import check_reveal
from .options import (
    DbOpt,
    OutOpt,
    ReasonOpt,
    RevealOpt,
    SchemeOpt,
    format_option,
    open_workspace,
    say_ran,
    write,
)
from .root import app, err


# =============================================================================================== export
@app.command(epilog="Examples: census export links -o links.csv · census export records --quarantined · census export issues --format json")
def export(
    what: Annotated[Literal[WHATS], typer.Argument(help="records, persons, links or issues.")],
    db: DbOpt = None,
    fmt: format_option("csv", "json") = "csv",
    output: OutOpt = None,
    scheme: SchemeOpt = "current4",
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    quarantined: Annotated[bool, typer.Option("--quarantined", help="With records: the quarantined rows and their reasons instead.")] = False,
) -> None:
    """Write records, persons, links (person_id, file, sheet, row) or issues as CSV or JSON.

    ID and phone numbers are masked (320114********123X, 138****5678) unless --reveal is given.
    """
    check_reveal(reveal, reason)
    with open_workspace(db, create=False) as ws:
        if what != "issues" and not (what == "records" and quarantined):
            say_ran(ensure_current(ws))
        df = run_export(ws, what, scheme, reveal, quarantined, reason)
    write(to_json_records(df) if fmt == "json" else frame_csv(df), output)


# =============================================================================================== status
@app.command(epilog="Example: census status --format json")
def status(db: DbOpt = None, fmt: format_option("table", "json") = "table") -> None:
    """Files, records, quarantined rows, persons, and whether linking is up to date."""
    with open_workspace(db, create=False) as ws:
        s = run_status(ws)
    if fmt == "json":
        write(json_text(s.to_dict()), None)
        return
    lines = [
        f"workspace   {s.db} (schema {s.schema_version})" + (f", district {s.district}" if s.district else ""),
        f"files       {s.files}" + "".join(f", {k} {v['files']}" for k, v in s.by_kind.items()),
        f"records     {s.records} ({s.quarantined} rows quarantined, {s.nondata_rows} non-data lines)",
        f"persons     {s.persons}",
        f"linking     {'up to date' if s.link_current else 'out of date: run census link (tally and export do it for you)'}",
        "issues      " + (", ".join(f"{k} {v}" for k, v in s.issues.items()) or "none"),
    ]
    write("\n".join(lines), None)


# =============================================================================================== classify
@app.command(epilog="Example: census classify --scheme legacy6 --explain P0000012")
def classify(
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    explain: Annotated[str | None, typer.Option("--explain", help="Print the decision path of one person.")] = None,
    fmt: format_option("table", "json") = "table",
) -> None:
    """Classify every person under every scheme, or explain one person's category."""
    with open_workspace(db, create=False) as ws:
        ran = ensure_current(ws)
        say_ran(ran)
        if explain:
            d = run_explain(ws, explain, scheme)
            if fmt == "json":
                write(json_text(d), None)
                return
            lines = [f"{d['person_id']} · {scheme} → {d['category']}（{d['rule']}）", f"理由：{d['reason']}", "过程："]
            lines += [f"  {i + 1}. {s}" for i, s in enumerate(d["steps"])]
            write("\n".join(lines), None)
            return
        r = ran.classified or classification_summary(ws)
    if fmt == "json":
        write(json_text(asdict(r)), None)
        return
    for s, groups in r.by_scheme.items():
        write(f"{s}: " + ", ".join(f"{g} {n}" for g, n in sorted(groups.items())) + f"; {r.conflicts.get(s, 0)} flagged for review", None)


# =============================================================================================== schema, regions, codes
schema_app = typer.Typer(help="Check schema files (field synonyms, code tables, schemes, region registers).", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("check", epilog="Example: census schema check my_scheme.yaml")
def schema_check(files: Annotated[list[Path], typer.Argument(help="YAML files to validate.", show_default=False)]) -> None:
    """Validate schema files; errors name the file and the key path."""
    for f in files:
        kind, _ = load_file(f)
        err.print(f"{f}: a valid {kind} file.")


regions_app = typer.Typer(help="The district's region register.", no_args_is_help=True)
app.add_typer(regions_app, name="regions")


@regions_app.command("init", epilog="Example: census regions init 320114 -o regions.yaml")
def regions_init(district: Annotated[str, typer.Argument(help="6-digit county code or county name.")], output: OutOpt = None) -> None:
    """Start a register from the national street list (real street codes); add the communities yourself."""
    write(init_register(district), output)


@app.command(epilog="Example: census codes --format json")
def codes(fmt: format_option("table", "json") = "table") -> None:
    """The table of issue codes: code, severity, title, meaning."""
    rows = [{"code": c.code, "severity": c.severity, "title": c.title, "message": c.message} for c in CODES.values()]
    if fmt == "json":
        write(json_text(rows), None)
        return
    t = RichTable("code", "severity", "title", "meaning")
    for r in rows:
        t.add_row(r["code"], r["severity"], r["title"], r["message"])
    Console(highlight=False).print(t)

"""Finding each person once: `census link` and the review (核查) of uncertain pairs."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from ..errors import UsageError
from ..persons import LinkOptions, explain_person
from ..persons.decisions import apply_review, decisions_json, list_decisions, undo_decision
from ..pipeline import ensure_current
from ..pipeline import link as run_link
from ..privacy import mask_frame
from ..render import export_review
from ..render.console import frame_csv, json_text
from ..workspace.audit import check_reveal, log_access
from .options import DbOpt, ReasonOpt, RevealOpt, format_option, open_workspace, say_ran, write
from .root import app, err


# =============================================================================================== link
@app.command(epilog="Examples: census link · census link --explain P0000012")
def link(
    db: DbOpt = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Show one person's records side by side and why each was linked.")] = None,
    accept: Annotated[float, typer.Option("--accept", help="Link pairs at or above this match probability.")] = 0.95,
    review: Annotated[float, typer.Option("--review", help="Send pairs from this probability up to --accept to review (核查).")] = 0.5,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: format_option("table", "json") = "table",
) -> None:
    """Find each real person once: same valid ID number first, then Splink for the rest; then classify."""
    if not 0 < review <= accept <= 1:
        raise UsageError(f"need 0 < --review ({review}) <= --accept ({accept}) <= 1.")
    check_reveal(reveal, reason)
    with open_workspace(db, create=False) as ws:
        if explain:
            say_ran(ensure_current(ws, LinkOptions(accept, review)))
            d = explain_person(ws, explain, reveal, reason)
        else:
            r = run_link(ws, LinkOptions(accept, review))
    if explain:
        if fmt == "json":
            write(json_text(d), None)
            return
        _print_explain(d)
        return
    if fmt == "json":
        write(json_text(asdict(r)), None)
        return
    rules = ", ".join(f"{k} {v}" for k, v in sorted(r.links_by_rule.items()))
    write(f"{r.records} records → {r.persons} persons (records by rule: {rules}); {r.review_pairs} pairs sent to review; "
           f"{r.kept_ids} person ids kept, {r.new_persons} new; {r.seconds:.1f} s.", None)


def _print_explain(d: dict) -> None:
    """Records side by side: one column per record, one row per field; then the scored pairs."""
    p = d["person"]
    con = Console(highlight=False, soft_wrap=True)
    con.print(f"{p['person_id']} {p['name'] or ''} · {p['sex'] or ''} · {p['id_number'] or '无有效身份证号'} · "
              f"{p['street'] or ''}{p['community'] or ''} · {p['records']} records")
    fields = [("file", "文件"), ("sheet", "工作表"), ("row", "行"), ("source_kind", "来源"), ("name", "姓名"), ("sex", "性别"),
              ("id_number", "身份证号"), ("birth_date", "出生日期"), ("phone", "电话"), ("work_unit", "工作单位"),
              ("position", "职务"), ("community", "社区"), ("rule", "关联方式")]
    t = RichTable("", *[f"#{r['record_id']}" for r in d["records"]])
    for key, label in fields:
        cells = []
        for r in d["records"]:
            v = r[key]
            if key == "rule" and v == "probabilistic":
                v = f"probabilistic p={r['probability']:.3f}"
            cells.append("" if v is None else str(v))
        t.add_row(label, *cells)
    con.print(t)
    for pr in d["pairs"]:
        detail = ", ".join(f"{k} {v:+.1f}" for k, v in pr["detail"].items())
        con.print(f"pair #{pr['record_a']}–#{pr['record_b']}: {pr['status']}, p={pr['probability']:.4f}, "
                  f"match weight {pr['match_weight']:.1f} = prior + {detail}")


# =============================================================================================== review
review_app = typer.Typer(help="Review (核查): uncertain pairs and conflicting persons, for clerks to decide.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("export", epilog="Example: census review export -o 核查清单.xlsx")
def review_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The workbook to write (.xlsx).")],
    db: DbOpt = None,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
) -> None:
    """Write the pairs and conflicts that need a clerk, by street and community, with a column to fill."""
    check_reveal(reveal, reason)
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        n_pairs, n_conflicts = export_review(ws, output, reveal, reason)
    err.print(f"Wrote {output}: {n_pairs} uncertain pairs, {n_conflicts} conflicts.")


@review_app.command("apply", epilog="Example: census review apply 核查清单.xlsx")
def review_apply(file: Annotated[Path, typer.Argument(help="A review workbook, filled in.")], db: DbOpt = None) -> None:
    """Read a filled review workbook back: answers become decisions that survive every later re-link."""
    with open_workspace(db, create=False) as ws:
        r = apply_review(ws, file)
    for p in r.problems:
        err.print(p, markup=False)
    write(f"{r.must_link} same person, {r.cannot_link} not the same, {r.corrections} corrections; {r.unanswered} rows left unanswered.", None)
    if r.problems:
        raise typer.Exit(1)


@review_app.command("list", epilog="Example: census review list --format json")
def review_list(db: DbOpt = None, all_: Annotated[bool, typer.Option("--all", help="Include undone decisions.")] = False,
                fmt: format_option("csv", "json") = "csv") -> None:
    """List the decisions taken in review."""
    with open_workspace(db, create=False) as ws:
        df = list_decisions(ws, all_)
        log_access(ws, "export", "decisions", len(df))
    df = mask_frame(df, places=("source", "value"), keep=("kind", "field"))  # no ID here: dates may stay
    write(decisions_json(df) if fmt == "json" else frame_csv(df), None)


@review_app.command("undo", epilog="Example: census review undo 3")
def review_undo(decision: Annotated[int, typer.Argument(help="The decision_id from `census review list`.")], db: DbOpt = None) -> None:
    """Undo one review decision (the next link no longer applies it)."""
    with open_workspace(db, create=False) as ws:
        undo_decision(ws, decision)
    err.print(f"Decision {decision} undone; the next link will not apply it.")

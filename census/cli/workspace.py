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
from ..i18n import N_, _, listing
from ..issues import CODES
from ..pipeline import ensure_current
from ..render.console import frame_csv, json_text
from ..serialize import to_json_records
from ..tables.dimensions import scheme_label
from ..tables.export import WHATS
from ..tables.export import export as run_export
from ..tables.status import status as run_status
from ..vocab import GROUP_LABELS, GROUPS, SEVERITY_LABELS, SOURCE_KIND_LABELS
from ..workspace.audit import check_reveal
from ..workspace.rounds import table_round
from .help import CensusTyper
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
    write,
    write_csv,
)
from .root import app, err

SCHEMA_KINDS = {"fields": N_("字段同义词"), "codes": N_("代码表"), "evidence": N_("分类证据"), "scheme": N_("分类方案"),
                "regions": N_("区划名册"), "layout": N_("报告版式")}


# =============================================================================================== export
@app.command(
    help=N_("导出记录、人员、关联（人员编号、文件、工作表、行）或数据问题，格式为 CSV 或 JSON。\n\n"
            "身份证号和电话号码默认打码（320114********123X、138****5678），加 --reveal 才显示完整号码。"),
    epilog=N_("census export links -o 关联.csv\n"
              "census export records --quarantined          # 没有成为记录的行及原因\n"
              "census export issues --format json"))
def export(
    what: Annotated[Literal[WHATS], typer.Argument(metavar="records|persons|links|issues",
                                                   help=N_("导出什么：records 记录、persons 人员、links 关联、issues 数据问题"))],
    db: DbOpt = None,
    fmt: format_option("csv", "json") = "csv",
    output: OutOpt = None,
    scheme: SchemeOpt = "current4",
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    quarantined: Annotated[bool, typer.Option("--quarantined", help=N_("与 records 一起用：导出被隔离的行及其原因。"))] = False,
    round_: RoundOpt = None,
    encoding: CsvEncodingOpt = None,
) -> None:
    check_output(output)
    csv_only(fmt, encoding)
    check_reveal(reveal, reason)
    with open_workspace(db, create=False) as ws:
        if what != "issues" and not (what == "records" and quarantined):
            say_ran(ensure_current(ws))
        df = run_export(ws, what, scheme, reveal, quarantined, reason, round=round_)
    if fmt == "json":
        write(to_json_records(df), output)
    else:
        write_csv(frame_csv(df), output, encoding)


# =============================================================================================== status
def _counts(items: dict[str, int], labels: dict[str, str]) -> str:
    """"社区台账29、单位台账3": counts by their labels, in the labels' order."""
    order = {k: i for i, k in enumerate(labels)}
    ordered = sorted(items.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return listing(_("{label}{count}").format(label=_(labels[k]) if k in labels else k, count=v) for k, v in ordered)


@app.command(help=N_("工作区里有什么：文件、记录、隔离的行、人员，以及关联是否是最新的。"), epilog=N_("census status\ncensus status --format json"))
def status(db: DbOpt = None, fmt: format_option("table", "json") = "table") -> None:
    with open_workspace(db, create=False) as ws:
        s = run_status(ws)
    if fmt == "json":
        write(json_text(s.to_dict()), None)
        return
    kinds = _counts({k: v["files"] for k, v in s.by_kind.items()}, SOURCE_KIND_LABELS)
    lines = [
        _("工作区  {path}（结构版本 {version}）").format(path=s.db, version=s.schema_version) + (_("，{district}").format(district=s.district) if s.district else ""),
        _("文件    {files}个").format(files=s.files) + (_("：{kinds}").format(kinds=kinds) if kinds else ""),
        _("记录    {records}条（另有隔离{quarantined}行，非数据行{nondata}行）").format(records=s.records, quarantined=s.quarantined, nondata=s.nondata_rows),
        _("人员    {persons}人").format(persons=s.persons),
        _("年度    {rounds}").format(rounds=_("；").join(
            _("{round}年：{files}个文件，{records}条记录，{persons}人").format(round=r, files=v["files"], records=v["records"], persons=v["persons"])
            for r, v in s.rounds.items()) or _("无")),
        _("关联    {state}").format(state=_("已是最新") if s.link_current else _("需要更新：运行 census link（tally、export、report 会自动运行）")),
        _("问题    {issues}").format(issues=_counts(s.issues, SEVERITY_LABELS) or _("无")),
    ]
    write("\n".join(lines), None)


# =============================================================================================== classify
@app.command(
    help=N_("按每个分类方案给每个人分类，或说明一个人为什么归入某一类。"),
    epilog=N_("census classify\ncensus classify --scheme legacy6 --explain P0000012"))
def classify(
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    explain: Annotated[str | None, typer.Option("--explain", metavar=N_("人员编号"), help=N_("打印这个人的分类过程。"))] = None,
    round_: RoundOpt = None,
    fmt: format_option("table", "json") = "table",
) -> None:
    with open_workspace(db, create=False) as ws:
        ran = ensure_current(ws)
        say_ran(ran)
        if explain:
            d = run_explain(ws, explain, scheme, round_=table_round(ws, round_) if round_ else None)
            if fmt == "json":
                write(json_text(d), None)
                return
            write("\n".join(explain_lines(d)), None)
            return
        r = classification_summary(ws, table_round(ws, round_))
    if fmt == "json":
        write(json_text(asdict(r)), None)
        return
    for s, groups in r.by_scheme.items():
        counts = _("，").join(_("{group}{count}人").format(group=_(GROUP_LABELS[g]), count=groups[g]) for g in GROUPS if g in groups)
        write(_("{scheme}：{counts}；其中{flagged}人的申报类别与证据不符，待核查。").format(
            scheme=scheme_label(s), counts=counts, flagged=r.conflicts.get(s, 0)), None)


def explain_lines(d: dict) -> list[str]:
    """A person's classification as lines: the result, the reason, the steps."""
    rule = d["rule"]
    if rule.startswith("declared:"):
        kind = rule.split(":", 1)[1]
        how = _("依据{source}的申报").format(source=_(SOURCE_KIND_LABELS[kind]) if kind in SOURCE_KIND_LABELS else _("核查结论"))
    elif rule == "no_evidence":
        how = _("证据不足")
    else:
        how = _("依据推断规则")
    lines = [_("{person} · {scheme} → {category}（{how}）").format(person=d["person_id"], scheme=scheme_label(d["scheme"]),
                                                              category=d["category"], how=how),
             _("理由：{reason}").format(reason=d["reason"]), _("过程：")]
    return lines + [f"  {i + 1}. {s}" for i, s in enumerate(d["steps"])]


# =============================================================================================== schema, regions, codes
schema_app = CensusTyper(help=N_("检查 schema 文件（字段同义词、代码表、分类方案、区划名册、报告版式）。"), no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("check", help=N_("检查 schema 文件；有错时指出文件和出错的键路径。"), epilog=N_("census schema check 我的方案.yaml"))
def schema_check(files: Annotated[list[Path], typer.Argument(metavar=N_("文件"), show_default=False, help=N_("要检查的 YAML 文件"))]) -> None:
    for f in files:
        kind, _model = load_file(f)
        err.print(_("{path}：是有效的{kind}文件。").format(path=f, kind=_(SCHEMA_KINDS.get(kind, kind))), markup=False)


regions_app = CensusTyper(help=N_("全区的区划名册。"), no_args_is_help=True)
app.add_typer(regions_app, name="regions")


@regions_app.command("init", help=N_("从全国街道名单生成区划名册的初稿（真实的街道代码）；社区由各区自己补上。"),
                     epilog=N_("census regions init 320114 -o regions.yaml\ncensus regions init 雨花台区 -o regions.yaml"))
def regions_init(district: Annotated[str, typer.Argument(metavar=N_("区县"), help=N_("6位区县代码或区县名称"))], output: OutOpt = None) -> None:
    check_output(output)
    write(init_register(district), output)


@app.command(help=N_("数据问题代码表：代码、严重程度、名称、含义。"), epilog=N_("census codes\ncensus codes --format json"))
def codes(fmt: format_option("table", "json") = "table") -> None:
    rows = [{"code": c.code, "severity": c.severity, "title": _(c.title), "message": _(c.message).format(value="…")}
            for c in CODES.values()]
    if fmt == "json":
        write(json_text(rows), None)
        return
    t = RichTable()
    t.add_column(_("代码"), no_wrap=True)
    t.add_column(_("严重程度"), no_wrap=True)
    t.add_column(_("名称"), overflow="fold")
    t.add_column(_("含义"), overflow="fold", ratio=2)
    for r in rows:
        t.add_row(r["code"], _(SEVERITY_LABELS[r["severity"]]), r["title"], r["message"])
    Console(highlight=False).print(t)

"""Finding each person once: `census link` and the review (核查) of uncertain pairs."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from ..errors import UsageError
from ..i18n import N_, _, listing
from ..persons import LinkOptions, explain_person
from ..persons.decisions import apply_review, decisions_json, list_decisions, undo_decision
from ..persons.spark import DEFAULT_MASTER, SparkOptions
from ..pipeline import ensure_current
from ..pipeline import link as run_link
from ..privacy import mask_frame
from ..render import export_review
from ..render.console import frame_csv, json_text
from ..tables.dimensions import check_request
from ..vocab import LINK_RULE_LABELS, PAIR_STATUS_LABELS, SOURCE_KIND_LABELS
from ..workspace.audit import check_reveal, log_access
from .help import CensusTyper
from .options import (
    CsvEncodingOpt,
    DbOpt,
    EngineOpt,
    OutOpt,
    ReasonOpt,
    RevealOpt,
    RoundOpt,
    SchemeOpt,
    SparkDirOpt,
    SparkMasterOpt,
    check_output,
    csv_only,
    format_option,
    open_workspace,
    say_ran,
    say_wrote,
    spark_options,
    write,
    write_csv,
)
from .root import app, err

# the comparisons of a scored pair (persons.match.COMPARISONS), as `--explain` names them
COMPARISON_LABELS = {"name": N_("姓名"), "phones": N_("电话"), "birth_date": N_("出生日期"), "sex": N_("性别"),
                     "work_unit": N_("工作单位"), "community": N_("社区"), "id_number": N_("身份证号")}
# the rows of `--explain`'s side-by-side table: (field, label)
EXPLAIN_FIELDS = (("file", N_("文件")), ("sheet", N_("工作表")), ("row", N_("行")), ("source_kind", N_("来源")), ("name", N_("姓名")),
                  ("sex", N_("性别")), ("id_number", N_("身份证号")), ("birth_date", N_("出生日期")), ("phone", N_("电话")),
                  ("work_unit", N_("工作单位")), ("position", N_("职务")), ("community", N_("社区")), ("rule", N_("关联方式")))


# =============================================================================================== link
@app.command(
    help=N_("把同一个人的记录找出来并为一人：先按有效身份证号，其余记录用 Splink 按姓名、电话、出生日期等打分；然后分类。"),
    epilog=N_("census link\n"
              "census link --explain P0000012          # 看一个人的各条记录和关联理由\n"
              "census link --accept 0.9 --review 0.4\n"
              "census link --engine spark --spark-master spark://10.0.0.5:7077 --spark-dir /共享/census"))
def link(
    db: DbOpt = None,
    explain: Annotated[str | None, typer.Option("--explain", metavar=N_("人员编号"),
                                                help=N_("并排显示这个人的各条记录，以及每条为什么关联到他。"))] = None,
    accept: Annotated[float, typer.Option("--accept", metavar=N_("概率"), help=N_("匹配概率不低于这个值的两条记录并为一人。"))] = 0.95,
    review: Annotated[float, typer.Option("--review", metavar=N_("概率"),
                                          help=N_("匹配概率从这个值到 --accept 之间的记录对送核查。"))] = 0.5,
    engine: EngineOpt = "duckdb",
    spark_master: SparkMasterOpt = DEFAULT_MASTER,
    spark_dir: SparkDirOpt = None,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
    fmt: format_option("table", "json") = "table",
) -> None:
    if not 0 < review <= accept <= 1:
        raise UsageError(_("须满足 0 < --review（{review}）≤ --accept（{accept}）≤ 1。").format(review=review, accept=accept))
    spark = spark_options(engine, spark_master, spark_dir)
    check_reveal(reveal, reason)
    options = LinkOptions(accept, review, engine=engine, spark=spark or SparkOptions())
    with open_workspace(db, create=False) as ws:
        if explain:
            say_ran(ensure_current(ws, options))
            d = explain_person(ws, explain, reveal, reason)
        else:
            r = run_link(ws, options)
    if explain:
        if fmt == "json":
            write(json_text(d), None)
            return
        print_explain(d)
        return
    if fmt == "json":
        write(json_text(asdict(r)), None)
        return
    rules = listing(_("{label}{count}").format(label=_(LINK_RULE_LABELS.get(k, k)), count=v) for k, v in sorted(r.links_by_rule.items(), key=lambda kv: -kv[1]))
    write(_("{records}条记录 → {persons}人（各记录的关联方式：{rules}）；{review}对记录送核查；沿用人员编号{kept}个，新编号{new}个；"
            "用时{seconds:.1f}秒。").format(records=r.records, persons=r.persons, rules=rules, review=r.review_pairs, kept=r.kept_ids,
                                          new=r.new_persons, seconds=r.seconds), None)


def _cell(record: dict, key: str) -> str:
    v = record[key]
    if key == "rule":
        label = _(LINK_RULE_LABELS.get(v, v)) if v else ""
        return _("{rule}（p={p:.3f}）").format(rule=label, p=record["probability"]) if v == "probabilistic" else label
    if key == "source_kind" and v in SOURCE_KIND_LABELS:
        return _(SOURCE_KIND_LABELS[v])
    return "" if v is None else str(v)


def print_explain(d: dict) -> None:
    """Records side by side: one column per record, one row per field; then the scored pairs."""
    p = d["person"]
    con = Console(highlight=False, soft_wrap=True)
    con.print(" · ".join([f"{p['person_id']} {p['name'] or ''}", p["sex"] or "", p["id_number"] or _("无有效身份证号"),
                          f"{p['street'] or ''}{p['community'] or ''}", _("{n}条记录").format(n=p["records"])]), markup=False)
    t = RichTable("", *[f"#{r['record_id']}" for r in d["records"]])
    for key, label in EXPLAIN_FIELDS:
        t.add_row(_(label), *[_cell(r, key) for r in d["records"]])
    con.print(t)
    for pr in d["pairs"]:
        detail = _("，").join(f"{_(COMPARISON_LABELS.get(k, k))} {v:+.1f}" for k, v in pr["detail"].items())
        con.print(_("记录对 #{a}–#{b}：{status}，概率 {p:.4f}，匹配权重 {weight:.1f} = 先验 + {detail}").format(
            a=pr["record_a"], b=pr["record_b"], status=_(PAIR_STATUS_LABELS.get(pr["status"], pr["status"])), p=pr["probability"],
            weight=pr["match_weight"], detail=detail), markup=False)


# =============================================================================================== review
review_app = CensusTyper(help=N_("核查：疑似同一人的记录对和信息冲突的人员，交由工作人员判断。"), no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command(
    "export",
    help=N_("把一个年度中需要人工判断的记录对和冲突写成核查工作簿，按街道、社区排列，留一列供填写；"
            "人员类别冲突按所用的分类方案（--scheme）每人只列一次。"),
    epilog=N_("census review export -o 核查清单.xlsx\n"
              "census review export -o 核查清单.xlsx --round 2027 --scheme legacy6"))
def review_export(
    output: Annotated[Path, typer.Option("--output", "-o", metavar=N_("文件"), help=N_("要写出的工作簿（.xlsx）。"))],
    db: DbOpt = None,
    scheme: SchemeOpt = "current4",
    round_: RoundOpt = None,
    reveal: RevealOpt = False,
    reason: ReasonOpt = None,
) -> None:
    check_output(output)
    check_request(scheme, [])
    check_reveal(reveal, reason)
    with open_workspace(db, create=False) as ws:
        say_ran(ensure_current(ws))
        n_pairs, n_conflicts = export_review(ws, output, reveal, scheme, round_, reason=reason)
    say_wrote(output, _("疑似同一人{pairs}对，信息冲突{conflicts}项。").format(pairs=n_pairs, conflicts=n_conflicts))


@review_app.command(
    "apply",
    help=N_("读回填好的核查工作簿：每个回答都记为一项决定，以后每次重新关联都会遵守；"
            "填写的值不合规定的行被拒绝（在标准错误输出中指明，退出码1），其他行照常采用。"),
    epilog=N_("census review apply 核查清单.xlsx"))
def review_apply(file: Annotated[Path, typer.Argument(metavar=N_("文件"), help=N_("填好的核查工作簿"))], db: DbOpt = None,
                 fmt: format_option("table", "json") = "table") -> None:
    with open_workspace(db, create=False) as ws:
        r = apply_review(ws, file)
    for p in r.refused:
        err.print(p, markup=False)
    write(json_text(r.to_dict()) if fmt == "json" else r.summary(), None)
    if r.refused:
        raise typer.Exit(1)


@review_app.command("list", help=N_("列出核查中作出的决定。"),
                    epilog=N_("census review list --format json · census review list -o 核查结论.csv"))
def review_list(db: DbOpt = None, all_: Annotated[bool, typer.Option("--all", help=N_("包括已撤销的决定。"))] = False,
                fmt: format_option("csv", "json") = "csv", output: OutOpt = None, encoding: CsvEncodingOpt = None) -> None:
    csv_only(fmt, encoding)
    with open_workspace(db, create=False) as ws:
        df = list_decisions(ws, all_)
        log_access(ws, "export", "decisions", len(df))
    df = mask_frame(df, places=("source", "value"), keep=("kind", "field"))  # no ID here: dates may stay
    if fmt == "json":
        write(decisions_json(df), output)
    else:
        write_csv(frame_csv(df), output, encoding)


@review_app.command("undo", help=N_("撤销一项核查决定（下次关联不再遵守它）。"), epilog=N_("census review undo 3"))
def review_undo(decision: Annotated[int, typer.Argument(metavar=N_("决定编号"), help=N_("census review list 列出的决定编号"))],
                db: DbOpt = None) -> None:
    with open_workspace(db, create=False) as ws:
        undo_decision(ws, decision)
    err.print(_("核查结论{id}已撤销；之后的统计不再采用它，相应事项重新列入核查清单。").format(id=decision))

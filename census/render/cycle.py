"""The census cycle as people read it: the comparison of two rounds (`census diff`) and the 补查 list (`census
followup`) as tables (`Grid`s for the terminal, CSV and Markdown) and as workbooks a street office prints and fills in.
"""

from __future__ import annotations

from pathlib import Path

from ..i18n import _
from ..tables.diff import RoundDiff
from ..tables.dimensions import scheme_label
from ..tables.followup import Followup, group_label
from ..vocab import CHANGE_LABELS, CHANGES, REPRESENTATIVE_CHANGE_LABELS, TOTAL, UNKNOWN, URBAN_RURAL
from .rows import Grid
from .xlsx import Book, Sheet

NO_COMMUNITY = "（未确定社区）"


# ============================================================================================ diff
def diff_title(d: RoundDiff, district: str = "") -> str:
    return _("{district}新的社会阶层人士年度变化（{a}年—{b}年，{scheme}）").format(district=district, a=d.from_round,
                                                                          b=d.to_round, scheme=scheme_label(d.scheme))


def diff_counts_grid(d: RoundDiff) -> Grid:
    """The counts: each change, and the totals of both rounds (new − gone = the change of the total)."""
    rows: list[tuple[list, str]] = [([_(CHANGE_LABELS[c]), d.counts.get(c, 0)], "") for c in CHANGES]
    if d.totals:
        rows.append(([_("{r}年合计").format(r=d.from_round), d.totals.get(d.from_round, 0)], "subtotal"))
        rows.append(([_("{r}年合计").format(r=d.to_round), d.totals.get(d.to_round, 0)], "total"))
    rows += [([_(label), d.representative_counts.get(k, 0)], "") for k, label in REPRESENTATIVE_CHANGE_LABELS.items()]
    return Grid([_("变化"), _("人数")], rows, subtitle=_("（一）变化人数"))


def diff_persons_grid(d: RoundDiff) -> Grid:
    """One row per person who changed: what changed, who, where, from what to what."""
    header = [_("变化"), _("人员编号"), _("姓名"), _("身份证号"), _("街道"), _("社区（村）"), _("变化前"), _("变化后")]
    rows = [([_(CHANGE_LABELS[c.change]), c.person_id, c.name or "", c.id_number or "", c.street or UNKNOWN,
              c.community or UNKNOWN, c.from_value or "", c.to_value or ""], "") for c in d.persons]
    return Grid(header, rows, label_columns=len(header), subtitle=_("（二）变化人员名单"))


def diff_representatives_grid(d: RoundDiff) -> Grid:
    header = [_("变化"), _("人员编号"), _("姓名"), _("身份证号"), _("街道"), _("社区（村）"), _("原政治安排"), _("现政治安排")]
    rows = [([_(REPRESENTATIVE_CHANGE_LABELS[c.change]), c.person_id, c.name or "", c.id_number or "", c.street or UNKNOWN,
              c.community or UNKNOWN, c.from_value or "", c.to_value or ""], "") for c in d.representatives]
    return Grid(header, rows, label_columns=len(header), subtitle=_("（三）代表人士变化"))


def diff_note(d: RoundDiff) -> str:
    return _("人数按{a}年、{b}年各自计入合计的人员比较：新增、减少为进入或退出合计的人员（含转为或不再是非公有制经济人士者），"
             "类别变化为两年均计入合计但类别不同者，社区变动为类别相同而所属社区不同者；新增减去减少等于合计的变化。").format(
        a=d.from_round, b=d.to_round)


def write_diff_sheet(book: Book, name: str, d: RoundDiff, title: str) -> Sheet:
    """One sheet: the counts, the persons who changed and the representatives' changes."""
    s = book.sheet(name)
    s.title(title)
    s.line(diff_note(d))
    s.table(diff_counts_grid(d))
    s.table(diff_persons_grid(d))
    s.table(diff_representatives_grid(d))
    s.finish()
    return s


def write_diff_workbook(path: Path, d: RoundDiff, title: str) -> None:
    book = Book(Path(path))
    write_diff_sheet(book, _("年度变化"), d, title)
    book.close()


def diff_csv_rows(d: RoundDiff) -> list[dict]:
    """The persons who changed (then the representatives' changes) as rows for CSV."""
    out = []
    for c in [*d.persons, *d.representatives]:
        label = CHANGE_LABELS.get(c.change) or REPRESENTATIVE_CHANGE_LABELS[c.change]
        out.append({_("变化"): _(label), _("人员编号"): c.person_id, _("姓名"): c.name or "",
                    _("身份证号"): c.id_number or "", _("街道"): c.street or "", _("社区（村）"): c.community or "",
                    _("变化前"): c.from_value or "", _("变化后"): c.to_value or ""})
    return out


# ============================================================================================ follow-up
FOLLOWUP_ANSWER = "核实结果"


def followup_title(f: Followup, district: str = "") -> str:
    return _("{district}新的社会阶层人士补查名单（{r}年）").format(district=district, r=f.round)


def followup_persons_grid(f: Followup, fill: bool = True) -> Grid:
    """The persons to follow up; `fill` adds the columns the community fills in (核实结果, 备注)."""
    header = [_("街道"), _("社区（村）"), _("人员编号"), _("姓名"), _("性别"), _("身份证号"), _("联系电话"), _("工作单位"),
              _("现归类"), _("发现来源"), *([_(FOLLOWUP_ANSWER), _("备注")] if fill else [])]
    rows = [([p.street, p.community or _(NO_COMMUNITY), p.person_id, p.name or "", p.sex or "", p.id_number or "",
              p.phone or "", p.work_unit or "", p.category if p.group != "unresolved" else group_label(p.group),
              p.found_text(), *(["", ""] if fill else [])], "") for p in f.persons]
    rows.append(([TOTAL, _("{n}人").format(n=len(f.persons)), *[""] * (len(header) - 2)], "total"))
    return Grid(header, rows, label_columns=len(header), subtitle=_("（一）其他来源登记、社区台账未列入的人员"))


def followup_communities_grid(f: Followup) -> Grid:
    header = [_("街道"), _("社区（村）"), _("社区代码"), _("城乡分类"), _("新的社会阶层人士"), _("本街道中位数"), _("补查原因")]
    rows = [([c.street, c.community, c.code, f"{c.type}{URBAN_RURAL.get((c.type or '')[:1], '')}" if c.type else "",
              c.count, c.street_median, c.why], "") for c in f.communities]
    return Grid(header, rows, label_columns=4, subtitle=_("（二）登记人数为零或偏少的社区（村）"))


def followup_note() -> str:
    return _("请各社区（村）逐人核实：属本社区（村）的，在“核实结果”栏填写“增补”并补入台账；不属本社区（村）的填写“非本社区”，"
             "并注明所在社区；不属于统计范围的填写“不属于”。")


def write_followup_workbook(path: Path, f: Followup, title: str) -> None:
    """The 补查 workbook: the persons to follow up by street and community, with a column to fill in, then the
    communities whose ledgers found none or too few."""
    book = Book(Path(path))
    s = book.sheet(_("补查名单"))
    s.title(title)
    s.line(followup_note())
    grid = followup_persons_grid(f)
    grid.input_columns = frozenset({10, 11})
    persons = s.table(grid)
    s.table(followup_communities_grid(f))
    s.finish()
    if f.persons:
        placed = s.placed(persons)
        s.sh.data_validation(placed.first_row, 10, placed.last_row, 10, {
            "validate": "list", "source": [_("增补"), _("非本社区"), _("不属于")], "error_type": "information"})
        s.sh.autofilter(placed.header_row, 0, placed.last_row, placed.columns - 1)
    book.close()


def followup_csv_rows(f: Followup) -> list[dict]:
    return [{_("街道"): p.street, _("社区（村）"): p.community or "", _("人员编号"): p.person_id, _("姓名"): p.name or "",
             _("性别"): p.sex or "", _("身份证号"): p.id_number or "", _("联系电话"): p.phone or "",
             _("工作单位"): p.work_unit or "",
             _("现归类"): p.category if p.group != "unresolved" else group_label(p.group),
             _("发现来源"): p.found_text()} for p in f.persons]

"""The summary of `census merge`, in Chinese: one table of the districts merged (files, records, persons, whether
an earlier version was replaced), the persons two districts share, and a closing line."""

from __future__ import annotations

from rich.table import Table as RichTable

from ..i18n import _
from ..tables.merge import MergeSummary


def merge_table(summary: MergeSummary) -> RichTable:
    """The districts merged in this run: code, name, files, records, quarantined rows, review decisions, persons."""
    t = RichTable(_("区县代码"), _("区县"), _("文件"), _("记录"), _("隔离"), _("核查结论"), _("人员"), _("合并方式"),
                  title=_("{name}：合并的区县工作区").format(name=summary.name), show_edge=False)
    for c in t.columns[2:7]:
        c.justify = "right"
    for d in summary.districts:
        how = _("替换原有数据（沿用人员编号{n}条）").format(n=d.carried) if d.replaced else _("新加入")
        t.add_row(d.code, d.name, str(d.files), str(d.records), str(d.quarantined), str(d.decisions), str(d.persons), how)
    return t


def shared_lines(summary: MergeSummary) -> list[str]:
    """The persons two districts share, a line per pair of districts, then the summary line."""
    lines = [_("{a}与{b}共有人员{n}人（两区都有记录，按一人计，计入其所在街道的区县）。").format(a=p.a, b=p.b, n=p.persons)
             for p in summary.shared]
    if not summary.shared and summary.all_districts > 1:
        lines.append(_("各区县之间没有共有的人员。"))
    return [*lines, summary.summary()]

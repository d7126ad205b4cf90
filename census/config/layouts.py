"""Report layouts (`schemas/reports/default.yaml`, or a district's copy given with `--layout`): which sheets the
report workbook has, in which order, with their kinds, dimensions, titles and charts. Checked before any work
is done; a problem names the key path."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ..i18n import _, listing
from ..vocab import DIMENSIONS
from .yaml import Model, Text, keyed, read_yaml, schemas_dir, validate

KINDS = ("narrative", "tally", "crosstab", "structure", "representatives", "quality", "coverage", "changes")
PUBLISHED = ("tally", "crosstab", "structure", "representatives")  # the kinds `suppress` applies to
PLACEHOLDERS = ("district", "year", "scheme")
DEFAULT_BY = {"tally": ["category"], "structure": ["sex", "age_band", "education", "political_status", "party"],
              "representatives": ["category", "street"]}
DEFAULT_TITLES = {  # tally and crosstab titles are built from their dimensions (`_default_title`)
    "structure": "{district}{scheme}结构统计表", "representatives": "{district}{scheme}代表人士统计表",
    "quality": "{district}数据质量报告", "coverage": "{district}各社区（村）普查覆盖情况",
    "changes": "{district}新的社会阶层人士年度变化（{year}年与上一年度比较）",
}
_BAD_SHEET_CHARS = set("[]:*?/\\")


class ChartDef(Model):
    type: Literal["stacked_column", "column", "bar", "pie"]
    by: Text | None = None
    title: Text | None = None


class SheetDef(Model):
    name: Text
    kind: Literal[KINDS]
    title: Text | None = None
    by: list[Text] | None = None
    rows: Text | None = None
    cols: Text | None = None
    chart: ChartDef | None = None

    @model_validator(mode="after")
    def _check(self) -> SheetDef:
        if not self.name.strip() or len(self.name) > 31 or set(self.name) & _BAD_SHEET_CHARS:
            raise keyed(("name",), _("工作表名须为1至31个字符，且不能含有 [ ] : * ? / \\"))
        if self.title is not None:
            _check_template(self.title, ("title",))
        if self.by is not None:
            if self.kind not in DEFAULT_BY:
                raise keyed(("by",), _("{kind} 工作表不能有 by").format(kind=self.kind))
            if not self.by:
                raise keyed(("by",), _("至少要给出一个维度"))
            for i, d in enumerate(self.by):
                if d not in DIMENSIONS:
                    raise keyed(("by", i), _("“{value}”不是维度；只能是 {dimensions} 之一").format(value=d, dimensions=listing(DIMENSIONS)))
            if len(set(self.by)) != len(self.by):
                raise keyed(("by",), _("每个维度只能出现一次"))
        if self.kind == "crosstab":
            for key in ("rows", "cols"):
                value = getattr(self, key)
                if value is None:
                    raise keyed((key,), _("交叉表需要 rows 和 cols"))
                if value not in DIMENSIONS:
                    raise keyed((key,), _("“{value}”不是维度；只能是 {dimensions} 之一").format(value=value, dimensions=listing(DIMENSIONS)))
            if self.rows == self.cols:
                raise keyed(("cols",), _("rows 和 cols 必须是不同的维度"))
        elif self.rows is not None or self.cols is not None:
            raise keyed(("rows" if self.rows is not None else "cols",), _("只有 crosstab 工作表才有 rows 和 cols"))
        if self.chart is not None:
            self._check_chart()
        return self

    def _check_chart(self) -> None:
        chart = self.chart
        allowed = {"crosstab": ("stacked_column", "column", "bar"), "structure": ("column", "bar", "pie"),
                   "tally": ("column", "bar", "pie")}.get(self.kind)
        if allowed is None:
            raise keyed(("chart",), _("{kind} 工作表不能有图表；图表只能放在 tally、crosstab 和 structure 工作表上").format(kind=self.kind))
        if chart.type not in allowed:
            raise keyed(("chart", "type"), _("{kind} 工作表的图表类型只能是 {types}").format(kind=self.kind, types=listing(allowed)))
        if self.kind == "tally" and len(self.by or DEFAULT_BY["tally"]) != 1:
            raise keyed(("chart",), _("图表只能画按一个维度统计的表"))
        if self.kind == "crosstab" and self.rows == "community":
            raise keyed(("chart",), _("社区表太长，不宜作图；请给街道表作图"))
        if self.kind == "structure":
            dims = self.by or DEFAULT_BY["structure"]
            if chart.by is None or chart.by not in dims:
                raise keyed(("chart", "by"), _("请说明画哪张表：{dimensions} 之一").format(dimensions=listing(dims)))
        elif chart.by is not None:
            raise keyed(("chart", "by"), _("只有 structure 工作表的图表才有 by"))
        if chart.title is not None:
            _check_template(chart.title, ("chart", "title"))


class LayoutFile(Model):
    version: int = 1
    title: Text = "{district}新的社会阶层人士统计报告（{year}年）"
    sheets: list[SheetDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LayoutFile:
        _check_template(self.title, ("title",))
        seen: dict[str, int] = {}
        for i, s in enumerate(self.sheets):
            key = s.name.casefold()
            if key in seen:
                raise keyed(("sheets", i, "name"), _("“{name}”已是第{index}个工作表的名称").format(name=s.name, index=seen[key]))
            seen[key] = i
        return self


def _check_template(text: str, path: tuple) -> None:
    try:
        names = [f for _text, f, _spec, _conv in string.Formatter().parse(text) if f is not None]
    except ValueError as e:
        raise keyed(path, _("“{text}”不是有效的标题（{reason}）；花括号只能括住 {{district}}、{{year}} 或 {{scheme}}").format(
            text=text, reason=e)) from None
    for name in names:
        if name not in PLACEHOLDERS:
            raise keyed(path, _("不认识占位符 {{{name}}}；只能用 {{district}}、{{year}} 或 {{scheme}}").format(name=name))


def validate_layout(data: Any, source: str) -> LayoutFile:
    """Validate a report layout (the YAML mapping with top-level `sheets`); one SchemaError naming the key path."""
    return validate(LayoutFile, data, source)


def default_layout_path() -> Path:
    return schemas_dir() / "reports" / "default.yaml"


def load_layout(path: Path | str | None = None) -> LayoutFile:
    """The layout at `path`, or the packaged default; validated."""
    path = Path(path) if path is not None else default_layout_path()
    return validate_layout(read_yaml(path), str(path))


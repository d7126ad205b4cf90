"""一人一表 registration forms (登记表, 信息采集表): one person per sheet (or per file, or several forms one under
the other), label cells beside value cells — 姓名 | 张三 | 性别 | 男 | 出生年月 | 1980.05 / 工作单位及职务 | … /
人员类别 | … — with sub-tables such as 政治安排 and 工作经历.

A sheet is a form when its first rows hold field labels (exact synonyms of `fields.yaml`) each followed by a value
cell, on three rows or more, naming four fields or more, the name or the ID among them: a header row has its
labels side by side, a form has a value after each. Each form is read into one record: the labels' fields, the
other labels (籍贯, 照片 …) and the sub-tables (the rows under a title of `sections` in `fields.yaml`, joined as
written) as raw cells. The record's place is the form's first row (the row of its first label); its other rows
are non-data of kind `FORM_ROW`, its title and 填报单位 lines `TITLE`/`CONTEXT` (which may name its community).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import FieldMatcher
from ..text import arrow_strings, halfwidth
from ..vocab import BLANK, CONTEXT, DATA, FORM_ROW, NOTE, SIGNATURE, TITLE, TOTAL_ROW
from .layout import Column, Layout, parse_context, row_kind
from .readers import Table

SCAN_ROWS = 40  # the rows a form is recognised from
MIN_FORM_ROWS = 3  # rows holding a field label followed by its value
MIN_FORM_FIELDS = 4
OTHER = "表内其他内容"  # the raw key of text inside a form that is neither a label, a value nor a sub-table

_INLINE = re.compile(r"([^\s:：]{1,12})\s*[:：]\s*(.*?)(?=\s+[^\s:：]{1,12}\s*[:：]|$)")
_UNIT_AND_POSITION = re.compile(r"职务|职位|职称|岗位")
_SEPARATORS = re.compile(r"[\s、，,/／;；]+")
_COMPANY = re.compile(r"^(.+(?:有限责任公司|股份有限公司|有限公司|公司|事务所|集团|研究院|中心|协会|商会|基金会|工作室))(.{1,12})$")
_SHOP = re.compile(r"^(.+?(?:店|馆|厂|部|社|所|院|行))(.{1,12})$")
_STRING = pd.StringDtype("pyarrow")


@dataclass
class _Token:
    col: int
    text: str


@dataclass
class _Pair:
    label: str  # as written
    field: str | None  # the field an exact label names
    value: str
    col: int | None  # the column of the value cell


@dataclass
class Form:
    """One filled-in form: `row` is the table row of its first label; `values`, `headers` and `fields` are by key
    (a field name, or a label as written); `cells` the (row, column) of each value cell."""

    row: int
    values: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str | None] = field(default_factory=dict)
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)
    section: str | None = None  # the sub-table being read

    def put(self, key: str, value: str, header: str, fld: str | None, cell: tuple[int, int] | None = None) -> None:
        if fld == "phone" and "phone" in self.values and value:  # a second number: both kept, as "138…/139…"
            self.values["phone"] = f"{self.values['phone']}/{value}" if self.values["phone"] else value
            return
        if fld is not None and key in self.values:  # the field again (a second 电话 …): kept under its label
            key, fld = header, None
        base, k = key, 2
        while fld is None and key in self.values and key != self.section and key != OTHER:
            key, k = f"{base}_{k}", k + 1
        if key in self.values and (key == self.section or key == OTHER):
            self.values[key] = "；".join(v for v in (self.values[key], value) if v)
            return
        self.values[key], self.headers[key], self.fields[key] = value, header, fld
        if cell is not None:
            self.cells[key] = cell


@dataclass
class Forms:
    """The forms of a sheet: the records, and the kind of every row of the sheet."""

    forms: list[Form]
    kinds: np.ndarray
    titles: list[str]  # the lines above the first form


def _label(text: str, matcher: FieldMatcher) -> str | None:
    f, q = matcher.match(text)
    return f if q >= 1.0 else None


def _is_label(text: str, matcher: FieldMatcher) -> bool:
    return _label(text, matcher) is not None or matcher.is_section(text)


def _pairs(tokens: list[_Token], matcher: FieldMatcher) -> tuple[list[_Pair], int, int]:
    """A row's cells as (label, value) pairs, left to right: a label takes the next cell as its value unless that
    is a label too; a cell "姓名：张三" is a pair by itself. Also: how many field labels, how many with a value."""
    out: list[_Pair] = []
    labels = paired = 0
    i = 0
    while i < len(tokens):
        t = tokens[i]
        f = _label(t.text, matcher)
        if f is None and ("：" in t.text or ":" in t.text):
            inline = [(k, v.strip()) for k, v in _INLINE.findall(halfwidth(t.text).replace(":", "：").replace("：", "："))]
            known = [(k, v) for k, v in inline if _label(k, matcher)]
            if known:
                for k, v in inline:
                    fk = _label(k, matcher)
                    out.append(_Pair(k, fk, v, t.col))
                    labels += fk is not None
                    paired += fk is not None and bool(v)
                i += 1
                continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        takes = nxt is not None and not _is_label(nxt.text, matcher)
        out.append(_Pair(t.text, f, nxt.text if takes else "", nxt.col if takes else None))
        if f is not None:
            labels += 1
            paired += takes
        i += 2 if takes else 1
    return out, labels, paired


def _tokens(cells: pd.DataFrame, rows: range | None = None) -> list[list[_Token]]:
    """The non-empty cells of each row (of `rows`, else all), stripped."""
    part = cells if rows is None else cells.iloc[rows.start:rows.stop]
    columns = [arrow_strings(part[c]).to_pylist() for c in part.columns]
    out = []
    for values in zip(*columns, strict=True) if columns else [() for _ in range(len(part))]:
        out.append([_Token(j, v.strip()) for j, v in enumerate(values) if v is not None and v.strip()])
    return out


def looks_like_forms(cells: pd.DataFrame, matcher: FieldMatcher) -> bool:
    """Whether a sheet's first rows are a form's: field labels followed by their values on `MIN_FORM_ROWS` rows
    or more, `MIN_FORM_FIELDS` fields or more among the labels, the name or the ID one of them."""
    rows = 0
    fields: set[str] = set()
    for tokens in _tokens(cells, range(0, min(SCAN_ROWS, len(cells)))):
        if len(tokens) < 2 and not any("：" in t.text or ":" in t.text for t in tokens):
            continue
        pairs, _, paired = _pairs(tokens, matcher)
        if paired:
            rows += 1
            fields.update(p.field for p in pairs if p.field)
    return rows >= MIN_FORM_ROWS and len(fields) >= MIN_FORM_FIELDS and bool(fields & {"name", "id_number"})


def read_forms(cells: pd.DataFrame, matcher: FieldMatcher) -> Forms:
    """Every form of a sheet (see the module), and the kind of each of its rows."""
    rows = _tokens(cells)
    kinds = np.full(len(rows), BLANK, dtype=object)
    forms: list[Form] = []
    current: Form | None = None
    pending: list[int] = []  # single lines not yet placed: the next form's title, or text of the current one
    context: dict[str, str] = {}  # a 填报单位 line for the next form
    titles: list[str] = []
    left = min((t.col for r in rows for t in r), default=0)

    def start(i: int) -> Form:
        form = Form(i, context=dict(context))
        for j in pending:
            kinds[j] = TITLE
            form.titles.append(" ".join(t.text for t in rows[j]))
        if not forms:
            titles.extend(form.titles)
        pending.clear()
        context.clear()
        forms.append(form)
        kinds[i] = DATA
        return form

    def place_pending() -> None:  # lines inside a form that are neither labels nor a sub-table
        for j in pending:
            kinds[j] = FORM_ROW
            current.put(OTHER, " ".join(t.text for t in rows[j]), OTHER, None)
        pending.clear()

    for i, tokens in enumerate(rows):
        if not tokens:
            if current is not None:  # a blank row ends a sub-table
                current.section = None
            continue
        texts = tuple(t.text for t in tokens)
        line = "  ".join(texts)
        ctx = parse_context(line, matcher) if len(tokens) == 1 and ("：" in line or ":" in line) else {}
        if ctx and (current is None or not _pairs(tokens, matcher)[2]):  # (inside a form, "工作单位：…" is its own)
            kinds[i] = CONTEXT  # "填报单位：虹苑社区　填报日期：…": for the form below
            context.update(ctx)
            continue
        kind = row_kind(texts)
        if kind in (SIGNATURE, NOTE, TOTAL_ROW):
            kinds[i] = kind
            if current is not None:
                current.section = None
            continue
        if matcher.is_section(tokens[0].text) and current is not None:  # a sub-table starts: 政治安排 | 人大代表 | 区级
            place_pending()
            kinds[i] = FORM_ROW
            current.section = tokens[0].text
            current.put(current.section, " ".join(t.text for t in tokens[1:]), current.section, None)
            continue
        pairs, labels, paired = _pairs(tokens, matcher)
        in_section = current is not None and current.section is not None and tokens[0].col > left
        if current is not None and labels == len(pairs) and not paired and not in_section:
            place_pending()
            kinds[i] = FORM_ROW  # labels left blank ("人员类别 | "): nothing to read
            current.section = None
            continue
        if paired and 2 * paired >= labels and not in_section:
            # a name (or ID) the form at hand already has: the next form begins
            again = current is not None and any(p.field in ("name", "id_number") and p.value and p.field in current.values
                                                for p in pairs)
            if current is None or again:
                current = start(i)
            else:
                place_pending()
                kinds[i] = FORM_ROW
            current.section = None
            _read_pairs(current, pairs, i)
            continue
        if current is not None and current.section is not None and (in_section or not paired):
            place_pending()
            kinds[i] = FORM_ROW  # a row of the sub-table
            current.put(current.section, " ".join(texts), current.section, None)
            continue
        if len(tokens) == 1 or current is None:
            pending.append(i)
            continue
        place_pending()  # a row of several cells, no label with a value: kept under its first cell
        kinds[i] = FORM_ROW
        current.section = None
        current.put(tokens[0].text, " ".join(texts[1:]), tokens[0].text, None)
    for j in pending:  # lines after the last form
        kinds[j] = NOTE if forms else TITLE
    if not forms:
        titles.extend(" ".join(t.text for t in rows[j]) for j in pending)
    return Forms(forms, kinds, titles)


def _read_pairs(form: Form, pairs: list[_Pair], row: int) -> None:
    for p in pairs:
        if p.field in ("work_unit",) and _UNIT_AND_POSITION.search(p.label) and p.value:
            unit, position = split_unit_position(p.value)
            form.put("work_unit", unit, p.label, "work_unit", (row, p.col) if p.col is not None else None)
            if position and "position" not in form.values:
                form.put("position", position, "职务", "position")
            continue
        key = p.field or p.label
        form.put(key, p.value, p.label, p.field, (row, p.col) if p.col is not None else None)


def split_unit_position(value: str) -> tuple[str, str | None]:
    """"南京云帆科技有限公司 总经理" (a 工作单位及职务 cell) → the unit and the position; a value without a position
    is the unit alone."""
    value = value.strip()
    parts = [p for p in _SEPARATORS.split(value) if p]
    if len(parts) >= 2:
        return " ".join(parts[:-1]), parts[-1]
    for pattern in (_COMPANY, _SHOP):
        m = pattern.match(value)
        if m:
            return m.group(1), m.group(2)
    return value, None


def forms_table(table: Table, found: Forms) -> tuple[Table, Layout]:
    """The forms as a table of one row per form (columns: every key, fields first as the forms hold them), and
    its layout: every row data, each form's own title or 填报单位 line as its context."""
    keys: dict[str, tuple[str, str | None]] = {}
    for f in found.forms:
        for k in f.values:
            keys.setdefault(k, (f.headers[k], f.fields[k]))
    order = list(keys)
    n = len(found.forms)
    data = {j: pd.array([f.values.get(k) or None for f in found.forms], dtype=_STRING) for j, k in enumerate(order)}
    cells = pd.DataFrame(data, index=range(n)) if order else pd.DataFrame(index=range(n))
    rows = table.rows[[f.row for f in found.forms]] if n else np.zeros(0, dtype=np.int64)

    def lossy(j: int) -> np.ndarray:  # an ID typed into a numeric cell, where each form holds it
        key = order[j]
        mask = np.zeros(n, dtype=bool)
        for k, f in enumerate(found.forms):
            if key in f.cells:
                r, c = f.cells[key]
                mask[k] = bool(table.lossy(c)[r])
        return mask

    sub = Table(table.sheet, cells, np.asarray(rows, dtype=np.int64), [""] * len(order), lossy_numbers=lossy)
    columns = [Column(j, "", keys[k][0], keys[k][1], 1.0 if keys[k][1] else 0.0) for j, k in enumerate(order)]
    lay = Layout([-1], columns, 0.0, titles=list(found.titles))
    lay.kinds = np.full(n, DATA, dtype=object)
    for k, f in enumerate(found.forms):
        ctx = dict(f.context)
        if f.titles and k and "reporting_unit" not in ctx:
            ctx["reporting_unit"] = " ".join(f.titles)
        if ctx:
            lay.row_context[k] = ctx
    if found.forms:
        lay.context = dict(found.forms[0].context)
    return sub, lay

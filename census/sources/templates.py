"""Filled-in templates: a ledger made from a template keeps the template's hint row under the header ("（必填）",
"填写说明：…", "格式：YYYY-MM-DD") and its example rows (序号 "例"/"示例"/"样例", or the textbook 张三/李四 with a
made-up ID). Neither is a person: they are the non-data kinds `HINT` and `EXAMPLE`. Only the first rows under a
header are looked at (a template's hints and examples stand there), so a ledger's own rows cost nothing.

Also here: whether a row holds a person's data at all (an ID number, or a mobile number among other cells), which
tells a data row above a header, or a sheet of data without a header, from a title or an instructions sheet.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..text import halfwidth, squeeze
from ..vocab import BLANK, DATA, EXAMPLE, HINT
from .values import normalize_id

TEMPLATE_ROWS = 6  # non-blank rows under the header looked at for hints and examples

# a cell of a hint row: "（必填）", "选填", "填写说明：…", "格式：YYYY-MM-DD", "请填写…", "18位", "下拉选择" …
_HINT = re.compile(
    r"^[(\[【<]?(必填|选填|非必填|可选|必选|必填项|选填项|可不填)[)\]】>]?$|填写说明|填表说明|填写要求|填写规范|格式\s*[:：]"
    r"|^请(填写|填入|输入|选择|如实)|下拉|^如\s*[:：]|^例如|[yY]{4}|[mM]{2}[-/.]?[dD]{2}|年\s*-?\s*月\s*-?\s*日$|^[xX×]{3,}$"
    r"|^(单选|多选|可多选)|按.{1,10}填写|填写.{0,6}(全称|格式|规范|名称)|^\d{1,2}位(数字|号码)?$|^\d{1,2}位")
# the mark of an example row in its sequence (or first) cell: 例, 示例, 样例, 范例, 举例, 例1, （示例）, 例：
_EXAMPLE_MARK = re.compile(r"^[(\[【]?(填写|填表)?(示例|样例|范例|举例|例子|例)[0-9一二三]?[)\]】]?[:：.]?$")
_EXAMPLE_LEAD = re.compile(r"^(填写|填表)?(示例|样例|范例|举例|例)[:：]")
# the names textbooks and templates use
TEXTBOOK_NAMES = frozenset({"张三", "李四", "王五", "赵六", "张某", "李某", "王某", "张某某", "李某某", "王某某", "某某", "某某某",
                            "xxx", "×××"})
_SAMPLE_IDS = frozenset({"11010519491231002X", "110105194912310029", "110101199001011234", "123456789012345678"})
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{15}(?:[0-9]{2}[0-9Xx])?(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def _plain(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    return squeeze(halfwidth(str(v)))


def holds_person_data(cells: list[str]) -> bool:
    """Whether a row's cells hold a person's data: a cell that is an ID number, or a mobile number among three or
    more cells none of which is a "key：value" line (a contact line of a title block)."""
    texts = [t for t in (_plain(c) for c in cells) if t]
    if any(_ID_LIKE.fullmatch(t) for t in texts):
        return True
    return len(texts) >= 3 and any(_MOBILE.search(t) for t in texts) and not any(":" in t for t in texts)


def is_hint_row(texts: list[str]) -> bool:
    """A template's hint row: at least half of its cells (and one) are hints, and none is an ID or a mobile."""
    cells = [t for t in texts if t]
    if not cells or any(_ID_LIKE.search(t) or _MOBILE.search(t) for t in cells):
        return False
    hits = sum(bool(_HINT.search(t)) for t in cells)
    return hits >= 1 and 2 * hits >= len(cells)


def made_up_id(text: str) -> bool:
    """An ID no person has: not a valid GB 11643 number, a placeholder (3201141980XXXXXXXX), six equal digits
    in a row, a run of 123456789, or a sample from a standard."""
    t = text.upper()
    if not t or t in _SAMPLE_IDS or re.search(r"(\d)\1{5}", t) or "123456789" in t or re.search(r"[0-9]X{2,}", t):
        return True
    return not normalize_id(t).valid


def is_example_row(texts: list[str], columns: dict[str, int]) -> bool:
    """A template's example row: marked 例/示例/样例 in its sequence cell or its first cell, or a name from the
    textbooks (张三, 李四 …) with a made-up ID (a 张三 without an ID may be a person: kept)."""
    first = next((t for t in texts if t), "")
    seq = texts[columns["seq"]] if "seq" in columns else ""
    if any(_EXAMPLE_MARK.match(t) for t in (first, seq) if t) or _EXAMPLE_LEAD.match(first):
        return True
    name = texts[columns["name"]] if "name" in columns else ""
    if _EXAMPLE_LEAD.match(name):
        return True
    if name.lower() not in TEXTBOOK_NAMES:
        return False
    id_text = texts[columns["id_number"]] if "id_number" in columns else ""
    return bool(id_text) and made_up_id(id_text)


def template_rows(cells: pd.DataFrame, start: int, columns: dict[str, int], kinds: np.ndarray) -> None:
    """Mark the hint and example rows among the first non-blank rows from `start` (the row under the header):
    they are looked at in order, up to the first row that is neither. `columns`: the index of the seq, name and
    ID columns."""
    looked = 0
    for i in range(start, min(len(kinds), start + 3 * TEMPLATE_ROWS)):
        if kinds[i] == BLANK:
            continue
        if kinds[i] != DATA or looked >= TEMPLATE_ROWS:
            break
        looked += 1
        texts = [_plain(v) for v in cells.iloc[i]]
        if is_hint_row(texts):
            kinds[i] = HINT
        elif is_example_row(texts, columns):
            kinds[i] = EXAMPLE
        else:
            break

"""Political arrangements (政治安排) of representatives, as rosters write them → the labels of
`vocab.ARRANGEMENTS`.

A roster (代表人士名册) has columns such as 人大代表 (是 / 区级 / 区人大代表), 政协委员 (√ / 市政协常委), 级别 (区级,
the level of the 人大/政协 cells of its row), 安排情况 (free text: "区人大代表、市政协委员、区工商联执委"), 工商联职务
(执委), 新联会职务 (副会长), 特约人员 (特约监督员). `arrangements` reads one row's cells: a yes in a body's column is
that body, a word there is read with the body's name ("区级" in the 人大代表 column is 区人大代表), and free text
is split into parts, each naming a body with its level or post. A part that names no body is returned apart, for
the `arrangement.unknown` issue. Pure and total: any text in, never an exception.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..text import clean
from ..vocab import (
    ACFIC,
    ACFIC_POSTS,
    ARRANGEMENT_SEPARATOR,
    ARRANGEMENTS,
    CPPCC,
    NPC,
    NSCA,
    NSCA_POSTS,
    SPECIAL,
)

# the roster fields and the body a yes in their column means; `level` qualifies 人大代表 and 政协委员
ROSTER_FIELDS = ("npc", "cppcc", "arrangement", "level", "acfic", "nsca", "special")
_BODY_OF_FIELD = {"npc": NPC, "cppcc": CPPCC, "acfic": ACFIC, "nsca": NSCA, "special": SPECIAL}
_BODY_WORD = {NPC: "人大", CPPCC: "政协", ACFIC: "工商联", NSCA: "新联会", SPECIAL: "特约"}  # a text naming the body holds this

YES = {"是", "有", "√", "✓", "☑", "y", "yes", "1", "true", "是的", "担任"}
NO = {"否", "无", "没有", "不是", "非", "n", "no", "0", "false", "×", "/", "-", "--", "—", "暂无", "未安排"}
_SPLIT = re.compile(r"[、，,;；/|\s\u3000]+|及|和|兼")
_LEVELS = (("区", ("区", "县")), ("市", ("市",)), ("省", ("省", "自治区")), ("全国", ("全国", "国家")))
_ACFIC_WORDS = ("工商联", "总商会")
_NSCA_WORDS = ("新联会", "新的社会阶层人士联谊会", "新阶联", "联谊会")
_ACFIC_POST_WORDS = (("副主席", "副主席"), ("主席", "主席"), ("常务委员", "常委"), ("常委", "常委"), ("执行委员", "执委"),
                     ("执委", "执委"), ("会员", "会员"))
_NSCA_POST_WORDS = (("副会长", "副会长"), ("会长", "会长"), ("秘书长", "秘书长"), ("常务理事", "常务理事"), ("常务", "常务理事"),
                    ("理事", "理事"), ("会员", "会员"))
ORDER = {label: i for i, label in enumerate(ARRANGEMENTS)}


def level_of(text: str) -> str | None:
    """The level a text names: 区 (区, 县), 市, 省 or 全国; the most local one when it names several
    ("南京市雨花台区人大代表" is a district deputy)."""
    for level, words in _LEVELS:
        if any(w in text for w in words):
            return level
    return None


def _post(text: str, words: tuple[tuple[str, str], ...]) -> str | None:
    return next((post for word, post in words if word in text), None)


def _label(part: str, level: str | None) -> str | None:
    """The label one part of a text names, or None. `level` is the row's 级别 for a part naming none."""
    if "人大" in part:
        lvl = level_of(part.replace("人大", "")) or level
        return f"{lvl}{NPC}" if lvl else NPC
    if "政协" in part:
        lvl = level_of(part.replace("政协", "")) or level
        return f"{lvl}{CPPCC}" if lvl else CPPCC
    if any(w in part for w in _ACFIC_WORDS):
        post = _post(part, _ACFIC_POST_WORDS)
        return f"{ACFIC}{post}" if post in ACFIC_POSTS else ACFIC
    if any(w in part for w in _NSCA_WORDS):
        post = _post(part, _NSCA_POST_WORDS)
        return f"{NSCA}{post}" if post in NSCA_POSTS else NSCA
    if "特约" in part:
        return SPECIAL
    return None


def _parts(text: str) -> list[str]:
    """The parts of a cell, cleaned (half-width, simplified, no spaces), without empty and "no" parts."""
    parts = (clean(p) for p in _SPLIT.split(text or ""))
    return [p for p in parts if p and p not in NO]


def parse(text: str, level: str | None = None) -> tuple[list[str], list[str]]:
    """(labels, parts naming nothing) of a free text such as "区人大代表、市政协委员"; `level` is the row's 级别."""
    found: list[str] = []
    unknown: list[str] = []
    for part in _parts(text):
        label = _label(part, level)
        (unknown if label is None else found).append(label or part)
    return found, unknown


@lru_cache(maxsize=50_000)
def arrangements(cells: tuple[tuple[str, str | None], ...]) -> tuple[str | None, str | None]:
    """(labels joined by 、 in table order or None, the parts naming nothing joined by 、 or None) of one row's
    roster cells, given as (field, text) pairs of `ROSTER_FIELDS`. A part of a body's column is read with the
    body's name unless it names a body itself ("区级" in the 人大代表 column is 区人大代表, "是" there 人大代表)."""
    values = {f: t for f, t in cells if t}
    levels = [lvl for p in _parts(values.get("level", "")) if (lvl := level_of(p))]
    level = levels[0] if levels else None
    found: list[str] = []
    unknown: list[str] = []
    for f, text in values.items():
        if f == "level":
            continue
        body = _BODY_OF_FIELD.get(f)
        for part in _parts(text):
            if body is not None and (part in YES or part == clean(body)):
                part = body
            elif body is not None and _label(part, level) is None:
                part = f"{part}{body}"
            label = _label(part, level)
            (unknown if label is None else found).append(label or part)
    labels = sorted(set(found), key=lambda x: ORDER.get(x, len(ORDER)))
    return (ARRANGEMENT_SEPARATOR.join(labels) or None,
            ARRANGEMENT_SEPARATOR.join(dict.fromkeys(unknown)) or None)

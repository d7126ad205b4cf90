"""Chinese text helpers: width folding, traditional → simplified (OpenCC), pinyin (pypinyin), match keys.

Every function here is pure and total: it accepts any string (or None) and never raises.
The `*_many` variants convert a whole column in one call, which is what the ingest uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
# punctuation and symbols, ASCII and CJK; kept: letters, digits, CJK ideographs
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_BRACKETED = re.compile(r"[（(\[【<《][^）)\]】>》]*[）)\]】>》]")
_NUMBERING = re.compile(r"^\s*(?:[qQ]\s*)?\d+(?:\s*[-._．、:：)）]\s*\d*)*[\s._．、:：)）-]*")
_POLITE = re.compile(r"^(?:请问|请填写|请输入)?(?:您的|您|你的)")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str | None) -> str:
    """Traditional → simplified Chinese (OpenCC t2s); other text passes through unchanged."""
    if not text:
        return ""
    return _t2s().convert(text)


def simplified_many(texts: Sequence[str]) -> list[str]:
    """`simplified` for a column: one OpenCC call for the whole batch (newlines inside values are kept)."""
    if not texts:
        return []
    # U+0001 never occurs in ledger text and OpenCC leaves it alone: a safe record separator.
    joined = "\x01".join(t.replace("\x01", "") for t in texts)
    out = _t2s().convert(joined).split("\x01")
    if len(out) != len(texts):  # defensive: fall back to one call per value
        return [simplified(t) for t in texts]
    return out


def halfwidth(text: str | None) -> str:
    """Full-width letters, digits and punctuation → ASCII (NFKC), ideographic space → space."""
    if not text:
        return ""
    return unicodedata.normalize("NFKC", text)


def squeeze(text: str | None) -> str:
    """Remove every kind of whitespace (incl. U+3000 used to align two-character names)."""
    if not text:
        return ""
    return _WS.sub("", text)


def clean(text: str | None) -> str:
    """Half-width, simplified, lower-case, without whitespace; punctuation kept ("（中国）" → "(中国)")."""
    if not text:
        return ""
    return squeeze(simplified(halfwidth(text)).lower())


def fold(text: str | None) -> str:
    """The match key of a value: half-width, simplified, lower-case, without spaces and punctuation."""
    if not text:
        return ""
    return _PUNCT.sub("", simplified(halfwidth(text)).lower())


def header_key(text: str | None) -> str:
    """The match key of a column header: `fold` after removing question numbering ("Q1_", "1.", "1、"),
    a leading "您的", and bracketed notes ("（必填）", "(18位)")."""
    if not text:
        return ""
    t = halfwidth(str(text)).strip()
    t = _NUMBERING.sub("", t)
    t = _BRACKETED.sub("", t) or t
    key = fold(t)
    return _POLITE.sub("", key) or key


@lru_cache(maxsize=1)
def _pinyin_module():
    import pypinyin

    return pypinyin


def pinyin(text: str | None) -> str:
    """Toneless pinyin of a (simplified) name, syllables joined by spaces: "张伟" → "zhang wei".

    Surnames with a special reading (单 shan, 曾 zeng, 解 xie …) are read as surnames. Non-Chinese
    characters pass through lower-cased."""
    if not text:
        return ""
    p = _pinyin_module()
    syllables = p.lazy_pinyin(text, style=p.Style.NORMAL, errors=lambda s: [c.lower() for c in s])
    if syllables and text[0] in _SURNAME_READINGS:
        syllables[0] = _SURNAME_READINGS[text[0]]
    return " ".join(s for s in syllables if s.strip())


def pinyin_many(texts: Iterable[str]) -> list[str]:
    """`pinyin` for a column (values repeat a lot: each distinct value is converted once)."""
    cache: dict[str, str] = {}
    out = []
    for t in texts:
        v = cache.get(t)
        if v is None:
            v = cache[t] = pinyin(t)
        out.append(v)
    return out


# Characters whose reading as a surname differs from their common reading.
_SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "盖": "ge", "乐": "yue", "尉": "yu", "种": "chong", "繁": "po", "翟": "zhai", "缪": "miao",
    "覃": "qin", "召": "shao", "长": "chang", "宁": "ning", "沈": "shen", "厍": "she", "祭": "zhai",
}

"""Chinese text helpers: width folding, traditional → simplified (OpenCC), pinyin (pypinyin), match keys.

Every text function here is pure and total: it accepts any string (or None) and never raises.
The `*_many` variants convert a whole column in one call, which is what the ingest uses; `arrow_strings` and
`arrow_mask` carry columns to and from Arrow compute, with the RE2 character classes below.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import opencc
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# every kind of space, written out so Python (`_WS`) and Arrow's RE2 (`SPACES_RE2`) remove the same characters
_SPACE_CHARS = r"\t\n\x0b\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_WS = re.compile(f"[{_SPACE_CHARS}]+")
SPACE_CHARS_RE2 = ("\\t\\n\\x0b\\f\\r \\x{1c}-\\x{1f}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200b}\\x{2028}\\x{2029}"
                   "\\x{202f}\\x{205f}\\x{3000}\\x{feff}")
SPACES_RE2 = f"[{SPACE_CHARS_RE2}]+"
# what Python's str.split() / str.strip() / re's \s take for whitespace (without U+200B and U+FEFF): the
# characters (for pc.utf8_trim) and an RE2 character class of them
PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
PY_WHITESPACE_RE2 = "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE)
# text whose NFKC form is the same in every Unicode version (Python's `unicodedata` and Arrow's differ in
# version): ASCII, full-width forms, the ideographic space, 年月日, the separators of two phone numbers (、或和及)
# and the spaces above
STABLE_NFKC_RE2 = f"^[\\x{{0}}-\\x{{7f}}\\x{{3000}}\\x{{ff01}}-\\x{{ff5e}}年月日、或和及{SPACE_CHARS_RE2}]*$"


def newer_than_python(texts: Sequence[str]) -> np.ndarray:
    """Which texts hold a character Python's `unicodedata` has unassigned. Arrow's Unicode is newer, and a
    character assigned since may normalise (NFKC), case or count as a digit differently there; a normalised
    character never changes again, so text without one is treated alike by both. (An unassigned character is
    not printable, so printable text is done in one C call.)"""
    category = unicodedata.category
    return np.array([not t.isprintable() and any(category(c) == "Cn" for c in t) for t in texts], dtype=bool)


def halfwidth_lower_many(texts: Sequence[str]) -> list[str]:
    """`halfwidth(t).lower()` for many texts, with Arrow (NFKC, then lower case). Python alone lower-cases İ
    to two characters and a word-final Σ to ς, and characters newer than its Unicode may differ: texts whose
    NFKC form holds İ or Σ (I + U+0307 and 𝚺 become them), or that hold a newer character, go through Python."""
    arr = pa.array(texts, type=pa.string())
    nfkc = pc.utf8_normalize(arr, "NFKC")
    out = pc.utf8_lower(nfkc).to_pylist()
    odd = newer_than_python(texts) | arrow_mask(pc.match_substring_regex(nfkc, "[\\x{130}\\x{3a3}]"))
    for i in np.flatnonzero(odd):
        out[i] = halfwidth(texts[i]).lower()
    return out


# punctuation and symbols, ASCII and CJK; kept: letters, digits, CJK ideographs
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_BRACKETED = re.compile(r"[（(\[【<《][^）)\]】>》]*[）)\]】>》]")
_NUMBERING = re.compile(r"^\s*(?:[qQ]\s*)?\d+(?:\s*[-._．、:：)）]\s*\d*)*[\s._．、:：)）-]*")
_POLITE = re.compile(r"^(?:请问|请填写|请输入)?(?:您的|您|你的)")


def arrow_strings(column) -> pa.Array:
    """A column (pandas Series) as one Arrow string array, missing values null; values that are not text
    (numbers in an object column) are written out first."""
    if isinstance(column.array, pd.arrays.ArrowStringArray):  # Arrow already: its chunks, without pandas' checks
        chunks = column.array.__arrow_array__()
        arr = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()
        return arr if arr.type == pa.string() else arr.cast(pa.string())
    if not pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
        column = column.astype("string")
    arr = pa.array(column, type=pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def pandas_strings(values):
    """Text values — an object array of str and None, or an Arrow string array — as pandas' "string" array,
    converted by Arrow in one call (pd.array(..., dtype="string") first checks each value in Python)."""
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values, type=pa.large_string(), from_pandas=True)
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return pd.arrays.ArrowStringArray(arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr]))


def arrow_factorize(arr: pa.Array) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct values) of an Arrow string array; a missing value gets the code len(distinct)."""
    enc = pc.dictionary_encode(arr)
    uniques = enc.dictionary.to_pylist()
    return pc.fill_null(enc.indices, len(uniques)).to_numpy(zero_copy_only=False).astype(np.int64), uniques


def arrow_mask(arr: pa.Array) -> np.ndarray:
    """An Arrow boolean array as a NumPy mask, null as False."""
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


@lru_cache(maxsize=1)
def _t2s():
    return opencc.OpenCC("t2s")


def simplified(text: str | None) -> str:
    """Traditional → simplified Chinese (OpenCC t2s); other text passes through unchanged."""
    if not text:
        return ""
    if not _traditional_re().search(text):  # no character OpenCC may change (most text): as it is
        return text
    return _t2s().convert(text)


def simplified_many(texts: Sequence[str]) -> list[str]:
    """`simplified` for a column: only values holding a character OpenCC changes go to it, in one call for
    the batch (values holding the separator, which real text never does, are converted one by one)."""
    if not texts:
        return []
    sep = "\x01"  # OpenCC leaves control characters alone
    joined = sep.join(texts)
    hits = [m.start() for m in _traditional_re().finditer(joined)]  # one pass over the batch
    if not hits:
        return list(texts)
    starts = np.cumsum([0, *(len(t) + 1 for t in texts[:-1])])
    todo = sorted(set(np.searchsorted(starts, hits, side="right") - 1))
    out = list(texts)
    plain = [i for i in todo if sep not in texts[i]]
    if plain:
        converted = _t2s().convert(sep.join(texts[i] for i in plain)).split(sep)
        if len(converted) == len(plain):
            for i, v in zip(plain, converted, strict=True):
                out[i] = v
        else:  # defensive: one call per value
            for i in plain:
                out[i] = simplified(texts[i])
    for i in todo:
        if sep in texts[i]:
            out[i] = simplified(texts[i])
    return out


# where OpenCC's traditional → simplified tables have characters in the Basic Multilingual Plane: CJK radicals
# to the unified ideographs, and the compatibility ideographs (a test holds every character OpenCC changes to
# these ranges or to the supplementary planes, whose characters are all sent to OpenCC)
_CJK_RANGES = ((0x2E80, 0xA000), (0xF900, 0xFB00))
# characters OpenCC leaves alone on their own but changes in some of its phrases (深沈 → 深沉, 回覆 → 回复,
# 瞭解 → 了解); a test lists the phrase tables of the installed OpenCC and fails when one needs another
_CHANGED_IN_PHRASES = "哩坏沈甦瞭藉衹覆"


@lru_cache(maxsize=1)
def _traditional_re() -> re.Pattern:
    """A character class of the characters OpenCC t2s may change: those of the BMP it changes on their own,
    those it changes inside a phrase, and every supplementary character (few, and kept out of the class's
    BMP table, which `re` then checks in one step). Text holding none of them passes through OpenCC
    unchanged, so it is not sent there."""
    sep = "\x01"
    chars = [chr(c) for a, b in _CJK_RANGES for c in range(a, b)]
    converted = _t2s().convert(sep.join(chars)).split(sep)
    changed = "".join(re.escape(c) for c, v in zip(chars, converted, strict=True) if v != c)
    return re.compile(f"[{changed}{_CHANGED_IN_PHRASES}\U00010000-\U0010ffff]")


def has_cjk(text: str) -> bool:
    """Whether a text holds a CJK unified ideograph."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


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
    """pypinyin, without its phrase dictionary (names are read character by character, and loading it is most
    of the import: 0.25-0.37 s in every worker process, 0.05-0.08 s without it) and without a private copy of
    its character dictionary. Imported here, not at the top, because the settings must be in the environment
    before pypinyin is imported."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "true")
    import pypinyin

    return pypinyin


def pinyin(text: str | None) -> str:
    """Toneless pinyin of a (simplified) name, syllables joined by spaces: "张伟" → "zhang wei".

    Surnames with a special reading (单 shan, 曾 zeng, 解 xie …) are read as surnames. Non-Chinese
    characters pass through lower-cased."""
    return pinyin_many([text or ""])[0]


def pinyin_many(texts: Iterable[str]) -> list[str]:
    """`pinyin` for a column of names, character by character: each distinct character is read once (names
    have no phrases for pypinyin to use, and a district has a few thousand distinct characters), and each
    name is then one `str.translate` through the table of the characters' syllables."""
    texts = [t or "" for t in texts]
    table = _PINYIN_TABLE
    sep = "\x00"  # between the names in one translate call (a name holding it is read on its own)
    joined = sep.join(texts)
    chars = set(joined)
    chars.discard(sep)
    for ch in chars:
        if ord(ch) not in table:
            table[ord(ch)] = _table_entry(ch)
    if joined.count(sep) == len(texts) - 1:
        out = [r[:-1] for r in joined.translate(table).split(sep)] if texts else []
    else:  # the separator is kept out of the shared table
        table = {**table, ord(sep): _table_entry(sep)}
        out = [t.translate(table)[:-1] for t in texts]
    # every syllable kept ends in one space (cut above); "" stays "". A surname's own reading:
    for i in [i for i, t in enumerate(texts) if t[:1] in _SURNAME_READINGS]:
        out[i] = (_SURNAME_READINGS[texts[i][0]] + " " + texts[i][1:].translate(table))[:-1]
    return out


# each character seen (by code point): its syllable followed by one space ("" for one that reads as spaces)
_PINYIN_TABLE: dict[int, str] = {}


def _table_entry(ch: str) -> str:
    syllable = _char_pinyin(ch)
    return syllable + " " if syllable.strip() else ""  # a space-only reading is dropped


def _char_pinyin(ch: str) -> str:
    p = _pinyin_module()
    return "".join(p.lazy_pinyin(ch, style=p.Style.NORMAL, errors=lambda s: [c.lower() for c in s]))


# Characters whose reading as a surname differs from their common reading.
_SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "盖": "ge", "乐": "yue", "尉": "yu", "种": "chong", "繁": "po", "翟": "zhai", "缪": "miao",
    "覃": "qin", "召": "shao", "长": "chang", "宁": "ning", "沈": "shen", "厍": "she", "祭": "zhai",
}

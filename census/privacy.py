"""Personal data protection (PIPL: minimum necessary, de-identification).

ID numbers show their first 6 and last 4 characters (320114********123X), phones their first 3 and last 4
digits (138****5678), in every output unless the user passes `--reveal`. Raw cell text is masked too, keeping
its spaces and dashes so a clerk can still recognise the cell.
"""

from __future__ import annotations

import re

import pandas as pd

_NUMBER_RUN = re.compile(r"\d[\d\s\-]{5,}[\dXx]|\d{7,}[Xx]?")


def mask_id(value: str | None) -> str | None:
    """320114199001011234 → 320114********1234; shorter junk keeps its first and last character only."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return _mask_chars(str(value), 6, 4)


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678; each number in "138…/139…" is masked on its own."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return _NUMBER_RUN.sub(lambda m: _mask_chars(m.group(0), _phone_head(m.group(0)), 4), str(value))


def _phone_head(run: str) -> int:
    """Digits to keep in front: 3, plus a country code written before a mobile (86 / 0086)."""
    digits = re.sub(r"\D", "", run)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return 3 + len(prefix)
    return 3


def _mask_chars(text: str, head: int, tail: int) -> str:
    """Replace the digits (and a final X) of `text` except the first `head` and last `tail` with '*'."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit() or (ch in "Xx" and i == len(text.rstrip()) - 1)]
    n = len(positions)
    if n == 0:
        return text
    if n <= head + tail:
        keep = set(positions[:1]) | set(positions[-1:]) if n > 2 else set()
    else:
        keep = set(positions[:head]) | set(positions[n - tail:])
    chars = list(text)
    for i in positions:
        if i not in keep:
            chars[i] = "*"
    return "".join(chars)


def mask_column(values: pd.Series, kind: str) -> pd.Series:
    """Mask a column of IDs (`kind="id"`) or phones (`kind="phone"`), once per distinct value."""
    fn = mask_id if kind == "id" else mask_phone
    uniq = pd.unique(values.dropna())
    return values.map({u: fn(u) for u in uniq}).astype("object")

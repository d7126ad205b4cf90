"""What every reader makes of a file: tables of text cells, exactly as typed, with the row numbers a person sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Table:
    """One sheet (or a whole CSV / .sav file) as text.

    `cells` has string columns 0..k-1 (missing cells are NA); `rows` are the row numbers a person sees
    (Excel row, CSV line, .sav case); `letters` the spreadsheet column letters ("" when there are none);
    `header`/`labels` are given names for files that have them (.sav). `faults`: rows the reader could only
    partly read (a line of a text file that cannot be decoded or parsed), by position in `cells`, with the
    issue code that quarantines them."""

    sheet: str
    cells: pd.DataFrame
    rows: np.ndarray
    letters: list[str]
    header: list[str] | None = None
    labels: list[str] | None = None
    value_labels: dict[str, dict] = field(default_factory=dict)
    lossy_numbers: Callable[[int], np.ndarray] | None = None  # column → bool mask over rows
    faults: dict[int, str] = field(default_factory=dict)

    def lossy(self, column: int) -> np.ndarray:
        if self.lossy_numbers is None:
            return np.zeros(len(self.cells), dtype=bool)
        return self.lossy_numbers(column)


@dataclass
class SourceFile:
    path: Path
    format: str
    encoding: str | None
    tables: list[Table]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        s = chr(65 + r) + s
    return s


def letter_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def text_frame(rows: list[list[str]], width: int | None = None) -> pd.DataFrame:
    """Rows of cell texts (ragged) as a frame of string columns 0..width-1, blank cells missing."""
    width = max((len(r) for r in rows), default=0) if width is None else width
    if not rows or not width:
        return pd.DataFrame({i: pd.array([], dtype="string") for i in range(width)})
    columns = list(zip(*(r + [""] * (width - len(r)) for r in rows), strict=True))
    cells = pd.DataFrame({i: pd.array(col, dtype="string") for i, col in enumerate(columns)})
    return cells.mask(cells.apply(lambda s: s.str.strip() == ""))

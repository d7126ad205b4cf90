"""Small-cell protection for published tables.

A table is its leaf cells plus the sums it publishes (row and column totals, 小计 rows, the 合计). Primary
suppression hides every cell with 0 < count < N. Complementary suppression hides the fewest further cells so
that no hidden cell can be recovered by subtraction: a hidden cell is recoverable when its value follows from
the published sums and the cells still shown, i.e. when its unit vector lies in the row space of the sums
restricted to the hidden cells. That test is exact linear algebra (NumPy rank), so the guarantee holds for any
combination of margins, not only for single rows and columns.
"""

from __future__ import annotations

import numpy as np

from ..vocab import SECONDARY_MARK


def hidden_mark(count: int, threshold: int) -> str:
    """How a suppressed cell reads: "<N" for a small cell, "×" for a cell hidden only so that no small cell can be
    recovered by subtraction (writing "<N" there would misstate it)."""
    return f"<{threshold}" if 0 < count < threshold else SECONDARY_MARK


def primary(counts: list[int], threshold: int) -> set[int]:
    """Cells shown as "<N": counts from 1 to N-1 (an empty cell reveals nobody)."""
    return {i for i, c in enumerate(counts) if 0 < c < threshold}


def recoverable(hidden: set[int], sums: list[list[int]], n_cells: int) -> set[int]:
    """Hidden cells whose value follows from the published sums (each a list of cell indices)."""
    if not hidden:
        return set()
    cols = sorted(hidden)
    pos = {c: k for k, c in enumerate(cols)}
    rows = []
    for s in sums:
        members = [pos[c] for c in s if c in pos]
        if members:
            v = np.zeros(len(cols))
            v[members] = 1.0
            rows.append(v)
    if not rows:
        return set()
    a = np.vstack(rows)
    rank = np.linalg.matrix_rank(a)
    out = set()
    for c in cols:
        e = np.zeros(len(cols))
        e[pos[c]] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.add(c)
    return out


def complementary(counts: list[int], sums: list[list[int]], hidden: set[int]) -> set[int]:
    """Extend `hidden` until no hidden cell is recoverable, each time hiding the smallest shown cell that
    shares a published sum with a recoverable one (non-zero cells first: hiding a zero protects nobody)."""
    hidden = set(hidden)
    membership: dict[int, list[int]] = {}
    for k, s in enumerate(sums):
        for c in s:
            membership.setdefault(c, []).append(k)
    for _ in range(len(counts)):
        exposed = recoverable(hidden, sums, len(counts))
        if not exposed:
            return hidden
        target = min(exposed)
        candidates = {c for k in membership.get(target, []) for c in sums[k]} - hidden
        if not candidates:
            candidates = set(range(len(counts))) - hidden
        if not candidates:
            return hidden
        hidden.add(min(candidates, key=lambda c: (counts[c] == 0, counts[c], c)))
    return hidden

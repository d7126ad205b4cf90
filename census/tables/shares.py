"""Shares as offices print them: a percentage with one decimal, rounded half up as Excel's ROUND does (31.25 → 31.3),
and computed exactly from the counts (as fractions), never through binary floating point, where 5/16 is stored as
31.2499… and Python's round(31.25, 1) gives 31.2."""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Rational


def round_half_up(x: Rational | int, places: int = 1) -> float:
    """`x` rounded to `places` decimals, halves away from zero (as Excel rounds)."""
    scaled = Fraction(x) * 10**places
    n = math.floor(abs(scaled) + Fraction(1, 2))
    return float(Fraction(n if scaled >= 0 else -n, 10**places))


def percent(part: Rational | int, whole: Rational | int, places: int = 1) -> float | None:
    """100 × part / whole rounded half up to `places` decimals; None when `whole` is 0."""
    if not whole:
        return None
    return round_half_up(Fraction(part) * 100 / Fraction(whole), places)


__all__ = ["percent", "round_half_up"]

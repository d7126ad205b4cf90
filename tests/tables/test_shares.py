"""Shares round half up from the exact counts, as Excel's ROUND does (31.25 → 31.3, where Python's round gives
31.2), in every table: tally, crosstab and survey."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
import pyreadstat
from hypothesis import given
from hypothesis import strategies as st

from census.tables.shares import percent, round_half_up
from census.tables.survey import survey


def excel_round(part: int, whole: int) -> float:
    """What Excel shows for =ROUND(100*part/whole, 1), computed with integers only."""
    tenths = (2 * 1000 * part + whole) // (2 * whole)  # floor(1000·part/whole + ½)
    return tenths / 10


def test_halves_round_up():
    assert round(31.25, 1) == 31.2  # what binary floating point does
    assert percent(5, 16) == 31.3 and percent(1, 8) == 12.5 and percent(1, 2000) == 0.1
    assert percent(249, 2000) == 12.5 and percent(2673, 100000, 2) == 2.67 and percent(3, 0) is None
    assert round_half_up(Fraction(-1, 8), 2) == -0.13 and round_half_up(2, 1) == 2.0


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_percent_is_excel_round(part, whole):
    assert percent(part, whole) == excel_round(part, whole)
    exact = Decimal(part * 100) / Decimal(whole)
    assert percent(part, whole) == float(exact.quantize(Decimal("0.1"), ROUND_HALF_UP))


@given(st.fractions(min_value=0, max_value=10**6), st.integers(0, 3))
def test_round_half_up_is_within_half_a_unit_and_ties_go_up(x, places):
    r = Fraction(str(round_half_up(x, places)))
    unit = Fraction(1, 10**places)
    assert (r / unit).denominator == 1  # a whole number of units
    assert x - unit / 2 <= r < x + unit / 2 or r == x + unit / 2


def test_survey_shares_round_half_up(ws, tmp_path):
    """16 respondents, 5 of them 大学本科: 31.25% is printed 31.3, as Excel prints it."""
    from census import ingest

    answers = [5.0] * 5 + [4.0] * 11
    df = pd.DataFrame({"Q1_姓名": [f"答卷人{i}" for i in range(16)], "Q4_学历": answers})
    sav = tmp_path / "问卷.sav"
    pyreadstat.write_sav(df, str(sav), column_labels=["1.您的姓名", "4.您的最高学历"],
                         variable_value_labels={"Q4_学历": {4.0: "大学专科", 5.0: "大学本科"}})
    ingest(ws, [sav])
    t = survey(ws, ["学历"]).tables[0]
    assert t.cells["大学本科", "合计"]["percent"] == 31.3
    assert t.cells["大学专科", "合计"]["percent"] == 68.8  # 68.75

"""census.privacy: masking that holds (numbers inside free text, birth dates as the year, the SQL twin equal to the
Python), CSV cells that cannot run as formulas, files only their owner can read."""

from __future__ import annotations

import csv
import io
import os
import stat

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from census.privacy import (
    birth_text_sql,
    coarsen_dates,
    mask_birth_text,
    mask_column,
    mask_frame,
    mask_free_text,
    mask_id,
    mask_phone,
    mask_text,
    mask_tree,
    neutralise_cell,
    neutralise_frame,
    private_open,
    private_umask,
)

from .conftest import make_id

ID = make_id("19850312", "123")


# ---------------------------------------------------------------------------------------------- numbers in text
@pytest.mark.parametrize(("text", "masked"), [
    (f"身份证{ID}，电话13812345678", f"身份证{ID[:6]}********{ID[-4:]}，电话138****5678"),
    ("妻 138-1111-2222 / +86 139 2222 3333", "妻 138-****-2222 / +86 139 **** 3333"),
    ("3201 1419 8503 1212 3x", "3201 14** **** **12 3x"),
    ("８６１３８１２３４５６７８", "８６１３８****５６７８"),
    ("原号320114850312122；卡号6222020200112233445", "原号320114*****2122；卡号622202*********3445"),
    (f"ID{ID}号", f"ID{ID[:6]}********{ID[-4:]}号"),
])
def test_numbers_inside_free_text_are_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "P0000012", "320114001001", "合计：48人", "1 2 3 4 5 6 7 8 9 10 11 12 13", "025-86001234", "2026-10-15 08:00:00", "",
])
def test_codes_counts_and_short_numbers_are_not_masked(text):
    assert mask_text(text) == text


@given(st.text(alphabet="0123456789０１２３456789Xx -/年月日电话身份证号abc，", max_size=60))
@settings(max_examples=300)
def test_masked_text_holds_no_number_that_could_be_an_id_or_a_mobile(text):
    out = mask_text(text)
    assert len(out) == len(text)  # masking replaces characters, nothing else moves
    assert mask_text(out) == out  # and what is masked stays as it is
    runs = "".join(ch if ch.isdecimal() else " " for ch in out.replace("-", "").replace(" ", "")).split()
    assert not any(len(r) >= 15 for r in runs)


@given(st.text(max_size=40))
def test_maskers_never_raise_on_junk(text):
    for fn in (mask_text, coarsen_dates, mask_free_text, mask_birth_text):
        assert isinstance(fn(text), str)


def test_full_dates_in_free_text_keep_their_year():
    assert coarsen_dates("生于1985年3月12日，1985-03-12 00:00:00，19850312，1985.03") == \
        "生于1985年**月**日，1985-**-** 00:00:00，1985****，1985.03"
    assert mask_free_text(f"{ID} 1985/3/12") == f"{ID[:6]}********{ID[-4:]} 1985/**/**"


@pytest.mark.parametrize(("typed", "shown"), [
    ("1998年7月3日", "1998年*月*日"), ("19850312", "1985****"), ("1985-03-12 / 1985-03-21", "1985-**-** / 1985-**-**"),
    ("85.3.12", "**.*.**"), ("31118", "*****"), ("１９８５年３月", "****年*月"), ("1985.03", "1985.**"),
])
def test_a_birth_date_as_typed_keeps_its_year(typed, shown):
    assert mask_birth_text(typed) == shown


@given(st.text(alphabet="0123456789０１９-/.年月日 x", max_size=30))
@settings(max_examples=200)
def test_the_sql_birth_text_is_the_python_one(text):
    con = duckdb.connect()
    assert con.execute(f"SELECT {birth_text_sql('?')}", [text]).fetchall()[0][0] == mask_birth_text(text)


@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789０１９Xx -/.年月日号电话身份证 +86", max_size=40),
                          st.from_regex(r"\A1[3-9][0-9]{9}\Z"), st.from_regex(r"\A[0-9]{17}[0-9X]\Z")), max_size=30))
@settings(max_examples=300)
def test_a_column_is_masked_as_each_value_alone(values):
    """Arrow does the plain cases of a column at once: the result is what the Python masker gives value by value."""
    fns = {"id": mask_id, "phone": mask_phone, "text": mask_text, "free": mask_free_text, "birth": mask_birth_text}
    for kind, fn in fns.items():
        for series in (pd.Series(values, dtype=object), pd.Series(values, dtype="str")):
            assert mask_column(series, kind).tolist() == [None if v is None else fn(v) for v in values], kind


def test_mask_frame_masks_each_column_by_its_kind():
    df = pd.DataFrame({
        "file": ["台账_20261015.xlsx", "张伟13812345678.xlsx"], "id_number": [ID, None], "phone": ["13812345678", None],
        "birth_date": pd.to_datetime(["1985-03-12", None]), "note": [f"生日1985年3月12日 {ID}", None], "records": [2, 1],
        "reason": ["row.name_only", None],
    })
    out = mask_frame(df, ids=("id_number",), phones=("phone",), births=("birth_date",), places=("file",), keep=("reason",))
    assert out["reason"] is not df["reason"] and out["reason"].equals(df["reason"])  # kept as it was
    assert out.drop(columns="reason").to_dict("list") == {
        "file": ["台账_20261015.xlsx", "张伟138****5678.xlsx"], "id_number": [f"{ID[:6]}********{ID[-4:]}", None],
        "phone": ["138****5678", None], "birth_date": ["1985", None], "note": [f"生日1985年**月**日 {ID[:6]}********{ID[-4:]}", None],
        "records": [2, 1],
    }
    assert mask_column(pd.Series(["a 13812345678", None, 3], dtype=object), "free").tolist() == ["a 138****5678", None, 3]
    assert mask_tree({"person": ID, "steps": ["电话13812345678，生于1985-03-12"], "n": 3}) == \
        {"person": f"{ID[:6]}********{ID[-4:]}", "steps": ["电话138****5678，生于1985-**-**"], "n": 3}


# ---------------------------------------------------------------------------------------------- formulas
@pytest.mark.parametrize(("cell", "written"), [
    ('=HYPERLINK("http://x","点")', '\'=HYPERLINK("http://x","点")'), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"), ("@SUM(1+1)", "'@SUM(1+1)"), ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"), ("＝1+2", "'＝1+2"), ("+86 138****5678", "'+86 138****5678"),
    ("-3", "-3"), ("+5", "+5"), ("-12.5%", "-12.5%"), ("-1,234.5", "-1,234.5"), ("-", "-"), ("张伟", "张伟"), (48, 48), (None, None),
])
def test_cells_a_spreadsheet_would_run_are_made_text_numbers_stay_numbers(cell, written):
    assert neutralise_cell(cell) == written


def test_a_neutralised_frame_reads_back_as_the_text_it_was():
    df = pd.DataFrame({"name": ["=1+2", "张伟", None], "n": [-3, 4, 5]})
    text = neutralise_frame(df).to_csv(index=False)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "n"], ["'=1+2", "-3"], ["张伟", "4"], ["", "5"]]
    assert df["name"].iloc[0] == "=1+2"  # the frame given is not changed


# ---------------------------------------------------------------------------------------------- files
@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_private_files_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        with private_open(tmp_path / "a.csv", "w", encoding="utf-8") as fh:
            fh.write("x")
        existing = tmp_path / "b.csv"
        existing.write_text("old")
        os.chmod(existing, 0o644)
        with private_open(existing, "w") as fh:
            fh.write("new")
        with private_umask():
            (tmp_path / "c.txt").write_text("y")
            (tmp_path / "d").mkdir()
            with private_umask():  # nested: the outer one restores
                pass
            (tmp_path / "e.txt").write_text("z")
        (tmp_path / "f.txt").write_text("after")
    finally:
        assert os.umask(old) == umask  # the umask is as it was
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"a.csv": 0o600, "b.csv": 0o600, "c.txt": 0o600, "d": 0o700, "e.txt": 0o600, "f.txt": 0o666 & ~umask}
    assert existing.read_text() == "new"

"""Normalisers: each is pure, total (never raises on junk) and idempotent; the column fast paths agree with the
scalar functions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from census.privacy import mask_id, mask_phone
from census.sources.columns import date_column, id_column, name_column, phone_column
from census.sources.values import (
    check_char,
    normalize_date,
    normalize_id,
    normalize_name,
    normalize_phone,
)
from census.text import (
    _CJK_RANGES,
    _SURNAME_READINGS,
    _char_pinyin,
    _t2s,
    _traditional_re,
    halfwidth,
    halfwidth_lower_many,
    pinyin_many,
    simplified,
    simplified_many,
)

from ..conftest import make_id

births = st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31))
seqs = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")
prefixes = st.sampled_from(["320114", "320104", "110101", "440305", "810000", "510104"])


@st.composite
def valid_ids(draw):
    return make_id(draw(births).strftime("%Y%m%d"), draw(seqs), draw(prefixes))


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in s)


# ---------------------------------------------------------------------------------------------- ID numbers
def test_known_id_and_checksum():
    assert check_char("32011419850312123") == make_id("19850312", "123")[-1]
    r = normalize_id("11010519491231002X")  # the standard's own example
    assert r.valid and r.value == "11010519491231002X" and r.birth_date == date(1949, 12, 31) and r.sex == "女"


@given(valid_ids())
def test_valid_ids_survive(id18):
    r = normalize_id(id18)
    assert r.valid and r.value == id18 and r.code is None
    assert r.birth_date == date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    assert r.sex == ("男" if int(id18[16]) % 2 else "女")


@given(valid_ids(), st.sampled_from(["lower", "spaces", "dashes", "fullwidth", "padded"]))
def test_written_forms_of_a_valid_id_normalise_to_it(id18, form):
    written = {
        "lower": id18.lower(),
        "spaces": f"{id18[:6]} {id18[6:14]} {id18[14:]}",
        "dashes": f"{id18[:6]}-{id18[6:14]}-{id18[14:]}",
        "fullwidth": _fullwidth(id18),
        "padded": f"\u3000{id18} ",
    }[form]
    r = normalize_id(written)
    assert r.valid and r.value == id18


@given(births.filter(lambda d: d.year < 2000), seqs)
def test_fifteen_digit_ids_are_converted(birth, seq):
    id15 = "320114" + birth.strftime("%y%m%d") + seq
    r = normalize_id(id15)
    assert r.valid and r.converted15
    assert r.value == make_id(birth.strftime("%Y%m%d"), seq)


@given(valid_ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_one_mistyped_digit_fails_the_checksum(id18, pos, delta):
    wrong = id18[:pos] + str((int(id18[pos]) + delta) % 10) + id18[pos + 1:]
    r = normalize_id(wrong)
    assert not r.valid and r.code in ("id.checksum", "id.birthdate_invalid")


@given(valid_ids(), st.integers(min_value=0, max_value=15))
def test_swapped_adjacent_digits_fail(id18, pos):
    if id18[pos] == id18[pos + 1]:
        return
    swapped = id18[:pos] + id18[pos + 1] + id18[pos] + id18[pos + 2:]
    assert not normalize_id(swapped).valid


def test_precision_lost_ids():
    id18 = make_id("19800101", "135")
    assert normalize_id(id18[:15] + "000", from_number=True).code == "id.precision_lost"
    assert normalize_id("3.20114198001011E+17").code == "id.precision_lost"
    assert normalize_id(id18[:15] + "000.0").code == "id.precision_lost"
    assert not normalize_id(id18[:15] + "000", from_number=True).valid


@pytest.mark.parametrize("raw,code", [
    ("12345", "id.length"), ("3201141985031212", "id.length"), ("32011419850312123Y", "id.format"),
    ("320114198513121238", "id.checksum"), ("无", None), ("", None), (None, None),
])
def test_bad_ids(raw, code):
    r = normalize_id(raw)
    assert not r.valid and r.code == code


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_id_never_raises_and_is_idempotent(junk):
    r = normalize_id(junk)
    if r.value is not None:
        again = normalize_id(r.value)
        assert again.value == r.value and again.valid == r.valid


@given(st.lists(st.one_of(valid_ids(), st.text(max_size=20), st.none(), valid_ids().map(str.lower), valid_ids().map(_fullwidth)),
                max_size=30),
       st.lists(st.booleans(), min_size=30, max_size=30))
@settings(max_examples=100)
def test_id_column_agrees_with_scalar(values, numeric):
    s = pd.Series(values, dtype="object")
    num = pd.Series(numeric[: len(values)], dtype=bool)
    out = id_column(s, num)
    for i, v in enumerate(values):
        r = normalize_id(v, bool(num.iloc[i])) if v is not None else normalize_id(None)
        assert bool(out["valid"].iloc[i]) == r.valid
        got = out["value"].iloc[i]
        assert (None if pd.isna(got) else got) == r.value
        code = out["code"].iloc[i]
        assert (None if pd.isna(code) else code) == r.code


@st.composite
def written_ids(draw):
    """IDs as clerks type them: 18 or 15 digits, spaces, dashes, lower-case x, full-width, typos."""
    id18 = draw(valid_ids())
    body = draw(st.sampled_from([id18, id18[:6] + id18[8:17], id18[:17] + "X", id18[:10] + "13" + id18[12:]]))
    sep = draw(st.sampled_from(["", " ", "-", "　", "_", "."]))
    text = f"{body[:6]}{sep}{body[6:14]}{sep}{body[14:]}" if draw(st.booleans()) else body
    return draw(st.sampled_from([text, text.lower(), _fullwidth(text), f" {text} ", text + ".0", text[:-1]]))


@given(st.lists(st.one_of(written_ids(), st.text(alphabet="0123456789Xx -.", max_size=20)), max_size=30),
       st.lists(st.booleans(), min_size=30, max_size=30))
@example(["\U0001ccf320114199001011238", "３２０１１４　１９９００１０１　１２３８", "320114\u200b199001011238"], [False] * 30)
@settings(max_examples=200)
def test_id_column_agrees_with_scalar_on_written_forms(values, numeric):
    s = pd.Series(values, dtype="object")
    out = id_column(s, pd.Series(numeric[: len(values)], dtype=bool))
    for i, v in enumerate(values):
        r = normalize_id(v, numeric[i])
        got = out.iloc[i]
        assert (bool(got["valid"]), _none(got["value"]), _none(got["code"]), _none(got["sex"]), bool(got["converted15"])) == \
            (r.valid, r.value, r.code, r.sex, r.converted15), v
        assert _none(got["birth_date"]) == (pd.Timestamp(r.birth_date) if r.birth_date else None), v


def test_columns_take_numbers_in_object_columns():
    """A column holding numbers (not text) is read as their text, as the scalar functions do."""
    s = pd.Series([32011419900101123, None, 13812345678], dtype="object")
    assert id_column(s)["code"].iloc[0] == normalize_id("32011419900101123").code == "id.length"
    assert phone_column(s)["phone"].iloc[2] == "13812345678"
    assert date_column(pd.Series([19850312, None], dtype="object"))["value"].iloc[0] == pd.Timestamp("1985-03-12")


def _none(v):
    return None if pd.isna(v) else v


# ---------------------------------------------------------------------------------------------- phones
@pytest.mark.parametrize("raw,mobiles,landlines", [
    ("138 1234 5678", ("13812345678",), ()),
    ("+86 138-1234-5678", ("13812345678",), ()),
    ("8613812345678", ("13812345678",), ()),
    ("13812345678.0", ("13812345678",), ()),
    ("138123456781/13987654321", ("13987654321",), ()),
    ("1381234", (), ()),
    ("13812345678/13987654321", ("13812345678", "13987654321"), ()),
    ("13812345678、13987654321", ("13812345678", "13987654321"), ()),
    ("13812345678 13987654321", ("13812345678", "13987654321"), ()),
    ("025-52471234", (), ("02552471234",)),
    ("52471234", (), ("52471234",)),
])
def test_phones(raw, mobiles, landlines):
    r = normalize_phone(raw)
    assert r.mobiles == mobiles and r.landlines == landlines
    assert (r.code is None) == bool(mobiles or landlines)


@given(st.text(max_size=40))
def test_phone_never_raises_and_is_idempotent(junk):
    r = normalize_phone(junk)
    for n in r.numbers:
        assert normalize_phone(n).numbers == (n,)


def test_phone_column_agrees_with_scalar():
    values = ["13812345678", "+86 139-8765-4321", None, "abc", "025-52471234", "13812345678/13900001111", _fullwidth("13812345678")]
    out = phone_column(pd.Series(values, dtype="object"))
    for i, v in enumerate(values):
        r = normalize_phone(v)
        got = out["phone"].iloc[i]
        assert (None if pd.isna(got) else got) == (r.numbers[0] if r.numbers else None)


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
landlines = st.from_regex(r"0[0-9]{2,3}-?[1-9][0-9]{6,7}|[2-9][0-9]{6,7}", fullmatch=True)


@st.composite
def written_phones(draw):
    n = draw(st.one_of(mobiles, landlines))
    spaced = f"{n[:3]} {n[3:7]} {n[7:]}" if len(n) == 11 else n
    dashed = f"{n[:3]}-{n[3:7]}-{n[7:]}" if len(n) == 11 else n
    form = draw(st.sampled_from([n, spaced, dashed, "+86 " + n, "86" + n, "0086" + n, f"({n[:3]}){n[3:]}", _fullwidth(n),
                                 n + ".0", f"{n}/{draw(mobiles)}", f"{n} {draw(mobiles)}", n[:-1], "0", "-",
                                 f"{n}{draw(st.sampled_from(['、', '，', ',', ' / ', '  ', '或', '和', ';', '；', '|', '/ /']))}{draw(mobiles)}",
                                 f"{n}、{n}", f"{n}、{draw(landlines)}"]))
    return form


@given(st.lists(st.one_of(written_phones(), st.text(alphabet="0123456789+-() /", max_size=16), st.none()), max_size=30))
@example(["\U0001ccf13812345678", "１３８\u3000１２３４\u3000５６７８", "\xa013812345678\xa0", "13812345678、13987654321",
          "13812345678、13812345678", "13812345678\u300013987654321", "１３８１２３４５６７８，13987654321", "13812345678、、13987654321",
          "13812345678\u200b、13987654321", "13812345678 、 13987654321 "])
@settings(max_examples=200)
def test_phone_column_agrees_with_scalar_on_written_forms(values):
    out = phone_column(pd.Series(values, dtype="object"))
    for i, v in enumerate(values):
        r = normalize_phone(v)
        assert (_none(out["phone"].iloc[i]), _none(out["phones"].iloc[i]), _none(out["code"].iloc[i])) == \
            ((r.numbers[0] if r.numbers else None), ("/".join(r.numbers) or None), r.code), v


@st.composite
def written_dates(draw):
    d = draw(st.dates(min_value=date(1890, 1, 1), max_value=date(2030, 12, 31)))
    y, m, dd = d.year, d.month, d.day
    return draw(st.sampled_from([
        d.isoformat(), f"{y}/{m}/{dd}", f"{y}.{m:02d}.{dd:02d}", f"{y}年{m}月{dd}日", f"{y}{m:02d}{dd:02d}", f"{y}-{m:02d}-{dd:02d} 00:00:00",
        f"{y}.{m:02d}", f"{y}年{m}月", f"{y}{m:02d}", f"{y}", f"{y}年", f"{y}-{m}-{dd + 20}", f"{y}.0", str((d - date(1899, 12, 30)).days), f"{(d - date(1899, 12, 30)).days}.0",
        _fullwidth(f"{y}{m:02d}{dd:02d}"), f" {y} 年 {m} 月 ", f"{y}-13-01", f"{y}{m:02d}{dd:02d}T08:30"]))


@given(st.lists(st.one_of(written_dates(), st.text(alphabet="0123456789年月日-/. :T", max_size=16), st.none()), max_size=30))
@example(["1985-0\U0001ccf3-12", "１９８５年３月１２日", "1985\u200b-03-12", "١٩٨٥-03-12", "31118", "31118.0", "00000", "79999", "80000",
          "３１１１８", "99999", " 31118 ", "31118.00", "#31118", "#", "=31118"])
@settings(max_examples=200)
def test_date_column_agrees_with_scalar_on_written_forms(values):
    out = date_column(pd.Series(values, dtype="object"))
    for i, v in enumerate(values):
        r = normalize_date(v)
        got = out.iloc[i]
        assert (_none(got["value"]), _none(got["precision"]), _none(got["code"])) == \
            ((pd.Timestamp(r.value) if r.value else None), r.precision, r.code), v


# ---------------------------------------------------------------------------------------------- names and dates
def test_names():
    assert normalize_name("张　伟").value == "张伟"
    assert normalize_name(" 王芳（已迁出） ").value == "王芳"
    assert normalize_name("阿依古丽•买买提").value == "阿依古丽·买买提"
    assert normalize_name("张三3").code == "name.suspicious"
    out = name_column(pd.Series(["張　偉", "张伟", None]))
    assert list(out["name"][:2]) == ["张伟", "张伟"]
    assert out["pinyin"][0] == "zhang wei"
    assert name_column(pd.Series(["单雄信"]))["pinyin"][0].startswith("shan ")


@given(st.lists(st.one_of(st.text(max_size=12), st.none(), st.sampled_from(["張　伟", "王芳（已迁出）", "阿依古丽•买买提", "无", " "])),
                max_size=20))
@example(["\U0001ccd6", "张\U0001ccd6伟"])  # assigned in Unicode 16, after Python's: Arrow's NFKC makes it "A"
@settings(max_examples=150)
def test_name_column_agrees_with_scalar(values):
    out = name_column(pd.Series(values, dtype="object"))
    for i, v in enumerate(values):
        r = normalize_name(v)
        got = out["name"].iloc[i]
        assert (None if pd.isna(got) else got) == (simplified(r.value) or None if r.value else None)
        code = out["code"].iloc[i]
        assert (None if pd.isna(code) else code) == r.code


@given(st.text(max_size=20))
def test_name_never_raises_and_is_idempotent(junk):
    r = normalize_name(junk)
    if r.value:
        assert normalize_name(r.value).value == r.value


def _pinyin_one_by_one(name: str) -> str:
    """The definition `pinyin_many` keeps: each character's reading (a surname's for the first), the
    readings that are not blank joined by one space."""
    readings = [_char_pinyin(ch) for ch in name]
    if name and name[0] in _SURNAME_READINGS:
        readings[0] = _SURNAME_READINGS[name[0]]
    return " ".join(r for r in readings if r.strip())


@given(st.lists(st.one_of(st.text(max_size=8), st.text(alphabet="张王李单曾解朴仇查区乐長張偉 　\u200bAbc-·\x00", max_size=8)), max_size=20))
@example(["", " ", "单", "曾 ", "　张伟", "Tom Li", "A-b", "\u200b"])
@example(["张\x00伟", "单"])
@settings(max_examples=150)
def test_pinyin_many_reads_each_character(names):
    assert pinyin_many(names) == [_pinyin_one_by_one(n) for n in names]


def test_characters_read_as_with_the_phrase_dictionary():
    """`_pinyin_module` imports pypinyin without its phrases: every CJK character reads as it does with them."""
    chars = "".join(chr(c) for c in range(0x4E00, 0xA000))
    code = ("import json, sys, pypinyin as p; print(json.dumps([''.join(p.lazy_pinyin(c, style=p.Style.NORMAL)) "
            "for c in sys.stdin.read()]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")} | {"PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", code], input=chars, capture_output=True, encoding="utf-8", env=env, check=True)
    assert json.loads(done.stdout) == [_char_pinyin(c) for c in chars]


def test_pinyin():
    assert pinyin_many(["张伟", "单雄信", "", "Tom", "王　小明"]) == ["zhang wei", "shan xiong xin", "", "t o m", "wang xiao ming"]


@given(st.lists(st.one_of(st.text(max_size=10), st.text(alphabet="張偉乾隆甚麼東方明珠于於干幹后後发發 \x01abc", max_size=10)), max_size=20))
@example(["乾隆", "乾燥", "甚麼", "憑藉", "深沈", "回覆", "沈阳", "张伟", "\x01張", ""])
@settings(max_examples=150)
def test_simplified_many_agrees_with_opencc(texts):
    assert simplified_many(texts) == [_t2s().convert(t) for t in texts] == [simplified(t) for t in texts]


def test_opencc_changes_nothing_outside_the_ranges_looked_at():
    """`simplified_many` sends OpenCC only text holding a character it may change: every character it changes
    on its own lies in `_CJK_RANGES` or beyond the BMP, and every phrase of its tables that converts holds one of those or of
    `_CHANGED_IN_PHRASES` (深沈 → 深沉: 沈 alone stays, a surname)."""
    sep = "\x01"
    chars = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000]
    converted = _t2s().convert(sep.join(chars)).split(sep)
    changed = {c for c, v in zip(chars, converted, strict=True) if v != c}
    assert changed and all(ord(c) >= 0x10000 or any(a <= ord(c) < b for a, b in _CJK_RANGES) for c in changed)
    assert all(_traditional_re().search(c) for c in changed)
    import opencc

    base = Path(opencc.__file__).parent / "clib"
    tool = base / "bin" / "opencc_dict"
    if not tool.exists():
        pytest.skip("this OpenCC build has no opencc_dict to list its phrases")
    phrases = []
    for name in ("TSPhrases", "TSCharactersExt"):
        out = Path(tempfile.mkdtemp()) / f"{name}.txt"
        subprocess.run([str(tool), "-i", str(base / "share" / "opencc" / f"{name}.ocd2"), "-o", str(out), "-f", "ocd2",
                        "-t", "text"], check=True)
        phrases += [line.split("\t")[0] for line in out.read_text(encoding="utf-8").splitlines() if line]
    assert len(phrases) > 100
    for key in phrases:
        if _t2s().convert(key) != key:
            assert _traditional_re().search(key), key


@pytest.mark.parametrize("raw,expected,precision", [
    ("1985-03-12", date(1985, 3, 12), "day"), ("1985/3/12", date(1985, 3, 12), "day"),
    ("1985年3月12日", date(1985, 3, 12), "day"), ("1985.03", date(1985, 3, 1), "month"),
    ("19850312", date(1985, 3, 12), "day"), ("198503", date(1985, 3, 1), "month"),
    ("1985-03-12 00:00:00", date(1985, 3, 12), "day"), ("31118", date(1985, 3, 12), "day"),
    ("1985年", date(1985, 1, 1), "year"), ("1985", date(1985, 1, 1), "year"),
])
def test_dates(raw, expected, precision):
    r = normalize_date(raw)
    assert (r.value, r.precision) == (expected, precision)


@given(st.text(max_size=30))
def test_date_never_raises_and_is_idempotent(junk):
    r = normalize_date(junk)
    if r.value is not None and r.precision == "day":
        assert normalize_date(r.value.isoformat()).value == r.value


def test_date_column_handles_serials_and_junk():
    out = date_column(pd.Series(["31118", "1985/3/12", "明天", None]))
    assert out["value"].iloc[0] == pd.Timestamp("1985-03-12")
    assert out["code"].iloc[2] == "date.format"
    assert pd.isna(out["code"].iloc[3])


# ---------------------------------------------------------------------------------------------- masking
def test_masks():
    assert mask_id("32011419850312123X") == "320114********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("13812345678/13987654321") == "138****5678/139****4321"
    assert mask_phone("+86 138-1234-5678").count("*") == 4
    assert mask_id("3201 1419 8503 1212 3x").replace(" ", "") == "320114********123x"
    assert "19850312" not in mask_id("3201 1419 8503 1212 3x").replace(" ", "")


@given(st.text(max_size=40))
def test_masks_never_raise(junk):
    mask_id(junk)
    mask_phone(junk)


@given(st.lists(st.one_of(st.text(max_size=10), st.text(alphabet="ＡＢＣａ１　İIΣσς𝚺\u0307 ΑΒΓ南京ｶﾀｶﾅ①㈱Ⅻ\U0001e900\u1c90", max_size=10)), max_size=20))
@example(["İstanbul", "ΟΔΟΣ", "ΟΔΟΣ ΜΙΑ", "ＸＸ科技（南京）有限公司", "\u1c90", "Ⅻ①", "I\u0307stanbul", "ΟΔ𝚺", "ΑΒ𝚺 科技"])
@settings(max_examples=200)
def test_halfwidth_lower_many_agrees_with_python(texts):
    assert halfwidth_lower_many(texts) == [halfwidth(t).lower() for t in texts]


def test_halfwidth_lower_many_agrees_on_every_code_point():
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    assert halfwidth_lower_many(chars) == [halfwidth(c).lower() for c in chars]

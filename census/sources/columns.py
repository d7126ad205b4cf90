"""Normalising whole columns: the `values.py` normalisers at the speed the ingest needs. Clean values take a
vectorised fast path (NumPy / Arrow), the rest go through the scalar function once per distinct value; tests
check that both paths agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import CodeLookup
from ..text import (
    SPACES_RE2,
    STABLE_NFKC_RE2,
    arrow_factorize,
    arrow_mask,
    arrow_strings,
    newer_than_python,
    pandas_strings,
    pinyin_many,
    simplified_many,
)
from .values import (
    CHECK_CHARS,
    EXCEL_EPOCH,
    ID_WEIGHTS,
    MIN_BIRTH,
    MISSING,
    normalize_code,
    normalize_date,
    normalize_id,
    normalize_name,
    normalize_phone,
    today,
)


def _distinct(values: pd.Series, fn, n_fields: int) -> list[np.ndarray]:
    """Apply `fn` (returning a tuple of `n_fields`) once per distinct value — ledgers repeat a lot — and
    spread each field back over the rows as an object array (None where the value is missing)."""
    codes, uniques = arrow_factorize(arrow_strings(values))
    table = np.full((len(uniques) + 1, n_fields), None, dtype=object)  # the last row serves missing values
    for i, u in enumerate(uniques):
        table[i, :] = fn(u)
    return [table[codes, k] for k in range(n_fields)]


def _per_cell(raw: pd.Series, numeric: np.ndarray, rows: np.ndarray, fn, n_fields: int) -> list[np.ndarray]:
    """`_distinct` over the cells at `rows` (a mask) for a scalar normaliser taking (text, from_number): each
    value is tagged with the kind of its cell, "#" a number and "=" text (so "#31118" typed is text)."""
    keys = np.where(numeric, "#", "=")[rows].astype(object) + raw[rows].astype(str).to_numpy(dtype=object)
    return _distinct(pd.Series(keys), lambda k: fn(k[1:], k[0] == "#"), n_fields)


def per_distinct(values: pd.Series, convert) -> pd.Series:
    """Apply `convert` (distinct strings → their results, strings or None, as a list or an Arrow string array)
    once to the distinct values of a column and spread the results back over its rows (with Arrow); missing
    values give None."""
    codes, uniques = arrow_factorize(arrow_strings(values))
    found = convert(uniques) if uniques else []
    if isinstance(found, pa.Array):
        results = pa.concat_arrays([found.cast(pa.string()), pa.nulls(1, pa.string())])
    else:
        results = pa.array([*found, None], type=pa.string())
    return pd.Series(pandas_strings(results.take(pa.array(codes))), index=values.index)


def _stable(texts: pa.Array) -> np.ndarray:
    """Values a fast path may take: their NFKC form is the same for Arrow as for the scalar functions (which
    use Python's `unicodedata`, of another Unicode version)."""
    return arrow_mask(pc.match_substring_regex(texts, STABLE_NFKC_RE2))


def _digits(texts: np.ndarray, width: int) -> np.ndarray:
    """Strings of `width` ASCII characters → an (n, width) array of their bytes."""
    if not len(texts):
        return np.zeros((0, width), dtype=np.uint8)
    return np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _number(buf: np.ndarray, a: int, b: int) -> np.ndarray:
    """The decimal number in columns a..b-1 of a byte array of ASCII digits."""
    out = np.zeros(len(buf), dtype=np.int64)
    for k in range(a, b):
        out = out * 10 + (buf[:, k].astype(np.int64) - 48)
    return out


def _calendar(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] dates, valid) for year, month and day numbers: valid when the date exists and lies
    between 1900-01-01 and today (the test `_birth` and `normalize_date` apply one value at a time)."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1)
    months = ((np.where(ok, y, 1970) - 1970) * 12 + np.where(ok, m, 1) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= d <= length
    dates = first + (np.where(ok, d, 1) - 1).astype("timedelta64[D]")
    ok &= (dates >= np.datetime64(MIN_BIRTH, "D")) & (dates <= np.datetime64(today(), "D"))
    return dates, ok


_ID_SEPARATORS = "\\t\\n\\x0b\\f\\r \\-_·/\\\\'\"`"  # what clean_id drops (ASCII whitespace only)


def id_column(raw: pd.Series, numeric: pd.Series | None = None) -> pd.DataFrame:
    """Columns value, valid, code, birth_date, sex, converted15 for a column of raw ID cells.

    Values made only of digits, X and the separators people type (spaces, dashes) are checked with Arrow and
    NumPy, 18- and 15-digit numbers alike; anything else goes through `normalize_id` once per distinct value.
    Both paths give the same answer (tests/test_normalize.py)."""
    n = len(raw)
    numeric_np = numeric.fillna(False).to_numpy(dtype=bool) if numeric is not None else np.zeros(n, dtype=bool)
    value = np.full(n, None, dtype=object)
    valid = np.zeros(n, dtype=bool)
    code = np.full(n, None, dtype=object)
    birth = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    sex = np.full(n, None, dtype=object)
    converted = np.zeros(n, dtype=bool)
    if n:
        texts = arrow_strings(raw)
        t = pc.utf8_normalize(texts, "NFKC")
        safe = arrow_mask(pc.match_substring_regex(t, f"^[0-9Xx{_ID_SEPARATORS}]+$")) & _stable(texts)
        cleaned = pc.utf8_upper(pc.replace_substring_regex(t, f"[{_ID_SEPARATORS}]+", ""))
        is18 = safe & arrow_mask(pc.match_substring_regex(cleaned, "^[0-9]{17}[0-9X]$")) & ~numeric_np
        is15 = safe & arrow_mask(pc.match_substring_regex(cleaned, "^[0-9]{15}$"))  # a number cell of 15 digits is whole
        lost = safe & numeric_np & arrow_mask(pc.match_substring_regex(cleaned, "^[0-9X]{16,}$"))  # Excel kept 15 digits
        code[lost] = "id.precision_lost"
        texts = np.asarray(cleaned.to_numpy(zero_copy_only=False), dtype=object)
        for rows, short in ((np.flatnonzero(is18), False), (np.flatnonzero(is15), True)):
            if not len(rows):
                continue
            buf = _digits(texts[rows], 15 if short else 18)
            if short:  # 15 digits: born in the 1900s, "19" inserted before the year and a check digit appended
                buf = np.concatenate([buf[:, :6], np.full((len(buf), 2), [49, 57], dtype=np.uint8), buf[:, 6:]], axis=1)
            digits = buf[:, :17].astype(np.int64) - 48
            check = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)[(digits @ ID_WEIGHTS) % 11]
            ok_check = np.ones(len(buf), dtype=bool) if short else check == buf[:, 17]
            dates, ok_birth = _calendar(_number(buf, 6, 10), _number(buf, 10, 12), _number(buf, 12, 14))
            good = ok_check & ok_birth
            if short:
                full = np.concatenate([buf[:, :17], check[:, None]], axis=1)
                ids = full.view(f"S{18}").ravel().astype(str).astype(object)
                value[rows] = np.where(good, ids, None)
                converted[rows] = good
            else:
                value[rows] = texts[rows]
            valid[rows] = good
            code[rows] = np.where(~ok_check, "id.checksum", np.where(~ok_birth, "id.birthdate_invalid", None))
            birth[rows[good]] = dates[good]
            sex[rows[good]] = np.where(digits[good, 16] % 2 == 1, "男", "女")
        slow = ~(is18 | is15 | lost) & raw.notna().to_numpy()
        if slow.any():
            def one(v: str, from_number: bool) -> tuple:
                r = normalize_id(v, from_number)
                return (r.value, r.valid, r.code, np.datetime64(r.birth_date, "D") if r.birth_date else np.datetime64("NaT"),
                        r.sex, r.converted15)

            v, ok, c, b, sx, conv = _per_cell(raw, numeric_np, slow, one, 6)
            value[slow], valid[slow], code[slow], sex[slow] = v, ok.astype(bool), c, sx
            birth[slow], converted[slow] = np.array(b, dtype="datetime64[D]"), conv.astype(bool)
    return pd.DataFrame({"value": pandas_strings(value), "valid": valid, "code": pandas_strings(code),
                         "birth_date": birth.astype("datetime64[s]"), "sex": pandas_strings(sex),
                         "converted15": converted}, index=raw.index)


def phone_column(raw: pd.Series) -> pd.DataFrame:
    """Columns phone (first mobile, else first landline), phones (all numbers, '/'-joined), code.

    A cell holding one number however it is written ("+86 138-1234-5678", "(025)52471234"), or two mobiles
    with a separator, is read with Arrow over the whole column; other cells with several numbers, or anything
    odd, go through `normalize_phone` once per distinct value."""
    n = len(raw)
    phone = np.full(n, None, dtype=object)
    phones = np.full(n, None, dtype=object)
    code = np.full(n, None, dtype=object)
    if n:
        texts = arrow_strings(raw)
        t = pc.utf8_trim_whitespace(pc.utf8_normalize(texts, "NFKC"))
        stable = _stable(texts)
        safe = arrow_mask(pc.match_substring_regex(t, r"^\+?[0-9 ()\-]+$")) & stable
        d = pc.replace_substring_regex(t, "[^0-9]", "")
        length = pc.utf8_length(d)
        d = pc.if_else(pc.starts_with(d, "0086"), pc.utf8_slice_codeunits(d, 4),
                       pc.if_else(pc.and_(pc.starts_with(d, "86"), pc.equal(length, 13)), pc.utf8_slice_codeunits(d, 2), d))
        length = pc.utf8_length(d)
        mobile = pc.match_substring_regex(d, "^1[3-9][0-9]{9}$")
        landline = pc.or_(pc.and_(pc.starts_with(d, "0"), pc.and_(pc.greater_equal(length, 10), pc.less_equal(length, 12))),
                          pc.and_(pc.and_(pc.greater_equal(length, 7), pc.less_equal(length, 8)),
                                  pc.invert(pc.match_substring_regex(d, "^[01]"))))
        fast = safe & (arrow_mask(mobile) | arrow_mask(landline))
        phone = np.where(fast, np.asarray(d.to_numpy(zero_copy_only=False), dtype=object), None)
        phones = phone.copy()
        # two mobiles, separated as clerks do ("13812345678、13987654321", "… / …", "… …")
        pair = pc.extract_regex(t, r"^(?P<a>1[3-9][0-9]{9})(?:\s*[/,;、|或和及]+\s*|\s+)(?P<b>1[3-9][0-9]{9})$")
        two = ~fast & stable & arrow_mask(pc.is_valid(pair))
        if two.any():
            taken = pair.filter(pa.array(two))
            a, b = taken.field("a"), taken.field("b")
            phone[two] = np.asarray(a.to_numpy(zero_copy_only=False), dtype=object)
            both = pc.if_else(pc.equal(a, b), a, pc.binary_join_element_wise(a, b, "/"))
            phones[two] = np.asarray(both.to_numpy(zero_copy_only=False), dtype=object)
        slow = ~fast & ~two & raw.notna().to_numpy()
        if slow.any():
            def one(v: str) -> tuple:
                r = normalize_phone(v)
                return (r.numbers[0] if r.numbers else None), ("/".join(r.numbers) or None), r.code

            first, every, issue = _distinct(raw[slow], one, 3)
            phone[slow], phones[slow], code[slow] = first, every, issue
    return pd.DataFrame({"phone": pandas_strings(phone), "phones": pandas_strings(phones),
                         "code": pandas_strings(code)}, index=raw.index)


_MISSING_NAMES = pa.array(sorted(MISSING))


def name_column(raw: pd.Series) -> pd.DataFrame:
    """Columns name (simplified, no spaces), pinyin, code: `normalize_name` done with Arrow compute over the
    whole column, then traditional → simplified and pinyin once per distinct name."""
    arr = arrow_strings(raw)
    t = pc.utf8_normalize(pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKC"), SPACES_RE2, ""), "NFKC")
    noted = pc.replace_substring_regex(t, r"[（(][^）)]*[）)]$", "")
    t = pc.if_else(pc.equal(noted, ""), t, noted)
    t = pc.utf8_trim(pc.replace_substring_regex(t, r"[•・．.‧∙]", "·"), "·")
    missing = pc.or_(pc.equal(t, ""), pc.is_in(pc.utf8_lower(t), value_set=_MISSING_NAMES))
    t = pc.if_else(missing, pa.scalar(None, pa.string()), t)
    code = pc.if_else(pc.match_substring_regex(t, r"[\p{Nd}@#$%^&*=+<>?!|\\]"), pa.scalar("name.suspicious"), pa.scalar(None, pa.string()))
    raw_codes, raw_uniques = arrow_factorize(arr)
    odd = np.append(newer_than_python(raw_uniques), False)[raw_codes]
    if odd.any():  # a character newer than Python's Unicode: `normalize_name` decides, as for one value
        def one(v: str) -> tuple[str | None, str | None]:
            r = normalize_name(v)
            return r.value, r.code

        values, value_codes = _distinct(raw[odd], one, 2)
        t, code = t.to_numpy(zero_copy_only=False).astype(object), code.to_numpy(zero_copy_only=False).astype(object)
        t[odd], code[odd] = values, value_codes
        t, code = pa.array(t, type=pa.string()), pa.array(code, type=pa.string())
    codes, uniques = arrow_factorize(t)
    simple = simplified_many(uniques)
    py = pinyin_many(simple)
    name = np.array([*simple, None], dtype=object)[codes]
    pinyin = np.array([*(p or None for p in py), None], dtype=object)[codes]
    return pd.DataFrame({"name": pandas_strings(name), "pinyin": pandas_strings(pinyin),
                         "code": pandas_strings(code)}, index=raw.index)


# the shapes of `_DATE_PATTERNS` for Arrow (RE2), in the same order, with the precision each gives
_DATE_SHAPES = [
    (r"^(?P<y>[0-9]{4})[-/.年](?P<m>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})日?(?:T?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$", "day"),
    (r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$", "day"),
    (r"^(?P<y>[0-9]{4})[-/.年](?P<m>[0-9]{1,2})月?$", "month"),
    (r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})$", "month"),
    (r"^(?P<y>[0-9]{4})年?$", "year"),
]


def date_column(raw: pd.Series, numeric: pd.Series | None = None) -> pd.DataFrame:
    """Columns value (datetime64), precision, code.

    The written forms of `normalize_date` are recognised with Arrow over the whole column; Excel serial
    numbers, number cells and anything else go through `normalize_date` once per distinct value."""
    n = len(raw)
    value = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    precision = np.full(n, None, dtype=object)
    code = np.full(n, None, dtype=object)
    numeric_np = numeric.fillna(False).to_numpy(dtype=bool) if numeric is not None else np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    if n:
        texts = arrow_strings(raw)
        s = pc.replace_substring_regex(pc.utf8_normalize(texts, "NFKC"), SPACES_RE2, "")
        # "1985.0" is a number cell's text
        stable = _stable(texts)
        # an Excel serial number written out as text ("31118", "31118.0"): days since 1899-12-30
        serial = ~numeric_np & stable & arrow_mask(pc.match_substring_regex(s, r"^[0-9]{5}(\.0)?$"))
        if serial.any():
            rows = np.flatnonzero(serial)
            days = pc.cast(pc.utf8_slice_codeunits(s.filter(pa.array(serial)), 0, 5), pa.int64()).to_numpy()
            dates = np.datetime64(EXCEL_EPOCH, "D") + days.astype("timedelta64[D]")
            ok = (days < 80000) & (days >= 1) & (dates >= np.datetime64(MIN_BIRTH, "D")) & (dates <= np.datetime64(today(), "D"))
            value[rows[ok]] = dates[ok]
            precision[rows[ok]] = "day"
            code[rows[~ok]] = "date.format"
            done |= serial
        open_ = ~numeric_np & ~arrow_mask(pc.match_substring_regex(s, r"^[0-9]+\.0$")) & stable
        for pattern, prec in _DATE_SHAPES:
            parts = pc.extract_regex(s, pattern)
            hit = open_ & ~done & arrow_mask(pc.is_valid(parts))
            if not hit.any():
                continue
            rows = np.flatnonzero(hit)
            taken = parts.filter(pa.array(hit))
            y, m, d = (pc.cast(taken.field(k), pa.int64()).to_numpy() if f"<{k}>" in pattern else np.ones(len(rows), dtype=np.int64)
                       for k in "ymd")
            dates, ok = _calendar(y, m, d)
            value[rows[ok]] = dates[ok]
            precision[rows[ok]] = prec
            code[rows[~ok]] = "date.format"
            done |= hit
    slow = ~done & raw.notna().to_numpy()
    if slow.any():
        def one(v: str, from_number: bool) -> tuple:
            r = normalize_date(v, from_number)
            return (np.datetime64(r.value, "D") if r.value else np.datetime64("NaT")), r.precision, r.code

        v, p, c = _per_cell(raw, numeric_np, slow, one, 3)
        value[slow] = np.array(v, dtype="datetime64[D]")
        precision[slow], code[slow] = p, c
    return pd.DataFrame({"value": value.astype("datetime64[s]"), "precision": pandas_strings(precision),
                         "code": pandas_strings(code)}, index=raw.index)


def code_column(raw: pd.Series, table: CodeLookup) -> pd.DataFrame:
    """Columns value (canonical label), code (issue) for a code-table column: each distinct cell looked up
    once, the results spread over the rows with Arrow."""
    codes, uniques = arrow_factorize(arrow_strings(raw))
    found = [normalize_code(u, table) for u in uniques]
    where = pa.array(codes)
    value = pa.array([v for v, _ in found] + [None], type=pa.string()).take(where)
    code = pa.array([c for _, c in found] + [None], type=pa.string()).take(where)
    return pd.DataFrame({"value": pandas_strings(value), "code": pandas_strings(code)}, index=raw.index)

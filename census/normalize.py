"""Normalisers: raw cell text → canonical value, plus the issue codes found on the way.

Each `normalize_*` function is pure and total: any string (or None) in, a result out, never an exception, and
normalising a normalised value changes nothing. The `*_column` functions apply them to a whole column at the
speed the ingest needs: clean values take a vectorised fast path (NumPy / Arrow), the rest go through the
scalar function once per distinct value. Tests check that both paths agree.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .schema import CodeLookup, schemas_dir
from .text import (
    SPACES_RE2,
    STABLE_NFKC_RE2,
    arrow_factorize,
    arrow_mask,
    arrow_strings,
    halfwidth,
    newer_than_python,
    pandas_strings,
    pinyin_many,
    simplified_many,
    squeeze,
)

# --------------------------------------------------------------------------------------------- ID numbers
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = "10X98765432"
_ID_JUNK = re.compile(r"[\s\-_.·/\\'\"`]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_MISSING = {"", "无", "暂无", "没有", "不详", "未知", "空", "-", "--", "/", "n/a", "na", "none", "null", "nan", "0"}
_MIN_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True)
class IdResult:
    """`value` is the cleaned 18-character number when it has that shape (even with a bad checksum, so that a
    typo can still be recognised when linking); `valid` says it may be used as a key."""

    value: str | None
    valid: bool
    code: str | None = None  # the first issue: id.checksum, id.length, id.format, id.precision_lost, id.birthdate_invalid
    birth_date: date | None = None
    sex: str | None = None
    converted15: bool = False


def check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _today() -> date:
    return date.today()


def _birth(yyyymmdd: str) -> date | None:
    try:
        d = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    return d if _MIN_BIRTH <= d <= _today() else None


def clean_id(raw: str | None) -> str:
    """Half-width, no spaces/dashes/dots, upper-case X: "3201 1419-9001 01123x" → "32011419900101123X"."""
    if raw is None:
        return ""
    return _ID_JUNK.sub("", halfwidth(str(raw))).upper()


def normalize_id(raw: str | None, from_number: bool = False) -> IdResult:
    """Normalise a citizen ID number (GB 11643-1999).

    `from_number` says the cell was numeric in the spreadsheet: an ID of more than 15 digits stored as a number
    has lost its last digits and is never valid."""
    if raw is None:
        return IdResult(None, False)
    t = squeeze(halfwidth(str(raw))).upper()
    if _SCIENTIFIC.match(t):  # 3.20114199001011E+17: a number that went through Excel
        return IdResult(None, False, "id.precision_lost")
    if t.endswith(".0") and t[:-2].isdigit():  # a float written back as text
        t = t[:-2]
        from_number = True
    s = clean_id(t)
    if s.lower() in _MISSING:
        return IdResult(None, False)
    if not re.fullmatch(r"[0-9X]+", s):
        return IdResult(None, False, "id.format")
    if from_number and len(s) > 15:
        return IdResult(None, False, "id.precision_lost")
    if len(s) == 15 and s.isdigit():
        body = s[:6] + "19" + s[6:]
        birth = _birth(body[6:14])
        if birth is None:
            return IdResult(None, False, "id.birthdate_invalid")
        full = body + check_char(body)
        return IdResult(full, True, None, birth, _sex_of(full), converted15=True)
    if len(s) != 18:
        return IdResult(None, False, "id.length")
    if not s[:17].isdigit():
        return IdResult(None, False, "id.format")
    if check_char(s[:17]) != s[17]:
        return IdResult(s, False, "id.checksum")
    birth = _birth(s[6:14])
    if birth is None:
        return IdResult(s, False, "id.birthdate_invalid")
    return IdResult(s, True, None, birth, _sex_of(s))


def _sex_of(id18: str) -> str:
    return "男" if int(id18[16]) % 2 == 1 else "女"


@lru_cache(maxsize=1)
def known_address_codes() -> frozenset[str]:
    """6-digit county codes of the current division list, plus HK/Macau/Taiwan residence-permit prefixes."""
    codes = {"810000", "820000", "830000"}
    path = schemas_dir() / "divisions" / "areas.csv"
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            codes.add(row["code"])
    # province- and city-level codes ("320000", "320100") still appear in old IDs
    for c in list(codes):
        codes.add(c[:2] + "0000")
        codes.add(c[:4] + "00")
    return frozenset(codes)


# --------------------------------------------------------------------------------------------- phones
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEP = re.compile(r"[/,，;；、|或和及]+|\s{2,}")


@dataclass(frozen=True)
class PhoneResult:
    mobiles: tuple[str, ...] = ()
    landlines: tuple[str, ...] = ()
    code: str | None = None

    @property
    def numbers(self) -> tuple[str, ...]:
        return self.mobiles + self.landlines


def _one_phone(part: str) -> tuple[str | None, str | None]:
    """(mobile, landline) for one number; both None when it is neither."""
    digits = re.sub(r"\D", "", part.removesuffix(".0"))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and _MOBILE.fullmatch(digits):
        return digits, None
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return None, digits
    if 7 <= len(digits) <= 8 and not digits.startswith(("0", "1")):
        return None, digits
    return None, None


def normalize_phone(raw: str | None, from_number: bool = False) -> PhoneResult:
    """Mobiles and landlines in a cell: "+86 138-1234-5678/139 8765 4321" → two mobiles; junk → phone.format."""
    if raw is None:
        return PhoneResult()
    s = halfwidth(str(raw)).strip()
    if s.lower() in _MISSING:
        return PhoneResult()
    if _SCIENTIFIC.match(s.upper()):
        return PhoneResult(code="phone.precision_lost")
    mobiles: list[str] = []
    landlines: list[str] = []
    whole_m, whole_l = _one_phone(s)
    parts = [s] if (whole_m or whole_l) else [p for p in _PHONE_SEP.split(s) if p.strip()]
    if len(parts) == 1 and not (whole_m or whole_l):
        # two numbers separated by a single space: "13812345678 13987654321"
        found = _MOBILE.findall(re.sub(r"[^\d ]", "", s))
        if len(found) >= 2 and len("".join(found)) == len(re.sub(r"\D", "", s)):
            parts = found
    for p in parts:
        m, ll = _one_phone(p)
        if m and m not in mobiles:
            mobiles.append(m)
        elif ll and ll not in landlines:
            landlines.append(ll)
    code = None if (mobiles or landlines) else "phone.format"
    return PhoneResult(tuple(mobiles), tuple(landlines), code)


# --------------------------------------------------------------------------------------------- names
_NAME_DOTS = re.compile(r"[•・．.‧∙]")
_NAME_NOTE = re.compile(r"[（(][^）)]*[）)]$")


@dataclass(frozen=True)
class NameResult:
    value: str | None
    code: str | None = None


def normalize_name(raw: str | None) -> NameResult:
    """Trim, drop inner spaces (張　偉 → 張偉), unify the middle dot of minority names, drop a trailing note in
    brackets ("王芳（已迁出）"). Traditional → simplified is done by `name_column` in one batch."""
    if raw is None:
        return NameResult(None)
    s = halfwidth(squeeze(halfwidth(str(raw))))  # NFKC again: removing a space can leave a combining mark
    s = _NAME_NOTE.sub("", s) or s
    s = _NAME_DOTS.sub("·", s).strip("·")
    if not s or s.lower() in _MISSING:
        return NameResult(None)
    code = "name.suspicious" if re.search(r"[\d@#$%^&*=+<>?!|\\]", s) else None
    return NameResult(s, code)


# --------------------------------------------------------------------------------------------- dates
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_PATTERNS = [
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"), "day"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"), "month"),
    (re.compile(r"^(\d{4})(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})年?$"), "year"),
]


@dataclass(frozen=True)
class DateResult:
    value: date | None
    precision: str | None = None  # day, month, year
    code: str | None = None


def normalize_date(raw: str | None, from_number: bool = False) -> DateResult:
    """ISO, 1985/3/12, 1985年3月12日, 1985.03, 19850312, 1985, an Excel date cell ("1985-03-12 00:00:00") or an
    Excel serial number (31118). A month or year alone keeps its precision (the day is set to 1)."""
    if raw is None:
        return DateResult(None)
    s = squeeze(halfwidth(str(raw)))
    if s.lower() in _MISSING:
        return DateResult(None)
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    if re.fullmatch(r"\d{5}", s) or (from_number and re.fullmatch(r"\d{1,5}(\.\d+)?", s)):
        serial = float(s)
        if 1 <= serial < 80000:
            d = _EXCEL_EPOCH + timedelta(days=int(serial))
            if _MIN_BIRTH <= d <= _today():
                return DateResult(d, "day")
        return DateResult(None, None, "date.format")
    for pattern, precision in _DATE_PATTERNS:
        m = pattern.match(s)
        if not m:
            continue
        parts = [int(g) for g in m.groups()] + [1, 1]
        try:
            d = date(parts[0], parts[1], parts[2])
        except ValueError:
            return DateResult(None, None, "date.format")
        if not (_MIN_BIRTH <= d <= _today()):
            return DateResult(None, None, "date.format")
        return DateResult(d, precision)
    return DateResult(None, None, "date.format")


# --------------------------------------------------------------------------------------------- code tables
def normalize_code(raw: str | None, table: CodeLookup) -> tuple[str | None, str | None]:
    """(canonical label, issue code) for a sex / education / political status / yes-no cell."""
    if raw is None or not str(raw).strip() or str(raw).strip().lower() in _MISSING - {"无", "0"}:
        return None, None
    label = table.lookup(str(raw))
    return (label, None) if label else (None, f"{table.name}.unknown")


# --------------------------------------------------------------------------------------------- columns
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
    ok &= (dates >= np.datetime64(_MIN_BIRTH, "D")) & (dates <= np.datetime64(_today(), "D"))
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
            check = np.frombuffer(_CHECK.encode(), dtype=np.uint8)[(digits @ _WEIGHTS) % 11]
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


_MISSING_NAMES = pa.array(sorted(_MISSING))


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
            dates = np.datetime64(_EXCEL_EPOCH, "D") + days.astype("timedelta64[D]")
            ok = (days < 80000) & (days >= 1) & (dates >= np.datetime64(_MIN_BIRTH, "D")) & (dates <= np.datetime64(_today(), "D"))
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

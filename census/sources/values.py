"""Normalisers: raw cell text → canonical value, plus the issue code found on the way, one value at a time.

Each `normalize_*` function is pure and total: any string (or None) in, a result out, never an exception, and
normalising a normalised value changes nothing. `columns.py` applies them to whole columns at the speed the
ingest needs; tests hold both to the same answers.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from ..config import CodeLookup, schemas_dir
from ..text import halfwidth, squeeze

# --------------------------------------------------------------------------------------------- ID numbers
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"
_ID_JUNK = re.compile(r"[\s\-_.·/\\'\"`]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
MISSING = {"", "无", "暂无", "没有", "不详", "未知", "空", "-", "--", "/", "n/a", "na", "none", "null", "nan", "0"}
MIN_BIRTH = date(1900, 1, 1)


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
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def today() -> date:
    return date.today()


def _birth(yyyymmdd: str) -> date | None:
    try:
        d = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
    return d if MIN_BIRTH <= d <= today() else None


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
    if s.lower() in MISSING:
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
    if s.lower() in MISSING:
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
    if not s or s.lower() in MISSING:
        return NameResult(None)
    code = "name.suspicious" if re.search(r"[\d@#$%^&*=+<>?!|\\]", s) else None
    return NameResult(s, code)


# --------------------------------------------------------------------------------------------- dates
EXCEL_EPOCH = date(1899, 12, 30)
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
    if s.lower() in MISSING:
        return DateResult(None)
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    if re.fullmatch(r"\d{5}", s) or (from_number and re.fullmatch(r"\d{1,5}(\.\d+)?", s)):
        serial = float(s)
        if 1 <= serial < 80000:
            d = EXCEL_EPOCH + timedelta(days=int(serial))
            if MIN_BIRTH <= d <= today():
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
        if not (MIN_BIRTH <= d <= today()):
            return DateResult(None, None, "date.format")
        return DateResult(d, precision)
    return DateResult(None, None, "date.format")


# --------------------------------------------------------------------------------------------- code tables
def normalize_code(raw: str | None, table: CodeLookup) -> tuple[str | None, str | None]:
    """(canonical label, issue code) for a sex / education / political status / yes-no cell."""
    if raw is None or not str(raw).strip() or str(raw).strip().lower() in MISSING - {"无", "0"}:
        return None, None
    label = table.lookup(str(raw))
    return (label, None) if label else (None, f"{table.name}.unknown")

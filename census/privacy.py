"""Personal data protection (PIPL: minimum necessary, de-identification), written once for every output.

Masking. ID numbers show their first 6 and last 4 characters (320114********123X), phones their first 3 and last
4 digits (138****5678), in every output unless the user passes `--reveal`. Raw cell text is masked too, keeping
its spaces and dashes so a clerk can still recognise the cell. A masked ID must not be rebuilt from the rest of
the same output: its eight hidden digits are the birth date, so wherever IDs are masked birth dates are shown as
the year (`birth_year`, `mask_birth_text`), and ID-like and mobile-like numbers and full dates inside free text
(备注, 地址, unknown columns, raw cells, quarantined rows, issue values) are masked as well (`mask_free_text`).
`mask_frame` applies all of it to a table by the kind of each column.

Spreadsheet formulas. A CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel and WPS; `neutralise_cell` puts an apostrophe in front of it (the OWASP advice), except where the cell is a
plain number, which Excel reads as the number it is.

Files. Whatever the umask, the files census writes are readable by their owner only (0600, folders 0700):
`private_open` for the files census writes itself, `private_umask` around whatever a library writes for it
(DuckDB's database, its write-ahead log and spill folder), `make_private` for a file that already exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# ============================================================================================ masking numbers
_NUMBER_RUN = re.compile(r"\d[\d\s\-]{5,}[\dXx]|\d{7,}[Xx]?")

# Inside free text: an 18-character ID (17 digits and a digit or X), a run of 15 or more digits (a 15-digit ID, a
# bank card), an 11-digit mobile (with +86/0086 in front or not); one space or dash may stand between any two
# digits ("3201 1419 8503 1212 3X", "138-1234-5678"). `\d` takes full-width digits too. A number is one only where
# no digit touches it; letters may ("ID320114…", "tel13812345678").
_SEP = r"[ \u3000\-]?"
_FREE_NUMBER = re.compile(
    rf"(?<!\d)(?:"
    rf"(?P<id>(?:\d{_SEP}){{17}}[\dXxＸｘ])"
    rf"|(?P<mobile>(?:(?:[+＋]|[0０]{{2}})?[8８][6６]{_SEP})?[1１]{_SEP}[3-9３-９](?:{_SEP}\d){{9}})"
    rf"|(?P<long>\d(?:{_SEP}\d){{14,}})"
    rf")(?!\d)"
)
_SEPARATORS = re.compile(r"[ \u3000\-]")
_MAYBE_NUMBER = re.compile(rf"\d(?:{_SEP}\d){{10}}")  # what every number above holds: 11 digits (a quick test first)

# Dates inside free text: a full date (1985-03-12, 1985/3/12, 1985.03.12, 1985年3月12日) or a compact one (19850312)
_FULL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)(\s*[-/.年]\s*)(\d{1,2})(\s*[-/.月]\s*)(\d{1,2})(?!\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)((?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?!\d)")
_MAYBE_DATE = re.compile(r"(?:19|20)\d\d")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def mask_id(value: str | None) -> str | None:
    """320114199001011234 → 320114********1234; shorter junk keeps its first and last character only."""
    if _missing(value):
        return None
    return _mask_chars(str(value), 6, 4)


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678; each number in "138…/139…" is masked on its own."""
    if _missing(value):
        return None
    return _NUMBER_RUN.sub(lambda m: _mask_chars(m.group(0), _phone_head(m.group(0)), 4), str(value))


def mask_text(value: str | None) -> str | None:
    """ID numbers, mobiles and other long numbers inside free text masked as `mask_id` and `mask_phone` mask
    them: "张伟 320114198503121234，电话138 1234 5678" → "张伟 320114********1234，电话138 **** 5678"."""
    if _missing(value):
        return None
    text = str(value)
    if not _MAYBE_NUMBER.search(text):
        return text
    return _FREE_NUMBER.sub(_mask_match, text)


def _mask_match(m: re.Match) -> str:
    run = m.group(0)
    groups = _SEPARATORS.split(run)
    if len(groups) > 3 and len(run) - len(groups) + 1 < 2.5 * len(groups):
        return run  # small numbers in a row ("1 2 3 4 5 6 7 8 9 10 11 12 13"), not one number written in groups
    if m.group("mobile"):
        return _mask_chars(run, _phone_head(run), 4)
    return _mask_chars(run, 6, 4)


def coarsen_dates(value: str | None) -> str | None:
    """Full dates inside free text keep their year only: 1985-03-12 → 1985-**-**, 1985年3月12日 → 1985年**月**日,
    19850312 → 1985****."""
    if _missing(value):
        return None
    text = str(value)
    if not _MAYBE_DATE.search(text):
        return text
    text = _FULL_DATE.sub(lambda m: f"{m[1]}{m[2]}**{m[4]}**", text)
    return _COMPACT_DATE.sub(lambda m: m[1] + "****", text)


def mask_free_text(value: str | None) -> str | None:
    """Free text as it may leave the tool unrevealed: numbers masked (`mask_text`), full dates coarsened."""
    return coarsen_dates(mask_text(value))


def birth_year(value: Any) -> str | None:
    """A birth date as its year: date(1985, 3, 12) → "1985"; text as `mask_birth_text`."""
    if _missing(value):
        return None
    if isinstance(value, date | datetime | pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(value).year)
    return mask_birth_text(str(value))


def mask_birth_text(value: str | None) -> str | None:
    """A birth date as typed, keeping the year only: every run of digits is starred except a year (19xx/20xx) and
    the year of a compact date: "1998年7月3日" → "1998年*月*日", "19850312" → "1985****", "1985-03-12 / 1985-03-21" →
    "1985-**-** / 1985-**-**", "85.3.12" → "**.*.**", an Excel serial number 31118 → "*****". `birth_text_sql` is
    the same in SQL."""
    if _missing(value):
        return None
    return _BIRTH_RUN.sub(_birth_run, str(value))


_BIRTH_DIGIT = "0-9０-９"  # the digits of birth-date text (ASCII and full-width, as SQL's `birth_text_sql` sees them)
_BIRTH_RUN = re.compile(f"[{_BIRTH_DIGIT}]+")
_BIRTH_YEAR = re.compile("(?:19|20)[0-9]{2}")
_BIRTH_COMPACT = re.compile("(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")


def _birth_run(m: re.Match) -> str:
    run = m.group(0)
    if _BIRTH_YEAR.fullmatch(run):
        return run
    if _BIRTH_COMPACT.fullmatch(run):
        return run[:4] + "****"
    return "*" * len(run)


def birth_text_sql(expr: str) -> str:
    """`mask_birth_text` as a DuckDB expression over the text `expr` (held equal to it by a test)."""
    return (f"array_to_string(list_transform(regexp_extract_all({expr}, '[{_BIRTH_DIGIT}]+|[^{_BIRTH_DIGIT}]+'), "
            f"lambda t: CASE WHEN regexp_full_match(t, '{_BIRTH_YEAR.pattern}') THEN t "
            f"WHEN regexp_full_match(t, '{_BIRTH_COMPACT.pattern}') THEN left(t, 4) || '****' "
            f"WHEN regexp_full_match(t, '[{_BIRTH_DIGIT}]+') THEN repeat('*', length(t)) ELSE t END), '')")


def _phone_head(run: str) -> int:
    """Digits to keep in front: 3, plus a country code written before a mobile (86 / 0086)."""
    digits = "".join(str(int(ch)) for ch in run if ch.isdecimal())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return 3 + len(prefix)
    return 3


def _mask_chars(text: str, head: int, tail: int) -> str:
    """Replace the digits (and a final X) of `text` except the first `head` and last `tail` with '*'."""
    last = len(text.rstrip()) - 1
    positions = [i for i, ch in enumerate(text) if ch.isdigit() or (ch in "XxＸｘ" and i == last)]
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


# ============================================================================================ masking tables
_MASKERS = {"id": mask_id, "phone": mask_phone, "text": mask_text, "free": mask_free_text, "birth": birth_year}


# Masking a column of a million values one Python call at a time takes minutes; Arrow (RE2) does the common cases at
# once: an ID or a mobile of the plain shape is masked by slicing, and free text that holds no run of digits an ID,
# mobile or date could be in (the patterns below find every text the Python ones would change) is kept as it is.
# Only the rest goes through the Python functions, once per distinct value.
_A_DIGIT = "[0-9０-９]"
_A_NUMBER = rf"{_A_DIGIT}(?:[ \x{{3000}}-]?{_A_DIGIT}){{10}}"
_A_DATE = (rf"(?:19|20){_A_DIGIT}{{2}}\s*[-/.年]\s*{_A_DIGIT}{{1,2}}\s*[-/.月]\s*{_A_DIGIT}"
           rf"|(?:^|[^0-9０-９])(?:19|20){_A_DIGIT}{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]{_A_DIGIT}|3[01])(?:[^0-9０-９]|$)")
_ARROW_SLOW = {"text": _A_NUMBER, "free": f"{_A_NUMBER}|{_A_DATE}", "birth": _A_DIGIT}
_ARROW_FAST = {"id": ("^[0-9]{17}[0-9Xx]$", 6, 8, 4), "phone": ("^1[3-9][0-9]{9}$", 3, 4, 4)}  # shape, kept, starred, kept


def mask_column(values: pd.Series, kind: str) -> pd.Series:
    """Mask a column: IDs (`kind="id"`), phones ("phone"), numbers in text ("text"), free text ("free": numbers
    and full dates), birth dates ("birth": the year). Returns an object column (None where a value is missing);
    values that are not text (in a column of mixed values) are kept."""
    fn = _MASKERS[kind]
    if kind == "birth" and pd.api.types.is_datetime64_any_dtype(values):
        return _python_masked(values, fn)
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: value by value
        return _python_masked(values, fn)
    out = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
    if kind in _ARROW_FAST:
        shape, head, stars, tail = _ARROW_FAST[kind]
        fast = pc.fill_null(pc.match_substring_regex(arr, shape), False).to_numpy(zero_copy_only=False)
        if fast.any():
            plain = arr.filter(pa.array(fast))
            out[fast] = pc.binary_join_element_wise(pc.utf8_slice_codeunits(plain, 0, head), "*" * stars,
                                                    pc.utf8_slice_codeunits(plain, head + stars), "").to_numpy(zero_copy_only=False)
        slow = ~fast & pc.is_valid(arr).to_numpy(zero_copy_only=False)
    else:
        slow = pc.fill_null(pc.match_substring_regex(arr, _ARROW_SLOW[kind]), False).to_numpy(zero_copy_only=False)
    if slow.any():
        out[slow] = _python_masked(pd.Series(out[slow], dtype=object), fn).to_numpy()
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def _python_masked(values: pd.Series, fn) -> pd.Series:
    """`fn` over the distinct values (text, or dates for a birth column); other values are kept, missing is None."""
    codes, uniques = pd.factorize(values)
    birth = fn is birth_year
    masked = [fn(u) if birth or isinstance(u, str) else u for u in uniques]
    table = np.empty(len(masked) + 1, dtype=object)
    table[:-1] = masked
    table[-1] = None
    return pd.Series(table[codes], index=values.index, name=values.name, dtype=object)


def mask_frame(df: pd.DataFrame, *, ids: tuple[str, ...] = (), phones: tuple[str, ...] = (),
               births: tuple[str, ...] = (), places: tuple[str, ...] = (), keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """A table as it may leave the tool unrevealed: `ids` and `phones` masked, `births` as the year, `places` (file
    and sheet names: numbers masked, dates kept so a file stays findable), every other text column as free text
    (numbers masked, full dates coarsened) except those in `keep`. Numbers, flags and other dates are kept."""
    out = df.copy()
    for c in out.columns:
        if c in keep:
            continue
        kind = ("id" if c in ids else "phone" if c in phones else "birth" if c in births else "text" if c in places
                else "free" if _is_text(out[c]) else None)
        if kind is not None:
            out[c] = mask_column(out[c], kind)
    return out


def mask_tree(obj: Any, mask=mask_free_text) -> Any:
    """Every text inside a JSON-like value (dicts, lists) masked by `mask` (free text: numbers and full dates;
    `mask_text` for numbers only); keys are kept."""
    if isinstance(obj, dict):
        return {k: mask_tree(v, mask) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [mask_tree(v, mask) for v in obj]
    return mask(obj) if isinstance(obj, str) else obj


def _is_text(col: pd.Series) -> bool:
    """Whether a column holds text: any string dtype, or objects that are strings (beside missing values or others)."""
    if isinstance(col.dtype, pd.StringDtype):
        return True
    return col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "mixed", "mixed-integer")


# ============================================================================================ spreadsheet formulas
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:,\d{3})*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def neutralise_cell(value: Any) -> Any:
    """A cell that a spreadsheet would run as a formula, made text: "=HYPERLINK(…)" → "'=HYPERLINK(…)",
    "+86 138****5678" → "'+86 138****5678". Numbers ("-3", "+5", "-12.5%") and a lone "-" stay as they are;
    anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and value not in ("-", "－") \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


_A_FORMULA = "^[=+\\-@\t\r＝＋－＠]"


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text cell of a table through `neutralise_cell` (for writing CSV); numbers are left as numbers. The
    cells that begin with a formula character are found with Arrow first."""
    out = df.copy()
    for c in out.columns:
        if not _is_text(out[c]):
            continue
        try:
            arr = pa.array(out[c], type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[c] = out[c].map(neutralise_cell, na_action="ignore")
            continue
        starts = pc.fill_null(pc.match_substring_regex(arr, _A_FORMULA), False).to_numpy(zero_copy_only=False)
        if starts.any():
            column = out[c].to_numpy(dtype=object, copy=True)
            column[starts] = [neutralise_cell(v) for v in column[starts]]
            out[c] = pd.Series(column, index=out.index, dtype=object)
    return out


# ============================================================================================ files
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077


def private_open(path: str | os.PathLike, mode: str = "w", **kwargs):
    """`open(path, mode)` for writing a file only its owner can read: created 0600 whatever the umask, and an
    existing file is made 0600 before anything is written to it."""
    if not any(m in mode for m in "wax"):
        raise ValueError(f"private_open writes files; mode {mode!r} does not")

    def opener(p: str, flags: int) -> int:
        fd = os.open(p, flags, PRIVATE_FILE)
        if os.name == "posix":
            os.fchmod(fd, PRIVATE_FILE)
        return fd

    return open(path, mode, opener=opener, **kwargs)  # noqa: SIM115 - the caller closes it


def make_private(path: str | os.PathLike) -> None:
    """Make an existing file 0600 (a folder 0700); nothing when it does not exist or belongs to another user."""
    p = Path(path)
    if os.name != "posix" or not p.exists():
        return
    with suppress(PermissionError):
        os.chmod(p, PRIVATE_DIR if p.is_dir() else PRIVATE_FILE)


def prepare_private_file(path: str | os.PathLike) -> None:
    """Create (or truncate) `path` as an empty 0600 file, for a library that then writes it by name (xlsxwriter,
    python-docx open it for writing, which keeps the file's mode)."""
    with private_open(path, "wb"):
        pass


_umask_depth = 0
_umask_saved = 0


def hold_private_umask() -> None:
    """From now on (until `release_private_umask`), everything this process creates is 0600 or 0700: the umask
    gains 077. Calls nest; the outermost release restores the umask as it was."""
    global _umask_depth, _umask_saved
    if os.name != "posix":
        return
    if _umask_depth == 0:
        _umask_saved = os.umask(PRIVATE_UMASK)
        os.umask(_umask_saved | PRIVATE_UMASK)
    _umask_depth += 1


def release_private_umask() -> None:
    global _umask_depth
    if os.name != "posix" or _umask_depth == 0:
        return
    _umask_depth -= 1
    if _umask_depth == 0:
        os.umask(_umask_saved)


@contextmanager
def private_umask() -> Iterator[None]:
    """Within the block, every file and folder the process creates is readable by its owner only."""
    hold_private_umask()
    try:
        yield
    finally:
        release_private_umask()

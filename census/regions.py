"""The region register — a district's streets (街道/乡/镇) and communities (社区/村), with codes and aliases —
and the placing of every ingested row in a street and community.

Names are matched with and without their suffix (康盛花园 / 康盛花园社区 / 康盛花园社区居委会), across full-width
spaces and traditional characters. Without a register, names are kept as written (cleaned) and titles and file
names are searched for "…街道" and "…社区/村" with a pattern instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import layout as L
from .schema import YAML_LOADER, RegionsFile, read_yaml, schemas_dir, validate
from .text import arrow_factorize, arrow_strings, fold, halfwidth, simplified, squeeze

_COMMUNITY_SUFFIXES = ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "社区村委会", "居委会", "村委会", "社区", "村")
_STREET_SUFFIXES = ("街道办事处", "镇人民政府", "乡人民政府", "街道办", "街道", "镇", "乡")
_FREE_STREET = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:街道|镇|乡))")
_FREE_COMMUNITY = re.compile(r"([\u4e00-\u9fff]{2,10}?(?:社区|村))")


def _strip(key: str, suffixes: tuple[str, ...]) -> str:
    for s in suffixes:
        if key.endswith(s) and len(key) > len(s) + 1:
            return key[: -len(s)]
    return key


def community_key(name: str | None) -> str:
    return _strip(fold(name), _COMMUNITY_SUFFIXES)


def street_key(name: str | None) -> str:
    return _strip(fold(name), _STREET_SUFFIXES)


def display(name: str | None) -> str:
    """A name as shown when it is not in the register: simplified, half-width, without spaces."""
    return squeeze(simplified(halfwidth(name or "")))


@dataclass(frozen=True)
class Street:
    name: str
    code: str


@dataclass(frozen=True)
class Community:
    name: str
    code: str
    type: str | None
    street: Street


@dataclass
class Register:
    """A compiled register; `Register()` (empty) matches nothing and keeps names as written."""

    name: str = ""
    code: str = ""
    streets: list[Street] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    source_yaml: str = ""
    _street_keys: dict[str, Street] = field(default_factory=dict, repr=False)
    _community_keys: dict[str, list[Community]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_file(cls, path: Path | str) -> Register:
        text = Path(path).read_text(encoding="utf-8")
        return cls.from_yaml(text, str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "regions") -> Register:
        """Parse and validate a register; the same text is compiled once per process."""
        return _compiled(text, source)

    @classmethod
    def _build(cls, text: str, source: str) -> Register:
        data = yaml.load(text, Loader=YAML_LOADER) if text.strip() else None
        model = validate(RegionsFile, data, source)
        reg = cls(model.name, model.code, source_yaml=text)
        for s in model.streets:
            st = Street(s.name, s.code)
            reg.streets.append(st)
            for k in {street_key(s.name), fold(s.name), *map(street_key, s.aliases), *map(fold, s.aliases)}:
                if k:
                    reg._street_keys[k] = st
            for c in s.communities:
                cm = Community(c.name, c.code, c.type, st)
                reg.communities.append(cm)
                for k in {community_key(c.name), fold(c.name), *map(community_key, c.aliases), *map(fold, c.aliases)}:
                    if k and cm not in reg._community_keys.setdefault(k, []):
                        reg._community_keys[k].append(cm)
        return reg

    def __bool__(self) -> bool:
        return bool(self.streets)

    # ------------------------------------------------------------------ exact names (a column or a context line)
    def street(self, text: str | None) -> Street | None:
        if not text:
            return None
        return self._street_keys.get(fold(text)) or self._street_keys.get(street_key(text))

    def community(self, text: str | None, street: Street | None = None) -> Community | None:
        """The community a cell names; a name shared by communities of two streets needs `street` to decide.
        A cell may also carry the street: "雨花街道康盛花园社区"."""
        if not text:
            return None
        hits = self._community_keys.get(fold(text)) or self._community_keys.get(community_key(text))
        if not hits:
            return self.search(text)[1]
        if len(hits) == 1:
            return hits[0]
        if street is not None:
            for c in hits:
                if c.street == street:
                    return c
        return None

    # ------------------------------------------------------------------ free text (titles, file and sheet names)
    def search(self, text: str | None) -> tuple[Street | None, Community | None]:
        """The street and community named somewhere inside a title or path ("雨花街道康盛花园社区新的社会阶层人士台账")."""
        if not text:
            return None, None
        key = fold(text)
        if not self:
            st = _FREE_STREET.search(display(text))
            rest = display(text)[st.end():] if st else display(text)
            cm = _FREE_COMMUNITY.search(rest)
            street = Street(st.group(1), "") if st else None
            return street, (Community(cm.group(1), "", None, street or Street("", "")) if cm else None)
        street = None
        for k in sorted(self._street_keys, key=len, reverse=True):
            if len(k) >= 2 and k in key:
                street = self._street_keys[k]
                break
        community = None
        for k in sorted(self._community_keys, key=len, reverse=True):
            if len(k) >= 2 and k in key:
                hits = self._community_keys[k]
                pick = [c for c in hits if street is None or c.street == street]
                if len(pick) == 1:
                    community = pick[0]
                    break
        if community is not None and street is None:
            street = community.street
        return street, community


@lru_cache(maxsize=4)
def _compiled(text: str, source: str) -> Register:
    return Register._build(text, source)


def init_register(district: str) -> str:
    """A register skeleton (YAML text) for a district, from the national street list: streets with their real
    codes, communities left for the district to fill in. `district` is a 6-digit code or a county name."""
    import csv

    base = schemas_dir() / "divisions"
    with (base / "areas.csv").open(encoding="utf-8") as fh:
        areas = list(csv.DictReader(fh))
    matches = [a for a in areas if a["code"] == district or a["name"] == district]
    if not matches:
        from .errors import UsageError

        raise UsageError(f"{district!r} is neither a 6-digit county code nor a county name in the division list.")
    if len(matches) > 1:
        from .errors import UsageError

        names = ", ".join(f"{a['code']} {a['name']}" for a in matches[:5])
        raise UsageError(f"{district!r} names several counties ({names}); give the 6-digit code instead.")
    area = matches[0]
    with (base / "streets.csv").open(encoding="utf-8") as fh:
        streets = [s for s in csv.DictReader(fh) if s["areaCode"] == area["code"]]
    doc = {
        "name": area["name"],
        "code": area["code"],
        "streets": [{"name": s["name"], "code": s["code"], "communities": []} for s in streets],
    }
    header = ("# Region register for census: fill in each street's communities and villages\n"
              "# ({name, code (12 digits), type (111 urban … 220 village), aliases}).\n")
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def load_register_file(path: Path | str) -> Register:
    data = read_yaml(Path(path))
    validate(RegionsFile, data, str(path))
    return Register.from_file(path)


# ============================================================================================ placing rows
def table_context(lay: L.Layout, sheet: str, display_path: str, street: str | None, community: str | None,
                  register: Register) -> dict[str, str]:
    """The street and community every row of a table inherits when its own cells are empty — from the lines
    above its header, its titles, the sheet name, the file and folder names, then the --street/--community
    options — and where each was found (`_street_from`, `_community_from`)."""
    ctx: dict[str, str] = {}
    candidates: list[tuple] = []  # (from, street, community): places `Register.search` found, or names as text
    c = lay.context
    if c.get("street") or c.get("community"):
        candidates.append(("context", c.get("street"), c.get("community")))
    if c.get("reporting_unit"):
        st, cm = register.search(c["reporting_unit"])
        candidates.append(("context", st, cm))
    for title in lay.titles:
        st, cm = register.search(title)
        if st or cm:
            candidates.append(("title", st, cm))
    if sheet:
        st, cm = register.search(sheet)
        if st or cm:
            candidates.append(("sheet", st, cm))
    parts = Path(display_path).with_suffix("").parts
    for part in reversed(parts):
        st, cm = register.search(part)
        if st or cm:
            candidates.append(("path", st, cm))
    if street or community:
        candidates.append(("option", street, community))
    for origin, st, cm in candidates:
        if cm and "community" not in ctx:
            ctx["community"], ctx["_community_from"] = _name(cm), origin
            if st and "street" not in ctx:
                ctx["street"], ctx["_street_from"] = _name(st), origin
        elif st and "street" not in ctx:
            ctx["street"], ctx["_street_from"] = _name(st), origin
    return ctx


def block_context(lay: L.Layout, data_mask: np.ndarray, register: Register) -> pd.DataFrame:
    """Per data row, what the nearest context line above it *inside* the table says (a sheet holding several
    units' blocks, each under its own "单位：… 性质：…" line). Columns work_unit, unit_type, street, community."""
    keys = ("work_unit", "unit_type", "street", "community")
    n = int(data_mask.sum())
    if not lay.row_context:
        return pd.DataFrame({k: pd.Series(pd.NA, index=range(n), dtype="string") for k in keys})
    starts = sorted(lay.row_context)
    values: dict[str, list] = {k: [] for k in keys}
    for i in starts:
        found = dict(lay.row_context[i])
        if found.get("reporting_unit"):
            st, cm = register.search(found["reporting_unit"])
            found.setdefault("street", _name(st))
            found.setdefault("community", _name(cm))
        for k in keys:  # a new block starts: what the previous block said no longer applies
            values[k].append(found.get(k) or None)
    # the block of each data row: the last context line above it (-1: above the first one)
    block = np.searchsorted(np.asarray(starts), np.flatnonzero(data_mask), side="right") - 1
    out = {}
    for k in keys:
        column = np.array([*values[k], None], dtype=object)  # index -1 picks the trailing None
        out[k] = pd.array(column[block], dtype="string")
    return pd.DataFrame(out)


def _name(place: Street | Community | str | None) -> str | None:
    """The name of a street or community found by `Register.search` (which searches the names' shapes when the
    register is empty), or a name given as text (a context line, an option)."""
    return place if place is None or isinstance(place, str) else place.name


def assign_regions(frame: pd.DataFrame, register: Register) -> pd.DataFrame:
    """street, street_code, community, community_code, region_from and an issue per record: from the row's
    own cells, else a context line of its block, else the table's context (title, sheet, path, options)."""
    cols = ["f_street", "f_community", "fb_street", "fb_community", "fb_street_from", "fb_community_from"]
    # the distinct combinations: each column dictionary-encoded (Arrow), then the distinct rows of the codes
    dictionaries, columns = [], []
    for c in cols:
        codes, values = arrow_factorize(arrow_strings(frame[c]))
        dictionaries.append([*values, None])  # the last code stands for a missing cell
        columns.append(codes)
    codes = np.zeros(len(frame), dtype=np.int64)
    for column, d in zip(columns, dictionaries, strict=True):  # one column more at a time: never overflows
        codes = pd.factorize(codes * len(d) + column)[0].astype(np.int64)
    first = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # each combination's first row
    distinct = np.column_stack(columns)[first] if len(first) else np.zeros((0, len(cols)), dtype=np.int64)
    results = []
    for combo in distinct:
        s, c, bs, bc, bsf, bcf = (d[k] for d, k in zip(dictionaries, combo, strict=True))
        here = {"street": bs, "community": bc, "_street_from": bsf, "_community_from": bcf}
        results.append(_resolve_one(s, c, here, register))
    fields = ["street", "street_code", "community", "community_code", "region_from", "issue", "issue_value"]
    table = np.array(results, dtype=object).reshape(len(results), len(fields))
    return pd.DataFrame({f: table[codes, k] for k, f in enumerate(fields)}, index=frame.index)


def _resolve_one(s: str | None, c: str | None, ctx: dict[str, str], register: Register) -> tuple:
    """One record's region from its own cells `s`/`c`, else the table context."""
    if s or c:
        origin, street_text, community_text = "column", s, c
        if s and not c and ctx.get("community") and street_key(ctx.get("street") or "") == street_key(s):
            community_text = ctx["community"]  # the row names its street; the title names the community in it
    else:
        origin = ctx.get("_community_from") or ctx.get("_street_from")
        street_text, community_text = ctx.get("street"), ctx.get("community")
    if not register:
        return display(street_text) or None, None, display(community_text) or None, None, origin, None, None
    street = register.street(street_text) if street_text else None
    issue = value = None
    if street_text and street is None:
        issue, value = "region.unknown_street", street_text
    community = register.community(community_text, street) if community_text else None
    if community_text and community is None:
        issue, value = "region.unknown_community", community_text
    if community is not None and street is not None and community.street != street:
        issue, value = "region.street_mismatch", f"{community_text}（{street_text}）"
    if community is not None and street is None:
        street = community.street
    return (
        street.name if street else (display(street_text) or None),
        street.code if street else None,
        community.name if community else (display(community_text) or None),
        community.code if community else None,
        origin, issue, value,
    )

"""Placing every row in a street and community: from its own cells, else a context line of its block, else what
the table says (lines above its header, titles, the sheet name, the file and folder names, then the
--street/--community options), matched against the district's register."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Community, Register, Street
from ..config.regions import display, street_key
from ..text import arrow_factorize, arrow_strings
from .layout import Layout


def table_context(lay: Layout, sheet: str, display_path: str, street: str | None, community: str | None,
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


def block_context(lay: Layout, data_mask: np.ndarray, register: Register) -> pd.DataFrame:
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

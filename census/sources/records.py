"""Normalising a batch's rows into records (phase 2 of preparing files): every field of every data row of a batch
of tables at once — names, IDs, phones, dates, code tables, free text, unit keys, places — and the issues found,
in the column layout of the workspace's `records` and `issues` tables.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Register, Schemas
from ..issues import messages as issue_messages
from ..issues import severity
from ..text import SPACES_RE2, arrow_mask, arrow_strings, halfwidth_lower_many, simplified_many
from ..vocab import CPC_MEMBER, NON_CPC, QUARANTINED, RECORD
from .columns import code_column, date_column, id_column, name_column, per_distinct, phone_column
from .places import assign_regions
from .roster import ROSTER_FIELDS, arrangements
from .values import known_address_codes

# The columns of `records` filled by the ingest (see store.py), in order.
RECORD_COLUMNS = [
    "name", "name_raw", "name_pinyin", "sex", "id_number", "id_raw", "id_valid", "id_code", "birth_date", "birth_precision",
    "phone", "phones", "phone_raw", "ethnicity", "education", "political_status", "party", "work_unit", "unit_key",
    "unit_type", "position", "occupation", "category_raw", "representative", "street", "street_code", "community",
    "community_code", "region_from", "address", "note", "col_range", "arrangements",
]
_TYPED = {"id_valid": pa.bool_(), "birth_date": pa.timestamp("s"), "representative": pa.bool_()}
RECORD_SCHEMA = pa.schema([("ordinal", pa.int64()), ("sheet", pa.string()), ("row", pa.int64()), ("status", pa.string()),
                            ("reason", pa.string()), ("source_kind", pa.string()),
                            *((c, _TYPED.get(c, pa.string())) for c in RECORD_COLUMNS)])


ISSUE_COLUMNS = ("ordinal", "sheet", "row", "column", "field", "code", "severity", "value", "message")
NONDATA_SCHEMA = pa.schema([("sheet", pa.string()), ("row", pa.int64()), ("kind", pa.string()), ("text", pa.string())])
ISSUE_SCHEMA = pa.schema([(c, pa.int64() if c in ("ordinal", "row") else pa.string()) for c in ISSUE_COLUMNS])


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})


def _as_text(v) -> str | None:
    """An issue's value as text (a cell is text already; a flag or number is written out)."""
    return None if v is None else str(v)


def normalize(frame: pd.DataFrame, schemas: Schemas, register: Register,
               labels: dict[int, dict[str, str]]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Phase 2, over every row of the batch at once: the normalised record columns (Series or arrays, one per
    column of `_RECORD_SCHEMA`, row for row with `frame`), and the issues found."""
    quarantined = frame["reason"].notna().to_numpy()
    out: dict[str, Any] = {"ordinal": frame["ordinal"], "sheet": frame["sheet"], "row": frame["row"],
                           "col_range": frame["col_range"], "source_kind": frame["source_kind"],
                           "status": np.where(quarantined, QUARANTINED, RECORD), "reason": frame["reason"]}
    issue_frames: list[pd.DataFrame] = []

    where: dict[str, np.ndarray] = {}  # the rows' part, ordinal, sheet and row, made NumPy arrays once

    def at(m: np.ndarray) -> dict[str, np.ndarray]:
        """The part, ordinal, sheet and row of the rows where `m` holds."""
        if not where:
            where.update({k: frame[k].to_numpy() for k in ("part", "ordinal", "sheet", "row")})
        return {k: v[m] for k, v in where.items()}

    def add_issues(f: str, codes: pd.Series, values: pd.Series) -> None:
        m = codes.notna().to_numpy() & ~quarantined
        if m.any():
            issue_frames.append(pd.DataFrame({
                **at(m), "field": f, "code": codes[m].to_numpy(dtype=object),
                "value": values[m].astype("object").to_numpy(),
            }))

    def codes_where(mask, code: str) -> pd.Series:
        """`code` on the rows where `mask` holds, None elsewhere (a column of issue codes for add_issues)."""
        return pd.Series(np.where(np.asarray(mask, dtype=bool), code, None), index=frame.index, dtype="object")

    name_raw = frame["f_name"]
    nm = name_column(name_raw)
    out["name"], out["name_raw"], out["name_pinyin"] = nm["name"], name_raw, nm["pinyin"]
    add_issues("name", nm["code"], name_raw)

    id_raw = frame["f_id_number"]
    ids = id_column(id_raw, frame["lossy_id"].astype(bool))
    out["id_number"], out["id_raw"], out["id_valid"], out["id_code"] = ids["value"], id_raw, ids["valid"].astype(bool), ids["code"]
    add_issues("id_number", ids["code"], id_raw)
    prefixes = pc.utf8_slice_codeunits(arrow_strings(ids["value"]), 0, 6)  # a valid ID's county of registration
    known = arrow_mask(pc.is_in(prefixes, value_set=pa.array(sorted(known_address_codes()), type=pa.string())))
    region_warn = ids["valid"].to_numpy(dtype=bool) & arrow_mask(pc.is_valid(prefixes)) & ~known
    add_issues("id_number", codes_where(region_warn, "id.region_unknown"), id_raw)
    conv = ids["converted15"].astype(bool).to_numpy()
    add_issues("id_number", codes_where(conv, "id.converted15"), id_raw)

    ph_raw = frame["f_phone"]
    ph = phone_column(ph_raw)
    out["phone"], out["phones"], out["phone_raw"] = ph["phone"], ph["phones"], ph_raw
    add_issues("phone", ph["code"], ph_raw)

    bd_raw = frame["f_birth_date"]
    bd = date_column(bd_raw)
    add_issues("birth_date", bd["code"], bd_raw)
    id_birth = ids["birth_date"]
    out["birth_date"] = id_birth.where(id_birth.notna(), bd["value"])
    out["birth_precision"] = pd.Series(np.where(id_birth.notna(), "day", bd["precision"].astype("object")), index=frame.index, dtype="object")
    mismatch = (id_birth.notna() & bd["value"].notna() & _date_differs(id_birth, bd["value"], bd["precision"])).to_numpy()
    add_issues("birth_date", codes_where(mismatch, "id.birthdate_mismatch"), bd_raw)

    sex_raw = frame["f_sex"]
    sx = code_column(sex_raw, schemas.codes["sex"])
    add_issues("sex", sx["code"], sex_raw)
    out["sex"] = ids["sex"].where(ids["sex"].notna(), sx["value"])
    sex_mismatch = (ids["sex"].notna() & sx["value"].notna() & (ids["sex"] != sx["value"])).fillna(False).to_numpy(dtype=bool)
    add_issues("sex", codes_where(sex_mismatch, "id.sex_mismatch"), sex_raw)

    for f in ("education", "political_status"):
        res = code_column(frame[f"f_{f}"], schemas.codes[f])
        out[f] = res["value"]
        add_issues(f, res["code"], frame[f"f_{f}"])
    party_labels = schemas.codes["political_status"].party
    status = out["political_status"]
    out["party"] = np.where(status.isna(), None, np.where(status.isin(list(party_labels)), CPC_MEMBER, NON_CPC))

    arr, arr_unknown = _arrangements(frame)
    out["arrangements"] = arr
    add_issues("arrangement", codes_where(arr_unknown.notna(), "arrangement.unknown"), arr_unknown)
    rep = code_column(frame["f_representative"], schemas.codes["representative"])
    add_issues("representative", rep["code"], frame["f_representative"])
    flagged = np.where(rep["value"].isna(), None, (rep["value"] == "是").fillna(False))
    # a person holding a political arrangement, or listed on a roster, is a representative (代表人士)
    listed = arr.notna().to_numpy() | (frame["source_kind"] == "roster").to_numpy()
    out["representative"] = pd.array(np.where(listed, True, flagged), dtype="boolean")

    unit = _text_col(frame["f_work_unit"].fillna(frame["ctx_work_unit"]))
    out["work_unit"] = unit
    out["unit_key"] = unit_keys(unit, register.unit_prefixes)
    out["unit_type"] = _text_col(frame["f_unit_type"].fillna(frame["ctx_unit_type"]))
    for f, target in (("position", "position"), ("occupation", "occupation"), ("category", "category_raw"),
                      ("ethnicity", "ethnicity"), ("address", "address"), ("note", "note")):
        out[target] = _text_col(frame[f"f_{f}"])

    reg = assign_regions(frame, register)
    for k in ("street", "street_code", "community", "community_code", "region_from"):
        out[k] = reg[k]
    add_issues("community", reg["issue"], reg["issue_value"])
    unplaced = (reg["street"].isna() & reg["community"].isna() & frame["source_kind"].isin(["community_ledger", "household_register"])).to_numpy()
    add_issues("community", codes_where(unplaced, "region.unplaced"), frame["f_community"])

    cat = out["category_raw"]
    unknown = [v for v in pd.unique(cat.dropna()) if not schemas.category_known(v)]
    unknown_cat = cat.isin(unknown).to_numpy(dtype=bool)
    add_issues("category", codes_where(unknown_cat, "category.unknown"), cat)

    if quarantined.any():
        issue_frames.append(pd.DataFrame({
            **at(quarantined), "field": "",
            "code": frame["reason"].to_numpy()[quarantined], "value": frame["row_text"].to_numpy()[quarantined],
        }))
    issues = pd.concat(issue_frames, ignore_index=True) if issue_frames else empty_issues().assign(part=pd.Series(dtype="int64"))
    if len(issues):
        which, pairs = pd.factorize(pd.MultiIndex.from_arrays([issues["part"], issues["field"]]))  # a few (table, field)
        issues["column"] = np.array([labels.get(p, {}).get(f, "") for p, f in pairs], dtype=object)[which]
        issues["severity"] = issues["code"].map(severity)
        issues["value"] = issues["value"].astype("object").where(issues["value"].notna(), None).map(_as_text)
        issues["message"] = issue_messages(issues["code"].to_numpy(dtype=object), issues["value"].to_numpy(dtype=object))
        issues = issues[["part", "ordinal", "sheet", "row", "column", "field", "code", "severity", "value", "message"]]
    return out, issues


def _arrangements(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(the arrangement labels of each row, the parts of its roster cells that name no arrangement), 、-joined,
    read once per distinct combination of a row's roster cells (`roster.arrangements`)."""
    cols = [f"f_{f}" for f in ROSTER_FIELDS]
    present = frame[cols].notna().any(axis=1).to_numpy()
    labels = np.full(len(frame), None, dtype=object)
    unknown = np.full(len(frame), None, dtype=object)
    if present.any():
        rows = np.flatnonzero(present)
        cells = frame[cols].iloc[rows].astype(object)
        cells = cells.where(cells.notna(), None)
        for k, values in enumerate(cells.itertuples(index=False, name=None)):
            labels[rows[k]], unknown[rows[k]] = arrangements(tuple(zip(ROSTER_FIELDS, values, strict=True)))
    return pd.Series(labels, index=frame.index, dtype=object), pd.Series(unknown, index=frame.index, dtype=object)


def _text_col(s: pd.Series) -> pd.Series:
    """Free text (unit names, positions …): simplified, runs of spaces (full-width too) squeezed to one, and
    otherwise as written — "（中国）" keeps its full-width brackets; matching uses folded keys."""
    def convert(texts: list[str]) -> pa.Array:
        simple = pa.array(simplified_many(texts), type=pa.string())
        squeezed = pc.utf8_trim_whitespace(pc.replace_substring_regex(simple, SPACES_RE2, " "))
        return pc.if_else(pc.equal(squeezed, ""), pa.scalar(None, pa.string()), squeezed)

    return per_distinct(s, convert)


_UNIT_SUFFIX = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团公司|公司)$")


def unit_keys(names: pd.Series, prefixes: tuple[str, ...] = ()) -> pd.Series:
    """The match keys of unit names: with the register's place names as `prefixes` ("江苏省", "南京市" …),
    "南京市 XX科技有限公司" and "XX科技" share one key (one OpenCC batch and Arrow regexes over the distinct names)."""
    prefix = "^(" + "|".join(map(re.escape, prefixes)) + ")" if prefixes else None

    def convert(texts: list[str]) -> pa.Array:
        folded = pa.array(simplified_many(halfwidth_lower_many(texts)), type=pa.string())
        folded = pc.replace_substring_regex(folded, r"[^\p{L}\p{N}]+", "")
        stripped = pc.replace_substring_regex(folded, prefix, "") if prefix else folded
        stripped = pc.replace_substring_regex(stripped, _UNIT_SUFFIX.pattern, "")
        return pc.if_else(pc.equal(stripped, ""), folded, stripped)

    return per_distinct(names, convert)


def _date_differs(a: pd.Series, b: pd.Series, precision: pd.Series) -> pd.Series:
    a, b = pd.to_datetime(a), pd.to_datetime(b)
    day = (a != b)
    month = (a.dt.year != b.dt.year) | (a.dt.month != b.dt.month)
    year = a.dt.year != b.dt.year
    p = precision.fillna("day")
    return pd.Series(np.where(p == "year", year, np.where(p == "month", month, day)), index=a.index).fillna(False).astype(bool)

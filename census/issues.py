"""Data problems are data: every issue has a stable code, a severity, a title and a message template.

An issue is stored with its place (file, sheet, row, column) and the raw value. `CODES` is the one table of codes,
for row-level issues found at ingest and person-level issues found when persons are built or classified alike;
the README's table is generated from it (`census codes`), so the two cannot drift apart. `issue_rows` fills a
frame of found issues with their severity and message from the table.

Severities: `error` — the value is unusable (an ID that fails its checksum is never a link key);
`warning` — the value is used but doubtful; `quarantine` — the whole row is not a record;
`conflict` — records of one person disagree and a clerk should decide (核查).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    message: str  # may use {value}
    message_zh: str = ""  # the Chinese message, where one is stored (person-level issues); may use {value}


_TABLE = [
    # ID numbers (GB 11643-1999)
    Code("id.checksum", "error", "身份证号校验位错误", "the ID number {value} fails its check digit (a mistyped or swapped digit); it is not used to link records"),
    Code("id.length", "error", "身份证号位数错误", "the ID number {value} has neither 18 nor 15 digits"),
    Code("id.format", "error", "身份证号含非法字符", "the ID number {value} contains characters other than digits and a final X"),
    Code("id.precision_lost", "error", "身份证号被Excel截断", "the ID number {value} was typed into a numeric cell, so Excel kept only 15 significant digits; re-enter it as text"),
    Code("id.birthdate_invalid", "error", "身份证号出生日期无效", "the ID number {value} holds an impossible birth date"),
    Code("id.region_unknown", "warning", "身份证号地址码未知", "the ID number {value} starts with an address code that is not in the current division list (it may be an old code)"),
    Code("id.converted15", "warning", "15位身份证号已升位", "the 15-digit ID number {value} was converted to 18 digits"),
    Code("id.birthdate_mismatch", "warning", "出生日期与身份证号不符", "the birth date {value} disagrees with the one in the ID number"),
    Code("id.sex_mismatch", "warning", "性别与身份证号不符", "the sex {value} disagrees with the one in the ID number"),
    # phones
    Code("phone.format", "warning", "电话号码无法识别", "{value} is neither an 11-digit mobile number nor a landline"),
    Code("phone.precision_lost", "warning", "电话号码被Excel截断", "the phone number {value} lost digits in a numeric cell"),
    # other fields
    Code("name.suspicious", "warning", "姓名可疑", "the name {value} contains digits or symbols"),
    Code("date.format", "warning", "日期无法识别", "{value} is not a date in any known form"),
    Code("sex.unknown", "warning", "性别无法识别", "{value} is not a known way of writing a sex"),
    Code("education.unknown", "warning", "学历无法识别", "{value} is not a GB/T 4658 education level or a known variant"),
    Code("political_status.unknown", "warning", "政治面貌无法识别", "{value} is not a GB/T 4762 political status or a known variant"),
    Code("representative.unknown", "warning", "代表人士标记无法识别", "{value} is neither yes nor no"),
    Code("arrangement.unknown", "warning", "政治安排无法识别", "{value} is not a political arrangement census knows (人大代表, 政协委员, 工商联, 新联会 or 特约人员 posts)"),
    Code("category.unknown", "warning", "人员类别无法识别", "{value} is not a category of any scheme"),
    # regions
    Code("region.unknown_street", "warning", "街道不在区划名册中", "the street {value} is not in the region register"),
    Code("region.unknown_community", "warning", "社区不在区划名册中", "the community {value} is not in the region register"),
    Code("region.street_mismatch", "warning", "社区与街道不符", "the community {value} belongs to another street in the register"),
    Code("region.unplaced", "warning", "无法确定所属社区", "the row names no street or community, and neither do its file, sheet or options"),
    # rows
    Code("row.no_identity", "quarantine", "无姓名且无身份证号", "the row has neither a name nor an ID number"),
    Code("row.all_numeric", "quarantine", "整行均为数字", "every cell of the row is a number (a column-number row or a misplaced block)"),
    Code("row.name_only", "quarantine", "仅有姓名", "the row has a name and nothing else to tell who it is"),
    # persons (linking and classification)
    Code("person.conflict_category", "conflict", "人员类别冲突", "the records declare categories that are different categories of the scheme: {value}",
         "人员类别申报不一致：{value}"),
    Code("person.conflict_community", "conflict", "所属社区冲突", "the records place the person in different communities: {value}",
         "所属社区冲突：{value}"),
    Code("person.conflict_birth_date", "conflict", "出生日期冲突", "the records give different birth dates: {value}",
         "出生日期冲突：{value}"),
    Code("person.category_evidence", "conflict", "申报类别与证据不符", "the declared category contradicts the evidence: {value}",
         "{value}"),
]

CODES: dict[str, Code] = {c.code: c for c in _TABLE}


def message(code: str, value: object = "") -> str:
    return CODES[code].message.format(value=value if value not in (None, "") else "(empty)")


def messages(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`message` for many issues at once (`values`: text or None): a code whose template holds `{value}` once
    and no other braces is filled with Arrow over all its issues, any other one by one."""
    out = np.empty(len(codes), dtype=object)
    for code in dict.fromkeys(codes.tolist()):
        rows = np.flatnonzero(codes == code)
        template = CODES[code].message
        pre, _, post = template.partition("{value}")
        try:
            if template.count("{value}") != 1 or "{" in pre + post or "}" in pre + post:
                raise TypeError("not a template with exactly one plain {value}")
            text = pc.fill_null(pa.array(values[rows], type=pa.string()), "")
            text = pc.if_else(pc.equal(text, ""), "(empty)", text)
            out[rows] = pc.binary_join_element_wise(pre, text, post, "").to_numpy(zero_copy_only=False)
        except (TypeError, pa.ArrowException):  # not text, or not a plain template: as `message` does
            out[rows] = [message(code, v) for v in values[rows]]
    return out


def severity(code: str) -> str:
    return CODES[code].severity


# the columns of the workspace's `issues` table, in order: `round` is the round (year) of the record or person,
# `scheme` the scheme a person's category conflict is of (NULL for every other issue)
ISSUE_COLUMNS = ("record_id", "person_id", "source_id", "sheet", "row", "column", "field", "code", "severity", "value",
                 "message", "round", "scheme")


def person_issue_rows(found: pd.DataFrame) -> pd.DataFrame:
    """Person-level issues (columns person_id, round, field, code, value; optionally scheme, and `detail` for the
    message where it is not the value) as rows of the `issues` table: severity and message from the code table."""
    out = pd.DataFrame({c: pd.Series([None] * len(found), dtype="object") for c in ISSUE_COLUMNS})
    for c in ("person_id", "round", "scheme", "field", "code", "value"):
        if c in found:
            out[c] = found[c].to_numpy(dtype=object)
    shown = found["detail"] if "detail" in found else found["value"]
    out["severity"] = [CODES[c].severity for c in out["code"]]
    out["message"] = [CODES[c].message_zh.format(value=v) for c, v in zip(out["code"], shown, strict=True)]
    return out

"""Data problems are data: every issue has a stable code, a severity, a title and a message template.

An issue is stored with its place (file, sheet, row, column) and the raw value. `CODES` is the one table of codes,
for row-level issues found at ingest and person-level issues found when persons are built or classified alike;
the README's table is generated from it (`census codes`), so the two cannot drift apart. `issue_rows` fills a
frame of found issues with their severity and message from the table.

Titles and message templates are Chinese, marked with `N_()` for the catalog. The message stored with an issue
is the Chinese template filled in (the workspace's record, the same in every language); what is shown on the
screen (`census codes`, the ingest summary) goes through `_()`.

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

from .i18n import N_


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    message: str  # may use {value}


_TABLE = [
    # ID numbers (GB 11643-1999)
    Code("id.checksum", "error", N_("身份证号校验位错误"), N_("身份证号{value}校验位不对（有数字输错或前后颠倒），不用于关联记录")),
    Code("id.length", "error", N_("身份证号位数错误"), N_("身份证号{value}既不是18位也不是15位")),
    Code("id.format", "error", N_("身份证号含非法字符"), N_("身份证号{value}含有数字和末位X以外的字符")),
    Code("id.precision_lost", "error", N_("身份证号被Excel截断"), N_("身份证号{value}录在数值格式的单元格里，Excel只保留了15位有效数字；请以文本格式重新录入")),
    Code("id.birthdate_invalid", "error", N_("身份证号出生日期无效"), N_("身份证号{value}中的出生日期不存在")),
    Code("id.region_unknown", "warning", N_("身份证号地址码未知"), N_("身份证号{value}的地址码不在现行区划代码中（可能是旧代码）")),
    Code("id.converted15", "warning", N_("15位身份证号已升位"), N_("15位身份证号{value}已升为18位")),
    Code("id.birthdate_mismatch", "warning", N_("出生日期与身份证号不符"), N_("出生日期{value}与身份证号中的出生日期不一致")),
    Code("id.sex_mismatch", "warning", N_("性别与身份证号不符"), N_("性别“{value}”与身份证号显示的性别不一致")),
    # phones
    Code("phone.format", "warning", N_("电话号码无法识别"), N_("{value}既不是11位手机号，也不是固定电话")),
    Code("phone.precision_lost", "warning", N_("电话号码被Excel截断"), N_("电话号码{value}录在数值格式的单元格里，丢失了数字")),
    # other fields
    Code("name.suspicious", "warning", N_("姓名可疑"), N_("姓名“{value}”含有数字或符号")),
    Code("date.format", "warning", N_("日期无法识别"), N_("“{value}”不是可识别的日期写法")),
    Code("sex.unknown", "warning", N_("性别无法识别"), N_("“{value}”不是可识别的性别写法")),
    Code("education.unknown", "warning", N_("学历无法识别"), N_("“{value}”不是 GB/T 4658 的学历，也不是其常见写法")),
    Code("political_status.unknown", "warning", N_("政治面貌无法识别"), N_("“{value}”不是 GB/T 4762 的政治面貌，也不是其常见写法")),
    Code("representative.unknown", "warning", N_("代表人士标记无法识别"), N_("“{value}”既不是“是”也不是“否”")),
    Code("arrangement.unknown", "warning", N_("政治安排无法识别"),
         N_("“{value}”不是可识别的政治安排（人大代表、政协委员、工商联、新联会或特约人员的职务）")),
    Code("category.unknown", "warning", N_("人员类别无法识别"), N_("“{value}”不是任何分类方案中的人员类别")),
    # regions
    Code("region.unknown_street", "warning", N_("街道不在区划名册中"), N_("街道“{value}”不在区划名册中")),
    Code("region.unknown_community", "warning", N_("社区不在区划名册中"), N_("社区“{value}”不在区划名册中")),
    Code("region.street_mismatch", "warning", N_("社区与街道不符"), N_("社区“{value}”在区划名册中属于另一个街道")),
    Code("region.unplaced", "warning", N_("无法确定所属社区"), N_("该行没有写街道和社区，文件名、工作表名和命令选项也没有指明")),
    # rows
    Code("row.no_identity", "quarantine", N_("无姓名且无身份证号"), N_("该行既没有姓名也没有身份证号")),
    Code("row.all_numeric", "quarantine", N_("整行均为数字"), N_("该行每个单元格都是数字（可能是列序号行或错位的数据块）")),
    Code("row.name_only", "quarantine", N_("仅有姓名"), N_("该行只有姓名，没有其他能确认身份的信息")),
    Code("row.no_header", "quarantine", N_("找不到表头"),
         N_("这一行有数据，但所在工作表（或表格）没有一行表头写明姓名或身份证号及其他字段：{value}")),
    Code("row.unexplained", "quarantine", N_("表格之外的数据"),
         N_("这一行像是数据，但在表头之上或在各表格之外，无法归入任何表格：{value}")),
    # lines of a text file the reader could not read whole (the row is the line number)
    Code("text.undecodable", "quarantine", N_("无法解码的行"),
         N_("这一行含有无法识别的字节（文件损坏，或混用了编码），未作为记录读入；请对照原文件核对此行：{value}")),
    Code("text.nul", "quarantine", N_("含空字符的行"),
         N_("这一行含有空字符（NUL，文件可能已损坏），未作为记录读入；请对照原文件核对此行：{value}")),
    Code("text.unclosed_quote", "quarantine", N_("引号未闭合的行"),
         N_("这一行的引号没有闭合，会吞掉后面的行，因此单独隔离；请在原文件中补上引号：{value}")),
    Code("text.unparsable", "quarantine", N_("无法解析的行"),
         N_("这一行无法按 CSV 格式解析，未作为记录读入；请对照原文件核对此行：{value}")),
    # persons (linking and classification)
    Code("person.conflict_category", "conflict", N_("人员类别冲突"), N_("人员类别申报不一致：{value}")),
    Code("person.conflict_community", "conflict", N_("所属社区冲突"), N_("所属社区冲突：{value}")),
    Code("person.conflict_birth_date", "conflict", N_("出生日期冲突"), N_("出生日期冲突：{value}")),
    Code("person.category_evidence", "conflict", N_("申报类别与证据不符"), N_("申报类别与证据不符（{value}）")),
]

CODES: dict[str, Code] = {c.code: c for c in _TABLE}


EMPTY = "（空）"  # the value of an issue whose cell is empty, in its message


def message(code: str, value: object = "") -> str:
    """The message stored with an issue: the code's (Chinese) template filled with the value."""
    return CODES[code].message.format(value=value if value not in (None, "") else EMPTY)


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
            text = pc.if_else(pc.equal(text, ""), EMPTY, text)
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
    out["message"] = [CODES[c].message.format(value=v) for c, v in zip(out["code"], shown, strict=True)]
    return out

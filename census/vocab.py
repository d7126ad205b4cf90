"""The words of the census, defined once: source kinds, row kinds, classification groups, the labels of
totals and unknowns, the tally dimensions, region-name suffixes, pair statuses, link rules, output formats.

Every module that needs one of these imports it from here; the Chinese label a person reads sits beside the
internal name it stands for, so no internal name needs to reach a page. Labels are marked with `N_()` for the
catalog and shown with `_()`; values stored in the workspace or matched against data (未知, 小计, 合计, the labels
of a tally's rows) stay as written.
"""

from __future__ import annotations

from .i18n import N_

# ---------------------------------------------------------------------------------------------- sources
# what kind of file a row came from; the order is the order tables list them in
SOURCE_KINDS = ("community_ledger", "unit_ledger", "household_register", "questionnaire", "roster", "other")
SOURCE_KIND_LABELS = {
    "community_ledger": N_("社区台账"), "unit_ledger": N_("单位台账"), "household_register": N_("住户台帐"),
    "questionnaire": N_("问卷"), "roster": N_("代表人士名册"), "other": N_("其他来源"),
}
REVIEW_SOURCE = "review"  # a clerk's correction, ranked above every file
REVIEW_SOURCE_LABEL = N_("核查结论")

# ---------------------------------------------------------------------------------------------- rows
# what each row of a sheet is (sources.layout decides; every row gets exactly one)
TITLE, CONTEXT, HEADER, BLANK, DATA = "title", "context", "header", "blank", "data"
TOTAL_ROW, SIGNATURE, NOTE, HEADER_REPEAT = "total", "signature", "note", "header_repeat"
HINT, EXAMPLE = "hint", "example"  # a template's "（必填）/格式：…" row under the header; its "例"/张三 example row
FORM_ROW = "form"  # a row of a registration form (一人一表) read into the record of the form's first row
SKIPPED_SHEET = "skipped_sheet"
NONDATA_KINDS = (TITLE, CONTEXT, HEADER, TOTAL_ROW, SIGNATURE, NOTE, HEADER_REPEAT, HINT, EXAMPLE, FORM_ROW)
# kinds the layout step gives on the way and resolves before anything is stored: the header of a new block of a
# sheet (the sheet is split there); a row that holds data where no table can take it (quarantined)
BLOCK_HEADER, UNEXPLAINED = "block_header", "unexplained"
# sheets.status: read; skipped (no table, no data: an instructions sheet); quarantined (data but no table: its
# rows are quarantined)
SHEET_READ, SHEET_SKIPPED, SHEET_QUARANTINED = "read", "skipped", "quarantined"
RECORD, QUARANTINED = "record", "quarantined"  # records.status

# ---------------------------------------------------------------------------------------------- classification
NEW_CLASS, OUTSIDE, EXCLUDED, UNRESOLVED = "new_class", "outside", "excluded", "unresolved"
GROUPS = (NEW_CLASS, OUTSIDE, EXCLUDED, UNRESOLVED)
GROUP_LABELS = {NEW_CLASS: N_("新的社会阶层人士"), OUTSIDE: N_("非公有制经济人士等"), EXCLUDED: N_("不属于统计范围"),
                UNRESOLVED: N_("待核实")}

# ---------------------------------------------------------------------------------------------- tables
UNKNOWN = "未知"
SUBTOTAL = N_("小计")  # (the row labels of tables: shown with _(), stored nowhere)
TOTAL = N_("合计")
SECONDARY_MARK = "×"  # a cell hidden by complementary suppression (so that a small one cannot be recovered)
DIMENSION_LABELS = {
    "category": N_("类别"), "district": N_("区县"), "street": N_("街道"), "community": N_("社区"), "sex": N_("性别"), "age_band": N_("年龄段"),
    "education": N_("学历"), "political_status": N_("政治面貌"), "party": N_("党派"), "representative": N_("代表人士"),
    "unit_type": N_("单位性质"), "source_kind": N_("来源"), "arrangement": N_("政治安排"), "round": N_("年度"),
}
MULTI_VALUED = ("arrangement",)  # a person may hold several values: counted under each, once in 小计 and 合计
DIMENSIONS = tuple(DIMENSION_LABELS)
DEFAULT_AGE_BANDS = (30, 40, 50, 60)
REPRESENTATIVE, NOT_REPRESENTATIVE = "代表人士", "非代表人士"

# ---------------------------------------------------------------------------------------------- arrangements
# political arrangements of representatives (代表人士), as rosters write them: 人大代表 and 政协委员 by level,
# posts in 工商联 and 新联会, 特约人员; the labels in the order tables list them (a body alone: its level or post
# is not known)
ARRANGEMENT_LEVELS = ("全国", "省", "市", "区")
NPC, CPPCC, ACFIC, NSCA, SPECIAL = "人大代表", "政协委员", "工商联", "新联会", "特约人员"
ACFIC_POSTS = ("主席", "副主席", "常委", "执委", "会员")
NSCA_POSTS = ("会长", "副会长", "秘书长", "常务理事", "理事", "会员")
ARRANGEMENTS = (
    *(f"{lvl}{NPC}" for lvl in ARRANGEMENT_LEVELS), NPC,
    *(f"{lvl}{CPPCC}" for lvl in ARRANGEMENT_LEVELS), CPPCC,
    *(f"{ACFIC}{post}" for post in ACFIC_POSTS), ACFIC,
    *(f"{NSCA}{post}" for post in NSCA_POSTS), NSCA,
    SPECIAL,
)
ARRANGEMENT_BODIES = (NPC, CPPCC, ACFIC, NSCA, SPECIAL)
NO_ARRANGEMENT = "无政治安排"
ARRANGEMENT_SEPARATOR = "、"  # between a record's arrangements, as stored


def arrangement_body(label: str) -> str:
    """The body an arrangement label belongs to: 区人大代表 → 人大代表, 工商联执委 → 工商联."""
    return next((b for b in ARRANGEMENT_BODIES if b in label), label)
CPC_MEMBER, NON_CPC = "中共党员", "党外"


def age_band_labels(bands: tuple[int, ...] = DEFAULT_AGE_BANDS) -> list[str]:
    """"<30", "30-39", …, "≥60": the labels of the age bands, in order."""
    return [f"<{bands[0]}", *(f"{lo}-{hi - 1}" for lo, hi in zip(bands, bands[1:], strict=False)), f"≥{bands[-1]}"]


# ---------------------------------------------------------------------------------------------- regions
# how names of communities and streets end; a name is matched with and without its suffix (longest first)
COMMUNITY_SUFFIXES = ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "社区村委会", "居委会", "村委会", "社区", "村")
STREET_SUFFIXES = ("街道办事处", "镇人民政府", "乡人民政府", "街道办", "街道", "镇", "乡")
URBAN_RURAL = {"1": "城镇", "2": "乡村"}  # the first digit of a 城乡分类代码
# what a clerk writes for a community's type in a register instead of a 城乡分类代码
COMMUNITY_TYPE_WORDS = {"社区": "城镇", "居委会": "城镇", "社区居委会": "城镇", "居民委员会": "城镇", "城镇": "城镇", "城市": "城镇",
                        "村": "乡村", "村委会": "乡村", "行政村": "乡村", "村民委员会": "乡村", "乡村": "乡村", "农村": "乡村"}

# ---------------------------------------------------------------------------------------------- linking
# pairs.status: linked; sent to a clerk; not linked because it would join two valid IDs or a cannot-link pair;
# a clerk already decided it
PAIR_STATUSES = ("accepted", "review", "refused", "decided")
PAIR_STATUS_LABELS = {"accepted": N_("已关联为同一人"), "review": N_("待核查"),
                      "refused": N_("不关联（会把两个有效身份证号或核查否定的两条记录并为一人）"), "decided": N_("已由核查决定")}
# links.rule: how a record came to its person
LINK_RULES = ("id", "probabilistic", "review", "single", "given")
LINK_RULE_LABELS = {"id": N_("身份证号相同"), "probabilistic": N_("概率匹配"), "review": N_("核查确认"), "single": N_("仅一条记录"),
                    "given": N_("指定")}
PERSON_ID_WIDTH = 7

# ---------------------------------------------------------------------------------------------- issues
SEVERITY_LABELS = {"error": N_("错误"), "warning": N_("警告"), "conflict": N_("冲突"), "quarantine": N_("隔离")}

# ---------------------------------------------------------------------------------------------- rounds
# a workspace holds rounds (years); every table is of one round. A round's population is the persons counted in
# the scheme's total; between two rounds each is new, gone, recategorised, moved or unchanged
CHANGES = ("new", "gone", "recategorised", "moved", "unchanged")
CHANGE_LABELS = {"new": "新增", "gone": "减少", "recategorised": "类别变化", "moved": "社区变动", "unchanged": "无变化"}
REPRESENTATIVE_CHANGES = ("became", "stopped")
REPRESENTATIVE_CHANGE_LABELS = {"became": "新任代表人士", "stopped": "不再是代表人士"}

# ---------------------------------------------------------------------------------------------- outputs
# every output format of the command line; each command offers the subset it can write
FORMATS = ("table", "csv", "json", "md", "xlsx")

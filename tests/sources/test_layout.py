"""Header detection, context lines and non-data rows, on real workbooks written by the tests."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from census import vocab as V
from census.config import load_schemas
from census.sources import layout as L
from census.sources.readers import read_source
from census.text import header_key

from ..conftest import ledger_rows, make_id, write_xlsx


def _layout(path, sheet=0):
    src = read_source(path)
    t = src.tables[sheet]
    return t, L.find_layout(t.cells, t.letters, load_schemas().fields)


def test_title_block_group_header_totals_and_signature(tmp_path):
    p = write_xlsx(tmp_path / "a.xlsx", {"台账": ledger_rows()})
    t, lay = _layout(p)
    assert lay.header_rows == [3]  # Excel row 4; the group row "基本信息…工作情况" above it is not merged in
    fields = {c.field for c in lay.columns if c.field}
    assert {"seq", "name", "sex", "id_number", "phone", "work_unit", "unit_type", "position", "category"} <= fields
    kinds = dict(zip(t.rows.tolist(), lay.kinds.tolist(), strict=True))
    assert kinds[1] == V.TITLE and kinds[2] == V.CONTEXT and kinds[3] == V.HEADER and kinds[4] == V.HEADER
    assert [kinds[r] for r in range(5, 9)] == [V.DATA] * 4
    assert kinds[9] == V.BLANK and kinds[10] == V.TOTAL_ROW and kinds[11] == V.SIGNATURE
    assert lay.context == {"reporting_unit": "康盛花园社区"}


def test_two_row_header_with_split_names(tmp_path):
    rows = [
        ["某社区新阶层人士名单"],
        ["姓名", "性别", "身份证", "工作情况", None, None, "联系"],
        [None, None, "号码", "单位名称", "职务", "单位性质", "电话"],
        ["钱多多", "女", make_id("19880808", "222"), "南京云帆科技有限公司", "工程师", "民营企业", "13800001111"],
    ]
    p = write_xlsx(tmp_path / "b.xlsx", {"Sheet1": rows})
    t, lay = _layout(p)
    assert lay.header_rows == [1, 2]
    by_field = {c.field: c.index for c in lay.columns if c.field}
    assert by_field == {"name": 0, "sex": 1, "id_number": 2, "work_unit": 3, "position": 4, "unit_type": 5, "phone": 6}
    assert lay.kinds.tolist() == [V.TITLE, V.HEADER, V.HEADER, V.DATA]


def test_unit_context_line_and_numbered_questions(tmp_path):
    rows = [
        ["单位：南京云帆科技有限公司　性质：民营科技企业"],
        ["1.您的姓名", "Q2_性别", "3、身份证号码（18位）", "职务（职称）"],
        ["周全", "男", make_id("19800101", "111"), "技术总监"],
        ["注：本表由单位人事部门填写"],
    ]
    p = write_xlsx(tmp_path / "c.xlsx", {"员工": rows})
    t, lay = _layout(p)
    assert lay.context == {"work_unit": "南京云帆科技有限公司", "unit_type": "民营科技企业"}
    assert [c.field for c in lay.columns] == ["name", "sex", "id_number", "position"]
    assert lay.kinds.tolist() == [V.CONTEXT, V.HEADER, V.DATA, V.NOTE]


def test_instructions_sheet_has_no_header(tmp_path):
    p = write_xlsx(tmp_path / "d.xlsx", {"填表说明": [["填表说明"], ["1. 姓名请填写身份证上的姓名"], ["2. 身份证号请以文本格式填写"]]})
    _, lay = _layout(p)
    assert lay is None


def test_repeated_header_and_traditional_headers(tmp_path):
    rows = [["姓名", "身份證號碼", "聯系電話"], ["甲乙", make_id("19800101", "111"), "13800001111"],
            ["姓名", "身份證號碼", "聯系電話"], ["丙丁", make_id("19800102", "112"), "13800001112"]]
    p = write_xlsx(tmp_path / "e.xlsx", {"S": rows})
    _, lay = _layout(p)
    assert [c.field for c in lay.columns] == ["name", "id_number", "phone"]
    assert lay.kinds.tolist() == [V.HEADER, V.DATA, V.HEADER_REPEAT, V.DATA]


_SYNONYMS = [s for s, _ in load_schemas().fields.contained]


@given(st.one_of(st.text(max_size=12), st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), st.sampled_from(_SYNONYMS),
                                                  st.text(max_size=4))))
@example("您的工作单位名称")
@example("张伟")
def test_header_match_is_the_first_contained_synonym(text):
    """A header holding a synonym of a field matches the longest synonym it holds; the test for "holds any"
    that spares data cells the loop decides nothing else."""
    m = load_schemas().fields
    got = m._match(text)
    key = header_key(text)
    if got[1] == 0.6:
        assert any(syn in key and f == got[0] for syn, f in m.contained)
    elif got == (None, 0.0) and key and key not in m.exact and len(text) <= 40 and len(key) <= 24 \
            and sum(ch.isdigit() for ch in text) < 5 and any("\u4e00" <= ch <= "\u9fff" for ch in key):
        assert not any(syn in key for syn, _ in m.contained)


def test_colon_characters_are_every_character_whose_halfwidth_form_holds_a_colon():
    """A context line is only parsed when a cell holds one of `_COLON`'s characters."""
    import unicodedata

    chars = (chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert {c for c in chars if ":" in unicodedata.normalize("NFKC", c)} == set(L._COLON.pattern[1:-1])


def test_row_kinds_do_not_depend_on_the_size_of_the_table():
    """Rows below the header are classified by one implementation: a row holding a name and, far to the right, a
    "审核人：…" or "合计" cell is the same kind after 299 data rows as after 300 (it was data after 300)."""
    import pandas as pd

    matcher = load_schemas().fields

    def last_kind(n: int, row: list) -> str:
        rows = [["序号", "姓名", "性别", "身份证号", "联系电话", "工作单位", "职务", "备注"]]
        rows += [[str(i + 1), f"张{i}", "男", None, "13800001111", "某公司", "经理", None] for i in range(n)] + [row]
        cells = pd.DataFrame({j: pd.array([r[j] for r in rows], dtype="string") for j in range(8)})
        return L.find_layout(cells, list("ABCDEFGH"), matcher).kinds[-1]

    for row, kind in (([None, "李大", None, None, None, None, None, "审核人：李大"], V.SIGNATURE),
                      ([None, "李大", None, None, None, None, None, "合计"], V.TOTAL_ROW),
                      ([None, "李大", "男", None, "13800001111", None, None, "审核通过"], V.DATA)):
        assert last_kind(299, row) == last_kind(300, row) == kind

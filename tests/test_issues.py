"""The table of issue codes and the messages made from it."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from census.issues import CODES, message, messages


@given(st.lists(st.tuples(st.sampled_from(sorted(CODES)), st.one_of(st.none(), st.just(""), st.text(max_size=12))), max_size=30))
@example([("id.checksum", "{value}"), ("id.checksum", None), ("phone.format", ""), ("row.no_identity", "甲 乙")])
def test_messages_equal_message_one_by_one(issues):
    codes = np.array([c for c, _ in issues], dtype=object)
    values = np.array([v for _, v in issues], dtype=object)
    assert list(messages(codes, values)) == [message(c, v) for c, v in issues]


def test_every_code_has_a_message_naming_its_value():
    for code in CODES.values():
        assert code.message.format(value="X")


def test_messages_are_stored_in_chinese_whatever_the_language():
    from census.i18n import set_language

    set_language("en")
    try:
        assert message("id.checksum", "123") == "身份证号123校验位不对（有数字输错或前后颠倒），不用于关联记录"
        assert message("sex.unknown", None) == "“（空）”不是可识别的性别写法"
    finally:
        set_language("zh")

"""Shared fixtures: a fresh workspace, and builders for real source files (xlsx, xls, csv, sav) with the
mess ledgers really have."""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

os.environ["CENSUS_LANG"] = "zh"  # the tests read the Chinese texts, whatever the machine's LANG (set before census loads)

from census.i18n import set_language  # noqa: E402
from census.sources.values import check_char  # noqa: E402
from census.workspace import Workspace  # noqa: E402

# Hypothesis checks behaviour, not speed: no deadline (on a loaded 2-core machine an example may take 10× its
# usual time, and a deadline would fail the test for it)
settings.register_profile("census", deadline=None)
settings.load_profile("census")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def chinese(monkeypatch):
    """Every test starts in Chinese; one that switches to English (CENSUS_LANG=en) is switched back after it."""
    monkeypatch.setenv("CENSUS_LANG", "zh")
    set_language("zh")
    yield
    set_language("zh")


def make_id(birth: str = "19850312", seq: str = "123", prefix: str = "320114") -> str:
    """A valid 18-character citizen ID (GB 11643) for a birth date YYYYMMDD and a 3-digit sequence."""
    body = prefix + birth + seq
    return body + check_char(body)


@pytest.fixture(scope="session")
def demo_linked(tmp_path_factory) -> Path:
    """The demo district ingested and linked once per test session; copy it (`demo_copy`) before writing."""
    from census import ingest, link

    path = tmp_path_factory.mktemp("demo-session") / "linked.duckdb"
    with Workspace(path) as w:
        result = ingest(w, [EXAMPLES / "district"], regions=EXAMPLES / "regions.yaml")
        assert result.ok, [f.message for f in result.files if not f.ok]
        link(w)
    return path


def demo_copy(demo_linked: Path, tmp_path_factory, name: str) -> Workspace:
    """An open workspace on a private copy of the linked demo district."""
    import shutil

    target = tmp_path_factory.mktemp(name) / "demo.duckdb"
    shutil.copy(demo_linked, target)
    return Workspace(target)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path / "census.duckdb")
    yield w
    w.close()


def write_xlsx(path: Path, sheets: dict[str, list[list]], numeric_cells: dict | None = None, merges: dict | None = None) -> Path:
    """A workbook with one sheet per entry; rows are written from A1 down, None leaves a cell empty.
    `numeric_cells` {(sheet, row0, col0): float} writes numbers (as Excel stores a number typed into a cell);
    `merges` {sheet: [(r0, c0, r1, c1, text)]} writes merged ranges."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sh = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, date):
                    sh.write_datetime(r, c, v, wb.add_format({"num_format": "yyyy-mm-dd"}))
                elif isinstance(v, str):
                    sh.write_string(r, c, v)
                else:
                    sh.write(r, c, v)
        for (s, r, c), v in (numeric_cells or {}).items():
            if s == name:
                sh.write_number(r, c, v)
        for r0, c0, r1, c1, text in (merges or {}).get(name, []):
            sh.merge_range(r0, c0, r1, c1, text)
    wb.close()
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "gb18030") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def ledger_rows(title: str = "雨花街道康盛花园社区新的社会阶层人士台账") -> list[list]:
    """A community ledger as it arrives: title, 填报单位 line, group header, header, data, totals, signature."""
    return [
        [title],
        ["填报单位：康盛花园社区　　填报日期：2026年10月15日"],
        ["基本信息", None, None, None, None, "工作情况"],
        ["序号", "姓　名", "性别", "身份证号码", "联系电话", "工作单位", "单位性质", "职务", "人员类别"],
        [1, "张　伟", "男", make_id("19850312", "123"), "138 1234 5678", "南京云帆科技有限公司", "民营科技企业", "软件工程师", "民营科技人员"],
        [2, "李丽", "女", make_id("19900101", "124").lower(), "+86 139-8765-4321", None, None, "店主", "个体户"],
        [3, "王芳", "女", "320114850312122", "13900001111/13900002222", "南京华信会计师事务所", None, "注册会计师", None],
        [4, "赵强", "男", None, "13812340000", None, None, None, "自由职业者"],
        [None, None, None, None, None, None, None, None, None],
        ["合计：4人"],
        ["填表人：王小二　　审核人：李大"],
    ]

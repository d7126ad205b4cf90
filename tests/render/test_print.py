"""Workbooks that print as they are: every sheet A4 at the scale that fits the page width (landscape where wide),
title (and a single table's header) repeated on every page, headings wrapped inside rows tall enough for them,
page breaks that keep tables whole and charts uncut; and, printed by LibreOffice, each table's title and header on
its first page and exactly the pages laid out."""

from __future__ import annotations

import math
import re
from datetime import date

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from census import LinkOptions, link
from census.render import build_report, export_review
from census.render.pages import A4_MM, MARGINS_IN, Block, PageSetup, column_px, page_setup, paginate, text_px

from ..conftest import demo_copy
from .pdf import needs_office, page_texts, shows, squeeze, to_pdf

AS_OF = date(2026, 10, 15)
HEADER_FILL = "FFDDEBF7"
ONE_TABLE = {"按类别", "街道×类别", "社区", "覆盖情况"}


@pytest.fixture(scope="module")
def ws(demo_linked, tmp_path_factory):
    w = demo_copy(demo_linked, tmp_path_factory, "print")
    yield w
    w.close()


@pytest.fixture(scope="module")
def report(ws, tmp_path_factory):
    path = tmp_path_factory.mktemp("print") / "报告.xlsx"
    result = build_report(ws, path, as_of=AS_OF)
    return result, openpyxl.load_workbook(path), path


@pytest.fixture(scope="module")
def review(ws, tmp_path_factory):
    link(ws, LinkOptions(accept=0.999, review=0.3))  # uncertain pairs for the 疑似同一人 sheet
    path = tmp_path_factory.mktemp("review") / "核查清单.xlsx"
    pairs, conflicts = export_review(ws, path)
    assert pairs > 0 and conflicts > 0
    return openpyxl.load_workbook(path), path


def header_rows(sheet) -> list[int]:
    return [row[0].row for row in sheet.iter_rows() if row[0].fill.fgColor is not None and row[0].fill.fgColor.rgb == HEADER_FILL]


def content_px(sheet) -> float:
    last = max((c.column for row in sheet.iter_rows() for c in row if c.value is not None), default=1)
    letters = [openpyxl.utils.get_column_letter(i) for i in range(1, last + 1)]
    return sum(column_px(sheet.column_dimensions[x].width) for x in letters if not sheet.column_dimensions[x].hidden)


# ------------------------------------------------------------------------------------------------ page setup
def test_every_sheet_is_a4_and_fits_the_page_width(report, review):
    result, wb, _ = report
    for sheet in [*wb, *review[0]]:
        ps = sheet.page_setup
        assert ps.paperSize == 9, sheet.title  # A4
        landscape = ps.orientation == "landscape"
        scale = ps.scale or 100
        assert 10 <= scale <= 100
        setup = PageSetup(landscape, scale)
        assert content_px(sheet) * scale / 100 <= setup.width_px, sheet.title  # nothing runs off the right edge
        m = sheet.page_margins
        assert (m.left, m.right, m.top, m.bottom) == (MARGINS_IN["left"], MARGINS_IN["right"], MARGINS_IN["top"], MARGINS_IN["bottom"])
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text  # 第 1 页，共 N 页
        assert sheet.print_options.horizontalCentered
    assert wb["按类别"].page_setup.orientation == "portrait"  # a narrow table stands upright
    assert wb["覆盖情况"].page_setup.orientation == "landscape"  # eleven columns lie down
    for sheet in wb:  # portrait wherever the sheet prints at 80% or more
        assert sheet.page_setup.orientation == "landscape" or (sheet.page_setup.scale or 100) >= 80, sheet.title


def test_title_and_header_repeat_on_every_page(report, review):
    _, wb, _ = report
    for sheet in wb:
        headers = header_rows(sheet)
        if sheet.title in ONE_TABLE:
            assert sheet.print_title_rows == f"$1:${headers[0]}", sheet.title  # title and header
            assert sheet.freeze_panes is not None and int(re.sub(r"\D", "", sheet.freeze_panes)) == headers[0] + 1
        else:
            assert sheet.print_title_rows == "$1:$1", sheet.title  # the title; a continued table repeats its header
    for sheet in review[0]:
        assert sheet.print_title_rows == "$1:$1" and header_rows(sheet) == [1]  # the header is row 1 (read back)
        assert "核查清单" in sheet.oddHeader.center.text


def test_headings_wrap_inside_a_row_tall_enough(report):
    _, wb, _ = report
    sheet = wb["街道×类别"]
    title, (header,) = sheet["A1"], header_rows(sheet)
    assert f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}1" in {str(r) for r in sheet.merged_cells.ranges}
    assert title.alignment.wrap_text
    long = next(c for c in sheet[header] if c.value == "民营企业和外商投资企业管理技术人员")
    width = column_px(sheet.column_dimensions[long.column_letter].width)
    lines = math.ceil(text_px(long.value, bold=True) / (width - 8))
    assert lines == 2 and long.alignment.wrap_text
    assert sheet.row_dimensions[header].height >= 2 * 15  # two lines of 11-point text fit in the row
    assert all(c.alignment.wrap_text for c in sheet[header] if c.value)
    for r in range(header + 1, sheet.max_row + 1):
        if sheet.cell(r, 1).value is not None:
            assert sheet.row_dimensions[r].height >= 15


def test_page_breaks_keep_tables_whole_and_charts_uncut(report):
    result, wb, _ = report
    for sheet in wb:
        breaks = sorted(b.id for b in sheet.row_breaks.brk)  # a break after row `id`
        assert len(breaks) == result.pages[sheet.title] - 1, sheet.title
        for h in header_rows(sheet):
            assert h not in breaks, (sheet.title, h)  # never between a header and the first row under it
            if sheet.cell(h - 1, 1).font.sz == 12:  # nor between a table's subtitle and its header
                assert h - 1 not in breaks, (sheet.title, h)
        for chart in sheet._charts:
            top, bottom = chart.anchor._from.row + 1, chart.anchor.to.row + 1
            assert not [b for b in breaks if top <= b < bottom], (sheet.title, top, bottom, breaks)  # no break through it
    assert result.pages["结构"] >= 2 and wb["结构"]._charts


def test_review_pairs_never_split(review):
    wb, _ = review
    sheet = wb["疑似同一人"]
    breaks = {b.id for b in sheet.row_breaks.brk}
    pair_rows = [c.row for c in sheet["A"][1:] if isinstance(c.value, str) and "-" in c.value]
    assert pair_rows and all(r not in breaks for r in pair_rows)  # never a break between 甲 and 乙


# ------------------------------------------------------------------------------------------------ pagination
def test_paginate_moves_blocks_whole_and_repeats_headers():
    table = Block([20, 20, *[18] * 10, 10], head=2, header=1, splittable=True, repeat_header=True)
    plan = paginate([Block([100]), table], capacity=250)
    assert plan.breaks == [(1, 0, False)] and plan.pages == 2  # 100 + 230 > 250: the table moves, as it fits a page
    long = Block([20, 20, *[18] * 30, 10], head=2, header=1, splittable=True, repeat_header=True)
    plan = paginate([Block([100]), long], capacity=300, repeated=30)
    assert all(b == 1 and again for b, _, again in plan.breaks) and plan.pages == 3
    assert all(row > 2 for _, row, _ in plan.breaks)  # never between the heading and the first row
    chart = Block([15] * 17)
    plan = paginate([Block([250]), chart], capacity=400)
    assert plan.breaks == [(1, 0, False)]  # the chart is not cut


@given(st.lists(st.tuples(st.integers(1, 40), st.booleans(), st.integers(1, 3)), min_size=1, max_size=30),
       st.integers(200, 800), st.integers(0, 60))
def test_paginate_fills_no_page_beyond_its_capacity(specs, capacity, repeated):
    blocks = []
    for rows, splittable, group in specs:
        heights = [18.0] * (rows + 3)
        breakable = frozenset(range(2, rows + 3, group))
        blocks.append(Block([20.0, 22.0, *heights], head=2, header=1, splittable=splittable, breakable=breakable))
    plan = paginate(blocks, capacity, repeated)
    starts = {(b, r) for b, r, _ in plan.breaks}
    used, page_heights, page_blocks = 0.0, [], [[]]
    for bi, block in enumerate(blocks):
        for ri, h in enumerate(block.heights):
            if (bi, ri) in starts:
                page_heights.append(used)
                page_blocks.append([])
                used = repeated + (block.heights[block.header] if any(
                    again for b, r, again in plan.breaks if (b, r) == (bi, ri)) else 0)
                assert ri == 0 or (block.splittable and ri > block.head and ri in block.breakable)
            used += h
            page_blocks[-1].append(bi)
    page_heights.append(used)
    assert plan.pages == len(page_heights)
    for used, bis in zip(page_heights, page_blocks, strict=True):
        lone = len(set(bis)) == 1 and not blocks[bis[0]].splittable  # a block taller than a page overflows it alone
        assert used <= capacity or lone or repeated + blocks[bis[0]].heights[0] > capacity


def test_page_setup_portrait_until_too_small():
    width = PageSetup(False, 100).width_px
    assert page_setup(400) == PageSetup(False, 100)
    assert not page_setup(width).landscape and page_setup(width).scale >= 80
    wide = page_setup(width * 1.5)
    assert wide.landscape and wide.scale <= 100
    assert PageSetup(True, 100).paper_mm == (A4_MM[1], A4_MM[0])


# ------------------------------------------------------------------------------------------------ as printed
@needs_office
def test_report_prints_on_the_pages_laid_out(report, tmp_path):
    result, wb, path = report
    pages = page_texts(to_pdf(path, tmp_path))
    assert len(pages) == sum(result.pages.values())  # no page more: nothing ran off the right or bottom edge
    first = 0
    for sheet in wb:
        own = pages[first:first + result.pages[sheet.title]]
        first += len(own)
        title = sheet["A1"].value
        assert all(shows(title, p) for p in own), sheet.title  # the title on every page
        for h in header_rows(sheet):
            header = [c.value for c in sheet[h] if c.value is not None]
            above = sheet.cell(h - 1, 1).value
            if sheet.title in ONE_TABLE:
                assert all(all(shows(x, p) for x in header) for p in own), sheet.title  # the header on every page
            else:  # each table's subtitle and header together on the page where it starts
                where = [p for p in own if shows(above, p)] if above else own[:1]
                assert where and all(shows(x, where[0]) for x in header), (sheet.title, above)
        for p in own:
            assert not re.search(r"\b[a-z]+\.[a-z_]+\b|current4|legacy6|census ", re.sub(r"\S+\.(xlsx|xls|csv|sav)", "", p))
    assert first == len(pages)
    assert "第1页，共" in squeeze(pages[0])


@needs_office
def test_review_workbook_prints_with_its_title_and_header(review, tmp_path):
    wb, path = review
    pages = page_texts(to_pdf(path, tmp_path))
    assert len(pages) >= 2
    for p in pages:
        assert "核查清单" in p
        assert shows("是否同一人", p) or shows("正确值", p)  # the header on every page
    assert not any("census" in p for p in pages)

"""Printed pages of a workbook: how wide a text is, how many lines it takes in a column, A4 in either orientation,
the print scale that fits a sheet to the page width, and where the pages break.

A sheet is laid out before it is written (`census.render.xlsx`), so every row's height is known here and every
page break is placed by `paginate`, not left to Excel: a table that fits on a page is never split, a longer one
breaks between rows with its header repeated on the next page, and a chart is moved whole to the next page rather
than cut. Excel ignores manual page breaks under "fit to page", so the sheet gets the scale computed here (the
largest whole percentage at which its columns fit the page width) instead.

Widths are in pixels at 96 dpi (Excel's unit for columns), heights in points. Column widths in an .xlsx are in
characters of the default font (Calibri 11: 7 px a character, 5 px padding), as xlsxwriter converts them.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

A4_MM = (210.0, 297.0)
MARGINS_IN = {"left": 0.6, "right": 0.6, "top": 0.8, "bottom": 0.8}
HEADER_FOOTER_IN = 0.35
PX_PER_PT = 96 / 72
SAFETY = 0.95  # pages are filled to this share of their height: Excel, WPS and LibreOffice measure rows slightly differently
FILL = 0.94  # and to this share of their width (a renderer without Calibri draws columns wider)
MIN_PORTRAIT_SCALE = 80  # a sheet that would print smaller than this on a portrait page is printed landscape
LINE_PT = 15.0  # one line of 11-point text
PAD_PX = 14
ORPHAN_ROWS = 4  # a table broken across pages carries at least its last rows (合计, note, gap among them) over  # a cell's padding left and right, and a little air


def is_wide(ch: str) -> bool:
    """A character printed one em wide (Chinese characters, full-width forms)."""
    return unicodedata.east_asian_width(ch) in "WF"


def text_px(text: str, size: float = 11, bold: bool = False) -> float:
    """The printed width of the longest line of `text` in pixels: a wide character is one em, others about half."""
    em = size * PX_PER_PT
    widest = max((sum(em if is_wide(ch) else em * 0.52 for ch in line) for line in str(text).split("\n")), default=0.0)
    return widest * (1.06 if bold else 1.0)


def lines_in(text: str, width_px: float, size: float = 11, bold: bool = False) -> int:
    """How many lines `text` wraps to in a cell `width_px` wide (at least one)."""
    usable = max(width_px - 12, size * PX_PER_PT)
    return max(1, sum(math.ceil(text_px(line, size, bold) / usable) or 1 for line in str(text).split("\n")))


def column_px(width_chars: float) -> int:
    """A column width in characters as pixels (xlsxwriter's conversion)."""
    return int(width_chars * 12 + 0.5) if width_chars < 1 else int(width_chars * 7 + 0.5) + 5


def column_chars(px: float) -> float:
    """The column width in characters that is `px` pixels wide."""
    return round(max(px - 5, 7) / 7, 2)


def row_height(lines: int, size: float = 11) -> float:
    """The height in points of a row holding `lines` lines of text at `size` points."""
    per_line = LINE_PT * size / 11
    return round(per_line * lines + (3 if lines == 1 else 4), 1)


@dataclass(frozen=True)
class PageSetup:
    """A4 in one orientation at one print scale: the printable area in pixels (width) and points (height)."""

    landscape: bool
    scale: int  # percent

    @property
    def paper_mm(self) -> tuple[float, float]:
        return (A4_MM[1], A4_MM[0]) if self.landscape else A4_MM

    @property
    def width_px(self) -> float:
        """The printable width at 100%."""
        inches = self.paper_mm[0] / 25.4 - MARGINS_IN["left"] - MARGINS_IN["right"]
        return inches * 96

    @property
    def height_pt(self) -> float:
        """The printable height at 100%."""
        inches = self.paper_mm[1] / 25.4 - MARGINS_IN["top"] - MARGINS_IN["bottom"]
        return inches * 72

    @property
    def capacity_pt(self) -> float:
        """The height of sheet rows one page holds at this scale (with the safety margin)."""
        return self.height_pt * 100 / self.scale * SAFETY


def page_setup(content_px: float) -> PageSetup:
    """Portrait when the sheet fits a portrait page at 80% or more, else landscape; at the largest whole
    percentage (at most 100) at which its columns fit the page width."""
    for landscape in (False, True):
        width = PageSetup(landscape, 100).width_px
        scale = min(100, math.floor(100 * width * FILL / max(content_px, 1)))
        if landscape or scale >= MIN_PORTRAIT_SCALE:
            return PageSetup(landscape, max(scale, 10))
    raise AssertionError("unreachable")


@dataclass
class Block:
    """Rows that belong together on the printed page: a text, a table (heading rows, then body rows), a chart.

    `head`: how many leading rows are the table's heading (subtitle and header), never left alone at a page's foot;
    `header`: the index of the header row, repeated after a break inside the table when `repeat_header`;
    `splittable`: whether a break may fall inside the block (tables longer than a page), before the rows in
    `breakable` (default: any body row) — a group of rows that belong together (a pair of records) starts there."""

    heights: list[float]
    head: int = 0
    header: int | None = None
    splittable: bool = False
    repeat_header: bool = False
    breakable: frozenset[int] | None = None

    @property
    def height(self) -> float:
        return sum(self.heights)


@dataclass
class Pagination:
    """Where the pages break: before row `row` of block `block`, and whether the table's header is written again
    right after the break (a continued table on a sheet of several tables)."""

    breaks: list[tuple[int, int, bool]] = field(default_factory=list)
    pages: int = 1


def paginate(blocks: list[Block], capacity: float, repeated: float = 0.0) -> Pagination:
    """Place the page breaks. `capacity`: the height of rows a page holds; `repeated`: the height of the rows printed
    again at the top of every later page (the print titles).

    A block that fits in what is left of the page stays there; one that does not but fits on a fresh page moves
    there whole (a table is never split when it need not be, a chart never cut); a table longer than a page starts
    where at least its heading and three rows fit and breaks between rows, never between its heading and body."""
    out = Pagination()
    used = 0.0
    fresh = 0.0  # what an empty page already holds (0 on the first page, the print titles on later ones)

    def new_page(block: int, row: int, again: bool) -> None:
        nonlocal used, fresh
        out.breaks.append((block, row, again))
        out.pages += 1
        fresh = repeated
        used = repeated

    for b, block in enumerate(blocks):
        if used + block.height <= capacity:
            used += block.height
            continue
        if not block.splittable or repeated + block.height <= capacity:
            if used > fresh:
                new_page(b, 0, False)
            used += block.height
            continue
        start = sum(block.heights[: block.head + 3])
        if used + start > capacity and used > fresh:
            new_page(b, 0, False)
        again_h = block.heights[block.header] if block.repeat_header and block.header is not None else 0.0
        n = len(block.heights)
        every = sorted(i for i in (block.breakable if block.breakable is not None else range(n)) if block.head < i < n)
        starts = [i for i in every if i < n - ORPHAN_ROWS]  # the last rows (and the 合计, the note) are not left alone
        if _overflows(block, starts, used, fresh, capacity, repeated + again_h):
            starts = every  # unless that leaves a page too full: then they may start a page of their own
        for a, z in zip([0, *starts], [*starts, n], strict=True):
            segment = sum(block.heights[a:z])
            if a > 0 and used + segment > capacity and used > fresh:
                new_page(b, a, block.repeat_header)
                used += again_h
            used += segment
    return out


def _overflows(block: Block, starts: list[int], used: float, fresh: float, capacity: float, again: float) -> bool:
    """Whether breaking `block` only at `starts` (from `used` on the current page) leaves a page over capacity."""
    n = len(block.heights)
    for a, z in zip([0, *starts], [*starts, n], strict=True):
        segment = sum(block.heights[a:z])
        if a > 0 and used + segment > capacity and used > fresh:
            used = again
        used += segment
        if used > capacity:
            return True
    return False

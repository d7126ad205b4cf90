"""The layout of Chinese official documents (GB/T 9704-2012《党政机关公文格式》) for python-docx documents: A4 with
margins of 37/35/28/26 mm (top/bottom/left/right), a text area of 22 lines of 28 characters (a line grid of 22
lines, the body's characters set 0.25 pt closer), the title in
方正小标宋简体 二号, the body in 仿宋_GB2312 三号, first-level headings in 黑体 and second-level ones in 楷体_GB2312,
page numbers "— 1 —" in 宋体 四号 at the foot (odd pages right, even pages left, one character in).

The fonts are named even where they are not installed, so the office's Word or WPS uses them; Chinese fonts are
set through `w:eastAsia` (Word takes Latin letters and digits from `w:ascii`/`w:hAnsi`: Times New Roman) and the
template's theme fonts are removed, since a theme font overrides a named one.
"""

from __future__ import annotations

import math
import unicodedata

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312"}
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
SIZE = {"二号": 22.0, "三号": 16.0, "四号": 14.0, "小四": 12.0, "五号": 10.5}  # 字号 in points
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
LINES, CHARS = 22, 28
TEXT_MM = (PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"], PAGE_MM[1] - MARGINS_MM["top"] - MARGINS_MM["bottom"])
LINE_PITCH_TWIPS = int(TEXT_MM[1] / 25.4 * 1440 / LINES)  # 579: 22 lines fill the 225 mm text area
LINE_PT = LINE_PITCH_TWIPS / 20
# characters of the body (三号, 16 pt) are set this much closer (in 1/20 pt) so that 28 fill the 156 mm line: a line
# grid and condensed characters give 22 × 28 in Word, WPS and LibreOffice alike (LibreOffice misreads the negative
# character pitch of a `linesAndChars` grid and spreads the text)
CONDENSE = -math.ceil((SIZE["三号"] - TEXT_MM[0] / 25.4 * 72 / CHARS) * 20)
BLACK = RGBColor(0, 0, 0)


def set_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts of a run or style (`w:rPr`): Chinese through w:eastAsia, the rest through w:ascii/w:hAnsi;
    theme fonts removed (they would win over the names)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr, name in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        fonts.set(qn(attr), name)


def _style(doc: DocxDocument, name: str, east_asia: str, size: float, bold: bool = False, align=None,
           indent: bool = False, spacing: float = LINE_PT):
    st = doc.styles[name]
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = BLACK
    set_fonts(st.element.get_or_add_rPr(), east_asia)
    pf = st.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(spacing)
    pf.first_line_indent = Pt(2 * SIZE["三号"]) if indent else Pt(0)
    if align is not None:
        pf.alignment = align
    ppr = st.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    return st


def new_document(title: str, author: str) -> DocxDocument:
    """An empty document laid out as GB/T 9704 asks: page, margins, document grid, the styles of title, body,
    headings, captions and footers, odd and even page numbers, and the document's properties."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(21)
    grid = section._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(defaults, BODY_FONT)
    for tag in ("w:sz", "w:szCs"):  # the grid's character pitch is reckoned from the default size: 三号
        defaults.find(qn(tag)).set(qn("w:val"), str(int(SIZE["三号"] * 2)))
    lang = defaults.find(qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    _style(doc, "Normal", BODY_FONT, SIZE["三号"], indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(doc, "Title", TITLE_FONT, SIZE["二号"], align=WD_ALIGN_PARAGRAPH.CENTER, spacing=LINE_PT * 1.25)
    _style(doc, "Heading 1", HEADING_FONTS[1], SIZE["三号"], indent=True)
    _style(doc, "Heading 2", HEADING_FONTS[2], SIZE["三号"], indent=True)
    _style(doc, "Caption", HEADING_FONTS[1], SIZE["四号"], align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "Footer", PAGE_NUMBER_FONT, SIZE["四号"], spacing=SIZE["四号"] * 1.2)
    for name in ("Heading 1", "Heading 2", "Caption"):
        doc.styles[name].paragraph_format.keep_with_next = True
    for name in ("Normal", "Heading 1", "Heading 2"):
        rpr = doc.styles[name].element.get_or_add_rPr()
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(CONDENSE))
        rpr.append(spacing)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.comments = props.subject = props.keywords = ""
    props.language = "zh-CN"
    return doc


def _page_number(p: Paragraph, align) -> None:
    """"— 1 —" (a PAGE field between one-em dashes), one character in from the outer edge."""
    p.style = "Footer"
    p.alignment = align
    indent = Pt(SIZE["四号"])
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        p.paragraph_format.right_indent = indent
    else:
        p.paragraph_format.left_indent = indent
    p.paragraph_format.first_line_indent = Pt(0)
    off_grid(p)
    _run(p, "— ")
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("text", "1"), ("end", None)):
        run = _run(p, text if kind == "text" else "")
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind != "text":
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
    _run(p, " —")


def off_grid(p: Paragraph) -> Paragraph:
    """Keep a paragraph of smaller text (a table cell, a note, the page number) off the document grid, whose
    28 characters a line are reckoned for the body's 三号."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().append(snap)
    return p


def _run(p: Paragraph, text: str, east_asia: str = PAGE_NUMBER_FONT, size: float = SIZE["四号"]):
    run = p.add_run(text)
    run.font.size = Pt(size)
    set_fonts(run._r.get_or_add_rPr(), east_asia, east_asia)
    return run


def _ems(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def title_lines(text: str, size: float = SIZE["二号"]) -> list[str]:
    """The title in lines that fit the text width, broken where the words allow (before a closing bracketed
    part such as "（2026年）", else near the middle) so that the lines stand as a trapezoid, as GB/T 9704 asks."""
    per_line = TEXT_MM[0] / 25.4 * 72 / size
    if _ems(text) <= per_line:
        return [text]
    cut = text.rfind("（")
    if text.endswith("）") and cut > 0 and _ems(text[:cut]) <= per_line:
        return [text[:cut], text[cut:]]
    half = _ems(text) / 2
    k = next(i for i in range(1, len(text)) if _ems(text[:i]) >= half)
    return [text[:k], *title_lines(text[k:], size)]


def title(doc: DocxDocument, text: str) -> Paragraph:
    """The title (方正小标宋简体 二号, centred, on balanced lines) and an empty line under it."""
    p = doc.add_paragraph(style="Title")
    for i, line in enumerate(title_lines(text)):
        if i:
            p.add_run().add_break()
        p.add_run(line)
    doc.add_paragraph("", style="Normal")
    return p


def heading(doc: DocxDocument, text: str, level: int) -> Paragraph:
    return doc.add_paragraph(text, style=f"Heading {level}")


def body(doc: DocxDocument, text: str) -> Paragraph:
    return doc.add_paragraph(text, style="Normal")


def caption(doc: DocxDocument, text: str) -> Paragraph:
    return doc.add_paragraph(text, style="Caption")


def note(doc: DocxDocument, text: str) -> Paragraph:
    """A note under a table (注：…), 仿宋 小四, flush left."""
    p = off_grid(doc.add_paragraph(style="Normal"))
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.line_spacing = Pt(SIZE["小四"] * 1.6)
    p.paragraph_format.space_after = Pt(LINE_PT / 2)
    run = p.add_run(text)
    run.font.size = Pt(SIZE["小四"])
    return p


def table(doc: DocxDocument, header: list[str], rows: list[tuple[list[str], str]], label_columns: int = 1):
    """A bordered table across the text width: the header row in 黑体 (repeated on every page), label columns
    flush left, figures centred, the 合计 row in 黑体; 小四 (五号 when it has more than six columns); no row split
    across pages. `rows` are (cells as text, style) with style "total" for the 合计 row."""
    n = len(header)
    size = SIZE["小四"] if n <= 6 else SIZE["五号"]
    widths = _widths(header, rows, label_columns, size)
    t = doc.add_table(rows=1 + len(rows), cols=n)
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for i, (cells, style) in enumerate([(header, "header"), *rows]):
        tr = t.rows[i]._tr
        trpr = tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            trpr.append(OxmlElement("w:tblHeader"))
        for j, text in enumerate(cells):
            cell = t.cell(i, j)
            cell.width = widths[j]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = off_grid(cell.paragraphs[0])
            pf = p.paragraph_format
            pf.first_line_indent = Pt(0)
            pf.line_spacing = Pt(size * 1.45)
            pf.alignment = WD_ALIGN_PARAGRAPH.LEFT if (j < label_columns and style != "header") else WD_ALIGN_PARAGRAPH.CENTER
            heavy = style in ("header", "total")
            _run(p, text, HEADING_FONTS[1] if heavy else BODY_FONT, size)
    return t


def _widths(header: list[str], rows: list[tuple[list[str], str]], label_columns: int, size: float) -> list:
    """Label columns as wide as their longest text (at most half the text width together), the figure columns
    sharing the rest equally."""
    total = TEXT_MM[0] - 2
    char_mm = size / 72 * 25.4
    labels = [min(max(len(str(r[0][j])) for r in [(header, "")] + rows) * char_mm + 6, total * 0.45)
              for j in range(label_columns)]
    labels = [max(w, 4 * char_mm + 4) for w in labels]
    if label_columns and sum(labels) > total * 0.5:
        labels = [w * total * 0.5 / sum(labels) for w in labels]
    rest = (total - sum(labels)) / max(len(header) - label_columns, 1)
    return [Mm(w) for w in labels] + [Mm(rest)] * (len(header) - label_columns)

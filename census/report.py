"""Report workbooks (filled in by the report issue); `write_table_workbook` writes one formatted table."""

from __future__ import annotations

from pathlib import Path


def write_table_workbook(path: Path, title: str, header: list[str], body: list[tuple[list[str], str]], foot: str,
                         label_columns: int = 1) -> None:
    """One sheet: a title row, a bold bordered header, the rows (合计 bold), the footnote; frozen panes,
    A4 landscape, fit to one page wide. Numeric cells are written as numbers."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    sh = wb.add_worksheet("统计表")
    title_f = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head_f = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#DDEBF7"})
    cell_f = wb.add_format({"border": 1})
    num_f = wb.add_format({"border": 1, "align": "right"})
    total_f = wb.add_format({"border": 1, "bold": True})
    total_num_f = wb.add_format({"border": 1, "bold": True, "align": "right"})
    sub_f = wb.add_format({"border": 1, "italic": True})
    sub_num_f = wb.add_format({"border": 1, "italic": True, "align": "right"})
    width = len(header)
    sh.merge_range(0, 0, 0, width - 1, title, title_f)
    sh.set_row(0, 28)
    sh.write_row(1, 0, header, head_f)
    for i, (cells, style) in enumerate(body, start=2):
        for j, v in enumerate(cells):
            text_f, number_f = {"total": (total_f, total_num_f), "subtotal": (sub_f, sub_num_f)}.get(style, (cell_f, num_f))
            if j >= label_columns and v.isdigit():
                sh.write_number(i, j, int(v), number_f)
            else:
                sh.write_string(i, j, v, number_f if j >= label_columns else text_f)
    sh.write(len(body) + 3, 0, foot)
    sh.freeze_panes(2, label_columns)
    sh.set_column(0, label_columns - 1, 16)
    sh.set_column(label_columns, width - 1, 12)
    sh.set_landscape()
    sh.set_paper(9)  # A4
    sh.fit_to_pages(1, 0)
    sh.repeat_rows(1)
    wb.close()


def validate_layout(data, source: str):
    from .errors import SchemaError

    raise SchemaError(f"{source}: report layouts are not supported yet.")

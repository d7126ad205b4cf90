"""Render: the tables as people read them. Rows with 小计/合计 and suppression marks (`rows`), the terminal and
text files (`console`), Excel workbooks (`xlsx`), the report workbook (`report`), the review workbook (`review`)
and survey tables (`survey`)."""

from .report import ReportResult, build_report
from .review import export_review
from .xlsx import write_table_workbook

__all__ = ["ReportResult", "build_report", "export_review", "write_table_workbook"]

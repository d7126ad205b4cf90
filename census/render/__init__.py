"""Render: the tables as people read them. Rows with 小计/合计 and suppression marks (`rows`), the terminal and
text files (`console`), Excel workbooks laid out for print (`xlsx`, with the page arithmetic in `pages`), the report
workbook (`report`), the written report as an official document (`document`, laid out by `official`), the review
workbook (`review`) and survey tables (`survey`)."""

from .document import DocumentResult, build_document
from .report import ReportResult, build_report
from .review import export_review
from .xlsx import write_table_workbook

__all__ = ["DocumentResult", "ReportResult", "build_document", "build_report", "export_review", "write_table_workbook"]

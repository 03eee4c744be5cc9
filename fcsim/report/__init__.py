"""The run report (self-contained HTML) and the managers' KPI workbook (Excel)."""

from fcsim.report.excel import write_workbook
from fcsim.report.html import build_report

__all__ = ["build_report", "write_workbook"]

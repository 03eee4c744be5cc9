"""Reports: the shared page shell, the run report (self-contained HTML), the comparison
report, and the managers' KPI workbook (Excel).

* :mod:`~fcsim.report.shell` — sections in, one self-contained bilingual page out (every
  command that concludes something writes its page with it);
* :mod:`~fcsim.report.html` — the run report (``fcsim run``);
* :mod:`~fcsim.report.compare_report` — the comparison report (``fcsim compare``);
* :mod:`~fcsim.report.excel` — ``kpi.xlsx``.
"""

from fcsim.report.compare_report import build_compare_report
from fcsim.report.excel import write_workbook
from fcsim.report.html import RunData, build_report, read_run
from fcsim.report.shell import Bilingual, FigureBlock, Section, Table, figure_png, write_page

__all__ = [
    "Bilingual",
    "FigureBlock",
    "RunData",
    "Section",
    "Table",
    "build_compare_report",
    "build_report",
    "figure_png",
    "read_run",
    "write_page",
    "write_workbook",
]

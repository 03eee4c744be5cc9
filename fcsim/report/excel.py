"""The KPI tables of a run as an Excel workbook for managers (``kpi.xlsx``; extra ``excel``)."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pandas as pd

from fcsim.analysis import attribute_lateness, clock_compliance, lateness_by_ticket
from fcsim.eventlog import read_log
from fcsim.report.html import read_table

__all__ = ["write_workbook"]

_log = logging.getLogger(__name__)
_EXCEL_ROWS = 1_048_575  # Excel's row limit, less the header


def _excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Timezone-aware timestamps as ISO strings (Excel has no time zones)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S%z")
    return out


def write_workbook(run_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Write the run's KPI tables to ``kpi.xlsx`` and return its path.

    Sheets: ``indicators``, ``periods`` and ``ownership`` (when present), ``control_points``,
    ``compliance`` and ``lateness`` (attribution per ticket) when ``control_points.csv`` is
    present.

    Raises
    ------
    ImportError
        When openpyxl is not installed (``pip install 'fcsim[excel]'``).
    FileNotFoundError
        When ``indicators.csv`` is absent.
    """
    if importlib.util.find_spec("openpyxl") is None:
        raise ImportError(
            "writing kpi.xlsx needs openpyxl: install the 'excel' extra "
            "(pip install 'fcsim[excel]')"
        )
    d = Path(run_dir)
    indicators = read_table(d / "indicators.csv")
    if indicators is None:
        raise FileNotFoundError(f"{d / 'indicators.csv'}: the run has no indicator table")
    sheets: dict[str, pd.DataFrame] = {"indicators": indicators}
    periods = read_table(d / "periods.csv")
    if periods is not None:
        sheets["periods"] = periods
    own = read_table(d / "ownership.csv")
    if own is not None:
        sheets["ownership"] = own
    clocks = read_table(d / "control_points.csv")
    if clocks is not None:
        log = read_log(d)
        sheets["control_points"] = clocks
        sheets["compliance"] = clock_compliance(clocks, log.tickets)
        sheets["lateness"] = lateness_by_ticket(attribute_lateness(log, clocks))
    target = Path(out) if out is not None else d / "kpi.xlsx"
    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        for name, df in sheets.items():
            if len(df) > _EXCEL_ROWS:
                _log.warning("sheet %s: %d rows, only the first %d fit in Excel (see the CSV)",
                             name, len(df), _EXCEL_ROWS)
                df = df.iloc[:_EXCEL_ROWS]
            _excel_safe(df).to_excel(xw, sheet_name=name, index=False)
    return target

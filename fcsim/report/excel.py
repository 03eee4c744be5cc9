"""The KPI workbook for managers (``kpi.xlsx``; extra ``excel``, written with XlsxWriter).

By default the workbook holds what a manager reads, a few hundred rows at most:

* ``indicators`` — the six indicators with their intervals and targets;
* ``periods`` — the weekly 信息三率統計表 (when the run has it);
* ``compliance`` — the share of clock instances met, by category and control point;
* ``control_points`` — a summary per control point: instances met, breached, missing and
  censored, the share met, and the mean and 95th percentile of the lateness of late ones;
* ``ownership`` — fcsim's first-contact ownership measure (when the run has it).

Every clock row (``control_points_all``, tens of thousands of rows) and the lateness
attribution per ticket (``lateness``) go in only when asked (``all_clocks=True``,
``fcsim run --excel-all``), streamed to the file row by row (XlsxWriter's constant-memory
mode), so the default workbook is written in a fraction of a second.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcsim.analysis import attribute_lateness, clock_compliance, lateness_by_ticket
from fcsim.eventlog import EventLog, read_log

__all__ = ["SUMMARY_SHEETS", "clock_summary", "write_workbook"]

_log = logging.getLogger(__name__)
_EXCEL_ROWS = 1_048_575  # Excel's row limit, less the header
#: Sheets of the default workbook, in order (those the run has).
SUMMARY_SHEETS = ("indicators", "periods", "compliance", "control_points", "ownership")


def clock_summary(clocks: pd.DataFrame) -> pd.DataFrame:
    """One row per control point: met, breached, missing, censored, share_met
    (met / (met + breached + missing)), late_mean_s and late_p95_s (lateness of the breached
    and missing instances that have one), in the order the clock rows first name them."""
    cols = ["control_point", "met", "breached", "missing", "censored", "share_met",
            "late_mean_s", "late_p95_s"]
    if clocks.empty:
        return pd.DataFrame(columns=cols)
    st = clocks["status"].astype(str)
    cp = clocks["control_point"].astype(str)
    late = pd.to_numeric(clocks["lateness_s"], errors="coerce").astype(float)
    rows = []
    for name in dict.fromkeys(cp):
        m = (cp == name).to_numpy()
        s = st[m]
        counts = {k: int((s == k).sum()) for k in ("met", "breached", "missing", "censored")}
        decided = counts["met"] + counts["breached"] + counts["missing"]
        lv = late[m & st.isin(["breached", "missing"]).to_numpy()].dropna().to_numpy()
        rows.append({
            "control_point": name, **counts,
            "share_met": counts["met"] / decided if decided else np.nan,
            "late_mean_s": float(lv.mean()) if lv.size else np.nan,
            "late_p95_s": float(np.percentile(lv, 95)) if lv.size else np.nan,
        })
    return pd.DataFrame(rows, columns=cols)


def _excel_value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")
    if isinstance(v, np.generic):
        return v.item()
    return v


def _columns(df: pd.DataFrame) -> list[list[Any]]:
    """The frame's columns as lists of Excel-ready values (timestamps as ISO strings: Excel
    has no time zones; missing values as empty cells)."""
    out = []
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            vals = col.dt.strftime("%Y-%m-%d %H:%M:%S%z").astype(object).where(col.notna(),
                                                                              None)
            out.append(list(vals))
        else:
            out.append([_excel_value(v) for v in col.astype(object)])
    return out


def _write_sheet(wb: Any, name: str, df: pd.DataFrame) -> None:
    if len(df) > _EXCEL_ROWS:
        _log.warning("sheet %s: %d rows, only the first %d fit in Excel (see the CSV)",
                     name, len(df), _EXCEL_ROWS)
        df = df.iloc[:_EXCEL_ROWS]
    ws = wb.add_worksheet(name)
    ws.write_row(0, 0, [str(c) for c in df.columns])
    for i, row in enumerate(zip(*_columns(df), strict=True), start=1):
        ws.write_row(i, 0, row)


def _read_table(path: Path) -> pd.DataFrame | None:
    from fcsim.report.html import read_table

    return read_table(path)


def write_workbook(run_dir: str | Path, *, out: str | Path | None = None,
                   all_clocks: bool = False, log: EventLog | None = None,
                   indicators: pd.DataFrame | None = None,
                   periods: pd.DataFrame | None = None,
                   clocks: pd.DataFrame | None = None,
                   ownership: pd.DataFrame | None = None) -> Path:
    """Write the run's KPI workbook (``kpi.xlsx``) and return its path.

    Parameters
    ----------
    run_dir
        The run directory (tables not given are read from it).
    out
        Where to write (default ``run_dir / "kpi.xlsx"``).
    all_clocks
        Also every clock row (sheet ``control_points_all``) and the lateness attribution per
        ticket (``lateness``).
    log, indicators, periods, clocks, ownership
        The run's log and tables already in memory (``fcsim run``).

    Raises
    ------
    ImportError
        When XlsxWriter is not installed (``pip install 'fcsim[excel]'``).
    FileNotFoundError
        When ``indicators.csv`` is absent.
    """
    if importlib.util.find_spec("xlsxwriter") is None:
        raise ImportError(
            "writing kpi.xlsx needs XlsxWriter: install the 'excel' extra "
            "(pip install 'fcsim[excel]')"
        )
    import xlsxwriter

    d = Path(run_dir)
    if indicators is None:
        indicators = _read_table(d / "indicators.csv")
        if indicators is None:
            raise FileNotFoundError(f"{d / 'indicators.csv'}: the run has no indicator table")
        periods = _read_table(d / "periods.csv") if periods is None else periods
        ownership = _read_table(d / "ownership.csv") if ownership is None else ownership
    clocks = _read_table(d / "control_points.csv") if clocks is None else clocks
    sheets: dict[str, pd.DataFrame] = {"indicators": indicators}
    if periods is not None:
        sheets["periods"] = periods
    if clocks is not None:
        log = read_log(d) if log is None else log
        sheets["compliance"] = clock_compliance(clocks, log.tickets)
        sheets["control_points"] = clock_summary(clocks)
    if ownership is not None:
        sheets["ownership"] = ownership
    if all_clocks and clocks is not None:
        assert log is not None
        sheets["control_points_all"] = clocks
        sheets["lateness"] = lateness_by_ticket(attribute_lateness(log, clocks))
    target = Path(out) if out is not None else d / "kpi.xlsx"
    tmp = target.with_name(target.name + ".part")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": pd.Timestamp("2000-01-01").to_pydatetime()})
    try:
        for name, df in sheets.items():
            _write_sheet(wb, name, df)
    finally:
        wb.close()
    tmp.replace(target)  # nothing half written
    return target

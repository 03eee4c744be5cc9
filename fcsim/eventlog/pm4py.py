"""Export to pm4py's / XES's standard column names, without importing pm4py."""

from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

from fcsim.eventlog.log import EventLog

__all__ = ["to_pm4py", "to_xes"]

_RENAME = {
    "ticket_id": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "started_at": "start_timestamp",
    "resource": "org:resource",
    "role": "org:role",
}


def to_pm4py(log: EventLog) -> pd.DataFrame:
    """One row per event with pm4py's column names and the ticket facts as ``case:`` columns.

    Sorted by case and (``timestamp``, ``seq``), as pm4py expects.
    """
    ev = log.sorted_events().rename(columns=_RENAME)
    tk = log.tickets.drop(columns=["scenario", "replication", "schema_version"])
    tk = tk.rename(columns={c: f"case:{c}" for c in tk.columns if c != "ticket_id"})
    tk = tk.rename(columns={"ticket_id": "case:concept:name"})
    out = ev.merge(tk, on="case:concept:name", how="left", sort=False)
    return out.reset_index(drop=True)


def _xes_value(v: object) -> tuple[str, str] | None:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return "date", v.isoformat()
    if isinstance(v, bool):
        return "boolean", "true" if v else "false"
    if isinstance(v, int):
        return "int", str(v)
    if isinstance(v, float):
        return "float", repr(v)
    return "string", str(v)


def to_xes(log: EventLog, path: str | os.PathLike[str]) -> Path:
    """Write a minimal IEEE XES 1849-2016 file (one trace per ticket)."""
    df = to_pm4py(log)
    case_cols = [c for c in df.columns if c.startswith("case:")]
    ev_cols = [c for c in df.columns if not c.startswith("case:")]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">',
             '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>',
             '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>',
             '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>']
    for _case, g in df.groupby("case:concept:name", sort=True, observed=True):
        lines.append("<trace>")
        first = g.iloc[0]
        for c in case_cols:
            kv = _xes_value(first[c])
            if kv:
                key = c.removeprefix("case:")
                lines.append(f"<{kv[0]} key={quoteattr(key)} value={quoteattr(kv[1])}/>")
        for _, row in g.iterrows():
            lines.append("<event>")
            for c in ev_cols:
                val = row[c]
                kv = _xes_value(val.item() if hasattr(val, "item") else val)
                if kv:
                    lines.append(f"<{kv[0]} key={quoteattr(c)} value={quoteattr(kv[1])}/>")
            lines.append("</event>")
        lines.append("</trace>")
    lines.append("</log>")
    p = Path(path)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p

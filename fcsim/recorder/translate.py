"""Translate another system's export into a canonical :class:`EventLog` through a mapping.

Reads the event table (and the optional case table), maps activities (dropping ignored ones,
expanding one source activity into several of ours), keeps the first or last occurrence where
the mapping says so, synthesises ``received`` where asked, orders equal timestamps by the
mapping's tie order, numbers ``seq`` and derives attempts, and builds the tickets table from
columns, value maps and constants. Errors name the file, the row and the column.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog, EventLogError
from fcsim.model.taxonomy import default_taxonomy
from fcsim.recorder.mapping import Mapping, MappingError
from fcsim.recorder.quality import QualityReport

__all__ = ["read_table", "translate"]

logger = logging.getLogger(__name__)


def read_table(path: Path, m: Mapping, columns: list[str]) -> pd.DataFrame:
    """The named columns of a CSV or Excel file, as strings (empty cells are NA)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    fmt = m.source.format
    if fmt is None:
        fmt = "excel" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else "csv"
    if fmt == "excel":
        header = pd.read_excel(path, sheet_name=m.source.sheet, nrows=0)
    else:
        header = pd.read_csv(path, nrows=0, sep=m.source.delimiter, encoding=m.source.encoding)
    missing = [c for c in dict.fromkeys(columns) if c not in header.columns]
    if missing:
        raise MappingError(
            f"{path}: column(s) {', '.join(map(repr, missing))} named by mapping "
            f"{m.path or m.name} not found (file has: {', '.join(map(str, header.columns))})"
        )
    use = list(dict.fromkeys(columns))
    if fmt == "excel":
        df = pd.read_excel(path, sheet_name=m.source.sheet, usecols=use, dtype=str)
    else:
        df = pd.read_csv(path, usecols=use, dtype=str, sep=m.source.delimiter,
                         encoding=m.source.encoding, keep_default_na=False, na_values=[""])
    return df


def _timestamps(values: pd.Series, m: Mapping, where: str) -> pd.Series:
    fmt = m.source.timestamp_format
    try:
        parsed = pd.to_datetime(values, format=fmt or "ISO8601", errors="raise")
    except (ValueError, TypeError):
        bad = pd.to_datetime(values, format=fmt or "ISO8601", errors="coerce").isna()
        bad &= values.notna()
        row = bad.idxmax()
        raise EventLogError(
            f"{where}, row {row + 2}: {values[row]!r} does not match the timestamp format "
            f"{fmt or 'ISO 8601'} (mapping {m.path or m.name}, source.timestamp_format)"
        ) from None
    if getattr(parsed.dt, "tz", None) is None:
        parsed = parsed.dt.tz_localize(
            m.source.timezone, ambiguous=np.zeros(len(parsed), dtype=bool),
            nonexistent="shift_forward",
        )
    return parsed.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")


def _source_duplicates(
    tickets: pd.Series, src: pd.Series, ts: pd.Series, m: Mapping, report: QualityReport
) -> pd.Index:
    """Rows dropped by the mapping's ``keep_source`` rules (first / last per ticket)."""
    drop = pd.Index([], dtype="int64")
    if not m.keep_source:
        return drop
    frame = pd.DataFrame({"t": tickets, "ts": ts, "a": src}).sort_values(
        ["t", "ts"], kind="stable")
    for act, rule in m.keep_source.items():
        if rule == "all":
            continue
        sub = frame[frame["a"] == act]
        pos = sub.groupby("t").cumcount(ascending=(rule == "first"))
        extra = pos[pos > 0].index
        if len(extra):
            report.dropped[f"{act} (source)"] = len(extra)
            drop = drop.append(extra)
    return drop


def _handover(
    ev: pd.DataFrame, src: pd.Series, m: Mapping, report: QualityReport
) -> pd.DataFrame:
    """Apply the mapping's handover rule: first hand-over vs later ones, one per instant."""
    assert m.handover is not None
    is_h = src.reindex(ev.index).isin(m.handover.sources)
    h = ev[is_h].sort_values(["ticket_id", "timestamp", "row"], kind="stable")
    same = h.duplicated(["ticket_id", "timestamp"], keep="first")
    if same.any():
        report.dropped["handover (same instant)"] = int(same.sum())
    h = h[~same]
    later = h.groupby("ticket_id").cumcount() > 0
    ev = ev.drop(index=ev.index[is_h.to_numpy()].difference(h.index))
    later_idx = h.index[later.to_numpy()]
    ev["activity"] = ev["activity"].astype(object)
    for i in later_idx:
        ev.at[i, "activity"] = list(m.handover.later)
    return ev


def _events(raw: pd.DataFrame, m: Mapping, path: Path, report: QualityReport) -> pd.DataFrame:
    c = m.columns
    for field in ("ticket_id", "activity", "timestamp"):
        col = getattr(c, field)
        empty = raw[col].isna()
        if empty.any():
            raise EventLogError(f"{path}, row {int(empty.idxmax()) + 2}: {col} ({field}) is empty")
    src = raw[c.activity].astype(str)
    targets = {a: m.targets(a) for a in src.unique()}
    unmapped = sorted(a for a, t in targets.items() if t is None)
    if unmapped and m.unmapped == "fail":
        raise MappingError(
            f"{m.path or m.name}: activities of {path} neither mapped nor ignored: "
            + ", ".join(repr(a) for a in unmapped)
            + " (add them to [activities] or ignore, or set unmapped = \"ignore\")"
        )
    ts = _timestamps(raw[c.timestamp], m, f"{path}: {c.timestamp}")
    first_ts = ts.groupby(raw[c.ticket_id].to_numpy()).min()
    counts = src.value_counts()
    for a, t in targets.items():
        if not t:
            report.ignored[a] = int(counts[a])
    if unmapped:
        report.notes.append(f"unmapped activities ignored: {', '.join(unmapped)}")
    ev = pd.DataFrame({
        "ticket_id": raw[c.ticket_id].astype(str),
        "activity": src.map(lambda a: targets[a] or []),
        "timestamp": ts,
        "started_at": (_timestamps(raw[c.started_at], m, f"{path}: {c.started_at}")
                       if c.started_at else pd.Series(pd.NaT, index=raw.index,
                                                      dtype="datetime64[ms, UTC]")),
        "resource": raw[c.resource] if c.resource else None,
        "role": raw[c.role] if c.role else None,
        "seq": raw[c.seq] if c.seq else None,
        "attempt": raw[c.attempt] if c.attempt else None,
        "row": np.arange(len(raw)),
    })
    ev = ev.drop(index=_source_duplicates(raw[c.ticket_id], src, ts, m, report))
    if m.handover is not None:
        ev = _handover(ev, src, m, report)
    ev = ev.explode("activity", ignore_index=True).dropna(subset=["activity"])
    ev["sub"] = ev.groupby("row").cumcount()
    rank = m.tie_rank()
    ev["tie"] = ev["activity"].map(rank)
    if m.synthesise_received == "first_event":
        have = set(ev.loc[ev["activity"] == "received", "ticket_id"].tolist())
        mapped = set(ev["ticket_id"].tolist())
        need = [t for t in first_ts.index.tolist() if t not in have and t in mapped]
        if need:
            extra = pd.DataFrame({
                "ticket_id": need, "activity": "received",
                "timestamp": first_ts[need].to_numpy(), "row": -1, "sub": 0,
                "tie": -1,
            })
            ev = pd.concat([ev, extra], ignore_index=True)
            report.synthesised["received"] = len(need)
    no_events = len(set(first_ts.index.tolist()) - set(ev["ticket_id"].tolist()))
    if no_events:
        report.notes.append(f"{no_events} ticket(s) with no mapped event were not loaded")
    order = ev.groupby("ticket_id")["timestamp"].transform("min")
    keys = ["_first", "ticket_id", "timestamp", "seq_num", "tie", "row", "sub"]
    ev["_first"] = order
    ev["seq_num"] = pd.to_numeric(ev["seq"], errors="coerce") if c.seq else 0
    ev = ev.sort_values(keys, kind="stable").reset_index(drop=True)
    for act, rule in m.keep.items():
        if rule == "all":
            continue
        is_act = ev["activity"] == act
        pos = ev[is_act].groupby("ticket_id").cumcount(ascending=(rule == "first"))
        drop = pos[pos > 0].index
        if len(drop):
            report.dropped[act] = len(drop)
            ev = ev.drop(index=drop)
    ev = ev.reset_index(drop=True)
    dup = ev.duplicated(["ticket_id", "timestamp"], keep=False)
    if dup.any():
        report.notes.append(
            f"{int(dup.sum())} events share their timestamp with another event of the same "
            "ticket; ordered by the mapping's tie_order"
        )
    if not c.seq:
        ev["seq"] = ev.groupby("ticket_id").cumcount()
    if not c.attempt:
        rej = (ev["activity"] == "rejected").astype(int)
        ev["attempt"] = 1 + rej.groupby(ev["ticket_id"]).cumsum() - rej
    if m.roles:
        fill = ev["activity"].map(m.roles)
        ev["role"] = ev["role"].where(ev["role"].notna(), fill) if c.role else fill
    ev["scenario"] = None
    ev["replication"] = None
    return ev.drop(columns=["_first", "seq_num", "tie", "row", "sub"])


def _ticket_values(
    ids: list[str], raw: pd.DataFrame, cases: pd.DataFrame | None, m: Mapping
) -> dict[str, pd.Series]:
    spec = m.tickets
    out: dict[str, pd.Series] = {}
    for field, col in spec.columns.items():
        if cases is not None:
            assert spec.key is not None
            s = cases.drop_duplicates(spec.key, keep="last").set_index(spec.key)[col]
        else:
            s = raw[[m.columns.ticket_id, col]].dropna().groupby(m.columns.ticket_id)[col].last()
        s = s.reindex(ids)
        if field in spec.values:
            vm = spec.values[field]
            s = s.map(lambda v, vm=vm: vm.get(v, v) if v is not None and v == v else v)
        out[field] = s.reset_index(drop=True)
    for field, value in spec.constants.items():
        const = pd.Series([value] * len(ids), dtype=object)
        out[field] = out[field].where(out[field].notna(), const) if field in out else const
    return out


def _tickets(ids: list[str], raw: pd.DataFrame, cases: pd.DataFrame | None,
             m: Mapping, path: Path) -> pd.DataFrame:
    vals = _ticket_values(ids, raw, cases, m)
    where = m.path or m.name
    for req in ("category", "emergency", "mode"):
        if req not in vals:
            raise MappingError(f"{where}: tickets: {req} needs a column or a constant")
        if vals[req].isna().any():
            i = int(vals[req].isna().to_numpy().argmax())
            raise MappingError(f"{where}: tickets.{req} is empty for ticket {ids[i]!r}")
    tax = default_taxonomy()
    for flag in ("route_dispatch", "route_site_visit", "route_callback"):
        if flag not in vals:
            cats = vals["category"]
            unknown = [c for c in cats.unique() if c not in tax]
            if unknown:
                raise MappingError(
                    f"{where}: tickets.{flag} not given and category {unknown[0]!r} is not in "
                    "the default taxonomy (give it as a constant or a column)"
                )
            vals[flag] = cats.map(lambda c, f=flag: getattr(tax[c], f))
    if "department" not in vals:
        vals["department"] = vals["category"].map(
            lambda c: tax[c].department if c in tax else None)
    tk = pd.DataFrame({"ticket_id": ids, **{k: v.to_numpy() for k, v in vals.items()}})
    for col in ("booked_at", "appointment_at"):
        if col in tk:
            tk[col] = _timestamps(tk[col].astype("string"), m, f"{path}: tickets.{col}")
    from fcsim.eventlog.schema import TICKET_COLUMNS
    for col in TICKET_COLUMNS:
        if col not in tk and col != "schema_version":
            tk[col] = None
    return tk[[c for c in TICKET_COLUMNS if c != "schema_version"]]


def translate(
    path: Path, m: Mapping, *, tickets_path: str | Path | None = None
) -> tuple[EventLog, QualityReport]:
    """The canonical log of a source file under mapping ``m``, and the report so far."""
    c = m.columns
    ev_cols = [c.ticket_id, c.activity, c.timestamp] + [
        x for x in (c.started_at, c.resource, c.role, c.seq, c.attempt) if x
    ]
    case_file = tickets_path or (
        path.parent / m.source.tickets_file if m.source.tickets_file else None)
    if case_file is None:
        ev_cols += list(m.tickets.columns.values())
    raw = read_table(path, m, ev_cols)
    report = QualityReport(
        source=str(path) + (f" + {case_file}" if case_file else ""),
        mapping=m.path or m.name, rows_read=len(raw),
    )
    cases = None
    if case_file is not None:
        if not m.tickets.key:
            raise MappingError(f"{m.path or m.name}: tickets.key is needed with a case table")
        cases = read_table(Path(case_file), m, [m.tickets.key, *m.tickets.columns.values()])
    ev = _events(raw, m, path, report)
    ids = list(dict.fromkeys(ev["ticket_id"]))
    tk = _tickets(ids, raw, cases, m, path)
    if m.source.timezone != "UTC":
        report.notes.append(f"naive source timestamps read as {m.source.timezone}")
    try:
        log = EventLog.from_frames(ev, tk)
    except EventLogError as exc:
        raise EventLogError(f"{path} (mapping {m.path or m.name}): {exc}") from None
    return log, report


"""Where the time goes: waiting versus working per stage, hour-of-week profiles, swimlanes.

Everything is derived from the log alone, so simulated and recorded tickets are treated alike:

* a resource is **busy** between a durative event's ``started_at`` and its ``timestamp``,
  minus the interruptions of that role in the same attempt: preemption gaps (``preempted`` →
  ``resumed``, an emergency took the member) and handover gaps (``handed_over`` →
  ``taken_over``, a shift change passed the work on); interruptions may come in any stage;
* a ticket is **waiting** for a durative stage between the ticket's previous event and the
  stage's ``started_at``;
* the **work** of a stage is ``timestamp - started_at`` minus those gaps.

Where a log lacks ``started_at`` (most recorded logs), waiting and working cannot be told apart:
the functions return NaN and say how many events lacked it (:func:`started_at_coverage`, the
``n_known`` columns) instead of guessing.
"""

from __future__ import annotations

from datetime import tzinfo

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import NAT, TicketEvents, gaps, iter_tickets, ms_array
from fcsim.eventlog import EventLog
from fcsim.model.activities import DURATIVE, Activity

__all__ = [
    "busy_intervals",
    "hour_of_week_profile",
    "stage_summary",
    "stage_times",
    "started_at_coverage",
    "swimlane_segments",
    "waiting_intervals",
]

_DURATIVE = [a.value for a in Activity if a in DURATIVE]  # procedure order
_DESK = frozenset(
    {
        "received", "relayed", "recorded", "emergency_reported", "classified", "misrouted",
        "dispatched", "slip_returned", "callback", "callback_failed", "closed",
    }
)
_MONDAY_MS = 4 * 86_400_000  # 1970-01-05 00:00, the first Monday after the epoch
_HOUR_MS = 3_600_000


def _role(t: TicketEvents, i: int) -> str:
    r = t.role[i]
    if r is not None:
        return str(r)
    return "desk" if t.activity[i] in _DESK else "technician"


def started_at_coverage(log: EventLog) -> float:
    """Share of durative events that carry ``started_at`` (NaN when there are none)."""
    ev = log.events
    dur = ev["activity"].astype(str).isin(_DURATIVE)
    if not dur.any():
        return float("nan")
    return float(ev.loc[dur, "started_at"].notna().mean())


def _prev_ms(t: TicketEvents, i: int) -> int | None:
    """Timestamp of the ticket's latest event before durative event ``i`` that is not later
    than its ``started_at`` (``work_started``, which marks that start, is skipped)."""
    s = int(t.started[i])
    cands = [
        int(t.ts[j]) for j in range(i) if int(t.ts[j]) <= s and t.activity[j] != "work_started"
    ]
    return max(cands) if cands else None


def _interruptions(t: TicketEvents, i: int, opening: str) -> list[tuple[int, int]]:
    """Gaps opened by ``opening`` (``preempted`` or ``handed_over``) in event ``i``'s attempt
    and role (any role when either is unknown)."""
    closing = "resumed" if opening == "preempted" else "taken_over"
    own = _role(t, i)
    out = []
    for j, a, b in gaps(t, opening, closing):
        if t.attempt[j] != t.attempt[i]:
            continue
        if t.role[j] is not None and t.role[i] is not None and _role(t, j) != own:
            continue
        out.append((a, b))
    return out


def _cut(pieces: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for a, b in holes:
        nxt: list[tuple[int, int]] = []
        for lo, hi in pieces:
            if b <= lo or a >= hi:
                nxt.append((lo, hi))
                continue
            if lo < a:
                nxt.append((lo, a))
            if b < hi:
                nxt.append((b, hi))
        pieces = nxt
    return pieces


def _work_pieces(t: TicketEvents, i: int) -> list[tuple[int, int]]:
    """The busy pieces of durative event ``i``: [started_at, timestamp) minus its role's
    preemption and handover gaps."""
    s, e = int(t.started[i]), int(t.ts[i])
    if s == NAT or e <= s:
        return []
    return _cut([(s, e)], _interruptions(t, i, "preempted") + _interruptions(t, i, "handed_over"))


def _overlap_ms(lo: int, hi: int, holes: list[tuple[int, int]]) -> int:
    """How much of [lo, hi) the ``holes`` cover (overlaps counted once)."""
    left = _cut([(lo, hi)], holes)
    return (hi - lo) - sum(b - a for a, b in left)


def stage_times(log: EventLog) -> pd.DataFrame:
    """Waiting and working time of every durative event.

    Returns
    -------
    DataFrame
        scenario, replication, ticket_id, attempt, activity, role, resource, started_known,
        wait_s (previous event of the ticket → ``started_at``), work_s (``started_at`` →
        ``timestamp`` minus preemption and handover gaps), preempted_s, handover_s (the gaps'
        shares of the span); they are NaN where ``started_at`` is missing
        (``started_known`` false).
    """
    rows: list[dict[str, object]] = []
    for t in iter_tickets(log):
        for i in range(len(t.ts)):
            act = str(t.activity[i])
            if act not in _DURATIVE:
                continue
            known = int(t.started[i]) != NAT
            pieces = _work_pieces(t, i) if known else []
            work = sum(b - a for a, b in pieces) / 1000.0 if known else np.nan
            span = (int(t.ts[i]) - int(t.started[i])) / 1000.0 if known else np.nan
            hand = (_overlap_ms(int(t.started[i]), int(t.ts[i]),
                                _interruptions(t, i, "handed_over")) / 1000.0
                    if known and int(t.ts[i]) > int(t.started[i]) else
                    (0.0 if known else np.nan))
            prev = _prev_ms(t, i) if known else None
            wait = (int(t.started[i]) - prev) / 1000.0 if prev is not None else np.nan
            rows.append(
                {
                    "scenario": t.key[0], "replication": t.key[1], "ticket_id": t.key[2],
                    "attempt": int(t.attempt[i]), "activity": act, "role": _role(t, i),
                    "resource": t.resource[i], "started_known": known,
                    "wait_s": wait,
                    "work_s": work,
                    "preempted_s": span - work - hand if known else np.nan,
                    "handover_s": hand,
                }
            )
    cols = ["scenario", "replication", "ticket_id", "attempt", "activity", "role", "resource",
            "started_known", "wait_s", "work_s", "preempted_s", "handover_s"]
    return pd.DataFrame(rows, columns=cols)


def stage_summary(stages: pd.DataFrame) -> pd.DataFrame:
    """Mean waiting, working, preempted and handed-over seconds per stage, procedure order.

    Returns one row per durative activity present: activity, n, n_known, wait_mean_s,
    work_mean_s, preempted_mean_s, handover_mean_s (means over events with ``started_at``;
    NaN when none has it).
    """
    cols = ["activity", "n", "n_known", "wait_mean_s", "work_mean_s", "preempted_mean_s",
            "handover_mean_s"]
    if stages.empty:
        return pd.DataFrame(columns=cols)
    g = stages.groupby("activity", sort=False, observed=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "n_known": g["started_known"].sum().astype(int),
            "wait_mean_s": g["wait_s"].mean(),
            "work_mean_s": g["work_s"].mean(),
            "preempted_mean_s": g["preempted_s"].mean(),
            "handover_mean_s": g["handover_s"].mean(),
        }
    )
    order = [a for a in _DURATIVE if a in out.index]
    return out.loc[order].rename_axis("activity").reset_index()[cols]


def busy_intervals(log: EventLog) -> pd.DataFrame:
    """Busy pieces of resources: scenario, replication, ticket_id, attempt, resource, role,
    activity, kind (``travel`` for ``arrived``, else ``work``), start, end (UTC)."""
    rows: list[tuple[object, ...]] = []
    for t in iter_tickets(log):
        for i in range(len(t.ts)):
            if str(t.activity[i]) not in _DURATIVE:
                continue
            for a, b in _work_pieces(t, i):
                kind = "travel" if t.activity[i] == "arrived" else "work"
                rows.append((*t.key, int(t.attempt[i]), t.resource[i], _role(t, i),
                             str(t.activity[i]), kind, a, b))
    return _frame(rows, ["resource", "role", "activity", "kind"])


def waiting_intervals(log: EventLog) -> pd.DataFrame:
    """Waiting pieces of tickets: [previous event, ``started_at``) of each durative event with
    a known start, labelled with the role awaited (the durative event's role)."""
    rows: list[tuple[object, ...]] = []
    for t in iter_tickets(log):
        for i in range(len(t.ts)):
            s = int(t.started[i])
            if str(t.activity[i]) not in _DURATIVE or s == NAT:
                continue
            prev = _prev_ms(t, i)
            if prev is None or s <= prev:
                continue
            rows.append((*t.key, int(t.attempt[i]), t.resource[i], _role(t, i),
                         str(t.activity[i]), "wait", prev, s))
    return _frame(rows, ["resource", "role", "activity", "kind"])


def _frame(rows: list[tuple[object, ...]], middle: list[str]) -> pd.DataFrame:
    cols = ["scenario", "replication", "ticket_id", "attempt", *middle, "start", "end"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c].astype("int64"), unit="ms", utc=True)
    return df


def _wall_ms(values: pd.Series, tz: str | tzinfo) -> np.ndarray:
    """Milliseconds of local wall-clock time in ``tz`` (as if it were UTC)."""
    if tz == "UTC":
        return ms_array(values)
    local = pd.to_datetime(values, utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    return local.to_numpy(dtype="datetime64[ms]").astype(np.int64)


def _spread(lo: np.ndarray, hi: np.ndarray, h0: int, n_hours: int) -> np.ndarray:
    """Seconds of the intervals [lo, hi) (ms) falling in each absolute hour h0 … h0+n-1."""
    out = np.zeros(n_hours + 1)
    diff = np.zeros(n_hours + 2)
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    a = lo // _HOUR_MS - h0
    b = hi // _HOUR_MS - h0
    same = a == b
    np.add.at(out, a[same], (hi[same] - lo[same]) / 1000.0)
    d = ~same
    np.add.at(out, a[d], ((a[d] + h0 + 1) * _HOUR_MS - lo[d]) / 1000.0)
    np.add.at(out, b[d], (hi[d] - (b[d] + h0) * _HOUR_MS) / 1000.0)
    np.add.at(diff, a[d] + 1, 3600.0)
    np.add.at(diff, b[d], -3600.0)
    out += np.cumsum(diff)[: n_hours + 1]
    return out[:n_hours]


def _fold(per_hour: np.ndarray, h0: int) -> np.ndarray:
    how = (np.arange(h0, h0 + per_hour.size) - _MONDAY_MS // _HOUR_MS) % 168
    return np.bincount(how, weights=per_hour, minlength=168)


def hour_of_week_profile(log: EventLog, *, tz: str | tzinfo = "UTC") -> pd.DataFrame:
    """Arrivals, busy resources, utilisation and queue length per role and hour of the week.

    The observation span of each (scenario, replication) runs over whole hours, from the hour of
    its first event to the end of the hour of its last event; each hour of the week is
    averaged over the time it was observed (its exposure).

    Parameters
    ----------
    log
        The event log.
    tz
        Time zone of the hours of the week (wall clock): a name or a ``tzinfo`` (e.g. the
        fixed offset of a scenario's start); default UTC.

    Returns
    -------
    DataFrame
        Long format: metric, role, hour_of_week (0 = Monday 00:00–01:00 … 167), value, with
        metrics ``arrivals`` (attempt-1 desk receipts per hour, role ``all``), ``busy`` (mean
        number of busy resources), ``utilisation`` (busy / distinct resources of the role in the
        log), ``queue`` (mean number of tickets waiting for the role). ``busy``, ``utilisation``
        and ``queue`` are NaN when the log has no ``started_at`` (see
        :func:`started_at_coverage`).
    """
    ev = log.events
    cols = ["metric", "role", "hour_of_week", "value"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    wall = _wall_ms(ev["timestamp"], tz)
    h0 = int(wall.min() // _HOUR_MS)
    n_hours = int(wall.max() // _HOUR_MS) - h0 + 1
    exposure = np.zeros(n_hours)
    grp = ev.assign(_w=wall).groupby(
        [ev["scenario"].astype(object).fillna(""), ev["replication"].astype("Int64").fillna(-1)],
        sort=False,
    )["_w"]
    spans = grp.agg(["min", "max"])
    # whole hours: from the hour of the first event to the end of the hour of the last
    lo_h = spans["min"].to_numpy(np.int64) // _HOUR_MS * _HOUR_MS
    hi_h = (spans["max"].to_numpy(np.int64) // _HOUR_MS + 1) * _HOUR_MS
    exposure += _spread(lo_h, hi_h, h0, n_hours)
    expo_how = _fold(exposure, h0)
    with np.errstate(invalid="ignore", divide="ignore"):
        def rate(x: np.ndarray) -> np.ndarray:
            return np.where(expo_how > 0, x / np.where(expo_how > 0, expo_how, 1.0), np.nan)

        frames = []
        act = ev["activity"].astype(str)
        r_rows = ev[(ev["attempt"] == 1) & act.isin(["received", "relayed"])]
        key = [r_rows["scenario"].astype(object).fillna(""),
               r_rows["replication"].astype("Int64").fillna(-1), r_rows["ticket_id"].astype(str)]
        relayed = r_rows.assign(_rel=(r_rows["activity"].astype(str) == "relayed"))
        first_r = relayed.sort_values(["_rel", "timestamp"], ascending=[False, True]).groupby(
            key, sort=False).head(1)
        arr_ms = _wall_ms(first_r["timestamp"], tz)
        counts = np.zeros(n_hours)
        np.add.at(counts, arr_ms // _HOUR_MS - h0, 1.0)
        frames.append(_long("arrivals", "all", rate(_fold(counts, h0) * 3600.0)))
        known = started_at_coverage(log) > 0
        busy = busy_intervals(log)
        waits = waiting_intervals(log)
        staff = set(ev["role"].dropna().astype(str)) - {"customer"}
        roles = sorted(staff | set(busy["role"].astype(str)) | set(waits["role"].astype(str)))
        for role in roles:
            b = busy[busy["role"].astype(str) == role]
            w = waits[waits["role"].astype(str) == role]
            bs = _fold(_spread(_wall_ms(b["start"], tz), _wall_ms(b["end"], tz), h0, n_hours), h0)
            ws = _fold(_spread(_wall_ms(w["start"], tz), _wall_ms(w["end"], tz), h0, n_hours), h0)
            n_res = b["resource"].nunique()
            busy_v = rate(bs) if known else np.full(168, np.nan)
            frames.append(_long("busy", role, busy_v))
            frames.append(_long("utilisation", role,
                                busy_v / n_res if n_res else np.full(168, np.nan)))
            frames.append(_long("queue", role, rate(ws) if known else np.full(168, np.nan)))
    return pd.concat(frames, ignore_index=True)[cols]


def _long(metric: str, role: str, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"metric": metric, "role": role, "hour_of_week": np.arange(168), "value": values}
    )


def swimlane_segments(log: EventLog, ticket_ids: list[str] | None = None) -> pd.DataFrame:
    """Bars and marks of a swimlane timeline of tickets across desk, technicians, supervisors.

    Returns
    -------
    DataFrame
        scenario, replication, ticket_id, attempt, lane (the resource, else the role), role,
        activity, kind, start, end: ``work`` / ``travel`` bars (busy pieces), ``preempted``
        bars (``preempted`` → ``resumed``, on the preempted resource's lane), ``handover``
        bars (``handed_over`` → ``taken_over``, on the lane of the one who handed over), and
        ``event`` marks (zero length) for every event, so instants and second passes
        (attempt >= 2) are visible.
    """
    keep = None if ticket_ids is None else {str(x) for x in ticket_ids}
    rows: list[tuple[object, ...]] = []
    for t in iter_tickets(log):
        if keep is not None and t.key[2] not in keep:
            continue
        for i in range(len(t.ts)):
            lane = t.resource[i] if t.resource[i] is not None else _role(t, i)
            act = str(t.activity[i])
            if act in _DURATIVE:
                for a, b in _work_pieces(t, i):
                    rows.append((*t.key, int(t.attempt[i]), lane, _role(t, i), act,
                                 "travel" if act == "arrived" else "work", a, b))
            rows.append((*t.key, int(t.attempt[i]), lane, _role(t, i), act, "event",
                         int(t.ts[i]), int(t.ts[i])))
        for opening, closing in (("preempted", "resumed"), ("handed_over", "taken_over")):
            kind = "preempted" if opening == "preempted" else "handover"
            for i, a, b in gaps(t, opening, closing):
                if b == np.iinfo(np.int64).max:
                    b = int(t.ts[-1])
                lane = t.resource[i] if t.resource[i] is not None else _role(t, i)
                rows.append((*t.key, int(t.attempt[i]), lane, _role(t, i), opening, kind,
                             a, b))
    return _frame(rows, ["lane", "role", "activity", "kind"])

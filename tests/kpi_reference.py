"""An independent, loop-based reference implementation of ``KPI.md`` for the tests.

Written straight from the contract, one ticket at a time, without vectorisation and without
importing :mod:`fcsim.kpi`, so that the engine can be checked against it. Choices where the
contract leaves room (kept deliberately simple, and stated so that a disagreement with the
engine can be judged):

* only events with ``timestamp <= as_of`` exist (a ``relayed`` after ``as_of`` is unknown, so
  R falls back to the known ``received``);
* attempt *k* >= 2 exists once a known ``rejected`` of attempt *k*-1 exists; an attempt ends at
  its first known ``rejected`` or ``closed``;
* ``appointment_at`` is a ticket fact, so an appointment clock whose start is known is met or
  breached at once; its ``end`` column is ``appointment_at`` on every row;
* lateness of a missing row whose start is known = ``max(0, attempt end - start - upper)``; of
  an appointment clock whose start never came = ``max(0, attempt end - (appointment_at -
  lower))``; no lateness where the needed bound is absent;
* indicator rows exist for every (scenario, replication) of the tickets table;
* bounds: the manifest's ``control_points`` and ``control_point_overrides`` entries of the
  ticket's scenario (for an observed log: entries keyed by clock), else ``bounds``, else the
  seed's; then, per ticket, the emergency override, else the category's, else scenario-wide
  (``ControlPoints.resolve``, the model's one definition).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
from scipy import stats

from fcsim.eventlog import EventLog
from fcsim.model import SEED_CONTROL_POINTS, ControlPoints
from fcsim.model.indicators import INDICATOR_IDS, INDICATORS

__all__ = [
    "COUNT_COLUMNS",
    "CP_COLUMNS",
    "normalise_control_points",
    "normalise_counts",
    "reference_as_of",
    "reference_control_points",
    "reference_indicator_counts",
    "reference_scenario_rows",
    "wilson",
]

CP_COLUMNS = ["scenario", "replication", "ticket_id", "attempt", "occurrence", "control_point",
              "status", "start", "end", "duration_s", "lower_s", "upper_s", "lateness_s"]
COUNT_COLUMNS = ["scenario", "replication", "indicator", "numerator", "denominator",
                 "n_censored"]
APPOINTMENT_CLOCKS = ("appointment_sign", "appointment_call", "appointment_arrival")


class Ev:
    """One known event: its (timestamp, seq) sort key, activity and attempt."""

    def __init__(self, ts: pd.Timestamp, seq: int, activity: str, attempt: int) -> None:
        self.ts, self.seq, self.activity, self.attempt = ts, seq, activity, attempt

    @property
    def key(self) -> tuple[pd.Timestamp, int]:
        return (self.ts, self.seq)


def _flag(v: Any) -> bool:
    """A nullable ticket flag; null counts as false."""
    return False if v is None or v is pd.NA or (isinstance(v, float) and v != v) else bool(v)


def _null(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _secs(a: pd.Timestamp, b: pd.Timestamp) -> float:
    """``a - b`` in seconds."""
    return (a - b).total_seconds()


def reference_as_of(log: EventLog) -> pd.Timestamp:
    """The default ``as_of``: the latest event timestamp of the whole log."""
    return pd.Timestamp(log.events["timestamp"].max())


def _bounds_for(log: EventLog, bounds: ControlPoints | None, scenario: Any) -> ControlPoints:
    man = log.manifest or {}
    cps = man.get("control_points") or {}
    ovs = man.get("control_point_overrides") or {}
    if _null(scenario):
        # an observed log: entries keyed by clock id, not by scenario
        clocks = set(SEED_CONTROL_POINTS.specs)
        wide = cps if cps and set(cps) <= clocks else None
        over = ovs if ovs and set(ovs) <= clocks else None
    else:
        wide, over = cps.get(scenario), ovs.get(scenario)
    if wide is not None or over is not None:
        return ControlPoints.from_dict(wide or {}, over or None)
    return SEED_CONTROL_POINTS if bounds is None else bounds


def _first(evs: list[Ev], attempt: int, acts: Iterable[str], after: Ev | None = None) -> Ev | None:
    """The first event of ``attempt`` with one of ``acts``, strictly after ``after``."""
    acts = set(acts)
    for e in evs:
        if e.attempt == attempt and e.activity in acts and (after is None or e.key > after.key):
            return e
    return None


def _valid_arrivals(evs: list[Ev], attempt: int) -> list[Ev]:
    """Arrivals of an attempt not followed by a ``misrouted`` before the next ``dispatched``."""
    own = [e for e in evs if e.attempt == attempt]
    valid = []
    for i, e in enumerate(own):
        if e.activity != "arrived":
            continue
        ok = True
        for later in own[i + 1:]:
            if later.activity == "dispatched":
                break
            if later.activity == "misrouted":
                ok = False
                break
        if ok:
            valid.append(e)
    return valid


def _receipt(evs: list[Ev]) -> Ev | None:
    """Attempt-1 desk receipt R: its ``relayed`` if known, else ``received``."""
    return _first(evs, 1, ["relayed"]) or _first(evs, 1, ["received"])


def _interval_row(clock: str, b: Any, start: Ev | None, end: Ev | None,
                  attempt_end: Ev | None, as_of: pd.Timestamp) -> dict[str, Any] | None:
    """Status of a start -> end clock; ``None`` when it has no row yet."""
    lo, up = b.lower_s, b.upper_s
    row: dict[str, Any] = {"control_point": clock, "start": None, "end": None,
                           "duration_s": None, "lateness_s": None,
                           "lower_s": lo, "upper_s": up}
    if start is None:
        if attempt_end is None:
            return None
        row["status"] = "missing"  # start-less missing: no lateness
        return row
    row["start"] = start.ts
    if end is not None:
        d = _secs(end.ts, start.ts)
        row.update(end=end.ts, duration_s=d)
        if b.contains(d):
            row["status"] = "met"
        else:
            row["status"] = "breached"
            row["lateness_s"] = d - up if up is not None and d > up else lo - d
    elif attempt_end is not None:
        row["status"] = "missing"
        if up is not None:
            row["lateness_s"] = max(0.0, _secs(attempt_end.ts, start.ts) - up)
    elif up is not None and _secs(as_of, start.ts) > up:
        row["status"] = "breached"
        row["lateness_s"] = _secs(as_of, start.ts) - up
    else:
        row["status"] = "censored"
    return row


def _appointment_row(clock: str, b: Any, start: Ev | None, appt: pd.Timestamp,
                     attempt_end: Ev | None, as_of: pd.Timestamp) -> dict[str, Any]:
    """Status of a start -> ``appointment_at`` clock (it has a row once the ticket exists)."""
    lo, up = b.lower_s, b.upper_s
    row: dict[str, Any] = {"control_point": clock, "start": None, "end": appt,
                           "duration_s": None, "lateness_s": None,
                           "lower_s": lo, "upper_s": up}
    if start is not None:
        d = _secs(appt, start.ts)
        row.update(start=start.ts, duration_s=d)
        if b.contains(d):
            row["status"] = "met"
        else:
            row["status"] = "breached"
            row["lateness_s"] = d - up if up is not None and d > up else lo - d
    elif attempt_end is not None:
        row["status"] = "missing"
        if lo is not None:
            deadline = appt - pd.Timedelta(seconds=lo)
            row["lateness_s"] = max(0.0, _secs(attempt_end.ts, deadline))
    elif lo is not None and as_of > appt - pd.Timedelta(seconds=lo):
        row["status"] = "breached"
        row["lateness_s"] = _secs(as_of, appt - pd.Timedelta(seconds=lo))
    else:
        row["status"] = "censored"
    return row


def _ticket_rows(tk: dict[str, Any], evs: list[Ev], as_of: pd.Timestamp,
                 cp: ControlPoints) -> list[dict[str, Any]]:
    """All clock rows of one ticket, from its known events ``evs`` (sorted)."""
    r1 = _receipt(evs)
    if r1 is None:
        return []
    emergency = _flag(tk["emergency"])
    category = None if _null(tk["category"]) else str(tk["category"])

    def bounds(clock: str) -> Any:
        """The clock's bounds for this ticket's category and emergency flag."""
        return cp.resolve(clock, category, emergency)

    immediate = tk["mode"] == "immediate"
    appointment = tk["mode"] == "appointment"
    r_disp, r_site, r_cb = (_flag(tk["route_dispatch"]), _flag(tk["route_site_visit"]),
                            _flag(tk["route_callback"]))
    # attempts: R_k and the end of each attempt
    receipts: dict[int, Ev] = {1: r1}
    k = 1
    while True:
        rej = _first(evs, k, ["rejected"])
        if rej is None:
            break
        k += 1
        receipts[k] = rej
    ends: dict[int, Ev | None] = {a: _first(evs, a, ["rejected", "closed"]) for a in receipts}
    out: list[dict[str, Any]] = []

    def add(row: dict[str, Any] | None, attempt: int, occurrence: int = 1) -> None:
        if row is not None:
            row.update(attempt=attempt, occurrence=occurrence)
            out.append(row)

    for a, rk in receipts.items():
        end_a = ends[a]
        rec = _first(evs, a, ["recorded"], after=rk)
        add(_interval_row("record", bounds("record"), rk, rec, end_a, as_of), a)
        if r_disp and not (emergency and a == 1):
            first_rec = _first(evs, a, ["recorded"])
            disp = _first(evs, a, ["dispatched"], after=first_rec) if first_rec else None
            add(_interval_row("dispatch", bounds("dispatch"), first_rec, disp, end_a,
                              as_of), a)
        if emergency and a == 1:
            er = _first(evs, 1, ["emergency_reported"], after=rk)
            add(_interval_row("emergency_report", bounds("emergency_report"), rk, er,
                              end_a, as_of), a)
        valid = _valid_arrivals(evs, a)
        if immediate and r_site:
            st = _first(evs, a, ["emergency_reported" if emergency and a == 1 else "dispatched"])
            arr = next((e for e in valid if st is not None and e.key > st.key), None)
            add(_interval_row("on_site", bounds("on_site"), st, arr, end_a, as_of), a)
        if appointment and r_site and a == 1:
            appt = pd.Timestamp(tk["appointment_at"])
            add(_appointment_row("appointment_sign", bounds("appointment_sign"),
                                 _first(evs, 1, ["signed"]), appt, end_a, as_of), a)
            booked = tk["booked_at"]
            if not _null(booked) and _secs(appt, pd.Timestamp(booked)) >= 900:
                add(_appointment_row("appointment_call", bounds("appointment_call"),
                                     _first(evs, 1, ["contacted"]), appt, end_a, as_of), a)
            add(_appointment_row("appointment_arrival", bounds("appointment_arrival"),
                                 valid[0] if valid else None, appt, end_a, as_of), a)
        if r_site:
            diag = _first(evs, a, ["diagnosed"])
            plan = _first(evs, a, ["planned"], after=diag) if diag else None
            add(_interval_row("plan", bounds("plan"), diag, plan, end_a, as_of), a)
        # escalate: each blocked -> first unpaired escalated after it, in order
        paired: set[int] = set()
        blocked = [e for e in evs if e.attempt == a and e.activity == "blocked"]
        for occ, bl in enumerate(blocked, start=1):
            esc = None
            for e in evs:
                if (e.attempt == a and e.activity == "escalated" and e.key > bl.key
                        and id(e) not in paired):
                    esc = e
                    paired.add(id(e))
                    break
            add(_interval_row("escalate", bounds("escalate"), bl, esc, end_a, as_of), a, occ)
    if r_cb:
        acc = next((e for e in evs if e.activity == "accepted"), None)
        if acc is not None:
            a = acc.attempt
            slip = _first(evs, a, ["slip_returned"])
            call = _first(evs, a, ["callback", "callback_failed"], after=slip) if slip else None
            add(_interval_row("callback", bounds("callback"), slip, call,
                              ends.get(a), as_of), a)
        elif any(e.activity == "closed" for e in evs):
            add(_interval_row("callback", bounds("callback"), None, None,
                              ends[max(receipts)] or evs[-1], as_of), max(receipts))
    return out


def _known_events(log: EventLog, as_of: pd.Timestamp) -> dict[str, list[Ev]]:
    """Known events (``timestamp <= as_of``) per ticket, in (timestamp, seq) order."""
    ev = log.events
    per: dict[str, list[Ev]] = {}
    for tid, seq, act, ts, att in zip(ev["ticket_id"].astype(str), ev["seq"],
                                      ev["activity"].astype(str), ev["timestamp"],
                                      ev["attempt"], strict=True):
        if ts <= as_of:
            per.setdefault(tid, []).append(Ev(ts, int(seq), act, int(att)))
    for lst in per.values():
        lst.sort(key=lambda e: e.key)
    return per


def _population(log: EventLog, as_of: pd.Timestamp, window: Any
                ) -> list[tuple[dict[str, Any], list[Ev]]]:
    """Tickets whose attempt-1 R is known and inside ``window = (start, end)``."""
    w0 = w1 = None
    if window is not None:
        w0 = None if _null(window[0]) else pd.Timestamp(window[0])
        w1 = None if _null(window[1]) else pd.Timestamp(window[1])
    per = _known_events(log, as_of)
    out: list[tuple[dict[str, Any], list[Ev]]] = []
    records: list[dict[str, Any]] = log.tickets.astype(object).to_dict("records")
    for tk in records:
        evs = per.get(str(tk["ticket_id"]), [])
        r1 = _receipt(evs)
        if r1 is None or (w0 is not None and r1.ts < w0) or (w1 is not None and r1.ts >= w1):
            continue
        out.append((tk, evs))
    return out


def reference_control_points(log: EventLog, as_of: Any = None,
                             bounds: ControlPoints | None = None,
                             window: Any = None) -> pd.DataFrame:
    """Clock rows (columns as ``control_points.csv``) of the population, ticket by ticket."""
    as_of = reference_as_of(log) if as_of is None else pd.Timestamp(as_of)
    rows = []
    for tk, evs in _population(log, as_of, window):
        cp = _bounds_for(log, bounds, tk["scenario"])
        for r in _ticket_rows(tk, evs, as_of, cp):
            r.update(scenario=None if _null(tk["scenario"]) else str(tk["scenario"]),
                     replication=None if _null(tk["replication"]) else int(tk["replication"]),
                     ticket_id=str(tk["ticket_id"]))
            rows.append(r)
    df = pd.DataFrame(rows, columns=CP_COLUMNS)
    return normalise_control_points(df)


def reference_indicator_counts(log: EventLog, as_of: Any = None,
                               bounds: ControlPoints | None = None,
                               window: Any = None) -> pd.DataFrame:
    """Numerator, denominator (and censored count) of the six indicators per scenario x rep."""
    as_of = reference_as_of(log) if as_of is None else pd.Timestamp(as_of)
    groups: dict[tuple[Any, Any], dict[str, list[int]]] = {}
    for s, r in log.tickets[["scenario", "replication"]].astype(object).itertuples(index=False):
        key = (None if _null(s) else str(s), None if _null(r) else int(r))
        groups.setdefault(key, {i: [0, 0, 0] for i in INDICATOR_IDS})
    for tk, evs in _population(log, as_of, window):
        key = (None if _null(tk["scenario"]) else str(tk["scenario"]),
               None if _null(tk["replication"]) else int(tk["replication"]))
        g = groups[key]
        cp = _bounds_for(log, bounds, tk["scenario"])
        statuses = [r["status"] for r in _ticket_rows(tk, evs, as_of, cp)]
        # timeliness
        if statuses and all(s == "met" for s in statuses):
            g["timeliness"][0] += 1
            g["timeliness"][1] += 1
        elif any(s in ("breached", "missing") for s in statuses):
            g["timeliness"][1] += 1
        elif statuses:
            g["timeliness"][2] += 1  # only met and censored
        acts1 = [e.activity for e in evs if e.attempt == 1]
        reached = any(e.activity == "callback" for e in evs)
        # satisfaction
        if reached and not _null(tk["satisfied"]):
            g["satisfaction"][1] += 1
            g["satisfaction"][0] += bool(tk["satisfied"])
        # accuracy
        if not _null(tk["record_accurate"]):
            g["accuracy"][1] += 1
            g["accuracy"][0] += bool(tk["record_accurate"])
        # pass rate: first attempt-1 acceptance decision
        decision = next((x for x in acts1 if x in ("accepted", "rejected")), None)
        if decision is not None:
            g["pass_rate"][1] += 1
            g["pass_rate"][0] += decision == "accepted"
        # recognition
        if "classified" in acts1:
            misrouted = "misrouted" in acts1
            rc = tk["recognised_correctly"]
            if misrouted and not _null(rc) and bool(rc):
                raise ValueError(f"ticket {tk['ticket_id']}: misrouted but "
                                 "recognised_correctly is true")
            g["recognition"][1] += 1
            g["recognition"][0] += (not misrouted) and (_null(rc) or bool(rc))
        # callback rate
        if _flag(tk["route_callback"]):
            acc = next((e for e in evs if e.activity == "accepted"), None)
            slip = _first(evs, acc.attempt, ["slip_returned"]) if acc else None
            up = cp.resolve("callback", None if _null(tk["category"]) else str(tk["category"]),
                            _flag(tk["emergency"])).upper_s or 0.0
            if slip is not None and _secs(as_of, slip.ts) >= up:
                g["callback_rate"][1] += 1
                g["callback_rate"][0] += reached
    rows = []
    for (s, r), g in groups.items():
        for ind in INDICATOR_IDS:
            num, den, cen = g[ind]
            rows.append({"scenario": s, "replication": r, "indicator": ind, "numerator": num,
                         "denominator": den,
                         "n_censored": cen if ind == "timeliness" else None})
    return normalise_counts(pd.DataFrame(rows, columns=COUNT_COLUMNS))


def wilson(num: int, den: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``num / den``."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = num / den
    centre = (p + z * z / (2 * den)) / (1 + z * z / den)
    half = z * math.sqrt(p * (1 - p) / den + z * z / (4 * den * den)) / (1 + z * z / den)
    return centre - half, centre + half


def reference_scenario_rows(counts: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Scenario summary rows: mean over reps with denominator > 0, an interval inside [0, 1]
    (logit-t over the reps, widened to hold the mean; Wilson on the pooled counts when every
    rep has the same value), sums, met."""
    rows = []
    for (s, ind), g in counts.groupby(["scenario", "indicator"], sort=True):
        pairs = [(n, d) for n, d in zip(g["numerator"], g["denominator"], strict=True) if d > 0]
        vals = [n / d for n, d in pairs]
        num, den = int(g["numerator"].sum()), int(g["denominator"].sum())
        value = sum(vals) / len(vals) if vals else None
        lo = hi = None
        if vals and len(set(vals)) == 1:
            lo, hi = wilson(sum(n for n, _ in pairs), sum(d for _, d in pairs), level)
        elif len(vals) >= 2:
            z = [math.log((n + 0.5) / (d - n + 0.5)) for n, d in pairs]
            m = sum(z) / len(z)
            sd = math.sqrt(sum((v - m) ** 2 for v in z) / (len(z) - 1))
            t = float(stats.t.ppf(0.5 + level / 2, len(z) - 1))
            half = t * sd / math.sqrt(len(z))
            lo = min(1 / (1 + math.exp(-(m - half))), value)
            hi = max(1 / (1 + math.exp(-(m + half))), value)
        target = INDICATORS[str(ind)].target
        if target.kind == "all":
            met = target.met_by_counts(num, den)
        else:
            met = target.met_by_value(value)
        cen = g["n_censored"].sum() if ind == "timeliness" else None
        rows.append({"scenario": s, "indicator": ind, "value": value, "ci_low": lo,
                     "ci_high": hi, "met": met, "numerator": num, "denominator": den,
                     "n_censored": None if cen is None else int(cen)})
    return pd.DataFrame(rows)


def normalise_control_points(df: pd.DataFrame) -> pd.DataFrame:
    """Clock rows in a dtype-neutral form (objects, floats, UTC timestamps), sorted."""
    out = pd.DataFrame(index=range(len(df)))
    d = df.reset_index(drop=True)
    for c in ("scenario", "ticket_id", "control_point", "status"):
        out[c] = pd.Series([None if _null(v) else str(v) for v in d[c].astype(object)],
                           dtype=object)
    for c in ("replication", "attempt", "occurrence"):
        out[c] = pd.Series([None if _null(v) else int(v) for v in d[c].astype(object)],
                           dtype=object)
    for c in ("start", "end"):
        out[c] = pd.to_datetime(d[c].astype(object), utc=True).astype("datetime64[ms, UTC]")
    for c in ("duration_s", "lower_s", "upper_s", "lateness_s"):
        out[c] = pd.to_numeric(d[c].astype(object), errors="raise").astype("float64")
    out = out[CP_COLUMNS]
    key = ["scenario", "replication", "ticket_id", "attempt", "control_point", "occurrence"]
    return out.sort_values(key, kind="stable", na_position="first").reset_index(drop=True)


def normalise_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Indicator counts in a dtype-neutral form, sorted by scenario, replication, indicator."""
    d = df.reset_index(drop=True)
    out = pd.DataFrame(index=range(len(d)))
    out["scenario"] = pd.Series(
        [None if _null(v) else str(v) for v in d["scenario"].astype(object)], dtype=object)
    for c in ("replication", "numerator", "denominator", "n_censored"):
        out[c] = pd.Series([None if _null(v) else int(v) for v in d[c].astype(object)],
                           dtype=object)
    out["indicator"] = [str(v) for v in d["indicator"].astype(object)]
    out = out[COUNT_COLUMNS]
    order = {i: n for n, i in enumerate(INDICATOR_IDS)}
    out["_o"] = out["indicator"].map(order)
    out = out.sort_values(["scenario", "replication", "_o"], kind="stable", na_position="first")
    return out.drop(columns="_o").reset_index(drop=True)

"""Trace-driven replay: the simulated procedure on the *observed* arrivals of a period.

:func:`trace_arrivals` turns an observed log's tickets (ids, attempt-1 ``received`` times,
categories, emergency flag, mode, source) into the simulator's arrival schedule;
:func:`replay` runs a scenario (e.g. with another roster, via
:func:`fcsim.scenarios.apply_overrides`) on exactly those arrivals and gives the replayed log
the observed ticket ids; :func:`fcsim.compare.replay_differences` reports the KPI differences
against what actually happened ("last week with one more technician"), and against a replay
under the unchanged scenario (same seed, so the same service times per ticket: the roster's effect
alone).

Limitations: appointment times are drawn by the simulator from the scenario's lead time (the
arrival schedule has no slot for the observed ``appointment_at``); ``unit`` is not read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.model.taxonomy import Source
from fcsim.scenarios import Scenario, apply_overrides
from fcsim.sim.arrivals import Arrivals
from fcsim.sim.run import simulate_record
from fcsim.sim.sink import build_frames

__all__ = ["Replay", "replay", "trace_arrivals"]

log = logging.getLogger(__name__)
_SOURCES = list(Source)


@dataclass(frozen=True)
class Replay:
    """Replayed logs, one per replication, each with exactly the observed ticket ids, and the
    scenario they ran (its start moved to the trace's first hour)."""

    logs: tuple[EventLog, ...]
    scenario: Scenario
    ticket_ids: tuple[str, ...]


def trace_arrivals(observed: EventLog, scenario: Scenario,
                   window: tuple[pd.Timestamp, pd.Timestamp] | None = None
                   ) -> tuple[Arrivals, list[str], Scenario]:
    """The observed tickets as an arrival schedule for ``scenario``.

    Returns the schedule, the ticket ids in schedule order and a copy of ``scenario`` whose
    ``start`` is the whole (local) hour of the first arrival and whose ``days`` cover the last.
    Raises ``ValueError`` naming the ticket when its category is not in the scenario.
    """
    ev = observed.events
    rec = ev[(ev["attempt"] == 1) & (ev["activity"].astype(str) == "received")]
    t = rec.groupby(rec["ticket_id"].astype(str))["timestamp"].min()
    if window is not None:
        t = t[(t >= window[0]) & (t < window[1])]
    if t.empty:
        raise ValueError("trace: no attempt-1 'received' event in the window")
    tk = observed.tickets.assign(_id=observed.tickets["ticket_id"].astype(str))
    tk = tk.drop_duplicates("_id").set_index("_id").loc[t.index]
    order = np.lexsort((t.index.to_numpy(str), t.to_numpy("datetime64[ms]").astype(np.int64)))
    t, tk = t.iloc[order], tk.iloc[order]
    cats = list(scenario.categories)
    bad = ~tk["category"].astype(str).isin(cats)
    if bad.any():
        tid = tk.index[bad.to_numpy()][0]
        raise ValueError(f"trace: ticket {tid!r} has category {tk.loc[tid, 'category']!r}, "
                         f"not in scenario {scenario.name!r} (known: {', '.join(cats)})")
    tz = scenario.scenario.start.tzinfo
    first = t.iloc[0].tz_convert(tz).floor("h")
    last = t.iloc[-1].tz_convert(tz)
    days = max((last - first) / pd.Timedelta(days=1), 1 / 24) + 1e-6
    sc = scenario.model_copy(update={"scenario": scenario.scenario.model_copy(
        update={"start": first.to_pydatetime(), "days": days})})
    time_min = ((t - first) / pd.Timedelta(minutes=1)).to_numpy(float)
    src = tk["source"].astype(object).where(tk["source"].notna(), Source.CUSTOMER_CALL.value)
    arr = Arrivals(
        time_min=time_min,
        category=np.array([cats.index(c) for c in tk["category"].astype(str)], np.int64),
        emergency=tk["emergency"].astype("boolean").fillna(False).to_numpy(bool),
        appointment=tk["mode"].astype(object).eq("appointment").to_numpy(bool),
        source=np.array([_SOURCES.index(Source(str(s))) for s in src], np.int8),
        unit=np.ones(len(t), np.int64),
    )
    return arr, list(t.index), sc


def replay(observed: EventLog, scenario: Scenario, *, seed: int, replications: int = 1,
           overrides: Sequence[str] = (),
           window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> Replay:
    """Run ``scenario`` (with ``overrides``) on the observed arrivals.

    Parameters
    ----------
    observed
        The observed log; its tickets (in ``window`` of attempt-1 receipt) are replayed.
    scenario
        The scenario (roster, durations, probabilities).
    seed, replications
        Root seed and number of replications (service times and decisions vary, arrivals not).
    overrides
        ``path=value`` changes (e.g. another roster), as ``fcsim run --set``.
    """
    sc = apply_overrides(scenario, overrides) if overrides else scenario
    arr, ids, sc = trace_arrivals(observed, sc, window)
    start = sc.scenario.start
    logs = []
    for r in range(replications):
        rec = simulate_record(sc, seed=seed, replication=r, days=sc.scenario.days, arrivals=arr)
        events, tickets = build_frames([rec])
        rename = {c: ids[int(str(c).rsplit("-", 1)[1])]
                  for c in events["ticket_id"].cat.categories}
        events = events.assign(ticket_id=events["ticket_id"].astype(str).map(rename))
        tickets = tickets.assign(ticket_id=tickets["ticket_id"].astype(str).map(rename))
        manifest = {"scenario": sc.name, "seed": seed, "replication": r, "trace": True,
                    "days": sc.scenario.days, "start": start.isoformat(),
                    "window": [start.isoformat(),
                               (start + timedelta(days=sc.scenario.days)).isoformat()],
                    **sc.manifest_bounds(), "overrides": list(overrides)}
        logs.append(EventLog.from_frames(events, tickets, manifest))
    return Replay(tuple(logs), sc, tuple(ids))

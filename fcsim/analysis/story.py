"""The trainer's story: the emergency whose preemptions made routine tickets late.

An emergency may take a technician away from routine work (``preempted`` → ``resumed``). Not
every interruption makes a ticket late: a routine ticket with slack still meets its clocks.
So the emergency worth showing a class is chosen by the lateness that the attribution
(:func:`~fcsim.analysis.attribute_lateness`) gives to *preemption* on the routine tickets it
interrupted, not by the length of the interruptions. Its ripple (the interrupted tickets),
their lateness per cause and the swimlane then name the same tickets.

* :func:`ticket_facts` — category, emergency flag and local receipt of tickets;
* :func:`preemption_lateness` — per (emergency, interrupted ticket): the ticket's lateness
  attributed to preemption;
* :func:`emergency_story` — the chosen emergency, its day, its shift, the tickets;
* :func:`swimlane_choice` — tickets and window of a report's swimlane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import str_isin
from fcsim.analysis.attribution import attribute_lateness, lateness_by_ticket
from fcsim.analysis.ripple import emergency_ripple
from fcsim.analysis.swimlane import DEFAULT_SHIFT_STARTS_H, lead_window, shift_window
from fcsim.eventlog import EventLog

__all__ = [
    "EmergencyStory",
    "emergency_story",
    "preemption_lateness",
    "swimlane_choice",
    "ticket_facts",
    "with_ticket_facts",
]

_KEY = ["scenario", "replication", "ticket_id"]


def _norm_key(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(
        _s=df["scenario"].astype(object).fillna("").astype(str),
        _r=pd.to_numeric(df["replication"].astype(object)).astype("Int64").fillna(-1),
        _t=df["ticket_id"].astype(str),
    )


def ticket_facts(log: EventLog, ticket_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Category, emergency flag and receipt (UTC) of tickets.

    Returns
    -------
    DataFrame
        scenario, replication, ticket_id, category, emergency, received_at (the first
        ``received`` or ``relayed`` of attempt 1; NaT when the log has neither).
    """
    tk = log.tickets
    ev = log.events
    if ticket_ids is not None:
        keep = {str(x) for x in ticket_ids}
        tk = tk[str_isin(tk["ticket_id"], keep)]
        ev = ev[str_isin(ev["ticket_id"], keep)]
    first = ev[(ev["attempt"] == 1).to_numpy() & str_isin(ev["activity"], ["received", "relayed"])]
    first = _norm_key(first).groupby(["_s", "_r", "_t"], sort=False)["timestamp"].min()
    t = _norm_key(tk)
    rec = first.reindex(pd.MultiIndex.from_frame(t[["_s", "_r", "_t"]])).to_numpy()
    return pd.DataFrame({
        "scenario": t["scenario"].to_numpy(dtype=object),
        "replication": t["replication"].to_numpy(dtype=object),
        "ticket_id": t["ticket_id"].astype(str).to_numpy(),
        "category": t["category"].astype(str).to_numpy(),
        "emergency": t["emergency"].astype("boolean").fillna(False).to_numpy(dtype=bool),
        "received_at": pd.to_datetime(rec, utc=True),
    })


def with_ticket_facts(frame: pd.DataFrame, log: EventLog) -> pd.DataFrame:
    """``frame`` (with scenario, replication, ticket_id) plus category, emergency and
    received_at of each ticket (same row order)."""
    if frame.empty:
        return frame.assign(category=pd.Series(dtype=object),
                            emergency=pd.Series(dtype=bool),
                            received_at=pd.Series(dtype="datetime64[ms, UTC]"))
    facts = _norm_key(ticket_facts(log, list(frame["ticket_id"].astype(str).unique())))
    f = _norm_key(frame)
    m = f.merge(facts[["_s", "_r", "_t", "category", "emergency", "received_at"]],
                on=["_s", "_r", "_t"], how="left", validate="many_to_one")
    return m.drop(columns=["_s", "_r", "_t"])


def _clocks_of(clocks: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    # the tickets' ids first (cheap), then the exact (scenario, replication, ticket) keys
    clocks = clocks[str_isin(clocks["ticket_id"], set(keys["ticket_id"].astype(str)))]
    c = _norm_key(clocks)
    k = _norm_key(keys)[["_s", "_r", "_t"]].drop_duplicates()
    m = c.merge(k, on=["_s", "_r", "_t"], how="inner")
    return m.drop(columns=["_s", "_r", "_t"])


def preemption_lateness(log: EventLog, clocks: pd.DataFrame,
                        ripple: pd.DataFrame | None = None) -> pd.DataFrame:
    """Lateness attributed to preemption, per emergency and interrupted routine ticket.

    A ticket's preemption lateness is the sum of its attribution rows of cause
    ``preemption``; when several emergencies interrupted it, it is shared among them in
    proportion to the delays they caused (``delay_s``; equally when all are zero).

    Parameters
    ----------
    log
        The event log.
    clocks
        Its clock rows (``control_points.csv`` or :func:`fcsim.kpi.control_points`).
    ripple
        :func:`~fcsim.analysis.emergency_ripple` of the log (computed when omitted).

    Returns
    -------
    DataFrame
        scenario, replication, emergency_id (``None`` where the log does not say which
        emergency), ticket_id, delay_s (the interruptions' total), preemption_late_s.
    """
    rip = emergency_ripple(log) if ripple is None else ripple
    cols = ["scenario", "replication", "emergency_id", "ticket_id", "delay_s",
            "preemption_late_s"]
    if rip.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols}).astype(
            {"delay_s": float, "preemption_late_s": float})
    r = _norm_key(rip).assign(_e=rip["emergency_id"].astype(object).fillna(""))
    pairs = r.groupby(["_s", "_r", "_t", "_e"], sort=False).agg(
        scenario=("scenario", "first"), replication=("replication", "first"),
        ticket_id=("ticket_id", "first"), delay_s=("delay_s", "sum")).reset_index()
    att = attribute_lateness(log, _clocks_of(clocks, pairs))
    pre = att[att["cause"] == "preemption"]
    late = (_norm_key(pre).groupby(["_s", "_r", "_t"])["seconds"].sum()
            if not pre.empty else pd.Series(dtype=float))
    key = list(zip(pairs["_s"], pairs["_r"], pairs["_t"], strict=True))
    total_late = np.array([float(late.get(k, 0.0)) for k in key])
    per_ticket = pairs.groupby(["_s", "_r", "_t"], sort=False)["delay_s"]
    tot_delay = per_ticket.transform("sum").to_numpy(float)
    n = per_ticket.transform("size").to_numpy(float)
    share = np.where(tot_delay > 0, pairs["delay_s"].to_numpy(float)
                     / np.where(tot_delay > 0, tot_delay, 1.0), 1.0 / n)
    out = pairs.assign(emergency_id=pairs["_e"].replace("", None),
                       preemption_late_s=total_late * share)
    return out[cols].reset_index(drop=True)


@dataclass(frozen=True)
class EmergencyStory:
    """One emergency, the routine tickets it interrupted and what that cost them.

    Attributes
    ----------
    scenario, replication
        Where the emergency happened (``None`` for an observed log).
    emergency_id
        The emergency ticket.
    received_at
        Its receipt (UTC).
    day
        The local day of its receipt, as UTC instants ``[start, end)``.
    window
        One shift's length from the hour before its receipt (the swimlane's window; see
        :func:`~fcsim.analysis.lead_window`), as UTC instants.
    ripple
        The ripple rows of this emergency (:func:`~fcsim.analysis.emergency_ripple`).
    lateness
        :func:`~fcsim.analysis.lateness_by_ticket` rows (seconds per cause) of the tickets it
        interrupted, with their category, emergency flag and receipt.
    preemption_late_s
        The interrupted tickets' lateness attributed to this emergency's preemptions.
    """

    scenario: str | None
    replication: int | None
    emergency_id: str
    received_at: pd.Timestamp
    day: tuple[pd.Timestamp, pd.Timestamp]
    window: tuple[pd.Timestamp, pd.Timestamp]
    ripple: pd.DataFrame
    lateness: pd.DataFrame
    preemption_late_s: float

    @property
    def ticket_ids(self) -> list[str]:
        """The emergency, then the tickets it interrupted (the swimlane's tickets)."""
        hit = list(dict.fromkeys(self.ripple["ticket_id"].astype(str)))
        return [self.emergency_id, *hit]


def emergency_story(log: EventLog, clocks: pd.DataFrame, *, tz: tzinfo | str,
                    shift_starts_h: Sequence[int] = DEFAULT_SHIFT_STARTS_H,
                    ripple: pd.DataFrame | None = None,
                    preemption: pd.DataFrame | None = None) -> EmergencyStory | None:
    """The emergency whose preemptions made routine tickets latest, or ``None`` when no
    emergency interrupted routine work.

    Ranked by :func:`preemption_lateness` (largest first), then by the delay it caused, then by
    its id. An emergency whose interruptions made nobody late is chosen only when no
    emergency did (its ``preemption_late_s`` is then 0).

    Parameters
    ----------
    log, clocks
        The event log and its clock rows.
    tz
        The site's zone (day and shift are local).
    shift_starts_h
        Local hours at which shifts begin (:func:`~fcsim.analysis.desk_shift_starts`).
    ripple
        The log's ripple when already computed.
    preemption
        :func:`preemption_lateness` of the log, its clocks and that ripple, when already
        computed.
    """
    rip = emergency_ripple(log) if ripple is None else ripple
    pl = preemption_lateness(log, clocks, rip) if preemption is None else preemption
    pl = pl[pl["emergency_id"].notna()]
    if pl.empty:
        return None
    k = _norm_key(pl).assign(_e=pl["emergency_id"].astype(str))
    per = k.groupby(["_s", "_r", "_e"], sort=True).agg(
        late=("preemption_late_s", "sum"), delay=("delay_s", "sum")).reset_index()
    per = per.sort_values(["late", "delay", "_e"], ascending=[False, False, True],
                          kind="stable")
    best = per.iloc[0]
    s, r, e = str(best["_s"]), int(best["_r"]), str(best["_e"])
    rr = _norm_key(rip)
    mine = rip[(rr["_s"] == s).to_numpy() & (rr["_r"] == r).to_numpy()
               & (rip["emergency_id"].astype(object) == e).to_numpy()].reset_index(drop=True)
    facts = ticket_facts(log, [e])
    fr = _norm_key(facts)
    row = facts[(fr["_s"] == s).to_numpy() & (fr["_r"] == r).to_numpy()]
    received = row["received_at"].iloc[0] if len(row) else mine["preempted_at"].min()
    hit = mine[["scenario", "replication", "ticket_id"]].drop_duplicates()
    lateness = lateness_by_ticket(attribute_lateness(log, _clocks_of(clocks, hit)))
    lateness = with_ticket_facts(lateness, log)
    return EmergencyStory(
        scenario=s or None, replication=None if r < 0 else r, emergency_id=e,
        received_at=received,
        day=shift_window(received, tz, span="day"),
        window=lead_window(received, tz, shift_starts_h=shift_starts_h),
        ripple=mine, lateness=lateness, preemption_late_s=float(best["late"]))


def _same_run(ev: pd.DataFrame, scen: object, rep: object) -> np.ndarray:
    """Rows of ``ev`` in scenario ``scen`` and replication ``rep`` (missing = missing)."""
    if scen is None or pd.isna(scen) or scen == "":
        s = ev["scenario"].isna().to_numpy()
    else:
        s = str_isin(ev["scenario"], [str(scen)])
    reps = ev["replication"].astype("Int64")
    if rep is None or pd.isna(rep):
        r = reps.isna().to_numpy()
    else:
        r = (reps == int(rep)).fillna(False).to_numpy(dtype=bool)  # type: ignore[call-overload]
    return s & r


def swimlane_choice(log: EventLog, *, tz: tzinfo | str, story: EmergencyStory | None = None,
                    shift_starts_h: Sequence[int] = DEFAULT_SHIFT_STARTS_H, limit: int = 10
                    ) -> tuple[list[str], tuple[pd.Timestamp, pd.Timestamp]]:
    """Tickets and window of a report's swimlane.

    The window is one local shift: the chosen emergency's (``story``), else that of the
    first second pass (a ``rejected``), else the first shift that begins after the log's
    first event. The tickets are the story's (the emergency and those it interrupted), then
    the other tickets of the same scenario and replication active in the window, those
    received nearest its start first, up to ``limit``.
    """
    ev = log.events
    if ev.empty:
        now = pd.Timestamp(0, tz="UTC")
        return [], (now, now)
    chosen: list[str] = []
    if story is not None:
        chosen = story.ticket_ids
        window = story.window
        scen, rep = story.scenario, story.replication
    else:
        act = ev["activity"].astype(str)
        rej = ev[act == "rejected"]
        if len(rej):
            first = rej.sort_values(["timestamp", "seq"], kind="stable").iloc[0]
            window = shift_window(first["timestamp"], tz, shift_starts_h=shift_starts_h)
            chosen = [str(first["ticket_id"])]
            scen, rep = first["scenario"], first["replication"]
        else:
            t0 = ev["timestamp"].min()
            w0 = shift_window(t0, tz, shift_starts_h=shift_starts_h)
            window = shift_window(w0[1], tz, shift_starts_h=shift_starts_h)
            scen, rep = ev["scenario"].iloc[0], ev["replication"].iloc[0]
    sel = ev[_same_run(ev, scen, rep)]
    lo, hi = window
    span = sel.groupby(sel["ticket_id"].astype(str), sort=False, observed=True)[
        "timestamp"].agg(["min", "max"])
    active = span[(span["max"] >= lo) & (span["min"] < hi)]
    order = (active["min"] - lo).abs().sort_values(kind="stable").index
    for t in order:
        if len(chosen) >= limit:
            break
        if t not in chosen:
            chosen.append(str(t))
    return chosen, window

"""KPI differences of a trace-driven replay (:mod:`fcsim.sim.trace`): the same KPI code on the
replayed and the observed tickets, and against a baseline replay with the same seed."""

from __future__ import annotations

import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.kpi import evaluate
from fcsim.sim.trace import Replay

__all__ = ["replay_differences"]


def _replications(rp: Replay) -> pd.DataFrame:
    rows = []
    for r, lg in enumerate(rp.logs):
        ind = evaluate(lg).indicators
        sel = ind[ind["level"].astype(str) == "replication"]
        rows.append(pd.DataFrame({"indicator": sel["indicator"].astype(str), "replication": r,
                                  "value": sel["value"].astype(float)}))
    return pd.concat(rows, ignore_index=True)


def _values(ind: pd.DataFrame, level: str) -> pd.DataFrame:
    sel = ind[ind["level"].astype(str) == level]
    return pd.DataFrame({"indicator": sel["indicator"].astype(str),
                         "value": sel["value"].astype(float)})


def replay_differences(observed: EventLog, replayed: Replay,
                       baseline: Replay | None = None) -> pd.DataFrame:
    """KPI differences: replay minus observed (and minus the baseline replay).

    The observed log is judged with the replayed scenario's bounds on exactly the replayed
    tickets. Returns indicator, observed, replay_mean, replay_sd, n_replications,
    diff_vs_observed and, with a baseline, baseline_mean and diff_vs_baseline (the mean of the
    per-replication paired differences).
    """
    ids = set(replayed.ticket_ids)
    keep = observed.tickets["ticket_id"].astype(str).isin(ids)
    obs = EventLog(observed.events[observed.events["ticket_id"].astype(str).isin(ids)],
                   observed.tickets[keep], observed.manifest)
    cps = replayed.scenario.control_points()
    oi = evaluate(obs, bounds=cps).indicators
    lvl = "log" if (oi["level"].astype(str) == "log").any() else "replication"
    o = _values(oi, lvl).drop_duplicates("indicator").set_index("indicator")["value"]
    rep = _replications(replayed)
    g = rep.groupby("indicator")["value"]
    out = pd.DataFrame({"observed": o, "replay_mean": g.mean(), "replay_sd": g.std(),
                        "n_replications": g.count()})
    out["diff_vs_observed"] = out["replay_mean"] - out["observed"]
    if baseline is not None:
        base = _replications(baseline).rename(columns={"value": "base"})
        paired = rep.merge(base, on=["indicator", "replication"])
        out["baseline_mean"] = base.groupby("indicator")["base"].mean()
        out["diff_vs_baseline"] = (paired["value"] - paired["base"]).groupby(
            paired["indicator"]).mean()
    return out.rename_axis("indicator").reset_index()

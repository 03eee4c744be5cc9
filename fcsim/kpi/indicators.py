"""The ``indicators`` table (``KPI.md`` § Indicators), from per-ticket flags.

* level ``log`` (one observed log, no scenario) or ``replication`` (one row per scenario ×
  replication × indicator): value = numerator / denominator, Wilson 95 % interval, ``met`` by
  the counts (``= 100 %`` needs numerator = denominator > 0; ``> x %`` is strict); with
  denominator 0 the value, interval and ``met`` are empty.
* level ``scenario`` (every simulated scenario, even with one replication): value = mean over
  the replications with denominator > 0; a 95 % interval inside [0, 1]
  (:func:`~fcsim.kpi.stats.proportion_interval`: logit-t across the replications, or Wilson
  on the pooled counts when every replication has the same value — superseding ``KPI.md``'s
  unclipped t-interval); numerator, denominator and ``n_censored`` are sums; ``met`` follows
  the summed counts for ``= 100 %`` targets and the mean otherwise.

Rows are ordered by level (``log``/``replication`` first, then ``scenario``), scenario,
replication, and indicator in the seed's order. Every (scenario, replication) of the tickets
table gets rows, even when no ticket of it is in the population.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from fcsim.kpi.prepare import Prepared, str_column
from fcsim.kpi.stats import proportion_interval, wilson_interval
from fcsim.model.indicators import INDICATOR_IDS, INDICATORS, Target

__all__ = ["INDICATOR_COLUMNS", "indicator_table", "manifest_targets", "resolve_targets"]

INDICATOR_COLUMNS = [
    "level", "scenario", "replication", "indicator", "value", "ci_low", "ci_high", "target",
    "met", "numerator", "denominator", "n_censored",
]


def resolve_targets(targets: Mapping[str, Target] | None) -> dict[str, Target]:
    """The seed's targets, overridden by ``targets`` (keys must be indicator ids)."""
    out = {i: INDICATORS[i].target for i in INDICATOR_IDS}
    for key, tgt in (targets or {}).items():
        if key not in out:
            raise ValueError(f"targets: unknown indicator {key!r} (known: {', '.join(out)})")
        if not isinstance(tgt, Target):
            raise TypeError(f"targets[{key!r}] must be a Target, got {type(tgt).__name__}")
        out[key] = tgt
    return out


def manifest_targets(manifest: Mapping[str, Any] | None) -> dict[str, dict[str, Target]]:
    """The targets a run's manifest sets per scenario (``targets: {scenario: {indicator:
    {kind, threshold}}}``, written from a scenario's ``[targets]`` table)."""
    raw = (manifest or {}).get("targets")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError("manifest.json: targets must be a mapping by scenario")
    out: dict[str, dict[str, Target]] = {}
    for scen, table in raw.items():
        if not isinstance(table, Mapping):
            raise ValueError(f"manifest.json: targets.{scen} must be a mapping by indicator")
        try:
            out[str(scen)] = resolve_targets({
                k: Target(v["kind"], float(v.get("threshold", 1.0))) for k, v in table.items()})
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"manifest.json: targets.{scen}: {exc}") from None
    return out


def _group_keys(p: Prepared) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct (scenario, replication) of the tickets table, sorted; group index per ticket."""
    tk = p.tickets
    keys = pd.DataFrame({"scenario": tk["scenario"], "replication": tk["replication"]})
    grp = keys.groupby(["scenario", "replication"], dropna=False, sort=True, observed=True)
    codes = grp.ngroup().to_numpy(dtype=np.int64)
    groups = grp.size().reset_index()[["scenario", "replication"]]
    return groups, codes


def indicator_table(p: Prepared, flags: pd.DataFrame,
                    targets: Mapping[str, Target] | None = None,
                    by_scenario: Mapping[str, Mapping[str, Target]] | None = None
                    ) -> pd.DataFrame:
    """The indicators table from :func:`~fcsim.kpi.flags.ticket_indicator_flags`.

    ``targets`` (the caller's) apply to every row; otherwise ``by_scenario`` (e.g.
    :func:`manifest_targets`) gives a scenario's own, else the seed's.
    """
    tg = resolve_targets(targets)
    per = {} if targets is not None or not by_scenario else {
        str(k): resolve_targets(v) for k, v in by_scenario.items()}
    groups, g_of_ticket = _group_keys(p)
    n_g = len(groups)
    g = g_of_ticket[flags["tid"].to_numpy()]
    simulated = bool(groups["scenario"].notna().any())
    parts: list[pd.DataFrame] = []
    sums: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    cens = np.bincount(g, weights=flags["timeliness_cens"].to_numpy(), minlength=n_g)
    for ind in INDICATOR_IDS:
        num = np.bincount(g, weights=flags[f"{ind}_num"].to_numpy(), minlength=n_g)
        den = np.bincount(g, weights=flags[f"{ind}_den"].to_numpy(), minlength=n_g)
        num, den = num.astype(np.int64), den.astype(np.int64)
        sums[ind] = (num, den)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, num / np.maximum(den, 1), np.nan)
        lo, hi = wilson_interval(num, den)
        scen_names = groups["scenario"].astype(object).tolist()
        tgts = [per.get(str(sc), tg)[ind] if per else tg[ind] for sc in scen_names]
        parts.append(pd.DataFrame({
            "level": "replication" if simulated else "log",
            "scenario": groups["scenario"], "replication": groups["replication"],
            "indicator": ind, "value": value, "ci_low": lo, "ci_high": hi,
            "target": [t.label for t in tgts],
            "met": [t.met_by_counts(int(a), int(b)) for t, a, b in zip(tgts, num, den,
                                                                         strict=True)],
            "numerator": num, "denominator": den,
            "n_censored": cens.astype(np.int64) if ind == "timeliness" else np.nan,
            "_g": np.arange(n_g), "_i": INDICATOR_IDS.index(ind),
        }))
    rows = pd.concat(parts, ignore_index=True).sort_values(["_g", "_i"], kind="stable")
    if simulated:
        rows = pd.concat([rows, _scenario_rows(rows, tg, per)], ignore_index=True)
    return _typed(rows.drop(columns=["_g", "_i"]))


def _scenario_rows(rows: pd.DataFrame, tg: Mapping[str, Target],
                   per: Mapping[str, Mapping[str, Target]]) -> pd.DataFrame:
    out = []
    for _, sub in rows.groupby(["scenario", "_i"], sort=True, observed=True):
        sc = sub["scenario"].iloc[0]
        i = int(sub["_i"].iloc[0])
        ind = INDICATOR_IDS[i]
        mean, lo, hi = proportion_interval(sub["numerator"].to_numpy(dtype=float),
                                           sub["denominator"].to_numpy(dtype=float))
        num, den = int(sub["numerator"].sum()), int(sub["denominator"].sum())
        tgt = per.get(str(sc), tg)[ind]
        met = tgt.met_by_counts(num, den) if tgt.kind == "all" else tgt.met_by_value(
            None if np.isnan(mean) else mean)
        if np.isnan(mean):
            met = None
        out.append({
            "level": "scenario", "scenario": sc, "replication": pd.NA, "indicator": ind,
            "value": mean, "ci_low": lo, "ci_high": hi, "target": tgt.label, "met": met,
            "numerator": num, "denominator": den,
            "n_censored": int(sub["n_censored"].sum()) if ind == "timeliness" else np.nan,
            "_g": -1, "_i": i,
        })
    return pd.DataFrame(out, columns=[*INDICATOR_COLUMNS, "_g", "_i"])


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.reset_index(drop=True)
    return pd.DataFrame({
        "level": str_column(df["level"].to_numpy(dtype=object)),
        "scenario": df["scenario"].astype(object).astype("category"),
        "replication": df["replication"].astype("Int32"),
        "indicator": str_column(df["indicator"].to_numpy(dtype=object)),
        "value": pd.array(df["value"].to_numpy(dtype=float), dtype="Float64"),
        "ci_low": pd.array(df["ci_low"].to_numpy(dtype=float), dtype="Float64"),
        "ci_high": pd.array(df["ci_high"].to_numpy(dtype=float), dtype="Float64"),
        "target": str_column(df["target"].to_numpy(dtype=object)),
        "met": pd.array(df["met"].to_numpy(dtype=object), dtype="boolean"),
        "numerator": df["numerator"].astype("Int64"),
        "denominator": df["denominator"].astype("Int64"),
        "n_censored": pd.array(df["n_censored"].to_numpy(dtype=float), dtype="Int64"),
    })

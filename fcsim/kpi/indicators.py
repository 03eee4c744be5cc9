"""The ``indicators`` table (``KPI.md`` § Indicators), from per-ticket flags.

* level ``log`` (one observed log, no scenario) or ``replication`` (one row per scenario ×
  replication × indicator): value = numerator / denominator, Wilson 95 % interval, ``met`` by
  the counts (``= 100 %`` needs numerator = denominator > 0; ``> x %`` is strict); with
  denominator 0 the value, interval and ``met`` are empty.
* level ``scenario`` (every simulated scenario, even with one replication): value = mean over
  the replications with denominator > 0; a t interval at 95 % from two replications on, not
  clipped; numerator, denominator and ``n_censored`` are sums; ``met`` follows the summed
  counts for ``= 100 %`` targets and the mean otherwise.

Rows are ordered by level (``log``/``replication`` first, then ``scenario``), scenario,
replication, and indicator in the seed's order. Every (scenario, replication) of the tickets
table gets rows, even when no ticket of it is in the population.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fcsim.kpi.prepare import Prepared, str_column
from fcsim.kpi.stats import t_interval, wilson_interval
from fcsim.model.indicators import INDICATOR_IDS, INDICATORS, Target

__all__ = ["INDICATOR_COLUMNS", "indicator_table", "resolve_targets"]

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


def _group_keys(p: Prepared) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct (scenario, replication) of the tickets table, sorted; group index per ticket."""
    tk = p.tickets
    keys = pd.DataFrame({"scenario": tk["scenario"], "replication": tk["replication"]})
    grp = keys.groupby(["scenario", "replication"], dropna=False, sort=True, observed=True)
    codes = grp.ngroup().to_numpy(dtype=np.int64)
    groups = grp.size().reset_index()[["scenario", "replication"]]
    return groups, codes


def _met(tgt: Target, num: np.ndarray, den: np.ndarray) -> list[bool | None]:
    return [tgt.met_by_counts(int(a), int(b)) for a, b in zip(num, den, strict=True)]


def indicator_table(p: Prepared, flags: pd.DataFrame,
                    targets: Mapping[str, Target] | None = None) -> pd.DataFrame:
    """The indicators table from :func:`~fcsim.kpi.flags.ticket_indicator_flags`."""
    tg = resolve_targets(targets)
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
        parts.append(pd.DataFrame({
            "level": "replication" if simulated else "log",
            "scenario": groups["scenario"], "replication": groups["replication"],
            "indicator": ind, "value": value, "ci_low": lo, "ci_high": hi,
            "target": tg[ind].label, "met": _met(tg[ind], num, den),
            "numerator": num, "denominator": den,
            "n_censored": cens.astype(np.int64) if ind == "timeliness" else np.nan,
            "_g": np.arange(n_g), "_i": INDICATOR_IDS.index(ind),
        }))
    rows = pd.concat(parts, ignore_index=True).sort_values(["_g", "_i"], kind="stable")
    if simulated:
        rows = pd.concat([rows, _scenario_rows(rows, tg)], ignore_index=True)
    return _typed(rows.drop(columns=["_g", "_i"]))


def _scenario_rows(rows: pd.DataFrame, tg: Mapping[str, Target]) -> pd.DataFrame:
    out = []
    for _, sub in rows.groupby(["scenario", "_i"], sort=True, observed=True):
        sc = sub["scenario"].iloc[0]
        i = int(sub["_i"].iloc[0])
        ind = INDICATOR_IDS[i]
        used = sub[sub["denominator"] > 0]
        mean, lo, hi = t_interval(used["value"].to_numpy(dtype=float))
        num, den = int(sub["numerator"].sum()), int(sub["denominator"].sum())
        tgt = tg[ind]
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

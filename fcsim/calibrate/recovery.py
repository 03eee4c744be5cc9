"""Parameter recovery: how a calibration's intervals cover the numbers that generated a log.

Used to validate :func:`~fcsim.calibrate.calibrate` on simulated logs: simulate a scenario with
known numbers, calibrate, and check that the true values lie in the 95 % intervals. For a
duration the interval is that of the *true* family's fit (whichever family won by AIC), so a
close runner-up family does not hide a biased fit.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fcsim.calibrate.scenario import Calibration
from fcsim.scenarios import Scenario

__all__ = ["recovery"]

_PARAMS = {"lognormal": ("mean", "cv"), "gamma": ("mean", "cv"),
           "weibull": ("shape", "scale"), "exponential": ("mean",)}


def _get(data: dict[str, Any], path: list[str]) -> Any:
    node: Any = data
    for part in path:
        node = node[part]
    return node


def recovery(cal: Calibration, truth: Scenario) -> pd.DataFrame:
    """Each calibrated number next to its true value in ``truth``.

    Returns
    -------
    DataFrame
        path, kind, n, truth, estimate, ci_low, ci_high, inside (truth in the 95 % interval),
        half_width, rel_half_width (half-width / truth).
    """
    data = truth.model_dump(mode="python", by_alias=True)
    rows: list[dict[str, Any]] = []
    for r in cal.parameters.itertuples(index=False):
        if not str(r.kind).startswith(("rate", "probability")):
            continue
        parts = str(r.path).replace('"', "").split(".")
        if parts[0] == "categories":
            parts = ["categories", ".".join(parts[1:-1]), parts[-1]]
        rows.append({"path": r.path, "kind": r.kind, "n": r.n, "truth": float(_get(data, parts)),
                     "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high})
    for (field, cat), fit in cal.fits.items():
        dist = (data["categories"][cat] if cat else data["stages"])[field.split(".")[-1]]
        fam = dist.get("dist")
        match = [f for f in fit.fits if f.family == fam]
        if fam not in _PARAMS or not match:
            continue
        f = match[0]
        base = f"categories.{cat}.{field}" if cat else field
        for name in _PARAMS[fam]:
            lo, hi = f.ci[name]
            rows.append({"path": f"{base}.{name}", "kind": f"duration:{fam}", "n": fit.n,
                         "truth": float(dist[name]), "estimate": f.params[name],
                         "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows, columns=["path", "kind", "n", "truth", "estimate", "ci_low",
                                      "ci_high"])
    out["inside"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    out["half_width"] = (out["ci_high"] - out["ci_low"]) / 2
    out["rel_half_width"] = out["half_width"] / out["truth"].where(out["truth"] != 0)
    return out

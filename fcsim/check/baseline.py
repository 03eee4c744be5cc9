"""Baselines for scenario regression checks: per-scenario, per-KPI mean, standard error and n.

A baseline is a JSON file::

    {"format": "fcsim-baseline", "format_version": 1, "fcsim_version": "0.1.0",
     "scenarios": {"apartment": {"seed": 2026, "replications": 10, "days": 3.0,
                                 "scenario_sha256": "…",
                                 "kpis": {"indicator.timeliness":
                                          {"mean": 0.93, "se": 0.008, "n": 10}, …}}, …}}

``se`` is the standard error of the mean of the ``n`` replication values (sample standard
deviation / sqrt(n)). ``scenario_sha256`` fingerprints the scenario's configuration, so a
check can tell "the scenario changed" from "the code changed".
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcsim import __version__
from fcsim.check.measures import replication_kpis
from fcsim.scenarios import Scenario

__all__ = [
    "BASELINE_FORMAT",
    "Baseline",
    "BaselineError",
    "KpiStats",
    "ScenarioBaseline",
    "baseline_from_dict",
    "baseline_to_dict",
    "kpi_stats",
    "make_baseline",
    "read_baseline",
    "scenario_fingerprint",
    "simulate_kpis",
    "write_baseline",
]

BASELINE_FORMAT = "fcsim-baseline"
_FORMAT_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class KpiStats:
    """Mean, standard error of the mean and number of replications of one KPI."""

    mean: float
    se: float
    n: int


@dataclass(frozen=True)
class ScenarioBaseline:
    """What one scenario's KPIs were, and how they were obtained."""

    seed: int
    replications: int
    days: float | None
    scenario_sha256: str
    kpis: dict[str, KpiStats] = field(default_factory=dict)


@dataclass(frozen=True)
class Baseline:
    """Baselines by scenario name, and the fcsim version that wrote them."""

    scenarios: dict[str, ScenarioBaseline]
    fcsim_version: str = __version__


def scenario_fingerprint(scenario: Scenario) -> str:
    """SHA-256 of the scenario's configuration (its canonical JSON dump)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kpi_stats(values: pd.DataFrame) -> dict[str, KpiStats]:
    """Mean, standard error and n per KPI of one scenario's replication values.

    Parameters
    ----------
    values
        Rows of :func:`~fcsim.check.measures.replication_kpis` for one scenario.

    Returns
    -------
    dict
        By KPI name, sorted; ``se`` is NaN below two replications.
    """
    out: dict[str, KpiStats] = {}
    for name, grp in values.groupby("kpi", sort=True):
        v = grp["value"].to_numpy(dtype=float)
        n = int(v.size)
        se = float(np.std(v, ddof=1) / math.sqrt(n)) if n >= 2 else float("nan")
        out[str(name)] = KpiStats(float(np.mean(v)), se, n)
    return out


def simulate_kpis(
    scenario: Scenario,
    *,
    seed: int,
    replications: int,
    days: float | None,
    executor: cf.Executor | None = None,
    workers: int | None = 0,
) -> pd.DataFrame:
    """Simulate ``replications`` replications and return their KPI values.

    Returns
    -------
    DataFrame
        :func:`~fcsim.check.measures.replication_kpis` of the run.
    """
    from fcsim.experiment import run_experiment

    res = run_experiment([scenario], seed=seed, replications=replications, days=days,
                         executor=executor, workers=workers, keep_logs=False)
    return replication_kpis(res.kpi)


def make_baseline(
    scenarios: Sequence[Scenario],
    *,
    seed: int,
    replications: int,
    days: float | None = None,
    executor: cf.Executor | None = None,
    workers: int | None = 0,
) -> Baseline:
    """Simulate each scenario and record its KPIs' mean, standard error and n.

    Parameters
    ----------
    scenarios
        Scenarios with distinct names.
    seed, replications, days
        As for :func:`~fcsim.experiment.run_experiment` (``days=None``: the scenario's).
    executor, workers
        Where the replications run (``workers=0``: in this process).
    """
    if replications < 2:
        raise ValueError(f"a baseline needs at least 2 replications, got {replications}")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be unique in a baseline, got {names}")
    out: dict[str, ScenarioBaseline] = {}
    for scen in scenarios:
        vals = simulate_kpis(scen, seed=seed, replications=replications, days=days,
                             executor=executor, workers=workers)
        out[scen.name] = ScenarioBaseline(seed, replications, days, scenario_fingerprint(scen),
                                          kpi_stats(vals))
    return Baseline(out)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


def baseline_to_dict(baseline: Baseline) -> dict[str, Any]:
    """The JSON-ready form of a baseline."""
    return {
        "format": BASELINE_FORMAT,
        "format_version": _FORMAT_VERSION,
        "fcsim_version": baseline.fcsim_version,
        "scenarios": {
            name: {
                "seed": sb.seed, "replications": sb.replications, "days": sb.days,
                "scenario_sha256": sb.scenario_sha256,
                "kpis": {k: {"mean": _num(s.mean), "se": _num(s.se), "n": s.n}
                         for k, s in sb.kpis.items()},
            }
            for name, sb in baseline.scenarios.items()
        },
    }


def write_baseline(baseline: Baseline, path: str | Path,
                   *, merge: bool = False) -> Path:
    """Write ``baseline`` as JSON (``merge=True``: keep other scenarios already in the file)."""
    p = Path(path)
    if merge and p.exists():
        old = read_baseline(p)
        baseline = Baseline({**old.scenarios, **baseline.scenarios}, baseline.fcsim_version)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(baseline_to_dict(baseline), indent=2, ensure_ascii=False) + "\n",
                 encoding="utf-8")
    return p


def _get(d: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in d:
        raise BaselineError(f"{where}: missing field {key!r}")
    v = d[key]
    if not isinstance(v, kind) or isinstance(v, bool):
        raise BaselineError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, "
                            f"got {v!r}")
    return v


def _float(v: Any, where: str) -> float:
    if v is None:
        return float("nan")
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise BaselineError(f"{where}: expected a number or null, got {v!r}")
    return float(v)


def baseline_from_dict(data: Any, *, origin: str = "<baseline>") -> Baseline:
    """Validate the JSON form of a baseline; errors name ``origin`` and the field."""
    if not isinstance(data, dict):
        raise BaselineError(f"{origin}: expected a JSON object")
    if data.get("format") != BASELINE_FORMAT:
        raise BaselineError(f"{origin}: format: expected {BASELINE_FORMAT!r}, "
                            f"got {data.get('format')!r}")
    version = _get(data, "format_version", origin, int)
    if version != _FORMAT_VERSION:
        raise BaselineError(f"{origin}: format_version: unsupported {version!r}")
    fv = _get(data, "fcsim_version", origin, str)
    scen = _get(data, "scenarios", origin, dict)
    out: dict[str, ScenarioBaseline] = {}
    for name, sd in scen.items():
        w = f"{origin}: scenarios.{name}"
        if not isinstance(sd, dict):
            raise BaselineError(f"{w}: expected an object")
        days_raw = sd.get("days")
        days = None if days_raw is None else _float(days_raw, f"{w}.days")
        kpis: dict[str, KpiStats] = {}
        for k, ks in _get(sd, "kpis", w, dict).items():
            wk = f"{w}.kpis.{k}"
            if not isinstance(ks, dict):
                raise BaselineError(f"{wk}: expected an object")
            n = _get(ks, "n", wk, int)
            if n < 1:
                raise BaselineError(f"{wk}.n: must be >= 1, got {n}")
            se = _float(ks.get("se"), f"{wk}.se")
            if se < 0:
                raise BaselineError(f"{wk}.se: must be >= 0, got {se}")
            kpis[str(k)] = KpiStats(_float(_get(ks, "mean", wk, (int, float)), f"{wk}.mean"),
                                    se, n)
        out[str(name)] = ScenarioBaseline(
            seed=_get(sd, "seed", w, int), replications=_get(sd, "replications", w, int),
            days=days, scenario_sha256=str(sd.get("scenario_sha256", "")), kpis=kpis)
    return Baseline(out, fv)


def read_baseline(path: str | Path) -> Baseline:
    """Read a baseline JSON file (:class:`FileNotFoundError` if it does not exist)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"baseline not found: {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{p}: invalid JSON: {exc}") from None
    return baseline_from_dict(data, origin=str(p))

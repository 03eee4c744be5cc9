"""One-at-a-time sensitivity of the KPIs to a scenario's uncertain parameters (tornado table).

Most numbers of a scenario are assumptions. Each :class:`UncertainParameter` names a field (an
``apply_overrides`` path such as ``categories.engineering.rate_per_unit_day`` or
``stages.travel_min.mean``) and a low and a high value. The base scenario and every low / high
variant are simulated with the same replications from one root seed (common random numbers:
replication *i* uses the same streams in every variant), so each effect is a *paired*
difference whose t-interval is narrow. Ranges come from :func:`default_uncertain_parameters`
(± a relative step on the rates, the occupancy and the stage means that drive the clocks) or a
TOML file read by :func:`load_uncertain_parameters`::

    [uncertain.travel]
    path = "stages.travel_min.mean"
    low = 3.0
    high = 6.0
    label_zh = "路程時間"
    label_en = "travel time"
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcsim.kpi import t_interval
from fcsim.scenarios import Scenario, apply_overrides
from fcsim.staffing.risk import replication_metrics
from fcsim.staffing.toml_files import read_table

__all__ = [
    "DEFAULT_KPIS",
    "UncertainParameter",
    "current_value",
    "default_uncertain_parameters",
    "load_uncertain_parameters",
    "tornado_table",
]

#: KPIs of the tornado by default: the six indicators.
DEFAULT_KPIS: tuple[str, ...] = ("timeliness", "satisfaction", "accuracy", "pass_rate",
                                 "recognition", "callback_rate")

_FIELD_LABELS = {
    "rate_per_unit_day": ("到達率", "arrival rate"),
    "occupancy": ("入住率", "occupancy"),
    "record_min": ("登記時間", "record time"),
    "dispatch_min": ("派單時間", "dispatch time"),
    "sign_min": ("簽單時間", "sign-out time"),
    "travel_min": ("路程時間", "travel time"),
    "plan_min": ("方案時間", "planning time"),
    "callback_min": ("回訪時間", "callback time"),
    "work_min": ("作業時間", "work time"),
    "unreachable_p": ("聯繫不上比例", "unreachable share"),
    "reject_p": ("驗收不合格比例", "rejection share"),
    "misroute_p": ("派錯比例", "misroute share"),
}


@dataclass(frozen=True)
class UncertainParameter:
    """A scenario field and its plausible low and high values."""

    path: str
    low: float
    high: float
    label_zh: str = ""
    label_en: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low > self.high:
            raise ValueError(f"uncertain parameter {self.path}: need finite low <= high, "
                             f"got {self.low!r}, {self.high!r}")

    def label(self, lang: str = "en") -> str:
        """A readable name (``lang`` ``"zh"`` or ``"en"``; the path when unlabelled)."""
        text = self.label_zh if lang == "zh" else self.label_en
        return text or self.path


def current_value(scenario: Scenario, path: str) -> Any:
    """The value at an override path (``categories.help.rate_per_unit_day``)."""
    node: Any = scenario.model_dump(mode="python", by_alias=True)
    for k in path.split("."):
        if not isinstance(node, dict) or k not in node:
            raise KeyError(f"scenario {scenario.name!r} has no field {path!r} (at {k!r})")
        node = node[k]
    return node


def _labels(scenario: Scenario, path: str) -> tuple[str, str]:
    parts = path.split(".")
    field = parts[-2] if parts[-1] in ("mean", "value") else parts[-1]
    zh, en = _FIELD_LABELS.get(field, (field, field.replace("_", " ")))
    if parts[0] == "categories" and len(parts) > 2 and parts[1] in scenario.categories:
        cat = scenario.categories[parts[1]]
        zh = f"{cat.label_zh or parts[1]}{zh}"
        en = f"{cat.label_en or parts[1]} {en}"
    return zh, en


def default_uncertain_parameters(scenario: Scenario, *, relative: float = 0.2
                                 ) -> tuple[UncertainParameter, ...]:
    """± ``relative`` on occupancy (capped at 1), each category's rate and the stage means
    that drive the clocks (record, dispatch, sign, travel, plan, callback), where they vary."""
    if not 0 < relative < 1:
        raise ValueError(f"relative must lie in (0, 1), got {relative!r}")
    paths = ["scenario.occupancy"]
    paths += [f"categories.{n}.rate_per_unit_day" for n, c in scenario.categories.items()
              if c.rate_per_unit_day > 0]
    for stage in ("record_min", "dispatch_min", "sign_min", "travel_min", "plan_min",
                  "callback_min"):
        d = current_value(scenario, f"stages.{stage}")
        key = "mean" if "mean" in d else "value" if "value" in d else None
        if key is not None and float(d[key]) > 0:
            paths.append(f"stages.{stage}.{key}")
    out = []
    for p in paths:
        v = float(current_value(scenario, p))
        hi = v * (1 + relative)
        if p == "scenario.occupancy":
            hi = min(hi, 1.0)
        zh, en = _labels(scenario, p)
        out.append(UncertainParameter(p, v * (1 - relative), hi, zh, en))
    return tuple(out)


def load_uncertain_parameters(path: str | Path, scenario: Scenario | None = None
                              ) -> tuple[UncertainParameter, ...]:
    """Read ``[uncertain.<name>]`` tables (``path``, ``low``, ``high``, optional labels)."""
    p, table = read_table(path, "uncertain", "needs [uncertain.<name>] tables")
    out = []
    for name, spec in table.items():
        where = f"{p}: uncertain.{name}"
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: must be a table")
        for f in ("path", "low", "high"):
            if f not in spec:
                raise ValueError(f"{where}: missing field {f!r}")
        zh, en = _labels(scenario, spec["path"]) if scenario is not None else ("", "")
        try:
            out.append(UncertainParameter(str(spec["path"]), float(spec["low"]),
                                          float(spec["high"]), str(spec.get("label_zh", zh)),
                                          str(spec.get("label_en", en or name))))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None
        if scenario is not None:
            current_value(scenario, spec["path"])  # the path must exist
    return tuple(out)


def _variant(scenario: Scenario, path: str, value: float, name: str) -> Scenario:
    return apply_overrides(scenario, [f"{path}={value!r}", f'scenario.name="{name}"'])


def tornado_table(
    scenario: Scenario,
    parameters: Sequence[UncertainParameter],
    *,
    seed: int,
    replications: int = 10,
    days: float | None = 7.0,
    kpis: Sequence[str] = DEFAULT_KPIS,
    level: float = 0.95,
    executor: cf.Executor | None = None,
    workers: int | None = None,
    progress: Any = None,
) -> pd.DataFrame:
    """The tornado table: each parameter at its low and high value, all else at base.

    Parameters
    ----------
    scenario, parameters
        The base scenario and its uncertain parameters.
    seed, replications, days
        Root seed (common random numbers across every variant), replications, days each.
    kpis
        Columns of :func:`~fcsim.staffing.risk.replication_metrics` (indicators, ``clock.*``,
        ``breaches.*`` …).
    level
        Level of the t-intervals of the paired effects.
    executor, workers, progress
        Passed to :func:`~fcsim.experiment.run_experiment`.

    Returns
    -------
    DataFrame
        One row per KPI × parameter, largest swing first within a KPI: ``kpi``, ``parameter``
        (path), ``label_zh``, ``label_en``, ``base_value``, ``low``, ``high``, ``kpi_base``,
        ``kpi_low``, ``kpi_high``, ``effect_low`` / ``effect_high`` (paired mean difference from
        base) with ``*_ci_low`` / ``*_ci_high``, ``swing`` (``|kpi_high - kpi_low|``), ``rank``.
    """
    from fcsim.experiment import run_experiment

    if not parameters:
        raise ValueError("tornado_table needs at least one uncertain parameter")
    if replications < 2:
        raise ValueError("replications must be >= 2 (paired intervals)")
    base_name = scenario.name
    variants = [scenario]
    for i, prm in enumerate(parameters):
        current_value(scenario, prm.path)
        variants.append(_variant(scenario, prm.path, prm.low, f"{base_name}.p{i}.low"))
        variants.append(_variant(scenario, prm.path, prm.high, f"{base_name}.p{i}.high"))
    res = run_experiment(variants, seed=seed, replications=replications, days=days,
                         executor=executor, workers=workers, progress=progress,
                         keep_logs=False)
    m = replication_metrics(res.kpi)
    missing = [k for k in kpis if k not in m.columns]
    if missing:
        known = sorted(c for c in m.columns if c not in ("scenario", "replication"))
        raise KeyError(f"unknown KPI(s) {missing}; known: {known}")
    wide = {name: g.set_index("replication").sort_index() for name, g in m.groupby("scenario")}
    base = wide[base_name]
    rows = []
    for kpi in kpis:
        b = base[kpi].astype(float)
        kb = float(np.nanmean(b.to_numpy()))
        for i, prm in enumerate(parameters):
            lo = wide[f"{base_name}.p{i}.low"][kpi].astype(float)
            hi = wide[f"{base_name}.p{i}.high"][kpi].astype(float)
            el, el_lo, el_hi = t_interval((lo - b).to_numpy(), level)
            eh, eh_lo, eh_hi = t_interval((hi - b).to_numpy(), level)
            kl, kh = float(np.nanmean(lo.to_numpy())), float(np.nanmean(hi.to_numpy()))
            rows.append({
                "kpi": kpi, "parameter": prm.path, "label_zh": prm.label("zh"),
                "label_en": prm.label("en"),
                "base_value": float(current_value(scenario, prm.path)),
                "low": prm.low, "high": prm.high, "kpi_base": kb, "kpi_low": kl,
                "kpi_high": kh, "effect_low": el, "effect_low_ci_low": el_lo,
                "effect_low_ci_high": el_hi, "effect_high": eh, "effect_high_ci_low": eh_lo,
                "effect_high_ci_high": eh_hi, "swing": abs(kh - kl),
            })
    table = pd.DataFrame(rows)
    table = table.sort_values(["kpi", "swing"], ascending=[True, False], kind="stable")
    table["rank"] = table.groupby("kpi").cumcount() + 1
    order = {k: i for i, k in enumerate(kpis)}
    table = table.sort_values(["kpi", "rank"], key=lambda s: s.map(order) if s.name == "kpi"
                              else s, kind="stable")
    return table.reset_index(drop=True)

"""Factorial sweeps: every combination of some scenario fields' values, in one tidy table.

``vary={"outcomes.unreachable_p": ["0.05", "0.1"], "staff.desk.prefix": [...]}`` gives the
cartesian product of the values (the first field varies slowest). Each variant is the base
scenario with ``apply_overrides`` (validated exactly like a file) and its own name
``<base>-v01``, ``<base>-v02`` …; all variants run as one experiment, so replication *i* uses the
same random streams in every variant (common random numbers). The table has one row per variant
and indicator: the variant's field values as columns (a table or an array labelled by what
changed, e.g. ``[1].count=2``; a path may address an array item, ``staff.engineering.shifts[1].
count``), then the across-replication mean and its 95 % interval.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from fcsim.experiment.runner import ExperimentResult, Progress, run_experiment
from fcsim.experiment.warmup import WarmupRule
from fcsim.model.indicators import INDICATOR_IDS

if TYPE_CHECKING:
    from fcsim.scenarios import Scenario

__all__ = ["SweepResult", "Variant", "parse_vary", "sweep", "sweep_table", "variants"]

_TABLE_STATS = ["value", "ci_low", "ci_high", "target", "met", "numerator", "denominator",
                "n_censored"]


@dataclass(frozen=True)
class Variant:
    """One combination of a sweep: its scenario name, scenario and field values."""

    name: str
    scenario: Scenario
    values: dict[str, Any]


@dataclass(frozen=True)
class SweepResult:
    """A sweep's tidy ``table``, its ``variants`` and the underlying experiment."""

    table: pd.DataFrame
    variants: list[Variant]
    experiment: ExperimentResult


def _split_values(text: str) -> list[str]:
    """Split on commas outside brackets and quotes (so TOML arrays and strings survive)."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def parse_vary(spec: str) -> tuple[str, list[str]]:
    """``"path.to.field=v1,v2,..."`` → ``("path.to.field", ["v1", "v2", ...])``."""
    if "=" not in spec:
        raise ValueError(f"--vary {spec!r}: expected path.to.field=v1,v2,...")
    path, raw = spec.split("=", 1)
    path = path.strip()
    values = _split_values(raw)
    if not path or any(v == "" for v in values):
        raise ValueError(f"--vary {spec!r}: empty field or value")
    if len(set(values)) != len(values):
        raise ValueError(f"--vary {spec!r}: repeated value")
    return path, values


def _node(scenario: Scenario, path: str) -> Any:
    """The validated value at ``path`` (``a.b[1].c`` addresses an array item), as JSON data."""
    node: Any = scenario.model_dump(mode="json", by_alias=True)
    for part in path.split("."):
        name, _, rest = part.partition("[")
        node = node[name]
        for idx in re.findall(r"(\d+)\]", "[" + rest if rest else ""):
            node = node[int(idx)]
    return node


def _changes(old: Any, new: Any, prefix: str = "") -> list[str]:
    """What differs between two JSON values, as ``path=value`` items (``[1].count=2``)."""
    if isinstance(old, dict) and isinstance(new, dict) and old.keys() == new.keys():
        return [c for k in new for c in _changes(old[k], new[k], f"{prefix}.{k}")]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [c for i, (a, b) in enumerate(zip(old, new, strict=True))
                for c in _changes(a, b, f"{prefix}[{i}]")]
    if old == new:
        return []
    shown = json.dumps(new, separators=(",", ":"), ensure_ascii=False)
    return [f"{prefix.lstrip('.') or '='}{'=' if prefix else ''}{shown}"]


def _read_path(scenario: Scenario, path: str, base: Scenario | None = None) -> Any:
    """The validated value at ``path``. A table or an array is labelled by what changed from
    ``base`` (``[1].count=2``; ``"unchanged"`` when nothing did), or as compact JSON text
    without a base."""
    node = _node(scenario, path)
    if isinstance(node, dict | list):
        if base is not None:
            try:
                old = _node(base, path)
            except (KeyError, IndexError, TypeError):
                old = None
            diffs = _changes(old, node)
            return "; ".join(diffs) if diffs else "unchanged"
        return json.dumps(node, separators=(",", ":"))
    return node


def variants(
    base: Scenario,
    vary: Mapping[str, Sequence[str]] | Sequence[str],
    *,
    overrides: Sequence[str] = (),
) -> list[Variant]:
    """Every combination of ``vary`` applied to ``base`` (after the fixed ``overrides``).

    Parameters
    ----------
    base
        The scenario to vary.
    vary
        ``{field path: [raw values]}`` (values in TOML syntax, as for ``--set``), or a list of
        ``"path=v1,v2"`` strings.
    overrides
        ``"path=value"`` overrides applied to every variant first.

    Returns
    -------
    list of Variant
        In factorial order (the first field varies slowest); ``values`` hold the validated
        values read back from each variant's scenario.
    """
    from fcsim.scenarios import apply_overrides

    if isinstance(vary, str):
        vary = [vary]
    if not isinstance(vary, Mapping):
        parsed = [parse_vary(s) for s in vary]
        vary = dict(parsed)
        if len(vary) != len(parsed):
            raise ValueError("--vary: the same field is given twice")
    fields = list(vary)
    for f in fields:
        if f == "scenario.name":
            raise ValueError("--vary scenario.name: the variants' names are set by the sweep")
        if not vary[f]:
            raise ValueError(f"--vary {f}: no values")
    combos = list(itertools.product(*(vary[f] for f in fields)))
    width = max(2, len(str(len(combos))))
    fixed = apply_overrides(base, list(overrides)) if overrides else base
    out = []
    for k, combo in enumerate(combos, start=1):
        name = fixed.name if not fields else f"{base.name}-v{k:0{width}d}"
        sets = [f"{f}={v}" for f, v in zip(fields, combo, strict=True)]
        scen = apply_overrides(fixed, [*sets, f"scenario.name={name}"])
        out.append(Variant(name, scen, {f: _read_path(scen, f, fixed) for f in fields}))
    return out


def sweep_table(experiment: ExperimentResult, variants_: Sequence[Variant]) -> pd.DataFrame:
    """The tidy table: ``variant``, one column per varied field, ``indicator`` and the
    scenario-level statistics (mean ``value`` with ``ci_low``/``ci_high`` …)."""
    ind = experiment.kpi.indicators
    rows = ind[ind["level"] == "scenario"].copy()
    rows["scenario"] = rows["scenario"].astype(object)
    rows["indicator"] = rows["indicator"].astype(object)
    fields = list(variants_[0].values) if variants_ else []
    meta = pd.DataFrame([{"variant": v.name, "_order": i, **v.values}
                         for i, v in enumerate(variants_)], columns=["variant", "_order", *fields])
    table = meta.merge(rows, left_on="variant", right_on="scenario", how="left",
                       validate="one_to_many")
    order = {ind_id: i for i, ind_id in enumerate(INDICATOR_IDS)}
    table["_ind"] = table["indicator"].map(order)
    table = table.sort_values(["_order", "_ind"], kind="stable").reset_index(drop=True)
    stats = [c for c in _TABLE_STATS if c in table.columns]
    return table[["variant", *fields, "indicator", *stats]]


def sweep(
    base: Scenario,
    vary: Mapping[str, Sequence[str]] | Sequence[str],
    *,
    seed: int,
    replications: int,
    days: float | None = None,
    overrides: Sequence[str] = (),
    executor: cf.Executor | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    warmup: WarmupRule | None = None,
    keep_logs: bool = False,
) -> SweepResult:
    """Run every variant of ``base`` as one experiment and tabulate the indicators.

    Parameters are those of :func:`variants` and :func:`~fcsim.experiment.run_experiment`.
    The manifest gains ``base`` and ``variants`` (name and field values of each).
    """
    vs = variants(base, vary, overrides=overrides)
    extra = {"base": base.name, "overrides": list(overrides),
             "variants": [{"name": v.name, "values": v.values} for v in vs]}
    result = run_experiment([v.scenario for v in vs], seed=seed, replications=replications,
                            days=days, executor=executor, workers=workers, progress=progress,
                            keep_logs=keep_logs, warmup=warmup, manifest_extra=extra)
    return SweepResult(sweep_table(result, vs), vs, result)

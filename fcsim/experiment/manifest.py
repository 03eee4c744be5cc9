"""The manifest written beside every experiment result: what ran, from which seeds, with what.

It records each scenario's full configuration and control-point bounds, the root seed and every
replication's seed, the simulated days, and the versions of fcsim, Python, numpy, pandas,
simpy and scipy. It holds nothing that depends on the executor or the number of workers (those
go to :attr:`ExperimentResult.tasks`), so the same experiment writes the same bytes anywhere.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fcsim import __version__
from fcsim.eventlog.io import write_json
from fcsim.experiment.seeds import replication_seeds

if TYPE_CHECKING:
    from fcsim.scenarios import Scenario

__all__ = ["MANIFEST_NAME", "experiment_manifest", "versions", "write_manifest"]

#: File name of the manifest beside a result.
MANIFEST_NAME = "manifest.json"

_PACKAGES = ("numpy", "pandas", "simpy", "scipy")


def versions() -> dict[str, str]:
    """Versions of fcsim, Python and the numerical packages (``"absent"`` if not installed)."""
    out = {"fcsim": __version__, "python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def experiment_manifest(
    scenarios: Sequence[Scenario],
    *,
    seed: int,
    replications: int,
    days: float | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of an experiment (JSON-compatible).

    Parameters
    ----------
    scenarios
        The scenarios, in the experiment's order.
    seed, replications, days
        The root seed, number of replications and simulated days (``None``: each scenario's).
    extra
        Further entries (e.g. a sweep's variants), laid over the others.
    """
    out: dict[str, Any] = {
        "kind": "experiment",
        "scenarios": [s.name for s in scenarios],
        "seed": seed,
        "replications": replications,
        "replication_seeds": replication_seeds(seed, replications),
        "common_random_numbers": True,
        "days": days,
        "scenario_days": {s.name: (days if days is not None else s.scenario.days)
                          for s in scenarios},
        **_merged([s.manifest_bounds() for s in scenarios]),
        "scenario_config": {s.name: s.as_json() for s in scenarios},
        "versions": versions(),
    }
    if extra:
        out.update(extra)
    return out


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-scenario manifest entries of several scenarios, merged key by key."""
    out: dict[str, dict[str, Any]] = {}
    for part in parts:
        for key, by_scenario in part.items():
            out.setdefault(key, {}).update(by_scenario)
    return out


def write_manifest(manifest: dict[str, Any], directory: str | Path) -> Path:
    """Write ``manifest.json`` (stable JSON) into ``directory``; returns the file's path."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    path = d / MANIFEST_NAME
    write_json(path, manifest)
    return path

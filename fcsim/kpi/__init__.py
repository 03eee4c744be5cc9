"""The KPI engine: one vectorised implementation of ``KPI.md`` for simulated and real logs.

Event log in, tidy DataFrames out: :func:`control_points` (every clock instance with its
status at ``as_of``), :func:`indicators` (the six control indicators with intervals),
:func:`periods` (weekly / monthly table) and :func:`evaluate` (all three at once).
Modules: :mod:`~fcsim.kpi.prepare` (cut, sort, attempts, R, population),
:mod:`~fcsim.kpi.clocks`, :mod:`~fcsim.kpi.flags`, :mod:`~fcsim.kpi.indicators`,
:mod:`~fcsim.kpi.periods`, :mod:`~fcsim.kpi.stats`, :mod:`~fcsim.kpi.bounds` (bounds per
scenario, category and emergency), :mod:`~fcsim.kpi.zones` (the site's time zone) and
:mod:`~fcsim.kpi.ownership` (fcsim's own first-contact ownership measure, ``ownership.csv``).
"""

from fcsim.kpi.bounds import resolve_bounds
from fcsim.kpi.engine import KpiResult, control_points, evaluate, indicators, periods, write_kpi
from fcsim.kpi.prepare import default_as_of
from fcsim.kpi.stats import (
    count_interval,
    logit_t_interval,
    proportion_interval,
    t_interval,
    wilson_interval,
)

__all__ = [
    "KpiResult",
    "control_points",
    "count_interval",
    "default_as_of",
    "evaluate",
    "indicators",
    "logit_t_interval",
    "periods",
    "proportion_interval",
    "resolve_bounds",
    "t_interval",
    "wilson_interval",
    "write_kpi",
]

"""Observed versus simulated: one KPI engine on both logs, prediction intervals, distances.

See :func:`~fcsim.compare.core.compare`; trace-driven replay is :mod:`fcsim.sim.trace`, its
KPI differences :func:`~fcsim.compare.replay.replay_differences`.
"""

from fcsim.compare.core import Comparison, compare, prediction_interval
from fcsim.compare.replay import replay_differences
from fcsim.compare.unfinished import Unfinished, unfinished_at_horizon

__all__ = ["Comparison", "Unfinished", "compare", "prediction_interval", "replay_differences",
           "unfinished_at_horizon"]

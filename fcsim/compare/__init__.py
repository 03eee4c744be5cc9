"""Observed versus simulated: one KPI engine on both logs, prediction intervals, distances.

See :func:`~fcsim.compare.core.compare`; trace-driven replay is :mod:`fcsim.sim.trace`.
"""

from fcsim.compare.core import Comparison, compare, prediction_interval

__all__ = ["Comparison", "compare", "prediction_interval"]

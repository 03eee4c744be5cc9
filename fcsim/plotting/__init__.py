"""Figures (matplotlib only). Each ``plot_*`` returns its figure and never shows it.

Figures are plain :class:`matplotlib.figure.Figure` objects, not registered with pyplot, so
nothing opens a window and the caller's backend is left alone; ``savefig`` renders them with
the Agg canvas.

Labels are in Chinese (``lang="zh"``) or English (``lang="en"``); a CJK font is set up by
:mod:`fcsim.plotting.fonts` (English labels and a logged warning when none is installed).
"""

from fcsim.plotting.fonts import Lang, cjk_font, effective_lang, figure_style
from fcsim.plotting.heatmaps import hour_of_week_grid, plot_hour_of_week
from fcsim.plotting.indicators import (
    compliance_grid,
    indicator_rows,
    plot_compliance,
    plot_indicators,
)
from fcsim.plotting.lateness import plot_lateness, plot_ripple
from fcsim.plotting.swimlane import plot_swimlane, swimlane_lanes, swimlane_window
from fcsim.plotting.timeline import plot_stage_times

__all__ = [
    "Lang",
    "cjk_font",
    "compliance_grid",
    "effective_lang",
    "figure_style",
    "hour_of_week_grid",
    "indicator_rows",
    "plot_compliance",
    "plot_hour_of_week",
    "plot_indicators",
    "plot_lateness",
    "plot_ripple",
    "plot_stage_times",
    "plot_swimlane",
    "swimlane_lanes",
    "swimlane_window",
]

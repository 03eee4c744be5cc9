"""Hour-of-week heatmaps of arrivals, busy staff, utilisation and queue length per role."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import role_label, text

__all__ = ["hour_of_week_grid", "plot_hour_of_week"]


def hour_of_week_grid(profile: pd.DataFrame, *, metric: str, role: str) -> np.ndarray:
    """A 7 × 24 array (Monday first) of one metric and role of
    :func:`fcsim.analysis.hour_of_week_profile` (NaN where absent)."""
    sel = profile[(profile["metric"] == metric) & (profile["role"] == role)]
    out = np.full(168, np.nan)
    out[sel["hour_of_week"].to_numpy(int)] = sel["value"].to_numpy(float)
    return out.reshape(7, 24)


def plot_hour_of_week(profile: pd.DataFrame, *, metric: str = "arrivals", role: str = "all",
                      lang: Lang = "en", ax: Axes | None = None, zone: str | None = None
                      ) -> Figure:
    """Heatmap of ``metric`` (arrivals, busy, utilisation, queue) for ``role`` by day and hour.

    Hours are those of the profile (:func:`fcsim.analysis.hour_of_week_profile`'s ``tz``);
    ``zone`` names that zone in the axis label. The queue counts requests deferred until the
    role is on duty (a night request waiting for the morning shift). When the log has no
    start times the grid is empty and the figure says so.
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (8.0, 3.2))
        grid = hour_of_week_grid(profile, metric=metric, role=role)
        name = text("queue_deferred" if metric == "queue" else metric, lang)
        ax.set_title(f"{name} — {role_label(role, lang)}")
        if np.isnan(grid).all():
            empty_note(ax, text("no_start" if metric != "arrivals" else "nothing", lang))
            return fig
        im = ax.imshow(grid, aspect="auto", cmap="viridis", interpolation="nearest")
        ax.set_yticks(range(7), text("days", lang).split(","))
        ax.set_xticks(range(0, 24, 3))
        ax.set_xlabel(text("hour_local", lang).format(zone=zone) if zone else text("hour", lang))
        bar = fig.colorbar(im, ax=ax, label=text(metric, lang))
        if metric == "utilisation":  # a share: percent, as every other share in fcsim
            bar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    return fig

"""Where the time goes per stage (mean waiting, working, preempted, handed over)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import activity_label, text

__all__ = ["plot_stage_times"]


def plot_stage_times(summary: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None
                     ) -> Figure:
    """Stacked bars of mean waiting, working, preempted and handed-over minutes per stage.

    ``summary`` is :func:`fcsim.analysis.stage_summary`'s output; the bars' widths are its
    ``wait_mean_s``, ``work_mean_s``, ``preempted_mean_s`` and ``handover_mean_s`` (when
    present and not all zero) in minutes. Without start times the figure says so instead of
    drawing bars.
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (7.5, 4.0))
        ax.set_title(text("stages_title", lang))
        known = summary[summary["n_known"] > 0] if not summary.empty else summary
        if known.empty:
            empty_note(ax, text("no_start", lang))
            return fig
        y = np.arange(len(known))
        left = np.zeros(len(known))
        parts = [("wait_mean_s", "wait", "#f28e2b"), ("work_mean_s", "work", "#59a14f"),
                 ("preempted_mean_s", "preempted", "#e15759")]
        if "handover_mean_s" in known and known["handover_mean_s"].fillna(0.0).gt(0).any():
            parts.append(("handover_mean_s", "handed_over", "#9c755f"))
        for col, key, colour in parts:
            w = known[col].fillna(0.0).to_numpy(float) / 60.0
            ax.barh(y, w, left=left, color=colour, label=text(key, lang))
            left += w
        ax.set_xlim(0.0, max(float(left.max()), 1e-9) * 1.04)  # the longest bar ends inside
        ax.set_yticks(y, [activity_label(a, lang) for a in known["activity"]])
        ax.invert_yaxis()
        ax.set_xlabel(text("minutes", lang))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=len(parts),
                  fontsize="small", frameon=False)
    return fig

"""Where the time goes per stage, and a swimlane timeline of tickets across roles."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fcsim.model.timezone import tz_name
from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import activity_label, text

__all__ = ["plot_stage_times", "plot_swimlane", "swimlane_lanes"]

_ROLE_ORDER = {"desk": 0, "technician": 1, "supervisor": 2, "manager": 3, "customer": 4}
_KIND_STYLE = {
    "work": {"facecolor": "#59a14f"},
    "travel": {"facecolor": "#76b7b2"},
    "preempted": {"facecolor": "none", "edgecolor": "#e15759", "hatch": "///"},
    "handover": {"facecolor": "none", "edgecolor": "#9c755f", "hatch": "..."},
}


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
        ax.set_yticks(y, [activity_label(a, lang) for a in known["activity"]])
        ax.invert_yaxis()
        ax.set_xlabel(text("minutes", lang))
        ax.legend(loc="lower right", fontsize="small")
    return fig


def swimlane_lanes(segments: pd.DataFrame) -> list[str]:
    """Lane order of a swimlane: desk first, then technicians, supervisors, managers."""
    lanes = segments[["lane", "role"]].drop_duplicates("lane")
    lanes = lanes.assign(_o=lanes["role"].astype(str).map(_ROLE_ORDER).fillna(9))
    return list(lanes.sort_values(["_o", "lane"], kind="stable")["lane"].astype(str))


def plot_swimlane(segments: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None,
                  tz: tzinfo = UTC) -> Figure:
    """Swimlane timeline: one lane per resource; work / travel bars coloured by ticket,
    preemption gaps hatched red, shift handovers dotted brown, events as marks (diamonds with
    a red edge in a second pass).

    ``segments`` is :func:`fcsim.analysis.swimlane_segments`'s output; the lanes are
    :func:`swimlane_lanes`. The time axis is local to ``tz`` (the site's zone), named in its
    label.
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (9.0, 4.0))
        ax.set_title(text("swimlane_title", lang))
        if segments.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        lanes = swimlane_lanes(segments)
        pos = {lane: i for i, lane in enumerate(lanes)}
        tickets = list(dict.fromkeys(segments["ticket_id"].astype(str)))
        cmap = colormaps["tab20"]
        colour = {t: cmap(i % 20) for i, t in enumerate(tickets)}
        start = mdates.date2num(segments["start"].dt.tz_convert(tz).dt.tz_localize(None))
        end = mdates.date2num(segments["end"].dt.tz_convert(tz).dt.tz_localize(None))
        seg = segments.assign(_s=start, _e=end)
        for _, r in seg[seg["kind"] != "event"].iterrows():
            style: dict[str, Any] = dict(_KIND_STYLE.get(str(r["kind"]), {}))
            if r["kind"] not in ("preempted", "handover"):
                style["facecolor"] = colour[str(r["ticket_id"])]
                style["alpha"] = 0.85 if r["kind"] == "work" else 0.5
            ax.broken_barh([(r["_s"], r["_e"] - r["_s"])], (pos[str(r["lane"])] - 0.35, 0.7),
                           **style)
        ev = seg[seg["kind"] == "event"]
        first = ev[ev["attempt"] == 1]
        later = ev[ev["attempt"] >= 2]
        ax.scatter(first["_s"], first["lane"].astype(str).map(pos), marker="|", s=60,
                   c=[colour[str(t)] for t in first["ticket_id"]])
        if not later.empty:
            ax.scatter(later["_s"], later["lane"].astype(str).map(pos), marker="D", s=30,
                       facecolors="none", edgecolors="red", label=text("second_pass", lang))
            ax.legend(loc="upper right", fontsize="small")
        ax.set_yticks(range(len(lanes)), lanes)
        ax.set_ylim(len(lanes) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M"))
        ax.set_xlabel(f"{text('time', lang)} ({tz_name(tz)})")
        for lab in ax.get_xticklabels():
            lab.set_rotation(30)
            lab.set_horizontalalignment("right")
    return fig

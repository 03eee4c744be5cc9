"""Lateness attribution per ticket and the emergency ripple."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fcsim.analysis.attribution import CAUSES
from fcsim.plotting._base import CAUSE_COLOURS, axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import cause_label, text

__all__ = ["plot_lateness", "plot_ripple"]


def plot_lateness(by_ticket: pd.DataFrame, *, top: int = 20, lang: Lang = "en",
                  ax: Axes | None = None) -> Figure:
    """Stacked bars of late minutes per cause for the ``top`` latest tickets.

    ``by_ticket`` is :func:`fcsim.analysis.lateness_by_ticket`'s output (largest first); bars
    are drawn cause by cause in :data:`~fcsim.analysis.CAUSES` order, in minutes.
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (8.0, 4.5))
        ax.set_title(text("lateness_title", lang))
        if by_ticket.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        rows = by_ticket.head(top)
        label = rows["ticket_id"].astype(str)
        several = by_ticket[["scenario", "replication"]].astype(str).drop_duplicates()
        if len(several) > 1:
            label = (rows["scenario"].astype(str) + "/" + rows["replication"].astype(str)
                     + "/" + label)
        y = np.arange(len(rows))
        left = np.zeros(len(rows))
        for cause in CAUSES:
            w = rows[cause].to_numpy(float) / 60.0
            if not (w > 0).any():
                continue
            ax.barh(y, w, left=left, color=CAUSE_COLOURS[cause], label=cause_label(cause, lang))
            left += w
        ax.set_yticks(y, list(label))
        ax.invert_yaxis()
        ax.set_xlabel(text("minutes", lang))
        ax.set_ylabel(text("ticket", lang))
        ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_ripple(summary: pd.DataFrame, *, top: int = 20, lang: Lang = "en",
                ax: Axes | None = None) -> Figure:
    """Bars of the total delay (minutes) each emergency imposed on routine tickets, annotated
    with the number of tickets delayed.

    ``summary`` is :func:`fcsim.analysis.ripple_summary`'s output (largest first).
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (7.5, 3.5))
        ax.set_title(text("ripple_title", lang))
        if summary.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        rows = summary.head(top)
        y = np.arange(len(rows))
        w = rows["delay_s"].to_numpy(float) / 60.0
        ax.barh(y, w, color="#e15759")
        for yi, wi, n in zip(y, w, rows["n_tickets"], strict=True):
            ax.text(float(wi), float(yi), f" {int(n)}", va="center", fontsize=8)
        ax.set_yticks(y, [str(e) if e is not None and e == e else "?"
                          for e in rows["emergency_id"]])
        ax.invert_yaxis()
        ax.set_xlabel(text("delay_min", lang))
        ax.set_ylabel(text("emergency", lang))
    return fig

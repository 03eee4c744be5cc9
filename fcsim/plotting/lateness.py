"""Lateness attribution per ticket and the emergency ripple."""

from __future__ import annotations

from datetime import UTC, tzinfo

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fcsim.analysis.attribution import CAUSES
from fcsim.plotting._base import CAUSE_COLOURS, axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import cause_label, text, ticket_label

__all__ = ["plot_lateness", "plot_ripple", "ticket_labels"]


def ticket_labels(rows: pd.DataFrame, *, id_column: str = "ticket_id", tz: tzinfo | str = UTC,
                  lang: Lang = "en") -> list[str]:
    """Axis labels of tickets: short id, category and local receipt when ``rows`` has
    ``category`` / ``received_at`` (:func:`fcsim.analysis.with_ticket_facts`), prefixed with
    scenario and replication when there are several."""
    ids = rows[id_column].astype(object)
    cat = rows["category"] if "category" in rows else pd.Series([None] * len(rows))
    rec = rows["received_at"] if "received_at" in rows else pd.Series([None] * len(rows))
    urg = rows["emergency"] if "emergency" in rows else pd.Series([False] * len(rows))
    out = [("?" if t is None or t != t else
            ticket_label(str(t), c, r, tz, lang, emergency=bool(u) and u == u))
           for t, c, r, u in zip(ids, cat, rec, urg, strict=True)]
    if {"scenario", "replication"} <= set(rows.columns):
        several = rows[["scenario", "replication"]].astype(str).drop_duplicates()
        if len(several) > 1:
            out = [f"{s}/{r}/{x}" for s, r, x in zip(rows["scenario"].astype(str),
                                                     rows["replication"].astype(str), out,
                                                     strict=True)]
    return out


def plot_lateness(by_ticket: pd.DataFrame, *, top: int = 20, lang: Lang = "en",
                  ax: Axes | None = None, tz: tzinfo | str = UTC) -> Figure:
    """Stacked bars of late minutes per cause for the ``top`` latest tickets.

    ``by_ticket`` is :func:`fcsim.analysis.lateness_by_ticket`'s output (largest first), with
    ``category`` and ``received_at`` when available (:func:`fcsim.analysis.with_ticket_facts`):
    tickets are then labelled with their category and local receipt in ``tz``. Bars are drawn
    cause by cause in :data:`~fcsim.analysis.CAUSES` order, in minutes; a ticket with no
    minutes of a cause gets no bar for it, and the legend sits below the axes.
    """
    with figure_style(lang) as lang:
        rows = by_ticket[by_ticket["total"] > 0].head(top) if len(by_ticket) else by_ticket
        fig, ax = axes_for(ax, (8.5, 0.32 * max(len(rows), 4) + 2.2))
        ax.set_title(text("lateness_title", lang))
        if rows.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        y = np.arange(len(rows))
        left = np.zeros(len(rows))
        for cause in CAUSES:
            w = rows[cause].to_numpy(float) / 60.0
            pos = w > 0
            if not pos.any():
                continue
            ax.barh(y[pos], w[pos], left=left[pos], color=CAUSE_COLOURS[cause],
                    label=cause_label(cause, lang))
            left += w
        for yi, tot in zip(y, left, strict=True):
            ax.text(float(tot), float(yi), f" {tot:,.0f}", va="center", fontsize=7)
        ax.set_xlim(0, float(left.max()) * 1.12)
        ax.set_yticks(y, ticket_labels(rows, tz=tz, lang=lang), fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(text("minutes", lang))
        ax.set_ylabel(text("ticket", lang))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize="small",
                  frameon=False)
    return fig


def plot_ripple(summary: pd.DataFrame, *, top: int = 20, lang: Lang = "en",
                ax: Axes | None = None, tz: tzinfo | str = UTC) -> Figure:
    """Bars of the total delay (minutes) each emergency imposed on routine tickets, annotated
    with the number of tickets delayed.

    ``summary`` is :func:`fcsim.analysis.ripple_summary`'s output (largest first); with
    ``category`` and ``received_at`` columns (the emergency's) the emergencies are labelled
    with them, in local time ``tz``; with ``late_s`` (the lateness its preemptions caused,
    :func:`fcsim.analysis.preemption_lateness`) a dark bar inside shows how much of the delay
    made tickets late.
    """
    with figure_style(lang) as lang:
        rows = summary.head(top)
        fig, ax = axes_for(ax, (8.0, 0.32 * max(len(rows), 4) + 1.6))
        ax.set_title(text("ripple_title", lang))
        if rows.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        y = np.arange(len(rows))
        w = rows["delay_s"].to_numpy(float) / 60.0
        ax.barh(y, w, color="#f4a6a7", label=text("ripple_delay", lang))
        late = (rows["late_s"].fillna(0.0).to_numpy(float) / 60.0 if "late_s" in rows
                else np.zeros(len(rows)))
        if "late_s" in rows:
            ax.barh(y[late > 0], late[late > 0], height=0.45, color="#b2182b",
                    label=text("ripple_late", lang))
        for yi, wi, n, li in zip(y, w, rows["n_tickets"], late, strict=True):
            note = f" {int(n)}" + (text("late_note", lang).format(li) if li > 0 else "")
            ax.text(float(wi), float(yi), note, va="center", fontsize=8)
        ax.set_xlim(0, float(w.max()) * 1.18 if w.max() > 0 else 1.0)
        plain = rows.drop(columns=["emergency"], errors="ignore")  # all are emergencies
        ax.set_yticks(y, ticket_labels(plain, id_column="emergency_id", tz=tz, lang=lang),
                      fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"{text('delay_min', lang)} — {text('tickets_delayed', lang)}: n")
        ax.set_ylabel(text("emergency", lang))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize="small",
                  frameon=False)
    return fig

"""Shared helpers of the figure modules (internal)."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import ScaledTranslation

__all__ = ["CAUSE_COLOURS", "axes_for", "empty_note", "legend_below"]

CAUSE_COLOURS = {
    "desk_wait": "#4e79a7",
    "technician_wait": "#f28e2b",
    "travel": "#76b7b2",
    "preemption": "#e15759",
    "handover": "#ff9da7",
    "rework": "#b07aa1",
    "escalation": "#edc948",
    "work": "#59a14f",
    "unknown": "#bab0ac",
}


def axes_for(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The given axes and its figure, or a new figure (never shown) with one axes."""
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):
            raise ValueError("ax does not belong to a figure")
        return fig, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def empty_note(ax: Axes, message: str) -> None:
    """Write a message in the middle of empty axes."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def legend_below(ax: Axes, *, ncols: int, below_in: float = 0.55) -> None:
    """The axes' legend centred ``below_in`` inches under the axes, clear of the tick labels
    and the x label whatever the axes' height (off the data)."""
    fig = ax.get_figure()
    if fig is None:
        raise ValueError("ax does not belong to a figure")
    where = ax.transAxes + ScaledTranslation(0.0, -below_in, fig.dpi_scale_trans)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=where,
              ncols=ncols, fontsize="small", frameon=False)

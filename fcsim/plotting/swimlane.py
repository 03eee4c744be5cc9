"""A swimlane timeline of tickets across the people who worked on them.

One lane per person (named with their group and shift), local time on a regular axis, one
shift by default. Emergencies are red, each routine ticket has its own colour; preemption gaps
are hatched red, shift handovers dotted brown, second passes marked with red diamonds; a
legend below the axes says which is which, and each ticket is labelled with its short id on
each lane.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from fcsim.analysis.swimlane import DEFAULT_SHIFT_STARTS_H, clip_segments, shift_window
from fcsim.model.timezone import tz_name
from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import lane_label, short_ticket_id, text

__all__ = ["EMERGENCY_COLOUR", "plot_swimlane", "swimlane_lanes", "swimlane_window"]

_ROLE_ORDER = {"desk": 0, "technician": 1, "supervisor": 2, "manager": 3, "customer": 4}
EMERGENCY_COLOUR = "#d62728"
#: Routine tickets: tab10 without its red and brown (emergencies are red).
_ROUTINE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#17becf", "#7f7f7f", "#bcbd22",
            "#e377c2"]
_PREEMPTED: dict[str, Any] = {"facecolor": "none", "edgecolor": EMERGENCY_COLOUR, "hatch": "///"}
_HANDOVER: dict[str, Any] = {"facecolor": "none", "edgecolor": "#9c755f", "hatch": "...",
                             "linestyle": ":"}

Window = str | tuple[pd.Timestamp, pd.Timestamp]


def swimlane_lanes(segments: pd.DataFrame) -> list[str]:
    """Lane order of a swimlane: desk first, then technicians, supervisors, managers."""
    lanes = segments[["lane", "role"]].drop_duplicates("lane")
    lanes = lanes.assign(_o=lanes["role"].astype(str).map(_ROLE_ORDER).fillna(9))
    return list(lanes.sort_values(["_o", "lane"], kind="stable")["lane"].astype(str))


def swimlane_window(segments: pd.DataFrame, window: Window = "shift", *, tz: tzinfo | str = UTC,
                    shift_starts_h: Sequence[int] = DEFAULT_SHIFT_STARTS_H,
                    anchor: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The UTC window a swimlane shows.

    ``window`` is ``"shift"`` (the local shift containing ``anchor``), ``"day"`` (its local
    day), ``"all"`` (every segment) or explicit ``(start, end)`` instants. ``anchor`` defaults
    to the first emergency's first segment, else the first segment.
    """
    if not isinstance(window, str):
        lo, hi = (pd.Timestamp(w).tz_convert("UTC") for w in window)
        if not lo < hi:
            raise ValueError(f"swimlane window must have start < end, got {window!r}")
        return lo, hi
    if window == "all":
        return segments["start"].min(), segments["end"].max()
    if window not in ("shift", "day"):
        raise ValueError(f"window must be 'shift', 'day', 'all' or (start, end), got {window!r}")
    if anchor is None:
        urgent = segments[segments["emergency"]] if "emergency" in segments else segments[:0]
        anchor = (urgent if len(urgent) else segments)["start"].min()
    return shift_window(anchor, tz, shift_starts_h=shift_starts_h, span=window)


def _ticks(ax: Axes, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """Regular local-time ticks: every 15 min up to 2 h, hourly up to 12 h, else 2-hourly."""
    hours = (hi - lo).total_seconds() / 3600
    if hours <= 2:
        ax.xaxis.set_major_locator(mdates.MinuteLocator(byminute=[0, 15, 30, 45]))
        ax.xaxis.set_minor_locator(mdates.MinuteLocator(byminute=range(0, 60, 5)))
    elif hours <= 12:
        ax.xaxis.set_major_locator(mdates.HourLocator())
        ax.xaxis.set_minor_locator(mdates.MinuteLocator(byminute=[15, 30, 45]))
    elif hours <= 48:
        ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 2)))
        ax.xaxis.set_minor_locator(mdates.HourLocator())
    else:
        ax.xaxis.set_major_locator(mdates.DayLocator())
        ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 12, 18]))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M" if hours <= 48 else "%m-%d"))
    ax.grid(axis="x", which="major", alpha=0.3)


def plot_swimlane(segments: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None,
                  tz: tzinfo | str = UTC, window: Window = "shift",
                  shift_starts_h: Sequence[int] = DEFAULT_SHIFT_STARTS_H,
                  anchor: pd.Timestamp | None = None,
                  staff: Mapping[str, Any] | None = None) -> Figure:
    """Swimlane timeline of tickets, one lane per person.

    Parameters
    ----------
    segments
        :func:`fcsim.analysis.swimlane_segments`'s output (its ``emergency`` column colours
        emergencies red).
    lang
        ``"zh"`` or ``"en"``.
    ax
        Axes to draw into (default: a new figure).
    tz
        The site's zone: the time axis is local, named in its label with the date.
    window, shift_starts_h, anchor
        What to show (:func:`swimlane_window`): by default the local shift of the first
        emergency (shifts begin at ``shift_starts_h``).
    staff
        ``resource -> StaffMember`` (:func:`fcsim.analysis.staff_directory`): lanes are named
        with the person's group and shift.
    """
    with figure_style(lang) as lang:
        if not segments.empty:
            lo, hi = swimlane_window(segments, window, tz=tz, shift_starts_h=shift_starts_h,
                                     anchor=anchor)
            seg = clip_segments(segments, (lo, hi))
        else:
            seg = segments
        n_lanes = len(swimlane_lanes(seg)) if not seg.empty else 0
        fig, ax = axes_for(ax, (10.0, 0.42 * max(n_lanes, 4) + 2.2))
        ax.set_title(text("swimlane_title", lang))
        if seg.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        if "emergency" not in seg:
            seg = seg.assign(emergency=False)
        lanes = swimlane_lanes(seg)
        pos = {lane: i for i, lane in enumerate(lanes)}
        tickets = list(dict.fromkeys(seg.sort_values("start", kind="stable")["ticket_id"]
                                     .astype(str)))
        urgent = set(seg.loc[seg["emergency"].astype(bool), "ticket_id"].astype(str))
        colour: dict[str, str] = {}
        k = 0
        for t in tickets:
            if t in urgent:
                colour[t] = EMERGENCY_COLOUR
            else:
                colour[t] = _ROUTINE[k % len(_ROUTINE)]
                k += 1

        def num(col: str) -> np.ndarray:
            local = seg[col].dt.tz_convert(tz).dt.tz_localize(None)
            return np.asarray(mdates.date2num(local))

        seg = seg.assign(x0=num("start"), x1=num("end"))
        bars = seg[seg["kind"] != "event"]
        lo_n, hi_n = (mdates.date2num(x.tz_convert(tz).tz_localize(None)) for x in (lo, hi))
        labelled: set[tuple[str, int]] = set()
        placed: dict[tuple[int, bool], list[float]] = {}
        for r in bars.itertuples(index=False):
            tid = str(r.ticket_id)
            y = pos[str(r.lane)]
            if r.kind in ("preempted", "handover"):  # over the bars, the lane's full height
                style: dict[str, Any] = dict(_PREEMPTED if r.kind == "preempted" else _HANDOVER)
                ax.broken_barh([(r.x0, r.x1 - r.x0)], (y - 0.45, 0.9), zorder=3, **style)
                continue
            style = {"facecolor": colour[tid], "alpha": 0.9 if r.kind == "work" else 0.4,
                     "edgecolor": "black" if tid in urgent else "none", "linewidth": 0.6}
            ax.broken_barh([(r.x0, r.x1 - r.x0)], (y - 0.32, 0.64), zorder=2, **style)
            if r.kind in ("work", "travel") and (tid, y) not in labelled:
                labelled.add((tid, y))
                _label(ax, short_ticket_id(tid), r.x0, y, colour[tid], placed,
                       (hi_n - lo_n) * 0.07)
        ev = seg[seg["kind"] == "event"]
        first = ev[ev["attempt"] == 1]
        later = ev[ev["attempt"] >= 2]
        ax.scatter(first["x0"], first["lane"].astype(str).map(pos), marker="|", s=70,
                   c=[colour[str(t)] for t in first["ticket_id"]], linewidths=1.2)
        if not later.empty:
            ax.scatter(later["x0"], later["lane"].astype(str).map(pos), marker="D", s=28,
                       facecolors="none", edgecolors=EMERGENCY_COLOUR, linewidths=1.2)
        role_of = dict(zip(seg["lane"].astype(str), seg["role"].astype(str), strict=False))
        directory = staff or {}
        ax.set_yticks(range(len(lanes)), [lane_label(lane, role_of.get(lane, ""),
                                                     directory.get(lane), lang)
                                          for lane in lanes])
        ax.set_ylim(len(lanes) - 0.5, -0.5)
        ax.set_xlim(lo_n, hi_n)
        _ticks(ax, lo, hi)
        day = lo.tz_convert(tz).strftime("%Y-%m-%d")
        sep = "，" if lang == "zh" else ", "
        zone = f"{tz_name(_as_tz(tz))}{sep}{day}"
        ax.set_xlabel(f"{text('time', lang)}（{zone}）" if lang == "zh"
                      else f"{text('time', lang)} ({zone})")
        handles = [
            Patch(facecolor=EMERGENCY_COLOUR, edgecolor="black", label=text("emergency_bar",
                                                                            lang)),
            Patch(facecolor=_ROUTINE[0], label=text("routine_bar", lang)),
            Patch(facecolor=_ROUTINE[0], alpha=0.4, label=text("travel_bar", lang)),
            Patch(label=text("preempted_gap", lang), **_PREEMPTED),
            Patch(label=text("handover_gap", lang), **_HANDOVER),
            Line2D([], [], marker="D", linestyle="none", markerfacecolor="none",
                   markeredgecolor=EMERGENCY_COLOUR, label=text("second_pass", lang)),
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3,
                  fontsize="small", frameon=False)
    return fig


def _label(ax: Axes, label: str, x: float, y: int, colour: str,
           placed: dict[tuple[int, bool], list[float]], near: float) -> None:
    """A ticket's short id above its first bar, else below it, where no other label of the
    lane is ``near``; left out when both places are taken (the colour still tells)."""
    for below in (False, True):
        taken = placed.setdefault((y, below), [])
        if all(abs(x - other) > near for other in taken):
            taken.append(x)
            ax.annotate(label, (x, y + (0.34 if below else -0.34)), fontsize=7, color=colour,
                        ha="left", va="top" if below else "bottom", annotation_clip=True,
                        zorder=4)
            return


def _as_tz(tz: tzinfo | str) -> tzinfo:
    if isinstance(tz, str):
        from fcsim.model.timezone import parse_tz

        return parse_tz(tz)
    return tz

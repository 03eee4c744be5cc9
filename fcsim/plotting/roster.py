"""The roster's week: a Gantt of people, and required versus scheduled cover per hour."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from fcsim.plotting.fonts import Lang, figure_style

__all__ = ["plot_roster_week", "week_hours"]

_T: dict[str, tuple[str, str]] = {
    "title": ("一週班表", "The roster's week"),
    "cover": ("每小時在崗人數：需求與排班", "People on duty per hour: required and scheduled"),
    "work": ("上班", "work"),
    "on_call": ("值班（在家待命）", "on call (at home)"),
    "required": ("需求", "required"),
    "scheduled": ("排班", "scheduled"),
    "people": ("人數", "people"),
    "days": ("週一,週二,週三,週四,週五,週六,週日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "empty": ("沒有人上班", "nobody works"),
}
_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948"]


def _t(key: str, lang: Lang) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


def week_hours(stamps: pd.Series, monday: datetime) -> np.ndarray:
    """Local wall-clock hours since ``monday`` 00:00 of ISO date-times with offsets."""
    out = []
    for s in stamps:
        t = datetime.fromisoformat(str(s))
        out.append((t.date() - monday.date()).days * 24 + t.hour + t.minute / 60.0)
    return np.asarray(out, dtype=float)


def plot_roster_week(roster: pd.DataFrame, coverage: pd.DataFrame, *,
                     person_group: Mapping[str, str] | None = None,
                     lang: Lang = "en") -> Figure:
    """Top: one row per person with their work shifts (coloured by group, ``person_group``)
    and on-call nights (hatched); bottom: one panel per group, required and scheduled people
    on duty per hour of the week (steps; a shortfall in red) and on call (dotted)."""
    with figure_style(lang) as lang:
        groups = list(dict.fromkeys(coverage["group"].astype(str)))
        people = list(dict.fromkeys(roster["staff"].astype(str)))
        height = 1.2 + 0.22 * max(len(people), 1) + 1.9 * len(groups)
        fig = Figure(figsize=(12.0, height), layout="constrained")
        ratios = [max(len(people), 1) * 0.22 + 0.6] + [1.9] * len(groups)
        axes = fig.subplots(1 + len(groups), 1, sharex=True,
                            gridspec_kw={"height_ratios": ratios})
        axes = np.atleast_1d(axes)
        gantt = axes[0]
        days = _t("days", lang).split(",")
        shown = roster[roster["kind"] != "off"]
        if shown.empty:
            gantt.text(84, 0.5, _t("empty", lang), ha="center", va="center")
        else:
            monday = datetime.fromisoformat(str(roster["date"].min()))
            start = week_hours(shown["start"], monday)
            end = week_hours(shown["end"], monday)
            colour = {p: _COLOURS[groups.index(person_group[p]) % len(_COLOURS)]
                      if person_group and person_group.get(p) in groups else _COLOURS[0]
                      for p in people}
            for (_, r), a, b in zip(shown.iterrows(), start, end, strict=True):
                y = people.index(str(r["staff"]))
                work = r["kind"] == "work"
                for lo, hi in ((a, min(b, 168.0)), (0.0, b - 168.0)) if b > 168 else ((a, b),):
                    if hi <= lo:
                        continue
                    gantt.barh(y, hi - lo, left=lo, height=0.7 if work else 0.5,
                               color=colour[str(r["staff"])] if work else "white",
                               edgecolor=colour[str(r["staff"])], hatch=None if work else "///",
                               linewidth=0.6)
        gantt.set_yticks(range(len(people)), people, fontsize=7)
        gantt.invert_yaxis()
        gantt.set_title(_t("title", lang))
        gantt.legend(handles=[Patch(color=_COLOURS[0], label=_t("work", lang)),
                              Patch(facecolor="white", edgecolor=_COLOURS[0], hatch="///",
                                    label=_t("on_call", lang))],
                     loc="upper right", fontsize=7, ncols=2)
        for k, g in enumerate(groups):
            ax = axes[k + 1]
            c = coverage[coverage["group"].astype(str) == g].sort_values("hour_of_week")
            x = np.append(c["hour_of_week"].to_numpy(float), 168.0)
            for col, style, lab in (("required", dict(color="black", lw=1.4), "required"),
                                    ("scheduled", dict(color=_COLOURS[k % len(_COLOURS)],
                                                       lw=1.2), "scheduled"),
                                    ("on_call", dict(color="grey", lw=1.0, ls=":"),
                                     "on_call")):
                y = c[col].to_numpy(float)
                ax.step(x, np.append(y, y[-1]), where="post", label=_t(lab, lang), **style)
            short = np.maximum(c["required"].to_numpy(float) - c["scheduled"].to_numpy(float),
                               0)
            if short.any():
                ax.bar(c["hour_of_week"].to_numpy(float) + 0.5, short, width=1.0,
                       bottom=c["scheduled"].to_numpy(float), color="#e15759", alpha=0.5)
            ax.set_ylabel(f"{g}\n{_t('people', lang)}", fontsize=8)
            ax.set_ylim(bottom=0)
            ax.legend(loc="upper right", fontsize=7, ncols=3)
            ax.set_title(_t("cover", lang) + f" — {g}", fontsize=9)
        for ax in axes:
            for d in range(1, 7):
                ax.axvline(d * 24, color="#cccccc", lw=0.6, zorder=0)
        axes[-1].set_xlim(0, 168)
        axes[-1].set_xticks([d * 24 + 12 for d in range(7)], days)
    return fig

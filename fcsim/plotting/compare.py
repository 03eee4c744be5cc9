"""Figures of an observed-versus-simulated comparison (:func:`fcsim.compare.compare`).

* :func:`plot_intervals` — observed value (dot) against the simulated 95 % prediction
  interval (bar) and mean (tick), for indicators or clocks, in percent; observed values
  outside are red; a row the observed log cannot measure says so;
* :func:`plot_stage_ecdf` — empirical CDFs of one stage's duration (or the cycle time),
  observed against simulated, in minutes, hours or days (whichever reads best), with the
  Wasserstein and KS distances in the title;
* :func:`plot_arrival_profile` — arrivals per hour of the week, observed against simulated.

Legends sit below the axes, off the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatter

from fcsim.plotting._base import axes_for, empty_note, legend_below
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import clock_label, indicator_label, text

__all__ = ["duration_unit", "plot_arrival_profile", "plot_intervals", "plot_stage_ecdf"]

_WORDS = {
    "observed": ("實際", "observed"), "simulated": ("模擬", "simulated"),
    "pi": ("模擬 95 % 預測區間", "simulated 95 % prediction interval"),
    "outside": ("在區間外", "outside the interval"),
    "indicators": ("指標：實際與模擬", "Indicators: observed vs simulated"),
    "clocks": ("控制點達標率：實際與模擬", "Clock share met: observed vs simulated"),
    "hour_of_week": ("一週中的小時（週一 0 時起）", "hour of the week (Monday 00:00 = 0)"),
    "arrivals": ("每小時到達：實際與模擬", "Arrivals per hour: observed vs simulated"),
    "ecdf": ("累積分佈", "cumulative share"),
    "min": ("分鐘（對數刻度）", "minutes (log scale)"),
    "h": ("小時（對數刻度）", "hours (log scale)"),
    "d": ("天（對數刻度）", "days (log scale)"),
    "share_pct": ("數值 (%)", "value (%)"),
    "cycle_time": ("整體週期", "cycle time"),
}
#: Stages of :data:`fcsim.calibrate.passes.STAGES`, named for a reader (zh, en).
_STAGE = {
    "relay": ("轉接", "relay"), "record": ("錄入", "record"),
    "emergency_record": ("緊急錄入", "emergency record"), "classify": ("分類", "classify"),
    "dispatch": ("傳遞派工", "dispatch"), "misroute_return": ("錯派退回", "misroute return"),
    "travel": ("途中", "travel"), "diagnose": ("診斷", "diagnose"), "plan": ("方案", "plan"),
    "communicate": ("溝通", "communicate"), "work": ("作業", "work"),
    "acceptance": ("驗收", "acceptance"), "slip_return": ("工單交回", "slip return"),
    "callback": ("回訪", "callback"), "close": ("結案", "close"),
}
#: Duration units: (key, minutes per unit).
_UNITS = (("min", 1.0), ("h", 60.0), ("d", 1440.0))


def duration_unit(values_min: np.ndarray) -> tuple[str, float]:
    """The unit that reads best for durations in minutes: ``min`` below 2 hours (median),
    ``h`` below 2 days, else ``d``; returns (key, minutes per unit)."""
    v = np.asarray(values_min, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    med = float(np.median(v)) if v.size else 0.0
    if med < 120:
        return _UNITS[0]
    if med < 2880:
        return _UNITS[1]
    return _UNITS[2]


def _w(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def plot_intervals(table: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None) -> Figure:
    """Observed values against simulated prediction intervals (``indicators`` or ``clocks``),
    in percent; a row with no observed value is labelled "not measurable"."""
    with figure_style(lang) as lang:
        key = "indicator" if "indicator" in table.columns else "control_point"
        fig, ax = axes_for(ax, (7.5, 0.42 * max(len(table), 2) + 1.9))
        ax.set_title(_w("indicators" if key == "indicator" else "clocks", lang))
        if table.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        label = indicator_label if key == "indicator" else clock_label
        y = np.arange(len(table))
        lo = table["pi_low"].to_numpy(float) * 100
        hi = table["pi_high"].to_numpy(float) * 100
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color="#4e79a7", lw=6, alpha=0.5, label=_w("pi", lang))
        ax.plot(table["sim_mean"].to_numpy(float) * 100, y, "|", color="#4e79a7", ms=12,
                label=_w("simulated", lang))
        inside = table["inside"].astype(object).fillna(True).astype(bool).to_numpy()
        obs = table["observed"].to_numpy(float) * 100
        measured = np.isfinite(obs)
        ax.plot(obs[inside & measured], y[inside & measured], "o", color="black",
                label=_w("observed", lang))
        out = ~inside & measured
        if out.any():
            ax.plot(obs[out], y[out], "o", color="#e15759",
                    label=f"{_w('observed', lang)} — {_w('outside', lang)}")
        for yi in y[~measured]:
            ax.text(50, float(yi), text("not_measurable", lang), ha="center", va="center",
                    fontsize=8, color="#555555", style="italic",
                    bbox={"facecolor": "#f3f3f3", "edgecolor": "none", "pad": 1.5})
        ax.set_yticks(y, [label(str(k), lang) for k in table[key]])
        ax.set_xlim(-2, 102)
        ax.set_xlabel(_w("share_pct", lang))
        ax.grid(axis="x", alpha=0.3)
        ax.invert_yaxis()
        legend_below(ax, ncols=2)
    return fig


def plot_stage_ecdf(samples: pd.DataFrame, distances: pd.DataFrame, stage: str, *,
                    lang: Lang = "en", ax: Axes | None = None) -> Figure:
    """ECDFs of ``stage`` (log scale) observed vs simulated, in the unit of
    :func:`duration_unit` (minutes, hours or days)."""
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (6.5, 4.0))
        sel = samples[samples["stage"] == stage]
        d = distances[distances["stage"] == stage]
        unit, per = duration_unit(sel["value_min"].to_numpy(float))
        if stage == "cycle_time":
            name = _w("cycle_time", lang)
        else:
            zh, en = _STAGE.get(stage, (stage, stage))
            name = zh if lang == "zh" else en
        title = name
        if len(d):
            r = d.iloc[0]
            w = float(r["wasserstein_min"]) / per
            title += f" — W = {w:.3g} {'min' if unit == 'min' else unit}, KS = {r['ks']:.3f}"
        ax.set_title(title)
        drawn = False
        for side, colour in (("observed", "black"), ("simulated", "#4e79a7")):
            v = np.sort(sel.loc[sel["side"] == side, "value_min"].to_numpy(float))
            v = v[v > 0] / per
            if len(v):
                ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", color=colour,
                        label=f"{_w(side, lang)} (n = {len(v)})")
                drawn = True
        if not drawn:
            empty_note(ax, text("nothing", lang))
            return fig
        ax.set_xscale("log")
        # plain numbers (0.5, 2, 30, 100), not 2×10¹; intermediate ticks labelled on a short span
        plain = LogFormatter(labelOnlyBase=False, minor_thresholds=(2.0, 0.8))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.xaxis.set_minor_formatter(plain)
        ax.set_xlabel(_w(unit, lang))
        ax.set_ylabel(_w("ecdf", lang))
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        legend_below(ax, ncols=2)
    return fig


def plot_arrival_profile(arrivals: pd.DataFrame, *, lang: Lang = "en",
                         ax: Axes | None = None, zone: str | None = None) -> Figure:
    """Arrivals per hour of the week, observed vs simulated (local hours; ``zone`` names the
    zone in the axis label)."""
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (9.0, 3.2))
        ax.set_title(_w("arrivals", lang))
        if arrivals.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        h = arrivals["hour_of_week"].to_numpy(int)
        ax.plot(h, arrivals["observed_per_h"], color="black", lw=1, label=_w("observed", lang))
        ax.plot(h, arrivals["sim_per_h"], color="#4e79a7", lw=1.5, alpha=0.8,
                label=_w("simulated", lang))
        ax.set_xticks(range(0, 169, 24), [*text("days", lang).split(","), ""])
        ax.set_xlabel(_w("hour_of_week", lang) + (f" — {zone}" if zone else ""))
        ax.set_ylabel(text("arrivals", lang))
        legend_below(ax, ncols=2)
    return fig

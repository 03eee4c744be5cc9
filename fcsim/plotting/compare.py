"""Figures of an observed-versus-simulated comparison (:func:`fcsim.compare.compare`).

* :func:`plot_intervals` — observed value (dot) against the simulated 95 % prediction
  interval (bar) and mean (tick), for indicators or clocks; observed values outside are red;
* :func:`plot_stage_ecdf` — empirical CDFs of one stage's duration (or the cycle time),
  observed against simulated, with the Wasserstein and KS distances in the title;
* :func:`plot_arrival_profile` — arrivals per hour of the week, observed against simulated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import clock_label, indicator_label, text

__all__ = ["plot_arrival_profile", "plot_intervals", "plot_stage_ecdf"]

_WORDS = {
    "observed": ("實際", "observed"), "simulated": ("模擬", "simulated"),
    "pi": ("模擬 95 % 預測區間", "simulated 95 % prediction interval"),
    "indicators": ("指標：實際與模擬", "Indicators: observed vs simulated"),
    "clocks": ("控制點達標率：實際與模擬", "Clock share met: observed vs simulated"),
    "hour_of_week": ("一週中的小時（週一 0 時起）", "hour of the week (Monday 00:00 = 0)"),
    "arrivals": ("每小時到達：實際與模擬", "Arrivals per hour: observed vs simulated"),
    "ecdf": ("累積分佈", "cumulative share"), "minutes": ("分鐘（對數）", "minutes (log)"),
}


def _w(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def plot_intervals(table: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None) -> Figure:
    """Observed values against simulated prediction intervals (``indicators`` or ``clocks``)."""
    with figure_style(lang) as lang:
        key = "indicator" if "indicator" in table.columns else "control_point"
        fig, ax = axes_for(ax, (7.0, 0.45 * max(len(table), 2) + 1.2))
        ax.set_title(_w("indicators" if key == "indicator" else "clocks", lang))
        if table.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        label = indicator_label if key == "indicator" else clock_label
        y = np.arange(len(table))
        lo, hi = table["pi_low"].to_numpy(float), table["pi_high"].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color="#4e79a7", lw=6, alpha=0.5, label=_w("pi", lang))
        ax.plot(table["sim_mean"], y, "|", color="#4e79a7", ms=12,
                label=_w("simulated", lang))
        inside = table["inside"].astype(object).fillna(True).astype(bool).to_numpy()
        obs = table["observed"].to_numpy(float)
        ax.plot(obs[inside], y[inside], "o", color="black", label=_w("observed", lang))
        ax.plot(obs[~inside], y[~inside], "o", color="#e15759")
        ax.set_yticks(y, [label(str(k), lang) for k in table[key]])
        ax.set_xlim(-0.02, 1.02)
        ax.invert_yaxis()
        ax.legend(loc="lower left", fontsize="small")
    return fig


def plot_stage_ecdf(samples: pd.DataFrame, distances: pd.DataFrame, stage: str, *,
                    lang: Lang = "en", ax: Axes | None = None) -> Figure:
    """ECDFs of ``stage`` (minutes, log scale) observed vs simulated."""
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (6.0, 3.6))
        sel = samples[samples["stage"] == stage]
        d = distances[distances["stage"] == stage]
        title = stage
        if len(d):
            r = d.iloc[0]
            title += f" — W = {r['wasserstein_min']:.3g} min, KS = {r['ks']:.3f}"
        ax.set_title(title)
        drawn = False
        for side, colour in (("observed", "black"), ("simulated", "#4e79a7")):
            v = np.sort(sel.loc[sel["side"] == side, "value_min"].to_numpy(float))
            v = v[v > 0]
            if len(v):
                ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", color=colour,
                        label=f"{_w(side, lang)} (n = {len(v)})")
                drawn = True
        if not drawn:
            empty_note(ax, text("nothing", lang))
            return fig
        ax.set_xscale("log")
        ax.set_xlabel(_w("minutes", lang))
        ax.set_ylabel(_w("ecdf", lang))
        ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_arrival_profile(arrivals: pd.DataFrame, *, lang: Lang = "en",
                         ax: Axes | None = None) -> Figure:
    """Arrivals per hour of the week, observed vs simulated."""
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
        ax.set_xlabel(_w("hour_of_week", lang))
        ax.set_ylabel(text("arrivals", lang))
        ax.legend(loc="upper right", fontsize="small")
    return fig

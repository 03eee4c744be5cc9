"""Indicators against their targets (with intervals) and clock compliance by category."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from fcsim.model.control_points import CLOCK_NAMES
from fcsim.model.indicators import INDICATOR_IDS, INDICATORS
from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import category_label, clock_label, indicator_label, text

__all__ = ["compliance_grid", "indicator_rows", "plot_compliance", "plot_indicators"]


def indicator_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    """The rows an indicator figure / table shows, in the seed's indicator order.

    ``log`` rows for an observed log; otherwise per scenario its ``scenario`` rows, or its
    ``replication`` rows when it has a single replication (they carry the Wilson interval
    that a one-replication summary lacks). ``value``, ``ci_low``, ``ci_high`` become floats.
    """
    if indicators.empty:
        return indicators
    levels = indicators["level"].astype(str)
    if (levels == "log").any():
        rows = indicators[levels == "log"].copy()
    else:
        scen = indicators["scenario"].astype(object).fillna("").astype(str)
        n_rep = indicators[levels == "replication"].groupby(scen[levels == "replication"])[
            "replication"].nunique()
        single = scen.map(n_rep).fillna(0).eq(1)
        keep = (levels == "replication") & single
        keep |= (levels == "scenario") & ~single
        if not keep.any():
            keep = levels == levels.iloc[0]
        rows = indicators[keep].copy()
    for c in ("value", "ci_low", "ci_high"):
        rows[c] = pd.to_numeric(rows[c], errors="coerce").astype(float)
    order = {k: i for i, k in enumerate(INDICATOR_IDS)}
    rows["_o"] = rows["indicator"].map(order)
    return rows.sort_values(["_o"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _target(indicator: str) -> float:
    spec = INDICATORS.get(indicator)
    return spec.target.threshold if spec is not None else np.nan


def plot_indicators(indicators: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None
                    ) -> Figure:
    """Each indicator's value (%) with its interval, and its target as a red mark.

    ``indicators`` has the columns of ``indicators.csv``; see :func:`indicator_rows` for which
    rows are shown (several scenarios are drawn side by side).
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (7.5, 4.0))
        rows = indicator_rows(indicators)
        ax.set_title(text("indicators_title", lang))
        if rows.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        ids = [i for i in INDICATOR_IDS if i in set(rows["indicator"])]
        scen = rows["scenario"].astype(object).fillna("").astype(str)
        names = list(dict.fromkeys(scen))
        width = 0.7 / max(len(names), 1)
        for k, name in enumerate(names):
            sub = rows[scen == name].set_index("indicator").reindex(ids)
            y = np.arange(len(ids)) + (k - (len(names) - 1) / 2) * width
            v = sub["value"].to_numpy(float) * 100
            lo = np.clip(v - sub["ci_low"].to_numpy(float) * 100, 0, None)
            hi = np.clip(sub["ci_high"].to_numpy(float) * 100 - v, 0, None)
            err = np.vstack([np.nan_to_num(lo), np.nan_to_num(hi)])
            ax.errorbar(v, y, xerr=err, fmt="o", capsize=3, label=name or None)
        t = np.array([_target(i) for i in ids]) * 100
        ax.scatter(t, np.arange(len(ids)), marker="|", s=400, color="red", zorder=3,
                   label=text("target", lang))
        ax.set_yticks(np.arange(len(ids)), [indicator_label(i, lang) for i in ids])
        ax.invert_yaxis()
        ax.set_xlabel(f"{text('value', lang)} (%)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=4, fontsize="small",
                  frameon=False)
        ax.grid(axis="x", alpha=0.3)
    return fig


def plot_compliance(compliance: pd.DataFrame, *, lang: Lang = "en", ax: Axes | None = None
                    ) -> Figure:
    """Heatmap of the share of met clock instances per category (rows) and clock (columns).

    ``compliance`` is :func:`fcsim.analysis.clock_compliance`'s output; the image's array is
    ``share_met`` pivoted (NaN where nothing was decided).
    """
    with figure_style(lang) as lang:
        fig, ax = axes_for(ax, (8.0, 4.0))
        ax.set_title(text("compliance_title", lang))
        if compliance.empty:
            empty_note(ax, text("nothing", lang))
            return fig
        grid = compliance_grid(compliance)
        im = ax.imshow(grid.to_numpy(float), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
        for (i, j), v in np.ndenumerate(grid.to_numpy(float)):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(grid.shape[1]), [clock_label(c, lang) for c in grid.columns],
                      rotation=35, ha="right")
        ax.set_yticks(range(grid.shape[0]), [category_label(c, lang) for c in grid.index])
        bar = fig.colorbar(im, ax=ax, label=text("share_met", lang))
        bar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    return fig


def compliance_grid(compliance: pd.DataFrame) -> pd.DataFrame:
    """``share_met`` as a category × control point grid (clocks in procedure order)."""
    grid = compliance.pivot(index="category", columns="control_point", values="share_met")
    cols = [c for c in CLOCK_NAMES if c in grid.columns] + [
        c for c in grid.columns if c not in CLOCK_NAMES
    ]
    return grid[cols].astype(float)


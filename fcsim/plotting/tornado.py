"""The tornado figure of a sensitivity table (:func:`fcsim.staffing.sensitivity.tornado_table`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from fcsim.plotting._base import axes_for, empty_note
from fcsim.plotting.fonts import Lang, figure_style
from fcsim.plotting.labels import clock_label, indicator_label

__all__ = ["plot_tornado"]

_TEXT = {
    "title": ("{kpi}：參數敏感度（龍捲風圖）", "{kpi}: sensitivity to uncertain parameters"),
    "axis": ("相對基準場景的變化（配對，共同隨機數）", "change from the base scenario "
             "(paired, common random numbers)"),
    "low": ("參數取低值", "parameter at its low value"),
    "high": ("參數取高值", "parameter at its high value"),
    "nothing": ("沒有資料", "no data"),
}
LOW_COLOUR, HIGH_COLOUR = "#4e79a7", "#f28e2b"


def _t(key: str, lang: Lang) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def _kpi_name(kpi: str, lang: Lang) -> str:
    if kpi.startswith("clock."):
        return clock_label(kpi.split(".", 1)[1], lang)
    return indicator_label(kpi, lang)


def plot_tornado(table: pd.DataFrame, kpi: str, *, top: int = 12, lang: Lang = "en",
                 ax: Axes | None = None) -> Figure:
    """Horizontal bars of the low / high effects on ``kpi``, largest swing on top.

    Each bar runs from 0 (the base scenario) to the paired mean effect, with its t-interval as
    an error bar; parameter labels in Chinese (``lang="zh"``) or English.
    """
    with figure_style(lang) as lang:
        rows = table[table["kpi"] == kpi].sort_values("swing", ascending=False).head(top)
        fig, ax = axes_for(ax, (8.0, 0.45 * max(len(rows), 3) + 1.5))
        ax.set_title(_t("title", lang).format(kpi=_kpi_name(kpi, lang)))
        if rows.empty:
            empty_note(ax, _t("nothing", lang))
            return fig
        y = np.arange(len(rows))
        label_col = "label_zh" if lang == "zh" else "label_en"
        labels = [f"{lab} [{lo:g}, {hi:g}]" for lab, lo, hi in
                  zip(rows[label_col], rows["low"], rows["high"], strict=True)]
        for side, colour in (("low", LOW_COLOUR), ("high", HIGH_COLOUR)):
            eff = rows[f"effect_{side}"].to_numpy(float)
            lo = rows[f"effect_{side}_ci_low"].to_numpy(float)
            hi = rows[f"effect_{side}_ci_high"].to_numpy(float)
            err = np.vstack([np.nan_to_num(eff - lo), np.nan_to_num(hi - eff)])
            ax.barh(y, eff, color=colour, alpha=0.85, height=0.6)
            ax.errorbar(eff, y, xerr=err, fmt="none", ecolor="black", elinewidth=0.8,
                        capsize=2)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel(_t("axis", lang))
        ax.legend(handles=[Patch(color=LOW_COLOUR, label=_t("low", lang)),
                           Patch(color=HIGH_COLOUR, label=_t("high", lang))],
                  loc="lower right", fontsize="small")
    return fig

"""The validation page, through the shared report shell (:mod:`fcsim.report.shell`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcsim.plotting.fonts import Lang, effective_lang
from fcsim.report.shell import Bilingual, FigureBlock, Section, Table, figure_png, write_page

__all__ = ["validation_sections", "write_validation_report"]

_T: dict[str, tuple[str, str]] = {
    "title": ("留出期驗證", "Held-out validation"),
    "summary": ("摘要", "Summary"),
    "measures": ("指標、控制點與到達：實際與模擬 95 % 預測區間",
                 "Indicators, clocks and arrivals: observed vs the simulated 95 % prediction "
                 "interval"),
    "distances": ("分佈距離", "Distribution distances"),
    "figure": ("實際值與模擬預測區間", "Observed values and simulated prediction intervals"),
    "inside_share": ("落在預測區間內的比例", "share inside the prediction interval"),
    "n_measurable": ("可量測的量數", "measurable measures"),
    "cycle_time_ks": ("處理週期 KS 統計量", "cycle-time KS statistic"),
    "mean_relative_pi_width": ("預測區間平均相對寬度", "mean relative PI width"),
    "unfinished": ("期末未完成工單", "tickets unfinished at the horizon"),
    "periods": ("訓練期／測試期", "training / test period"),
}


def _t(key: str, lang: Lang) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


def _marks(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans shown as ✓ / ✗."""
    out = df.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, bool | np.bool_)).any():
            out[c] = out[c].map(lambda v: ("✓" if v else "✗")
                                if isinstance(v, bool | np.bool_) else v)
    return out


def _figures(table: pd.DataFrame, lang: Lang) -> list[FigureBlock]:
    import matplotlib.pyplot as plt

    from fcsim.plotting.compare import plot_intervals

    sel = table[table["kind"].isin(["indicator", "clock"]) & table["measurable"]]
    ind = sel[sel["kind"] == "indicator"].rename(columns={"measure": "indicator"})
    clk = sel[sel["kind"] == "clock"].assign(
        measure=lambda d: d["measure"].str.removeprefix("clock:")).rename(
        columns={"measure": "control_point"})
    out = []
    for fid, t in (("fig-indicators", ind), ("fig-clocks", clk)):
        if len(t):
            fig = plot_intervals(t.reset_index(drop=True), lang=lang)
            out.append(FigureBlock(fid, Bilingual(*_T["figure"]), figure_png(fig)))
            plt.close(fig)
    return out


def validation_sections(table: pd.DataFrame, distances: pd.DataFrame,
                        summary: dict[str, Any], *, lang: Lang = "en") -> list[Section]:
    """The page's sections: summary, measures with their figures, distances."""
    lang = effective_lang(lang)
    keys = ["inside_share", "n_measurable", "cycle_time_ks", "mean_relative_pi_width"]
    values: list[Any] = [summary.get(k) for k in keys]
    if "train" in summary:
        keys.append("periods")
        values.append(" – ".join(summary["train"]) + " / " + " – ".join(summary["test"]))
    u = summary.get("unfinished_at_horizon")
    if isinstance(u, dict):
        keys.append("unfinished")
        values.append(f"{u['n_unfinished']} / {u['n_tickets']} "
                      f"({100 * float(u['share']):.1f} %)")
    rows = pd.DataFrame({"measure": [_t(k, lang) for k in keys], "value": values})
    heads = {"measure": Bilingual("量", "measure"), "value": Bilingual("值", "value")}
    fmt = "{:.4g}"
    return [
        Section("summary", Bilingual(*_T["summary"]),
                tables=[Table(rows, headers=heads, float_format=fmt)]),
        Section("measures", Bilingual(*_T["measures"]), figures=_figures(table, lang),
                tables=[Table(_marks(table.drop(columns=["n_observed"])), float_format=fmt)]),
        Section("distances", Bilingual(*_T["distances"]),
                tables=[Table(_marks(distances), float_format=fmt)]),
    ]


def write_validation_report(path: str | Path, table: pd.DataFrame, distances: pd.DataFrame,
                            summary: dict[str, Any], *, lang: Lang = "en") -> Path:
    """Write the validation page (the shared report shell) to ``path``."""
    lang = effective_lang(lang)
    return write_page(path, Bilingual(*_T["title"]),
                      validation_sections(table, distances, summary, lang=lang), lang=lang)

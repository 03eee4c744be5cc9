"""The comparison report (``fcsim compare``): observed against simulated on one page.

Built with the shared shell (:mod:`fcsim.report.shell`): the indicators and the clocks'
shares met against the simulated 95 % prediction intervals (what the observed log cannot
measure is said so), the stage-duration and cycle-time distances with their distribution
figures, and the hour-of-week arrival profile. Each figure is rendered once and written both
into the page and beside it as PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fcsim.compare import Comparison
from fcsim.plotting import Lang, effective_lang
from fcsim.plotting.compare import plot_arrival_profile, plot_intervals, plot_stage_ecdf
from fcsim.plotting.labels import clock_label, indicator_label
from fcsim.report.shell import Bilingual, FigureBlock, Section, Table, figure_png, write_page

__all__ = ["build_compare_report", "compare_sections"]

_TITLE = Bilingual("實際與模擬比較報告", "Observed versus simulated: comparison report")
_H = {
    "value": Bilingual("實際", "observed"),
    "sim_mean": Bilingual("模擬平均", "simulated mean"),
    "pi": Bilingual("模擬 95 % 預測區間", "simulated 95 % prediction interval"),
    "n_replications": Bilingual("重複次數", "replications"),
    "inside": Bilingual("在區間內", "inside"),
    "indicator": Bilingual("指標", "indicator"),
    "control_point": Bilingual("控制點", "control point"),
    "stage": Bilingual("環節", "stage"),
}


def _pct(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v) * 100:.1f} %"  # type: ignore[arg-type]


def _interval_table(table: pd.DataFrame, key: str, lang: Lang) -> Table:
    label = indicator_label if key == "indicator" else clock_label
    not_measurable = "無法量測" if lang == "zh" else "not measurable"
    yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
    rows = []
    for r in table.itertuples(index=False):
        obs = r.observed
        measured = obs is not None and not pd.isna(obs)
        lo, hi = r.pi_low, r.pi_high
        pi = "" if pd.isna(lo) or pd.isna(hi) else f"[{_pct(lo)}, {_pct(hi)}]"
        inside = r.inside
        rows.append({
            key: label(str(getattr(r, key)), lang),
            "value": _pct(obs) if measured else not_measurable,
            "sim_mean": _pct(r.sim_mean),
            "pi": pi,
            "n_replications": r.n_replications,
            "inside": "" if not measured or pd.isna(inside) else (yes if bool(inside) else no),
        })
    return Table(pd.DataFrame(rows, columns=[key, "value", "sim_mean", "pi", "n_replications",
                                             "inside"]),
                 headers=_H, id=f"{key}-table")


def compare_sections(c: Comparison, *, lang: Lang, zone: str | None = None,
                     n_observed: int | None = None, n_simulated: int | None = None
                     ) -> tuple[list[Section], list[FigureBlock]]:
    """The comparison report's sections (figures rendered in ``lang``) and its figures."""
    ind_fig = FigureBlock("fig-indicators", Bilingual("指標：實際與模擬", "Indicators: observed "
                                                      "vs simulated"),
                          figure_png(plot_intervals(c.indicators, lang=lang)))
    clk_fig = FigureBlock("fig-clocks", Bilingual("控制點達標率：實際與模擬",
                                                  "Clock share met: observed vs simulated"),
                          figure_png(plot_intervals(c.clocks, lang=lang)))
    stage_figs = [FigureBlock(f"fig-stage-{stage}",
                              Bilingual(f"{stage}：實際與模擬的分佈",
                                        f"{stage}: observed and simulated distributions"),
                              figure_png(plot_stage_ecdf(c.samples, c.distances, stage,
                                                         lang=lang)))
                  for stage in c.distances["stage"]]
    arr_fig = FigureBlock("fig-arrivals", Bilingual("每小時到達：實際與模擬",
                                                    "Arrivals per hour: observed vs simulated"),
                          figure_png(plot_arrival_profile(c.arrivals, lang=lang, zone=zone)))
    outside = c.indicators[c.indicators["observed"].notna()
                           & ~c.indicators["inside"].astype(object).fillna(True).astype(bool)]
    unmeasured = int(c.indicators["observed"].isna().sum())
    summary = Bilingual(
        f"同一套 KPI 程式評估兩份日誌（實際 {n_observed or '?'} 張工單，模擬 "
        f"{n_simulated or '?'} 張）。實際數值落在模擬 95 % 預測區間外的指標有 {len(outside)} "
        f"項；實際日誌無法量測的指標有 {unmeasured} 項。",
        f"The same KPI code judged both logs ({n_observed or '?'} observed tickets, "
        f"{n_simulated or '?'} simulated). {len(outside)} indicator(s) lie outside the "
        f"simulated 95 % prediction interval; {unmeasured} cannot be measured on the observed "
        "log.")
    dist = c.distances.copy()
    keep = [k for k in ("stage", "n_observed", "n_simulated", "observed_median", "sim_median",
                        "wasserstein_min", "ks", "ks_p") if k in dist.columns]
    dist = dist[keep]
    for col in dist.columns:
        if dist[col].dtype.kind == "f":
            dist[col] = dist[col].map(lambda v: "" if not np.isfinite(v) else f"{v:.3g}")
    sections = [
        Section("summary", Bilingual("摘要", "Summary"), text=[summary]),
        Section("indicators", Bilingual("指標", "Indicators"),
                text=[Bilingual("每項指標的實際值對照模擬的 95 % 預測區間"
                                "（一次新的模擬重複會落在其中）。",
                                "Each indicator's observed value against the 95 % prediction "
                                "interval of one new simulated replication.")],
                tables=[_interval_table(c.indicators, "indicator", lang)], figures=[ind_fig]),
        Section("clocks", Bilingual("控制點", "Control points"),
                tables=[_interval_table(c.clocks, "control_point", lang)], figures=[clk_fig]),
        Section("distributions", Bilingual("環節時間分佈", "Stage durations"),
                text=[Bilingual("Wasserstein 距離以分鐘計；"
                                "KS 為兩樣本 Kolmogorov–Smirnov 統計量。",
                                "Wasserstein distances in minutes; KS is the two-sample "
                                "Kolmogorov–Smirnov statistic.")],
                tables=[Table(dist, id="distance-table")], figures=stage_figs),
        Section("arrivals", Bilingual("到達", "Arrivals"), figures=[arr_fig]),
    ]
    return sections, [ind_fig, clk_fig, *stage_figs, arr_fig]


def build_compare_report(c: Comparison, out_dir: str | Path, *, lang: Lang = "en",
                         zone: str | None = None, n_observed: int | None = None,
                         n_simulated: int | None = None) -> Path:
    """Write ``report.html`` and the figures (``indicators.png``, ``clocks.png``,
    ``arrivals.png``, ``stage_<stage>.png``) into ``out_dir``; returns the page's path."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    lang = effective_lang(lang)
    sections, figs = compare_sections(c, lang=lang, zone=zone, n_observed=n_observed,
                                      n_simulated=n_simulated)
    for f in figs:
        name = f.id.removeprefix("fig-").replace("stage-", "stage_", 1)
        (d / f"{name}.png").write_bytes(f.png)
    return write_page(d / "report.html", _TITLE, sections, lang=lang)

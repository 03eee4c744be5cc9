"""The validation page: sections rendered with the run report's page style
(:mod:`fcsim.report.html`); the lead moves them into the shared report shell."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from fcsim.plotting.fonts import Lang, effective_lang

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
    "not_measurable": ("不可量測", "not measurable"),
    "yes": ("是", "yes"), "no": ("否", "no"),
}


def _t(key: str, lang: Lang) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(table: pd.DataFrame, lang: Lang) -> str:
    from fcsim.plotting.compare import plot_intervals
    from fcsim.report.html import figure_png as _png

    sel = table[table["kind"].isin(["indicator", "clock"]) & table["measurable"]]
    if sel.empty:
        return ""
    ind = sel[sel["kind"] == "indicator"].rename(columns={"measure": "indicator"})
    clk = sel[sel["kind"] == "clock"].assign(
        measure=lambda d: d["measure"].str.removeprefix("clock:")).rename(
        columns={"measure": "control_point"})
    out = []
    for t in (ind, clk):
        if len(t):
            import matplotlib.pyplot as plt

            fig = plot_intervals(t.reset_index(drop=True), lang=lang)
            out.append(f'<img alt="{_t("figure", lang)}" src="data:image/png;base64,'
                       f'{_png(fig)}">')
            plt.close(fig)
    return "".join(out)


def validation_sections(table: pd.DataFrame, distances: pd.DataFrame,
                        summary: dict[str, Any], *, lang: Lang = "en"
                        ) -> list[tuple[str, str, str]]:
    """The page's sections as ``(id, heading, body HTML)``: summary, measures with their
    figure, distances."""
    lang = effective_lang(lang)
    keys = ("inside_share", "n_measurable", "cycle_time_ks", "mean_relative_pi_width")
    rows = "".join(f"<tr><th>{_t(k, lang)}</th><td>{_fmt(summary.get(k))}</td></tr>"
                   for k in keys)
    if "train" in summary:
        train, test = (html.escape(" – ".join(summary[k])) for k in ("train", "test"))
        rows += f"<tr><th>{_t('periods', lang)}</th><td>{train} / {test}</td></tr>"
    u = summary.get("unfinished_at_horizon")
    if isinstance(u, dict):
        rows += (f"<tr><th>{_t('unfinished', lang)}</th><td>{u['n_unfinished']} / "
                 f"{u['n_tickets']} ({100 * float(u['share']):.1f} %)</td></tr>")
    shown = table.drop(columns=["n_observed"])
    return [
        ("summary", _t("summary", lang), f"<table>{rows}</table>"),
        ("measures", _t("measures", lang), _figure(table, lang) + _table(shown)),
        ("distances", _t("distances", lang), _table(distances)),
    ]


def write_validation_report(path: str | Path, table: pd.DataFrame, distances: pd.DataFrame,
                            summary: dict[str, Any], *, lang: Lang = "en") -> Path:
    """Write the validation page (the shared report shell) to ``path``."""
    from fcsim.report.html import render_page

    lang = effective_lang(lang)
    p = Path(path)
    p.write_text(render_page(_t("title", lang), validation_sections(
        table, distances, summary, lang=lang), lang=lang), encoding="utf-8")
    return p

"""The run report: one self-contained HTML page (figures embedded as base64 PNG data URIs).

:func:`build_report` reads a run directory (the log via :func:`fcsim.eventlog.read_log`,
``indicators.csv``, ``periods.csv``, ``control_points.csv``, ``ownership.csv``,
``manifest.json``) and writes ``report.html`` beside them: the scenario, the indicator table
against targets, the weekly statistics table (信息三率統計表), fcsim's first-contact ownership
measure and the figures, in Chinese or English. Dates and hours are local to the site's zone
(the manifest's ``time_zone``, else its start's offset, else UTC). The page loads no
external resource and needs no JavaScript; a Content-Security-Policy forbids anything but
inline styles and ``data:`` images.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from fcsim import analysis
from fcsim.eventlog import EventLog, read_log
from fcsim.kpi.zones import manifest_time_zone
from fcsim.model.indicators import INDICATOR_IDS
from fcsim.model.timezone import tz_name
from fcsim.plotting import (
    Lang,
    effective_lang,
    indicator_rows,
    plot_compliance,
    plot_hour_of_week,
    plot_indicators,
    plot_lateness,
    plot_ripple,
    plot_stage_times,
    plot_swimlane,
)
from fcsim.plotting.labels import indicator_label, role_label, text

__all__ = ["build_report", "figure_png", "read_table", "render_page", "swimlane_tickets"]

_log = logging.getLogger(__name__)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_T: dict[str, tuple[str, str]] = {
    "title": ("首接負責制運行報告", "First-contact responsibility: run report"),
    "scenario": ("場景", "Scenario"),
    "indicators": ("關鍵控制指標與目標", "Indicators against targets"),
    "periods": ("信息三率統計表（每週）", "Weekly statistics table (信息三率統計表)"),
    "figures": ("圖表", "Figures"),
    "indicator": ("指標", "indicator"),
    "value": ("數值", "value"),
    "interval": ("95 % 區間", "95 % interval"),
    "target": ("目標", "target"),
    "met": ("達標", "met"),
    "counts": ("分子/分母", "numerator/denominator"),
    "censored": ("未定", "censored"),
    "period": ("期間", "period"),
    "partial": ("（不完整）", " (partial)"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "absent": ("此運行沒有這個表", "this run has no such table"),
    "key": ("項目", "item"),
    "entry": ("內容", "value"),
    "observed": ("觀測日誌", "observed log"),
    "full_config": ("完整場景設定與各控制點界限見 manifest.json",
                    "the scenario as run and every control point's bounds are in manifest.json"),
    "clocks_absent": ("缺少 control_points.csv，無法繪製控制點圖表",
                      "no control_points.csv: clock figures left out"),
    "first_rep": ("每個場景只列出第一個重複", "first replication of each scenario only"),
    "tickets": ("工單數", "tickets"),
    "events": ("事件數", "events"),
    "ownership": ("首接負責延續率（fcsim 自訂衡量，非種子文件目標）",
                  "首接負責延續率 first-contact ownership continuity — fcsim's measure, "
                  "not a seed target"),
    "ownership_note": (
        "首接人＝首輪錄入的前臺人員；回訪與關閉均由首接人或經記錄交班的接班人完成的工單比例"
        "（分母：已關閉且需回訪者已回訪的工單）。"
        "此為 fcsim 自訂衡量，不屬六項控制指標，亦無目標值。",
        "The owner is the desk clerk who recorded the ticket first; the share of closed tickets "
        "(with a callback made, where one is due) whose callbacks and closing were done by "
        "the owner or a logged successor. fcsim's own measure: not one of the six indicators, "
        "no target."),
    "zone": ("時區", "time zone"),
}


def _t(key: str, lang: Lang) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


def read_table(path: Path) -> pd.DataFrame | None:
    """A KPI CSV of a run (``None`` when the file is absent)."""
    if not path.exists():
        return None
    try:
        return pd.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read as CSV ({exc})") from None


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figure_png(fig: Figure) -> str:
    """A figure as a base64 PNG (for a ``data:`` image)."""
    return _png(fig)


def render_page(title: str, sections: list[tuple[str, str, str]], *, lang: str = "zh") -> str:
    """A self-contained page (same style and Content-Security-Policy as the run report) of
    ``(id, heading, body HTML)`` sections; the bodies are trusted HTML fragments."""
    body = "".join(f'<section id="{html.escape(sid)}"><h2>{html.escape(head)}</h2>{frag}'
                   "</section>" for sid, head, frag in sections)
    return ("<!DOCTYPE html>\n"
            f'<html lang="{"zh-Hant" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>\n")


def _pct(v: Any) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v) * 100:.1f} %"


def _esc(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else html.escape(str(v))


#: Manifest entries too long for the page (the scenario as run, bounds per scenario, seeds).
_LONG_MANIFEST_KEYS = frozenset({"scenario_config", "scenario_configs", "control_points",
                                 "control_point_overrides", "replication_seeds", "tasks"})


def _scenario_section(log: EventLog, manifest: dict[str, Any] | None, lang: Lang) -> str:
    rows: list[tuple[str, str]] = []
    if manifest:
        for k, v in manifest.items():
            if k in _LONG_MANIFEST_KEYS:  # the full configuration stays in manifest.json
                continue
            if isinstance(v, dict | list):
                v = json.dumps(v, ensure_ascii=False, sort_keys=True)
                if len(v) > 300:
                    v = v[:300] + " …"
            rows.append((str(k), str(v)))
        rows.append(("manifest.json", _t("full_config", lang)))
    else:
        rows.append((_t("scenario", lang), _t("observed", lang)))
    rows.append((_t("tickets", lang), str(len(log.tickets))))
    rows.append((_t("events", lang), str(len(log.events))))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return (f'<section id="scenario"><h2>{_t("scenario", lang)}</h2>'
            f'<table class="scenario">{body}</table></section>')


def _indicator_section(indicators: pd.DataFrame, lang: Lang) -> str:
    rows = indicator_rows(indicators)
    multi = rows["scenario"].notna().any() and rows["scenario"].nunique() > 1
    head = ([_t("scenario", lang)] if multi else []) + [
        _t(k, lang) for k in ("indicator", "value", "interval", "target", "met", "counts",
                              "censored")
    ]
    out = []
    r: Any
    for r in rows.itertuples(index=False):
        met = "" if pd.isna(r.met) else (
            _t("yes", lang) if str(r.met).lower() == "true" else _t("no", lang))
        cls = "" if not met else (" met" if met == _t("yes", lang) else " not-met")
        ci = "" if pd.isna(r.ci_low) else f"[{_pct(r.ci_low)}, {_pct(r.ci_high)}]"
        counts = "" if pd.isna(r.denominator) else f"{int(r.numerator)}/{int(r.denominator)}"
        cens = "" if pd.isna(r.n_censored) else str(int(r.n_censored))
        cells = ([_esc(r.scenario)] if multi else []) + [
            html.escape(indicator_label(str(r.indicator), lang)), _pct(r.value), ci,
            _esc(r.target), met, counts, cens,
        ]
        tds = "".join(f"<td>{c}</td>" for c in cells)
        out.append(f'<tr class="indicator-row{cls}" data-indicator="{_esc(r.indicator)}">'
                   f"{tds}</tr>")
    ths = "".join(f"<th>{h}</th>" for h in head)
    return (f'<section id="indicators"><h2>{_t("indicators", lang)}</h2>'
            f'<table id="indicator-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(out)}</tbody></table></section>')


def _period_section(periods: pd.DataFrame | None, lang: Lang) -> str:
    h = f'<section id="periods"><h2>{_t("periods", lang)}</h2>'
    if periods is None or periods.empty:
        return h + f"<p>{_t('absent', lang)}</p></section>"
    p = periods.copy()
    note = ""
    if p["replication"].notna().any():
        first = p.groupby(p["scenario"].astype(object).fillna("").astype(str))[
            "replication"
        ].transform("min")
        p = p[p["replication"] == first]
        note = f"<p>{_t('first_rep', lang)}</p>"
    ids = [i for i in INDICATOR_IDS if i in set(p["indicator"])]
    multi = p["scenario"].notna().any()
    head = ([_t("scenario", lang)] if multi else []) + [_t("period", lang)] + [
        html.escape(indicator_label(i, lang)) for i in ids
    ]
    body = []
    keys = ["scenario", "period_start", "period_end", "partial"]
    scen: Any
    partial: Any
    for (scen, start, end, partial), g in p.groupby(
        [p[k].astype(object).fillna("").astype(str) for k in keys], sort=True
    ):
        by = g.set_index("indicator")
        cells = [html.escape(scen)] if multi else []
        label = f"{str(start)[:10]} – {str(end)[:10]}"
        if partial.lower() == "true":
            label += _t("partial", lang)
        cells.append(label)
        for i in ids:
            if i not in by.index:
                cells.append("")
                continue
            row: Any = by.loc[i]
            num, den = row["numerator"], row["denominator"]
            n = "" if pd.isna(den) else f" ({int(num)}/{int(den)})"
            cells.append(_pct(row["value"]) + n)
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    ths = "".join(f"<th>{x}</th>" for x in head)
    return (h + note + f'<table id="period-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></section>')


def _ownership_section(own: pd.DataFrame | None, lang: Lang) -> str:
    h = f'<section id="ownership"><h2>{_t("ownership", lang)}</h2>'
    if own is None or own.empty:
        return h + f"<p>{_t('absent', lang)}</p></section>"
    reps = own[own["level"] == "replication"]
    single = len(reps) > 0 and reps.groupby(
        reps["scenario"].astype(object).fillna(""))["replication"].nunique().max() == 1
    level = "log" if (own["level"] == "log").any() else (
        "replication" if single else "scenario")
    rows = own[own["level"] == level]
    head = [_t(k, lang) for k in ("scenario", "value", "interval", "counts")]
    body = []
    r: Any
    for r in rows.itertuples(index=False):
        ci = "" if pd.isna(r.ci_low) else f"[{_pct(r.ci_low)}, {_pct(r.ci_high)}]"
        counts = "" if pd.isna(r.denominator) else f"{int(r.numerator)}/{int(r.denominator)}"
        scen = _esc(r.scenario) if not pd.isna(r.scenario) else _t("observed", lang)
        cells = [scen, _pct(r.value), ci, counts]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    ths = "".join(f"<th>{x}</th>" for x in head)
    return (h + f'<p>{html.escape(_t("ownership_note", lang))}</p>'
            f'<table id="ownership-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></section>')


def swimlane_tickets(log: EventLog, *, limit: int = 10) -> list[str]:
    """Tickets for the report's swimlane: of the first scenario and replication, those with a
    preemption or a second pass (up to 3) and the emergencies that preempted them, filled up to
    ``limit`` with the tickets that began nearest in time to the first of them (or to the
    log's start)."""
    ev = log.events
    if ev.empty:
        return []
    first_scen = ev["scenario"].astype(object).fillna("").astype(str)
    first_rep = ev["replication"].astype("Int64").fillna(-1)
    sel = ev[(first_scen == first_scen.iloc[0]) & (first_rep == first_rep.iloc[0])]
    act = sel["activity"].astype(str)
    special = list(dict.fromkeys(
        sel.loc[act.isin(["preempted", "rejected"]), "ticket_id"].astype(str)))[:3]
    rip = analysis.emergency_ripple(log)
    emerg = rip.loc[rip["ticket_id"].astype(str).isin(special), "emergency_id"].dropna()
    chosen = list(dict.fromkeys([*special, *map(str, emerg)]))
    first = sel.groupby(sel["ticket_id"].astype(str), sort=False)["timestamp"].min()
    anchor = first[chosen[0]] if chosen else first.min()
    order = (first - anchor).abs().sort_values(kind="stable").index
    for t in order:
        if len(chosen) >= limit:
            break
        if t not in chosen:
            chosen.append(t)
    return chosen


def _local_tz(log: EventLog) -> tzinfo:
    """The site's zone: the manifest's ``time_zone`` (of the log's first scenario, or the
    observed log's), else the offset of the manifest's ``start`` (or of its window's start),
    else UTC."""
    manifest = log.manifest
    names = sorted({str(x) for x in log.tickets["scenario"].dropna().unique()})
    for sc in [*names, None]:
        zone = manifest_time_zone(manifest, sc)
        if zone is not None:
            return zone
    if manifest:
        for cand in (manifest.get("start"), (manifest.get("window") or [None])[0]):
            if isinstance(cand, str):
                try:
                    ts = pd.Timestamp(cand)
                except ValueError:
                    continue
                if ts.tzinfo is not None:
                    return ts.tzinfo
    return UTC


def _figures(log: EventLog, clocks: pd.DataFrame | None, indicators: pd.DataFrame,
             lang: Lang) -> list[tuple[str, str, str]]:
    """(id, caption, base64 PNG) of every figure."""
    made: list[tuple[str, str, Callable[[], Figure]]] = []
    made.append(("fig-indicators", text("indicators_title", lang),
                 lambda: plot_indicators(indicators, lang=lang)))
    if clocks is not None:
        made.append(("fig-compliance", text("compliance_title", lang),
                     lambda: plot_compliance(analysis.clock_compliance(clocks, log.tickets),
                                             lang=lang)))
    tz = _local_tz(log)
    profile = analysis.hour_of_week_profile(log, tz=tz)
    zone = tz_name(tz)
    panels = [("arrivals", "all")]
    roles = [r for r in ("desk", "technician") if (profile["role"] == r).any()]
    panels += [(m, r) for m in ("utilisation", "queue") for r in roles]
    def heatmap(metric: str, role: str) -> Callable[[], Figure]:
        return lambda: plot_hour_of_week(profile, metric=metric, role=role, lang=lang)

    for metric, role in panels:
        made.append((f"fig-how-{metric}-{role}",
                     f"{text(metric, lang)} — {role_label(role, lang)} ({zone})",
                     heatmap(metric, role)))
    made.append(("fig-stages", text("stages_title", lang),
                 lambda: plot_stage_times(analysis.stage_summary(analysis.stage_times(log)),
                                          lang=lang)))
    made.append(("fig-swimlane", text("swimlane_title", lang),
                 lambda: plot_swimlane(analysis.swimlane_segments(log, swimlane_tickets(log)),
                                       lang=lang, tz=tz)))
    if clocks is not None:
        made.append(("fig-lateness", text("lateness_title", lang),
                     lambda: plot_lateness(analysis.lateness_by_ticket(
                         analysis.attribute_lateness(log, clocks)), lang=lang)))
    made.append(("fig-ripple", text("ripple_title", lang),
                 lambda: plot_ripple(analysis.ripple_summary(analysis.emergency_ripple(log)),
                                     lang=lang)))
    return [(fid, cap, _png(make())) for fid, cap, make in made]


_STYLE = """
body{font-family:"Noto Sans CJK TC","Noto Sans CJK SC","Microsoft JhengHei","PingFang TC",
sans-serif;margin:2em auto;max-width:1100px;color:#222;background:#fff}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;font-size:0.9em}
thead th{background:#f0f0f0}
tr.met td:nth-last-child(3){color:#1a7f37}
tr.not-met td:nth-last-child(3){color:#cf222e;font-weight:bold}
figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:0.9em;color:#555}
"""


def build_report(run_dir: str | Path, *, lang: Lang = "zh", out: str | Path | None = None,
                 figures_dir: str | Path | None = None) -> Path:
    """Write ``report.html`` for a run directory and return its path.

    Parameters
    ----------
    run_dir
        A directory with the event log (``events.csv[.gz]``, ``tickets.csv[.gz]``) and
        ``indicators.csv``; ``periods.csv``, ``control_points.csv``, ``ownership.csv`` and
        ``manifest.json`` are used when present (the sections that need them say so when absent).
    lang
        ``"zh"`` or ``"en"`` (Chinese falls back to English without a CJK font).
    out
        Where to write (default ``run_dir / "report.html"``).
    figures_dir
        When given, every figure is also written there as ``<figure id>.png``.

    Raises
    ------
    FileNotFoundError
        When ``indicators.csv`` is absent.
    """
    d = Path(run_dir)
    lang = effective_lang(lang)
    log = read_log(d)
    indicators = read_table(d / "indicators.csv")
    if indicators is None:
        raise FileNotFoundError(f"{d / 'indicators.csv'}: the run has no indicator table")
    periods = read_table(d / "periods.csv")
    clocks = read_table(d / "control_points.csv")
    own = read_table(d / "ownership.csv")
    manifest = log.manifest
    figs = _figures(log, clocks, indicators, lang)
    if figures_dir is not None:
        fdir = Path(figures_dir)
        fdir.mkdir(parents=True, exist_ok=True)
        for fid, _cap, b64 in figs:
            (fdir / f"{fid.removeprefix('fig-')}.png").write_bytes(base64.b64decode(b64))
    fig_html = "".join(
        f'<figure id="{fid}"><img src="data:image/png;base64,{b64}" alt="{html.escape(cap)}">'
        f"<figcaption>{html.escape(cap)}</figcaption></figure>"
        for fid, cap, b64 in figs
    )
    clocks_note = "" if clocks is not None else f"<p>{_t('clocks_absent', lang)}</p>"
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-Hant" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{_t('title', lang)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_t('title', lang)}</h1>"
        + _scenario_section(log, manifest, lang)
        + _indicator_section(indicators, lang)
        + _period_section(periods, lang)
        + _ownership_section(own, lang)
        + f'<section id="figures"><h2>{_t("figures", lang)}</h2>{clocks_note}{fig_html}'
        "</section></body></html>\n"
    )
    target = Path(out) if out is not None else d / "report.html"
    target.write_text(page, encoding="utf-8")
    _log.info("report written to %s (%d figures)", target, len(figs))
    return target

"""The run report: one self-contained page built with the shared shell (:mod:`.shell`).

:func:`build_report` reads a run directory (the log via :func:`fcsim.eventlog.read_log`,
``indicators.csv``, ``periods.csv``, ``control_points.csv``, ``ownership.csv``,
``manifest.json``) — or takes them from memory (``data=``, as ``fcsim run`` does, so nothing
is read back) — and writes ``report.html`` beside them: the scenario, the indicator table
against targets, the weekly statistics table (信息三率統計表), fcsim's first-contact ownership
measure and the figures, in Chinese or English. Dates and hours are local to the site's zone
(the manifest's ``time_zone``, else its start's offset, else UTC). The page loads no external
resource and needs no JavaScript (:data:`~fcsim.report.shell.CSP`).
"""

from __future__ import annotations

import base64
import html
import json
import logging
from datetime import tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from fcsim import analysis
from fcsim.compare.unfinished import Unfinished
from fcsim.eventlog import EventLog, read_log
from fcsim.model.indicators import INDICATOR_IDS
from fcsim.plotting import Lang, effective_lang, indicator_rows
from fcsim.plotting.labels import indicator_label
from fcsim.report.run_figures import RunData, local_tz, run_figures
from fcsim.report.shell import CSP, Bilingual, FigureBlock, Section, write_page
from fcsim.report.shell import figure_png as shell_figure_png
from fcsim.report.shell import render_page as shell_render_page

__all__ = ["CSP", "RunData", "build_report", "figure_png", "read_run", "read_table", "render_page",
           "run_sections", "swimlane_tickets"]

_log = logging.getLogger(__name__)

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
    "ind_text": ("每項指標的數值與 95 % 區間，對照種子文件的目標；"
                 "「= 100 %」的目標只有零失誤才算達標。",
                 "Each indicator with its 95 % interval, against the seed's target; an "
                 "'= 100 %' target is met only by a perfect record."),
    "per_text": ("每週（當地時間週一 0 時起）的信息三率統計表，括號內為分子/分母。",
                 "The weekly statistics table, weeks from Monday 00:00 local time; "
                 "numerator/denominator in brackets."),
    "fig_text": ("熱圖以當地時間顯示；排隊單數包含延至早班處理的請求。泳道圖只顯示一個班次，"
                 "緊急工單為紅色；遲延圖與泳道圖以相同的工單編號標示。",
                 "Heatmaps are in local time; the queue counts requests deferred to the "
                 "morning shift. The swimlane shows one shift, emergencies in red; the "
                 "lateness chart and the swimlane name tickets by the same short ids."),
}


def _b(key: str) -> Bilingual:
    zh, en = _T[key]
    return Bilingual(zh, en)


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


def figure_png(fig: Figure) -> str:
    """A figure as a base64 PNG (for a ``data:`` image in an HTML fragment)."""
    return base64.b64encode(shell_figure_png(fig)).decode("ascii")


def render_page(title: str, sections: list[tuple[str, str, str]], *, lang: str = "zh") -> str:
    """A page of the report shell from ``(id, heading, body HTML)`` sections already written
    in ``lang`` (the bodies are trusted HTML fragments)."""
    return shell_render_page(
        Bilingual(title, title),
        [Section(sid, Bilingual(head, head), html=Bilingual(frag, frag))
         for sid, head, frag in sections], lang=effective_lang(lang))  # type: ignore[arg-type]


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
            if k == "unfinished_at_horizon" and isinstance(v, dict):  # as the CLI says it
                u = Unfinished(v["horizon"], v["n_tickets"], v["n_unfinished"],
                               v["n_never_closed"])
                v = u.line(local_tz(log)).removeprefix("unfinished at the horizon ")
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
    return f'<table class="scenario">{body}</table>'


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
    return (f'<table id="indicator-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(out)}</tbody></table>')


def _period_section(periods: pd.DataFrame | None, lang: Lang) -> str:
    if periods is None or periods.empty:
        return f"<p>{_t('absent', lang)}</p>"
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
    return (note + f'<table id="period-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _ownership_section(own: pd.DataFrame | None, lang: Lang) -> str:
    if own is None or own.empty:
        return f"<p>{_t('absent', lang)}</p>"
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
    return (f'<p>{html.escape(_t("ownership_note", lang))}</p>'
            f'<table id="ownership-table"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def swimlane_tickets(log: EventLog, *, limit: int = 10) -> list[str]:
    """Tickets for a run's swimlane, without clock rows: of the first scenario and
    replication, the shift of the first second pass (else the first full shift) and the
    tickets active in it, up to ``limit`` (see :func:`fcsim.analysis.swimlane_choice`)."""
    ids, _ = analysis.swimlane_choice(log, tz=local_tz(log), limit=limit,
                                      shift_starts_h=analysis.desk_shift_starts(log.manifest))
    return ids


def _local_tz(log: EventLog) -> tzinfo:
    """The site's zone (:func:`fcsim.report.run_figures.local_tz`)."""
    return local_tz(log)


def read_run(run_dir: str | Path) -> RunData:
    """A run directory's log and KPI tables.

    Raises
    ------
    FileNotFoundError
        When ``indicators.csv`` is absent.
    """
    d = Path(run_dir)
    log = read_log(d)
    indicators = read_table(d / "indicators.csv")
    if indicators is None:
        raise FileNotFoundError(f"{d / 'indicators.csv'}: the run has no indicator table")
    return RunData(log, indicators, read_table(d / "periods.csv"),
                   read_table(d / "control_points.csv"), read_table(d / "ownership.csv"))


def run_sections(data: RunData, lang: Lang) -> list[Section]:
    """The run report's sections, with its figures rendered in ``lang``."""
    log = data.log
    figs: list[FigureBlock] = run_figures(data, lang)

    def both(fn: Any, *args: Any) -> Bilingual:
        return Bilingual(fn(*args, "zh"), fn(*args, "en"))

    clocks_note = [] if data.clocks is not None else [_b("clocks_absent")]
    return [
        Section("scenario", _b("scenario"), html=both(_scenario_section, log, log.manifest)),
        Section("indicators", _b("indicators"), text=[_b("ind_text")],
                html=both(_indicator_section, data.indicators)),
        Section("periods", _b("periods"), text=[_b("per_text")],
                html=both(_period_section, data.periods)),
        Section("ownership", _b("ownership"), html=both(_ownership_section, data.ownership)),
        Section("figures", _b("figures"), text=[_b("fig_text"), *clocks_note], figures=figs),
    ]


def build_report(run_dir: str | Path, *, lang: Lang = "zh", out: str | Path | None = None,
                 figures_dir: str | Path | None = None, data: RunData | None = None) -> Path:
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
        When given, every figure is also written there as ``<figure id>.png`` (the same bytes
        the page embeds: each figure is rendered once).
    data
        The run's log and tables already in memory (``fcsim run``): nothing is read from
        ``run_dir``. The page is the same as from the files.

    Raises
    ------
    FileNotFoundError
        When ``indicators.csv`` is absent.
    """
    d = Path(run_dir)
    lang = effective_lang(lang)
    run = data if data is not None else read_run(d)
    sections = run_sections(run, lang)
    if figures_dir is not None:
        fdir = Path(figures_dir)
        fdir.mkdir(parents=True, exist_ok=True)
        for f in sections[-1].figures:
            (fdir / f"{f.id.removeprefix('fig-')}.png").write_bytes(f.png)
    target = Path(out) if out is not None else d / "report.html"
    write_page(target, _b("title"), sections, lang=lang)
    _log.info("report written to %s (%d figures)", target, len(sections[-1].figures))
    return target
